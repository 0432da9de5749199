import '@tensorflow/tfjs-backend-cpu';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  cloneModel,
  createRng,
  InvalidArgumentError,
  loadModel,
  resnet20,
  ShapeError,
  saveModel,
  sparseCrossEntropy,
  tinyCnn,
} from '@ft/core';
import { maxAbsDiff } from '@ft/core/testing';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gumbelNoise } from '../gate/gumbel.js';
import { images, perturbBatchNorms, smallCnn4, smallResnet8 } from '../test-helpers.js';
import { AdaFilterNet } from './adafilter-net.js';
import { UnsupportedLayerError } from './plan.js';
import { adaFilter, loadAdaFilter, saveAdaFilter } from './save-load.js';

let dir: string;
beforeAll(async () => {
  await tf.setBackend('cpu');
  dir = mkdtempSync(join(tmpdir(), 'adafilter-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Mean sparse cross-entropy of logits against int labels. */
const sce = (y: tf.Tensor, logits: tf.Tensor) => sparseCrossEntropy(y, logits, { x: logits, y }) as tf.Scalar;

const sources = { cnn4: smallCnn4, resnet8: smallResnet8 } as const;

describe('adaFilter: structure', () => {
  it('gates every conv but the stem (cnn4: conv 2-4)', () => {
    const net = adaFilter(smallCnn4(), { numClasses: 4 });
    expect(net.gatedLayers).toEqual(['block2_conv', 'block3_conv', 'block4_conv']);
    expect(net.gatedFilters).toEqual([8, 16, 16]);
    net.dispose();
  });

  it('gates both convs of every residual block but not the stem or the projection shortcuts (resnet8)', () => {
    const net = adaFilter(smallResnet8(), { numClasses: 4 });
    expect(net.gatedLayers).toEqual([
      'block1_conv1',
      'block1_conv2',
      'block2_conv1',
      'block2_conv2',
      'block3_conv1',
      'block3_conv2',
    ]);
    net.dispose();
  });

  it('splits its variables into fine-tuned, gate, head and frozen groups; S is a value copy of F, not the same variable', () => {
    const net = adaFilter(smallCnn4(), { numClasses: 4 });
    const g = net.paramGroups();
    expect(g.gate.length).toBe(3 * 4 + 2);
    expect(g.head.map((v) => v.shape)).toEqual([[16, 4], [4]]);
    const S = net.pretrainedKernel('block3_conv');
    const F = net.finetunedKernel('block3_conv');
    expect(S).not.toBe(F);
    expect(maxAbsDiff(S, F)).toBe(0);
    expect(g.frozen).toContain(S);
    expect(g.finetuned).toContain(F);
    expect(net.trainableVariables).not.toContain(S);
    net.dispose();
  });
});

for (const arch of ['cnn4', 'resnet8'] as const) {
  describe(`adaFilter on ${arch}: forced gates`, () => {
    it('all gates "pre-trained" reproduce the source model, in training and in evaluation', async () => {
      const source = sources[arch](1);
      perturbBatchNorms(source, 2);
      // every conv gated (stem and shortcuts too), so that no plain BN runs on batch statistics in training
      const all = () => true;
      const net = adaFilter(source, { numClasses: 4, policy: { fixed: 0 }, head: 'source', gated: all });
      const { x } = images(6, 3);
      const want = source.predict(x) as tf.Tensor;
      for (const training of [false, true]) {
        const got = tf.tidy(() => net.apply(x, { training, rng: createRng(0) }));
        expect(maxAbsDiff(got, want)).toBeLessThan(1e-5);
        got.dispose();
      }
      // SpotTune's BN^S (trainable, batch statistics in training) reproduces the source's training forward instead
      const spot = adaFilter(source, {
        numClasses: 4,
        policy: { fixed: 0 },
        head: 'source',
        gated: all,
        bn: { pretrainedPath: 'trainable' },
      });
      const copy = await cloneModel(source);
      const trainWant = copy.apply(x, { training: true }) as tf.Tensor;
      const trainGot = tf.tidy(() => spot.apply(x, { training: true }));
      expect(maxAbsDiff(trainGot, trainWant)).toBeLessThan(1e-5);
      expect(maxAbsDiff(trainWant, want)).toBeGreaterThan(1e-3);
      tf.dispose([x, want, trainWant, trainGot]);
      for (const m of [net, spot]) m.dispose();
      copy.dispose();
      source.dispose();
    });

    it('all gates "fine-tuned" are standard fine-tuning of the same weights, in training and in evaluation', async () => {
      const source = sources[arch](1);
      perturbBatchNorms(source, 2);
      const net = adaFilter(source, { numClasses: 4, policy: { fixed: 1 }, head: 'source' });
      const { x } = images(6, 3);
      const evalWant = source.predict(x) as tf.Tensor;
      const evalGot = tf.tidy(() => net.apply(x, { training: false }));
      expect(maxAbsDiff(evalGot, evalWant)).toBeLessThan(1e-5);
      // training mode: BN^F on batch statistics, like a plain model's training forward
      const copy = await cloneModel(source);
      const trainWant = copy.apply(x, { training: true }) as tf.Tensor;
      const trainGot = tf.tidy(() => net.apply(x, { training: true, rng: createRng(0) }));
      expect(maxAbsDiff(trainGot, trainWant)).toBeLessThan(1e-5);
      // with all-pre-trained gates the training forward differs (BN^S is frozen): the check above is not vacuous
      const frozen = adaFilter(source, { numClasses: 4, policy: { fixed: 0 }, head: 'source' });
      const other = tf.tidy(() => frozen.apply(x, { training: true }));
      expect(maxAbsDiff(other, trainWant)).toBeGreaterThan(1e-3);
      tf.dispose([x, evalWant, evalGot, trainWant, trainGot, other]);
      for (const m of [net, frozen]) m.dispose();
      copy.dispose();
      source.dispose();
    });
  });
}

describe('adaFilter on every core CNN', () => {
  const builders = {
    tinyCnn: () => tinyCnn({ width: 0.25, inputShape: [12, 12, 1], numClasses: 4, seed: 1 }).model,
    cnn4: () => smallCnn4(1),
    resnet8: () => smallResnet8(1),
    resnet20: () => resnet20({ width: 0.25, inputShape: [12, 12, 1], numClasses: 4, seed: 1 }).model,
  };
  for (const [name, build] of Object.entries(builders)) {
    it(`${name}: forced gates give the source (all pre-trained) and the fine-tuning forward (all fine-tuned)`, async () => {
      const source = build();
      perturbBatchNorms(source, 5);
      const { x } = images(4, 6);
      const want = source.predict(x) as tf.Tensor;
      const copy = await cloneModel(source);
      const trainWant = copy.apply(x, { training: true }) as tf.Tensor;
      for (const [fixed, training, expected] of [
        [0, false, want],
        [1, false, want],
        [1, true, trainWant],
      ] as const) {
        const net = adaFilter(source, { numClasses: 4, policy: { fixed }, head: 'source' });
        expect(net.gatedLayers.length).toBeGreaterThan(0);
        const got = tf.tidy(() => net.apply(x, { training }));
        expect(maxAbsDiff(got, expected)).toBeLessThan(1e-5);
        got.dispose();
        net.dispose();
      }
      tf.dispose([x, want, trainWant]);
      copy.dispose();
      source.dispose();
    });
  }
});

describe('adaFilter: gradients', () => {
  it('the gate gets the straight-through gradient Σ ∂L/∂G · ∂soft/∂θ (finite differences on a tiny net)', () => {
    // one gated conv reading the image: the gate input does not depend on the gate
    const source = tfl.sequential({
      layers: [
        tfl.layers.conv2d({
          inputShape: [6, 6, 1],
          filters: 3,
          kernelSize: 3,
          padding: 'same',
          useBias: false,
          kernelInitializer: tfl.initializers.glorotUniform({ seed: 1 }),
          name: 'c1',
        }),
        tfl.layers.batchNormalization({ name: 'bn1' }),
        tfl.layers.activation({ activation: 'relu', name: 'r1' }),
        tfl.layers.globalAveragePooling2d({ name: 'gap' }),
        tfl.layers.dense({ units: 3, name: 'logits', kernelInitializer: tfl.initializers.glorotUniform({ seed: 2 }) }),
      ],
    });
    const net = adaFilter(source, { numClasses: 3, gated: ['c1'], head: 'source', gate: { hidden: 4, embedDim: 3 } });
    const rngX = createRng(5);
    const x = tf.tensor4d(
      Float32Array.from({ length: 4 * 36 }, () => rngX.uniform()),
      [4, 6, 6, 1],
    );
    const y = tf.tensor1d([0, 1, 2, 1], 'int32');
    // F differs from S so that the gate matters
    const F = net.finetunedKernel('c1');
    F.assign(tf.tidy(() => tf.add(F, tf.mul(0.5, tf.randomNormal(F.shape, 0, 1, 'float32', 3)))));
    const gateVars = net.gate?.variables ?? [];
    const outB = gateVars[gateVars.length - 1] as tf.Variable;
    const inW = gateVars[0] as tf.Variable;
    const { grads, value } = tf.variableGrads(
      () => sce(y, net.apply(x, { training: true, rng: createRng(11) })) as tf.Scalar,
      [outB, inW],
    );
    // the hard gates of that forward, and ∂L/∂G at them
    const H = tf.tidy(() => net.forward(x, { training: true, rng: createRng(11) }).gates[0] as tf.Tensor2D);
    const c = tf.grad((G: tf.Tensor) => sce(y, net.forward(x, { training: true, gates: [G] }).logits) as tf.Scalar)(H);
    const noise = gumbelNoise([4, 3, 2], createRng(11));
    const f = () =>
      tf.tidy(() => {
        const { logits } = (net.gate as NonNullable<typeof net.gate>).step(
          0,
          x,
          (net.gate as NonNullable<typeof net.gate>).start(4),
        );
        const soft1 = tf.reshape(
          tf.slice(tf.softmax(tf.div(tf.add(logits, noise), 5)), [0, 0, 1], [-1, -1, 1]),
          [4, 3],
        );
        return tf.sum(tf.mul(c, soft1)).dataSync()[0] as number;
      });
    for (const [v, g] of [
      [outB, grads[outB.name]],
      [inW, grads[inW.name]],
    ] as const) {
      const gv = (g as tf.Tensor).dataSync();
      const base = v.dataSync().slice();
      let checked = 0;
      for (let k = 0; k < Math.min(base.length, 6); k++) {
        const e = 1e-2;
        const at = (d: number) => {
          const w = base.slice();
          w[k] = (w[k] as number) + d;
          v.assign(tf.tensor(w, v.shape));
          return f();
        };
        const fd = (at(e) - at(-e)) / (2 * e);
        v.assign(tf.tensor(base, v.shape));
        expect(gv[k]).toBeCloseTo(fd, 3);
        if (Math.abs(fd) > 1e-4) checked++;
      }
      expect(checked).toBeGreaterThan(0);
    }
    tf.dispose([x, y, value, H, c, noise, ...Object.values(grads)]);
    net.dispose();
    source.dispose();
  });

  it('never sends gradient into the frozen bank: S and BN^S are not trainable and unchanged by a step', async () => {
    const net = adaFilter(smallCnn4(3), { numClasses: 4 });
    const { x, y } = images(8, 4);
    const S = net.pretrainedKernel('block3_conv');
    const F = net.finetunedKernel('block3_conv');
    const s0 = S.dataSync().slice();
    const f0 = F.dataSync().slice();
    const groups = net.paramGroups();
    const frozen0 = groups.frozen.map((v) => v.dataSync().slice());
    const stats0 = groups.movingStats.map((v) => v.dataSync().slice());
    // S (3 gated convs) and BN^S (gamma, beta, mean, variance of 3 gated BNs)
    expect(groups.frozen.length).toBe(3 + 3 * 4);
    const vars = net.trainableVariables;
    expect(vars).not.toContain(S);
    const opt = tf.train.sgd(0.5);
    for (let i = 0; i < 3; i++) {
      opt.minimize(() => sce(y, net.apply(x, { training: true, rng: createRng(i) })) as tf.Scalar, false, vars);
    }
    expect(Array.from(S.dataSync())).toEqual(Array.from(s0));
    expect(maxAbsDiff(F.dataSync(), f0)).toBeGreaterThan(1e-4);
    for (const [i, v] of groups.frozen.entries()) {
      expect(Array.from(v.dataSync())).toEqual(Array.from(frozen0[i] as Float32Array));
    }
    // the moving statistics of BN^F and of the stem BN do move
    expect(groups.movingStats.some((v, i) => maxAbsDiff(v.dataSync(), stats0[i] as Float32Array) > 1e-4)).toBe(true);
    opt.dispose();
    tf.dispose([x, y]);
    net.dispose();
  });
});

describe('adaFilter: policies', () => {
  it('random gates have the requested rate and are resampled per forward', () => {
    const net = adaFilter(smallCnn4(), { numClasses: 4, policy: { random: 0.3 } });
    const { x } = images(16, 1);
    const [a, b] = [1, 2].map((s) =>
      tf.tidy(() => tf.concat(net.forward(x, { training: true, rng: createRng(s) }).gates, 1)),
    );
    const rate = (t: tf.Tensor) => tf.mean(t).dataSync()[0] as number;
    expect(rate(a as tf.Tensor)).toBeGreaterThan(0.22);
    expect(rate(a as tf.Tensor)).toBeLessThan(0.38);
    expect(maxAbsDiff(a as tf.Tensor, b as tf.Tensor)).toBe(1);
    tf.dispose([x, a, b]);
    net.dispose();
  });

  it('learned gates are deterministic at evaluation (argmax) and start near initFineTuneProb', () => {
    const net = adaFilter(smallCnn4(), { numClasses: 4, gate: { initFineTuneProb: 0.9 } });
    const { x } = images(16, 1);
    const run = (training: boolean, s: number) =>
      tf.tidy(() => tf.concat(net.forward(x, { training, rng: createRng(s) }).gates, 1));
    const e1 = run(false, 1);
    const e2 = run(false, 2);
    expect(maxAbsDiff(e1, e2)).toBe(0);
    const t = run(true, 3);
    const r = tf.mean(t).dataSync()[0] as number;
    expect(r).toBeGreaterThan(0.6);
    tf.dispose([x, e1, e2, t]);
    net.dispose();
  });

  it('evaluation gates: argmax by default, Gumbel samples after setEvalMode("sample")', () => {
    const net = adaFilter(smallCnn4(), { numClasses: 4 });
    const { x } = images(16, 1);
    const gates = (s: number) =>
      tf.tidy(() => tf.concat(net.forward(x, { training: false, rng: createRng(s) }).gates, 1));
    const a1 = gates(1);
    const a2 = gates(2);
    net.setEvalMode('sample');
    const s1 = gates(1);
    const s2 = gates(2);
    const s1again = gates(1);
    expect(maxAbsDiff(a1, a2)).toBe(0);
    expect(maxAbsDiff(s1, s2)).toBe(1);
    expect(maxAbsDiff(s1, s1again)).toBe(0);
    expect(net.getConfig()).toMatchObject({ gate: { evalMode: 'sample' } });
    expect(() => net.setEvalMode('noisy' as never)).toThrow(InvalidArgumentError);
    tf.dispose([x, a1, a2, s1, s2, s1again]);
    net.dispose();
  });

  it('per-block gating (SpotTune style) makes one decision per residual block', () => {
    const net = adaFilter(smallResnet8(), { numClasses: 4, granularity: 'block' });
    const { x } = images(8, 2);
    const gates = tf.tidy(() =>
      net.forward(x, { training: true, rng: createRng(4) }).gates.map((g) => g.arraySync() as number[][]),
    );
    for (const [i, j] of [
      [0, 1],
      [2, 3],
      [4, 5],
    ] as const) {
      const gi = gates[i] as number[][];
      const gj = gates[j] as number[][];
      gi.forEach((row, b) => {
        expect(new Set(row).size).toBe(1);
        expect(row[0]).toBe((gj[b] as number[])[0]);
      });
    }
    tf.dispose(x);
    net.dispose();
  });
});

describe('adaFilter: saving, loading, bad input', () => {
  it('save and load round-trip to identical predictions', async () => {
    const net = adaFilter(smallResnet8(2), { numClasses: 5, seed: 3 });
    // move the gate and F off their initial values
    for (const v of net.trainableVariables)
      v.assign(tf.tidy(() => tf.add(v, tf.mul(0.05, tf.randomNormal(v.shape, 0, 1, 'float32', 7)))));
    const { x } = images(6, 9);
    const before = tf.tidy(() => net.apply(x, { training: false }));
    await saveAdaFilter(net, join(dir, 'rt'));
    const back = await loadAdaFilter(join(dir, 'rt'));
    const after = tf.tidy(() => back.apply(x, { training: false }));
    expect(Array.from(after.dataSync())).toEqual(Array.from(before.dataSync()));
    expect(back.getConfig()).toEqual(net.getConfig());
    tf.dispose([x, before, after]);
    net.dispose();
    back.dispose();
  });

  it('wraps a model loaded from disk', async () => {
    const source = smallCnn4(4);
    await saveModel(source, join(dir, 'src'));
    const loaded = await loadModel(join(dir, 'src'));
    const net = adaFilter(loaded, { numClasses: 4, policy: { fixed: 0 }, head: 'source' });
    const { x } = images(4, 1);
    const want = source.predict(x) as tf.Tensor;
    const got = tf.tidy(() => net.apply(x, { training: false }));
    expect(maxAbsDiff(got, want)).toBeLessThan(1e-5);
    tf.dispose([x, want, got]);
    net.dispose();
    source.dispose();
    loaded.dispose();
  });

  it('rejects an unsupported layer, an unknown gated layer, τ ≤ 0, a wrong input shape and learned training without an RNG', () => {
    const withDropout = tfl.sequential({
      layers: [
        tfl.layers.conv2d({ inputShape: [6, 6, 1], filters: 2, kernelSize: 3, name: 'c' }),
        tfl.layers.dropout({ rate: 0.5, name: 'drop' }),
        tfl.layers.flatten({ name: 'f' }),
        tfl.layers.dense({ units: 2, name: 'd' }),
      ],
    });
    expect(() => adaFilter(withDropout, { numClasses: 2 })).toThrow(UnsupportedLayerError);
    expect(() => adaFilter(withDropout, { numClasses: 2 })).toThrow(/layer 'drop' \(Dropout\) is not supported/);
    const src = smallCnn4();
    expect(() => adaFilter(src, { numClasses: 4, gated: ['nope'] })).toThrow(/gated layer 'nope' does not exist/);
    expect(() => adaFilter(src, { numClasses: 4, gated: ['block1_bn'] })).toThrow(/is a bn unit, not a convolution/);
    expect(() => adaFilter(src, { numClasses: 4, gate: { tau: 0 } })).toThrow(InvalidArgumentError);
    expect(() => adaFilter(src, { numClasses: 4, gate: { tau: -2 } })).toThrow(/tau must be a finite number > 0/);
    const net = adaFilter(src, { numClasses: 4 });
    const bad = tf.zeros([2, 10, 10, 1]);
    expect(() => net.apply(bad, { training: false })).toThrow(ShapeError);
    const ok = tf.zeros([2, 12, 12, 1]);
    expect(() => tf.tidy(() => net.apply(ok, { training: true }))).toThrow(/needs opts.rng/);
    tf.dispose([bad, ok]);
    net.dispose();
    withDropout.dispose();
    src.dispose();
  });

  it('fromConfig rebuilds the same variable shapes', () => {
    const net = adaFilter(smallCnn4(), { numClasses: 3, granularity: 'block', bn: { shared: true } });
    const copy = AdaFilterNet.fromConfig(net.config);
    expect(copy.trainableVariables.map((v) => v.shape)).toEqual(net.trainableVariables.map((v) => v.shape));
    expect(copy.nonTrainableVariables.map((v) => v.shape)).toEqual(net.nonTrainableVariables.map((v) => v.shape));
    net.dispose();
    copy.dispose();
  });
});
