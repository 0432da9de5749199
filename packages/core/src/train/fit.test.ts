import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { AbortedError, FtError, InvalidArgumentError, NonFiniteLossError } from '../errors.js';
import { type ApplyOptions, allVariablesOf, type Module, trainableVariablesOf } from '../models/module.js';
import { createRng, type Rng } from '../rng.js';
import { adam } from './adam.js';
import type { DataFn } from './batch.js';
import type { Callback } from './callback.js';
import { evaluate } from './evaluate.js';
import { fit } from './fit.js';
import { memoryGuard } from './memory-guard.js';
import { cosine } from './schedules.js';
import { sgd } from './sgd.js';
import { accuracy, arrayData, ce, denseNet, snapshot, toyProblem } from './test-helpers.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const toy = toyProblem(64, 7);

function expectClose(got: ArrayLike<number>, want: ArrayLike<number>, digits: number): void {
  expect(got.length).toBe(want.length);
  for (let i = 0; i < got.length; i++) expect(got[i]).toBeCloseTo(want[i], digits);
}
const data = arrayData(toy, { batchSize: 8 });

describe('fit', () => {
  it('reduces the loss on a linearly separable toy problem and reports a full history', async () => {
    const model = denseNet(1);
    const h = await fit(model, {
      data,
      loss: ce,
      optimizer: sgd({ lr: 0.1, momentum: 0.9 }),
      epochs: 30,
      rng: createRng(1),
      metrics: { acc: accuracy },
    });
    expect(h.epochs).toHaveLength(30);
    expect(h.steps).toBe(240);
    expect(h.stoppedEarly).toBe(false);
    const first = h.epochs[0];
    const last = h.epochs[29];
    expect(last.loss).toBeLessThan(0.2 * first.loss);
    expect(last.metrics.acc).toBeGreaterThanOrEqual(0.95);
    for (const e of h.epochs) {
      expect(e.steps).toBe(8);
      expect(e.lr).toBe(0.1);
      expect(e.ms).toBeGreaterThan(0);
      expect(e.imgPerSec).toBeGreaterThan(0);
    }
    const res = await evaluate(model, () => data(0, createRng(0)), { acc: accuracy });
    expect(res.acc).toBeGreaterThanOrEqual(0.95);
    model.dispose();
  });

  it('sets the lr from the schedule at every step and supports a steps budget with a partial last epoch', async () => {
    const model = denseNet(2);
    const sched = cosine({ lr: 0.05, T: 10 });
    const lrs: number[] = [];
    const rec: Callback = { onStepEnd: (_s, logs) => void lrs.push(logs.lr) };
    const h = await fit(model, {
      data,
      loss: ce,
      optimizer: adam({ lr: 1 }),
      schedule: sched,
      steps: 10,
      rng: createRng(2),
      callbacks: [rec],
    });
    expect(lrs).toEqual(Array.from({ length: 10 }, (_, t) => sched(t)));
    expect(h.steps).toBe(10);
    expect(h.epochs.map((e) => e.steps)).toEqual([8, 2]);
    expect(h.epochs[1].lr).toBe(sched(9));
    model.dispose();
  });

  it('adds extraLoss to the objective and reports dataLoss / extraLoss', async () => {
    const model = denseNet(3);
    const alpha = 0.01;
    const h = await fit(model, {
      data,
      loss: ce,
      optimizer: sgd({ lr: 0.05 }),
      epochs: 1,
      rng: createRng(3),
      extraLoss: (m) => tf.mul(alpha, tf.addN(trainableVariablesOf(m).map((v) => tf.sum(tf.square(v))))) as tf.Scalar,
    });
    const e = h.epochs[0];
    expect(e.metrics.extraLoss).toBeGreaterThan(0);
    expect(e.loss).toBeCloseTo(e.metrics.dataLoss + e.metrics.extraLoss, 5);
    model.dispose();
  });

  it('throws NonFiniteLossError naming the step and epoch, before applying the bad update', async () => {
    const model = denseNet(4);
    let calls = 0;
    let before: Float32Array[] = [];
    const snap: Callback = {
      onStepEnd: (step) => {
        if (step === 10) before = snapshot(allVariablesOf(model));
      },
    };
    const err = await fit(model, {
      data,
      loss: (y, p) => {
        calls += 1;
        const l = ce(y, p);
        return calls === 12 ? (tf.mul(l, Number.NaN) as tf.Scalar) : l;
      },
      optimizer: sgd({ lr: 0.1 }),
      epochs: 3,
      rng: createRng(4),
      callbacks: [snap],
    }).catch((e) => e);
    expect(err).toBeInstanceOf(NonFiniteLossError);
    expect(err.details).toMatchObject({ step: 11, epoch: 1, stepInEpoch: 3, lastCheckpoint: null });
    expect(err.message).toMatch(/NaN at step 11 \(epoch 1, batch 3\); last checkpoint: none/);
    expect(snapshot(allVariablesOf(model))).toEqual(before);
    model.dispose();
  });

  it('keeps tf.memory().numTensors identical after step 2 and after step 20', async () => {
    const model = denseNet(5);
    const counts = new Map<number, number>();
    const probe: Callback = { onStepEnd: (s) => void counts.set(s, tf.memory().numTensors) };
    const before = tf.memory().numTensors;
    await fit(model, {
      data,
      loss: ce,
      optimizer: sgd({ lr: 0.05, momentum: 0.9, nesterov: true, weightDecay: 1e-4 }),
      steps: 24,
      rng: createRng(5),
      metrics: { acc: accuracy },
      clipNorm: 1,
      extraLoss: (m) => tf.mul(1e-4, tf.sum(tf.square(trainableVariablesOf(m)[0]))) as tf.Scalar,
      callbacks: [probe, memoryGuard()],
    });
    expect(counts.get(2)).toBeDefined();
    expect(counts.get(20)).toBe(counts.get(2));
    // after fit, only the optimizer slots remain beyond the model (4 momentum buffers)
    expect(tf.memory().numTensors).toBe(before + 4);
    model.dispose();
  });

  it('memoryGuard throws TENSOR_LEAK when a step leaks tensors', async () => {
    const model = denseNet(6);
    const leaked: tf.Tensor[] = [];
    const err = await fit(model, {
      data,
      loss: ce,
      optimizer: sgd({ lr: 0.05 }),
      steps: 10,
      rng: createRng(6),
      callbacks: [{ onStepEnd: () => void leaked.push(tf.ones([2])) }, memoryGuard()],
    }).catch((e) => e);
    expect(err).toBeInstanceOf(FtError);
    expect(err.code).toBe('TENSOR_LEAK');
    expect(err.message).toMatch(/after step 2/);
    tf.dispose(leaked);
    model.dispose();
  });

  it('per-group lr multipliers scale the update of their group (plain SGD is linear in lr)', async () => {
    const run = async (mult: number) => {
      const model = denseNet(7);
      const w0 = snapshot(allVariablesOf(model));
      const [k1, b1] = trainableVariablesOf(model);
      await fit(model, {
        data,
        loss: ce,
        optimizer: sgd({ lr: 0.1 }),
        groups: [{ variables: [k1, b1], lrMult: mult }],
        steps: 1,
        rng: createRng(7),
      });
      const w1 = snapshot(allVariablesOf(model));
      model.dispose();
      return w1.map((w, i) => w.map((x, j) => x - w0[i][j]));
    };
    const full = await run(1);
    const half = await run(0.5);
    const frozen = await run(0);
    for (const i of [0, 1]) {
      expectClose(
        half[i],
        full[i].map((d) => 0.5 * d),
        6,
      );
      expect(Array.from(frozen[i]).every((d) => d === 0)).toBe(true);
    }
    for (const i of [2, 3]) {
      expect(half[i]).toEqual(full[i]);
      expect(frozen[i]).toEqual(full[i]);
    }
    expect(full[0].some((d) => d !== 0)).toBe(true);
  });

  it('clipNorm rescales the global gradient norm to the limit; clipValue bounds each element', async () => {
    const step = async (o: { clipNorm?: number; clipValue?: number }) => {
      const model = denseNet(8);
      const w0 = snapshot(allVariablesOf(model));
      let gradNorm: number | undefined;
      await fit(model, {
        data,
        loss: (y, p) => tf.mul(50, ce(y, p)) as tf.Scalar, // large gradients
        optimizer: sgd({ lr: 1 }),
        steps: 1,
        rng: createRng(8),
        callbacks: [
          {
            onStepEnd: (_s, logs) => {
              gradNorm = logs.gradNorm;
            },
          },
        ],
        ...o,
      });
      const d = snapshot(allVariablesOf(model)).map((w, i) => w.map((x, j) => w0[i][j] - x));
      model.dispose();
      return { d, gradNorm };
    };
    const norm = (d: Float32Array[]) => Math.sqrt(d.reduce((s, a) => s + a.reduce((t, x) => t + x * x, 0), 0));
    const raw = await step({});
    const rawNorm = norm(raw.d); // lr = 1 ⇒ update = gradient
    expect(rawNorm).toBeGreaterThan(2);
    const clipped = await step({ clipNorm: 0.5 });
    expect(clipped.gradNorm).toBeCloseTo(rawNorm, 3);
    expect(norm(clipped.d)).toBeCloseTo(0.5, 4);
    clipped.d.forEach((a, i) => {
      expectClose(
        a,
        raw.d[i].map((x) => (x * 0.5) / rawNorm),
        5,
      );
    });
    const notClipped = await step({ clipNorm: 1e3 });
    notClipped.d.forEach((a, i) => {
      expectClose(a, raw.d[i], 5);
    });
    const byValue = await step({ clipValue: 0.05 });
    const maxAbs = Math.max(...byValue.d.map((a) => Math.max(...Array.from(a, Math.abs))));
    expect(maxAbs).toBeLessThanOrEqual(0.05 + 1e-7);
    expect(maxAbs).toBeCloseTo(0.05, 6);
  });

  it('an already-aborted signal throws AbortedError before any step', async () => {
    const model = denseNet(9);
    const w0 = snapshot(allVariablesOf(model));
    const ac = new AbortController();
    ac.abort();
    const err = await fit(model, {
      data,
      loss: ce,
      optimizer: sgd({ lr: 0.1 }),
      epochs: 1,
      rng: createRng(9),
      signal: ac.signal,
    }).catch((e) => e);
    expect(err).toBeInstanceOf(AbortedError);
    expect(err.details.step).toBe(0);
    expect(snapshot(allVariablesOf(model))).toEqual(w0);
    model.dispose();
  });

  it.each([
    ['setTimeout(0)', (f: () => void) => void setTimeout(f, 0)],
    ['setImmediate', (f: () => void) => void setImmediate(f)],
  ])('an abort from a %s callback (like a SIGINT handler) stops training after the current step', async (_n, sched) => {
    const model = denseNet(19);
    const ac = new AbortController();
    let steps = 0;
    const count: Callback = { onStepEnd: () => void steps++ };
    sched(() => ac.abort());
    const err = await fit(model, {
      data,
      loss: ce,
      optimizer: sgd({ lr: 0.1 }),
      epochs: 20, // 160 steps, all microtask-only on the cpu backend
      rng: createRng(19),
      signal: ac.signal,
      callbacks: [count],
    }).catch((e) => e);
    expect(err).toBeInstanceOf(AbortedError);
    expect(err.details.step).toBeLessThanOrEqual(2);
    expect(steps).toBe(err.details.step);
    expect(err.details).toMatchObject({ epoch: 0, checkpoint: null });
    model.dispose();
  });

  it('validates its options', async () => {
    const model = denseNet(10);
    const base = { data, loss: ce, optimizer: sgd({ lr: 0.1 }), rng: createRng(0) };
    await expect(fit(model, base)).rejects.toThrow(/epochs or steps/);
    await expect(fit(model, { ...base, epochs: 1, clipNorm: 0 })).rejects.toThrow(InvalidArgumentError);
    await expect(fit(model, { ...base, epochs: 1, data: () => [] })).rejects.toThrow(/yielded no batches/);
    model.dispose();
  });
});

/** y = x·W + b, with a non-trainable running mean of x updated in training mode and a stochastic input dropout. */
class LinearModule implements Module {
  readonly w = tf.variable(tf.zeros([3, 1]));
  readonly b = tf.variable(tf.zeros([1]));
  readonly runningMean = tf.variable(tf.zeros([3]), false);
  rngSeen = 0;
  get trainableVariables() {
    return [this.w, this.b];
  }
  get nonTrainableVariables() {
    return [this.runningMean];
  }
  apply(x: tf.Tensor, opts: ApplyOptions): tf.Tensor {
    if (opts.training) {
      this.runningMean.assign(tf.add(tf.mul(this.runningMean, 0.9), tf.mul(tf.mean(x, 0), 0.1)));
      if (opts.rng) {
        this.rngSeen += 1;
        opts.rng.uniform();
      }
    }
    return tf.add(tf.matMul(x, this.w), this.b);
  }
  getConfig() {
    return { in: 3 };
  }
  dispose() {
    tf.dispose([this.w, this.b, this.runningMean]);
  }
}

/** A batch type like the data module's: an interface with extra, non-tensor fields and a dispose method. */
interface IndexedBatch {
  x: tf.Tensor2D;
  y: tf.Tensor2D;
  indices: Int32Array;
  dispose(): void;
}

describe('fit with a Module', () => {
  const wTrue = [1.5, -2, 0.5];
  const regression: DataFn<IndexedBatch> = (_epoch: number, rng: Rng) =>
    (function* () {
      for (let s = 0; s < 4; s++) {
        const xs = Float32Array.from({ length: 24 }, () => rng.normal());
        const ys = Float32Array.from(
          { length: 8 },
          (_, i) => 0.3 + wTrue.reduce((a, w, j) => a + w * xs[3 * i + j], 0),
        );
        const x = tf.tensor2d(xs, [8, 3]);
        const y = tf.tensor2d(ys, [8, 1]);
        yield { x, y, indices: Int32Array.of(s), dispose: () => tf.dispose([x, y]) };
      }
    })();
  const mse = (y: tf.Tensor, p: tf.Tensor) => tf.losses.meanSquaredError(y, p) as tf.Scalar;

  it('trains a Module (custom batch type, rng passed to apply, non-trainable state updated)', async () => {
    const m = new LinearModule();
    const before = tf.memory().numTensors;
    const h = await fit(m, {
      data: regression,
      loss: (y, p, batch) => {
        expect(batch.indices).toBeInstanceOf(Int32Array);
        return mse(y, p);
      },
      optimizer: adam({ lr: 0.1 }),
      epochs: 40,
      rng: createRng(11),
    });
    expect(h.epochs[39].loss).toBeLessThan(1e-3 * h.epochs[0].loss);
    const w = Array.from(m.w.dataSync());
    expectClose(w, wTrue, 2);
    expect(m.b.dataSync()[0]).toBeCloseTo(0.3, 2);
    expect(m.rngSeen).toBe(160);
    expect(Array.from(m.runningMean.dataSync()).some((x) => x !== 0)).toBe(true);
    expect(tf.memory().numTensors).toBe(before + 4); // Adam m and v for W and b
    m.dispose();
  });
});
