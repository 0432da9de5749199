/**
 * evaluateRobustness against the analytic robust accuracy of a two-class linear model (robust ⇔ correct and
 * margin > ε‖d‖₁ for interior inputs), the worst-case/cascade semantics, input errors, non-finite models and abort.
 * The gradient-masking checks (`sanity`) are tested in gradient-masking.test.ts.
 */
import '@tensorflow/tfjs-backend-cpu';
import { ArrayImageDataset, createRng, EmptyDatasetError, NonFiniteValueError, ShapeError } from '@ft/core';
import { tinyConvNet } from '@ft/core/testing';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { APGD } from './apgd.js';
import { evaluateRobustness } from './evaluate-robustness.js';
import { FGSM } from './fgsm.js';
import { PGD } from './pgd.js';
import { linearModel, randomImages, randomLabels, randomMatrix } from './test-helpers.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const shape: [number, number, number] = [4, 4, 1];
const D = 16;
const w = randomMatrix(D, 2, 41, 0.5);
const b = [0.3, -0.3];

/** Analytic robust accuracy of the 2-class linear model for interior x: correct and margin > ε‖d‖₁. */
function analytic(x: Float32Array, y: ArrayLike<number>, eps: number) {
  let clean = 0;
  let robust = 0;
  for (let n = 0; n < y.length; n++) {
    const yn = y[n];
    const d = w.map((r) => r[yn] - r[1 - yn]);
    const m = d.reduce((s, v, i) => s + v * x[n * D + i], 0) + (b[yn] - b[1 - yn]);
    const l1 = d.reduce((s, v) => s + Math.abs(v), 0);
    if (m > 0) clean++;
    if (m - eps * l1 > 0) robust++;
  }
  return { clean: clean / y.length, robust: robust / y.length };
}

describe('evaluateRobustness', () => {
  it('matches the analytic robust accuracy of a linear model (PGD, FGSM, APGD; worst case)', async () => {
    const model = linearModel(w, b, shape);
    const x = randomImages(60, shape, 1, { lo: 0.2, hi: 0.8 });
    const y = randomLabels(60, 2, 1);
    const eps = 0.15;
    const want = analytic(x.dataSync() as Float32Array, y.dataSync(), eps);
    expect(want.robust).toBeGreaterThan(0.05);
    expect(want.robust).toBeLessThan(want.clean);
    const r = await evaluateRobustness(
      model,
      { x, y },
      {
        attacks: [
          new FGSM(model, { eps }),
          new PGD(model, { eps, alpha: eps / 4, steps: 10 }),
          new APGD(model, { eps, steps: 10 }),
        ],
        batchSize: 16,
      },
    );
    expect(r.n).toBe(60);
    expect(r.clean).toBeCloseTo(want.clean, 12);
    for (const acc of Object.values(r.perAttack)) expect(acc).toBeCloseTo(want.robust, 12);
    expect(r.worstCase).toBeCloseTo(want.robust, 12);
    expect(Object.keys(r.perAttack)).toEqual([
      'FGSM (L∞, ε=0.15)',
      'PGD-10 (L∞, ε=0.15, α=0.0375)',
      'APGD-CE-10 (L∞, ε=0.15)',
    ]);
    tf.dispose([x, y]);
  });

  it('worst case ≤ every per-attack accuracy ≤ clean; cascade gives the same worst case cheaper', async () => {
    const model = tinyConvNet({ classes: 3, seed: 5 });
    const x = randomImages(30, [8, 8, 1], 2);
    const y = randomLabels(30, 3, 2);
    const attacks = [new FGSM(model, { eps: 0.03 }), new PGD(model, { eps: 0.03, steps: 4, restarts: 2 })];
    const full = await evaluateRobustness(model, { x, y }, { attacks, rng: createRng(1) });
    const cascade = await evaluateRobustness(model, { x, y }, { attacks, rng: createRng(1), mode: 'cascade' });
    const accs = Object.values(full.perAttack);
    for (const a of accs) {
      expect(full.worstCase).toBeLessThanOrEqual(a);
      expect(a).toBeLessThanOrEqual(full.clean);
    }
    expect(cascade.worstCase).toBe(full.worstCase);
    expect(cascade.passes).toBeLessThanOrEqual(full.passes);
    expect(full.passes).toBe(Math.round(full.clean * 30) * (1 + 8));
    tf.dispose([x, y]);
  });

  it('accepts an ImageDataset (same numbers as tensors) and respects limit', async () => {
    const model = linearModel(w, b, shape);
    const x = randomImages(20, shape, 3, { lo: 0.2, hi: 0.8 });
    const y = randomLabels(20, 2, 3);
    const ds = new ArrayImageDataset({
      images: x.dataSync() as Float32Array,
      labels: Int32Array.from(y.dataSync()),
      shape,
      numClasses: 2,
    });
    const attacks = [new PGD(model, { eps: 0.05, steps: 5 })];
    const a = await evaluateRobustness(model, { x, y }, { attacks, limit: 12, batchSize: 5 });
    const c = await evaluateRobustness(model, ds, { attacks, limit: 12, batchSize: 5 });
    expect(c).toMatchObject({ clean: a.clean, worstCase: a.worstCase, n: 12 });
    tf.dispose([x, y]);
  });

  it('keeps the tensor count flat', async () => {
    const model = tinyConvNet({ classes: 3, seed: 6 });
    const x = randomImages(10, [8, 8, 1], 4);
    const y = randomLabels(10, 3, 4);
    const attacks = [new PGD(model, { eps: 0.05, steps: 2 }), new APGD(model, { eps: 0.05, steps: 3 })];
    await evaluateRobustness(model, { x, y }, { attacks, batchSize: 4 });
    const before = tf.memory().numTensors;
    await evaluateRobustness(model, { x, y }, { attacks, batchSize: 4 });
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([x, y]);
  });

  it('errors: mismatched label counts, dataset/model class mismatch, empty data, inputs outside [0, 1]', async () => {
    const model = linearModel(w, b, shape);
    const attacks = [new FGSM(model, { eps: 0.1 })];
    const x = randomImages(4, shape, 5);
    const y3 = tf.tensor1d([0, 1, 0], 'int32');
    await expect(evaluateRobustness(model, { x, y: y3 }, { attacks })).rejects.toThrow(ShapeError);
    const ds3 = new ArrayImageDataset({
      images: x.dataSync() as Float32Array,
      labels: Int32Array.from([0, 1, 2, 0]),
      shape,
    });
    await expect(evaluateRobustness(model, ds3, { attacks })).rejects.toThrow(/3 classes but the model outputs 2/);
    const empty = { x: tf.zeros([0, 4, 4, 1]) as tf.Tensor4D, y: tf.zeros([0], 'int32') as tf.Tensor1D };
    await expect(evaluateRobustness(model, empty, { attacks })).rejects.toThrow(EmptyDatasetError);
    const bad = tf.mul(x, 2) as tf.Tensor4D;
    await expect(
      evaluateRobustness(model, { x: bad, y: tf.tensor1d([0, 1, 0, 1], 'int32') }, { attacks }),
    ).rejects.toThrow(/outside \[0, 1\]/);
    tf.dispose([x, y3, bad, empty.x, empty.y]);
  });
});

describe('evaluateRobustness: non-finite models and abort', () => {
  it('a model with NaN weights throws NonFiniteValueError instead of reporting an accuracy', async () => {
    const model = linearModel(
      w.map((r) => r.map(() => Number.NaN)),
      b,
      shape,
    );
    const x = randomImages(8, shape, 2);
    const y = randomLabels(8, 2, 2);
    const before = tf.memory().numTensors;
    const err = await evaluateRobustness(
      model,
      { x, y },
      { attacks: [new PGD(model, { eps: 0.1, alpha: 0.025, steps: 2 })], batchSize: 4 },
    ).catch((e) => e);
    expect(err).toBeInstanceOf(NonFiniteValueError);
    expect(err.message).toMatch(/batch 0 .*NaN/);
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([x, y]);
    model.dispose();
  });

  it('an abort from a timer callback stops between batches', async () => {
    const model = linearModel(w, b, shape);
    const x = randomImages(200, shape, 3);
    const y = randomLabels(200, 2, 3);
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 0);
    let done = 0;
    await expect(
      evaluateRobustness(
        model,
        { x, y },
        {
          attacks: [new PGD(model, { eps: 0.1, alpha: 0.025, steps: 2 })],
          batchSize: 2,
          signal: ac.signal,
          onBatch: (d) => {
            done = d;
          },
        },
      ),
    ).rejects.toThrow();
    expect(done).toBeLessThanOrEqual(4); // ≤ 2 batches of 2, not all 100
    tf.dispose([x, y]);
    model.dispose();
  });
});
