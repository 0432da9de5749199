/**
 * The `Attack` base class: what every attack shares, on a small seeded conv net with BatchNorm (8×8 inputs,
 * 3 classes) and on linear models:
 * - ε = 0 returns x; the tensor count is flat across attacks; the result is deterministic in the rng;
 * - targeted attacks hit their targets; BN train mode updates moving statistics; passes are counted; withOptions;
 * - typed errors for bad options and inputs (ε < 0, inputs outside [0, 1], mismatched label counts);
 * - the projections onto the L∞ / L2 ball ∩ [lo, hi] and `keepBetter` against closed forms;
 * - `runAsync` gives the results and errors of `run`.
 * The per-step ε-ball invariant of each attack is tested beside it (fgsm, pgd, apgd).
 */
import '@tensorflow/tfjs-backend-cpu';
import { createRng, InvalidArgumentError, ShapeError } from '@ft/core';
import { maxAbsDiff, tinyConvNet } from '@ft/core/testing';
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { beforeAll, describe, expect, it } from 'vitest';
import { APGD } from './apgd.js';
import { type Attack, keepBetter, l2Norms, projectL2, projectLinf } from './attack.js';
import { FGSM } from './fgsm.js';
import { PassCounter } from './pass-counter.js';
import { PGD, PGDL2 } from './pgd.js';
import { linearModel, randomImages, randomLabels, randomMatrix } from './test-helpers.js';

let model: tfl.LayersModel;
beforeAll(async () => {
  await tf.setBackend('cpu');
  model = tinyConvNet({ classes: 3, seed: 1 });
});

const shape: [number, number, number] = [8, 8, 1];

describe('basic behaviour', () => {
  it('ε = 0 returns x exactly, for every attack', () => {
    const x = randomImages(4, shape, 12, { borders: true });
    const y = randomLabels(4, 3, 12);
    for (const atk of [
      new FGSM(model, { eps: 0 }),
      new FGSM(model, { eps: 0, randomStart: true }),
      new PGD(model, { eps: 0, steps: 3 }),
      new PGDL2(model, { eps: 0, steps: 3 }),
      new APGD(model, { eps: 0, steps: 5 }),
    ]) {
      const adv = atk.run(x, y);
      expect(maxAbsDiff(adv, x)).toBe(0);
      adv.dispose();
    }
    tf.dispose([x, y]);
  });

  it('the tensor count is flat across attacks (tf.tidy per step)', () => {
    const x = randomImages(5, shape, 13);
    const y = randomLabels(5, 3, 13);
    const attacks: Attack[] = [
      new FGSM(model, { eps: 0.1, randomStart: true }),
      new PGD(model, { eps: 0.1, steps: 4, restarts: 3 }),
      new PGDL2(model, { eps: 0.5, steps: 4, restarts: 2 }),
      new APGD(model, { eps: 0.1, steps: 12, restarts: 2 }),
      new PGD(model, { eps: 0.1, steps: 3, targeted: true, targetLabels: 'least-likely' }),
      new PGD(model, { eps: 0.1, steps: 3, bnMode: 'train' }),
    ];
    for (const atk of attacks) atk.run(x, y).dispose(); // warm-up (lazy weight/BN tensors)
    const before = tf.memory().numTensors;
    for (let r = 0; r < 3; r++) for (const atk of attacks) atk.run(x, y).dispose();
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([x, y]);
  });

  it('is deterministic in the rng and differs across rng streams', () => {
    const x = randomImages(4, shape, 14);
    const y = randomLabels(4, 3, 14);
    const atk = new PGD(model, { eps: 0.1, steps: 2 });
    const a = atk.run(x, y, createRng(1));
    const b = atk.run(x, y, createRng(1));
    const c = atk.run(x, y, createRng(2));
    expect(maxAbsDiff(a, b)).toBe(0);
    expect(maxAbsDiff(a, c)).toBeGreaterThan(0);
    tf.dispose([x, y, a, b, c]);
  });

  it('targeted PGD reaches the given targets with a large budget', () => {
    const w = randomMatrix(64, 4, 3);
    const lin = linearModel(w, [0, 0, 0, 0], shape);
    const x = randomImages(8, shape, 16);
    const y = randomLabels(8, 4, 16);
    const targets = tf.tensor1d(
      Array.from(y.dataSync()).map((v) => (v + 2) % 4),
      'int32',
    );
    const adv = new PGD(lin, { eps: 1, alpha: 0.1, steps: 30, targeted: true }).run(x, y, { targets });
    const pred = tf.tidy(() => Array.from(tf.argMax(lin.predict(adv) as tf.Tensor, 1).dataSync()));
    expect(pred).toEqual(Array.from(targets.dataSync()));
    tf.dispose([x, y, targets, adv]);
  });

  it('random targets are never the true label', () => {
    const x = randomImages(16, shape, 17);
    const y = randomLabels(16, 3, 17);
    const seen: number[] = [];
    const atk = new PGD(model, {
      eps: 0.05,
      steps: 1,
      targeted: true,
      targetLabels: (_x, yy, c, rng) => {
        const yv = yy.dataSync();
        const t = Array.from(yv, (v) => (v + 1 + rng.int(c - 1)) % c);
        seen.push(...t.map((v, i) => (v === yv[i] ? 1 : 0)));
        return tf.tensor1d(t, 'int32');
      },
    });
    atk.run(x, y).dispose();
    expect(seen.reduce((s, v) => s + v, 0)).toBe(0);
    tf.dispose([x, y]);
  });

  it("bnMode 'train' updates the BN moving statistics K times; 'eval' leaves them", () => {
    const m = tinyConvNet({ classes: 3, seed: 2 });
    const bn = m.layers[1];
    const stats = () => bn.getWeights()[2].dataSync()[0];
    const x = randomImages(6, shape, 18);
    const y = randomLabels(6, 3, 18);
    const s0 = stats();
    new PGD(m, { eps: 0.1, steps: 3 }).run(x, y).dispose();
    expect(stats()).toBe(s0);
    new PGD(m, { eps: 0.1, steps: 3, bnMode: 'train' }).run(x, y).dispose();
    expect(stats()).not.toBe(s0);
    tf.dispose([x, y]);
  });

  it('counts passes: steps × restarts per example, plus forward-only passes for restart selection', () => {
    const x = randomImages(5, shape, 19);
    const y = randomLabels(5, 3, 19);
    const counter = new PassCounter();
    const pgd = new PGD(model, { eps: 0.1, steps: 4, restarts: 3, counter });
    expect(pgd.passesPerExample()).toBe(12);
    pgd.run(x, y).dispose();
    expect(counter.evalAttack).toBe(60);
    expect(counter.forwardOnly).toBe(15);
    const apgd = new APGD(model, { eps: 0.1, steps: 10 });
    expect(apgd.passesPerExample()).toBe(11);
    apgd.run(x, y, { counter, countAs: 'adversarialAttack' }).dispose();
    expect(counter.adversarialAttack).toBe(55);
    new FGSM(model, { eps: 0.1 }).run(x, y, { counter }).dispose();
    expect(counter.evalAttack).toBe(65);
    tf.dispose([x, y]);
  });

  it('withOptions copies an attack and keeps α/ε', () => {
    const p = new PGD(model, { eps: 0.1, alpha: 0.025, steps: 7, restarts: 2 });
    const q = p.withOptions({ eps: 0.2 });
    expect([q.eps, q.steps, q.restarts]).toEqual([0.2, 7, 2]);
    expect(q.alpha).toBeCloseTo(0.05, 12);
    expect(p.name).toBe('PGD-7 (L∞, ε=0.1, α=0.025, 2 restarts)');
    const a = new APGD(model, { eps: 0.1 }).withOptions({ steps: 5 });
    expect(a.name).toBe('APGD-CE-5 (L∞, ε=0.1)');
  });
});

describe('typed errors', () => {
  const errShape: [number, number, number] = [4, 4, 1];
  const w = randomMatrix(16, 3, 31);
  const linear = () => linearModel(w, [0, 0, 0], errShape);

  it('ε < 0 (and NaN, ∞) → InvalidArgumentError naming eps', () => {
    const m = linear();
    for (const make of [
      () => new FGSM(m, { eps: -0.1 }),
      () => new PGD(m, { eps: -1e-3 }),
      () => new PGDL2(m, { eps: Number.NaN }),
      () => new APGD(m, { eps: Number.POSITIVE_INFINITY }),
    ]) {
      expect(make).toThrow(InvalidArgumentError);
      expect(make).toThrow(/eps must be a finite number >= 0/);
    }
    expect(() => new PGD(m, { eps: 0.1, steps: 0 })).toThrow(/steps must be an integer >= 1/);
    expect(() => new PGD(m, { eps: 0.1, alpha: -1 })).toThrow(/alpha/);
    expect(() => new PGD(m, { eps: 0.1, restarts: 1.5 })).toThrow(/restarts/);
  });

  it('inputs outside [0, 1] → InvalidArgumentError with the observed range', () => {
    const atk = new PGD(linear(), { eps: 0.1, steps: 1 });
    const y = tf.tensor1d([0, 1], 'int32');
    const normalised = tf.sub(randomImages(2, errShape, 1), 0.5) as tf.Tensor4D; // e.g. mean-subtracted inputs
    expect(() => atk.run(normalised, y)).toThrow(InvalidArgumentError);
    expect(() => atk.run(normalised, y)).toThrow(/outside \[0, 1\].*withNormalization/);
    const big = tf.mul(randomImages(2, errShape, 2), 255) as tf.Tensor4D;
    expect(() => atk.run(big, y)).toThrow(/input values span/);
    const flat = tf.zeros([2, 16]);
    expect(() => atk.run(flat as unknown as tf.Tensor4D, y)).toThrow(ShapeError);
    tf.dispose([y, normalised, big, flat]);
  });

  it('mismatched label counts → ShapeError; labels outside the classes → InvalidArgumentError', () => {
    const atk = new FGSM(linear(), { eps: 0.1 });
    const x = randomImages(3, errShape, 3);
    const y2 = tf.tensor1d([0, 1], 'int32');
    expect(() => atk.run(x, y2)).toThrow(ShapeError);
    expect(() => atk.run(x, y2)).toThrow(/y has shape \[2\] but the batch has 3 examples/);
    const y2d = tf.tensor2d([[0], [1], [2]], [3, 1], 'int32');
    expect(() => atk.run(x, y2d as unknown as tf.Tensor1D)).toThrow(ShapeError);
    const y5 = tf.tensor1d([0, 1, 5], 'int32');
    expect(() => atk.run(x, y5)).toThrow(/y\[2\] = 5 is not a class index of the model's 3 outputs/);
    const yNeg = tf.tensor1d([0, -1, 2], 'int32');
    expect(() => atk.run(x, yNeg)).toThrow(InvalidArgumentError);
    const targeted = new PGD(linear(), { eps: 0.1, steps: 1, targeted: true });
    const y3 = tf.tensor1d([0, 1, 2], 'int32');
    expect(() => targeted.run(x, y3, { targets: y2 })).toThrow(/targets has shape \[2\]/);
    expect(() => atk.run(x, y3, { targets: y3 })).toThrow(/untargeted/);
    tf.dispose([x, y2, y2d, y5, yNeg, y3]);
  });

  it('bad options: clip, norm, bnMode, loss', () => {
    const m = linear();
    expect(() => new PGD(m, { clip: [1, 0] })).toThrow(/clip/);
    expect(() => new PGD(m, { norm: 'L1' as 'L2' })).toThrow(/norm/);
    expect(() => new PGD(m, { bnMode: 'frozen' as 'eval' })).toThrow(/bnMode/);
    expect(() => new APGD(m, { loss: 'cw' as 'ce' })).toThrow(/loss/);
    expect(() => new PGD(m, { output: 'scores' as 'logits' })).toThrow(/output/);
  });
});

describe('projections and keepBetter (closed forms)', () => {
  it('projectLinf clips each coordinate to [max(x − ε, lo), min(x + ε, hi)]', () => {
    const x = tf.tensor4d([0.05, 0.5, 0.95, 0.3], [1, 2, 2, 1]);
    const xAdv = tf.tensor4d([-0.2, 0.9, 1.2, 0.32], [1, 2, 2, 1]);
    const p = projectLinf(xAdv, x, 0.1, [0, 1]);
    const got = Array.from(p.dataSync());
    const want = [0, 0.6, 1, 0.32];
    got.forEach((v, i) => {
      expect(v).toBeCloseTo(want[i], 6);
    });
    // where the box is tighter than the ball, the box wins
    const q = projectLinf(xAdv, x, 0.1, [0.02, 0.98]);
    expect(Array.from(q.dataSync()).map((v) => Math.round(v * 1e6) / 1e6)).toEqual([0.02, 0.6, 0.98, 0.32]);
    tf.dispose([x, xAdv, p, q]);
  });

  it('projectL2 scales δ by min(1, ε/‖δ‖₂) per example, then clips; l2Norms are per example', () => {
    const x = tf.fill([2, 1, 2, 1], 0.5) as tf.Tensor4D;
    // example 0: δ = (0.3, 0.4), ‖δ‖ = 0.5 > ε = 0.25 → δ/2; example 1: δ = (0.1, 0), inside the ball → unchanged
    const xAdv = tf.tensor4d([0.8, 0.9, 0.6, 0.5], [2, 1, 2, 1]);
    const norms = l2Norms(tf.sub(xAdv, x));
    expect(norms.shape).toEqual([2, 1, 1, 1]);
    const nv = norms.dataSync();
    expect(nv[0]).toBeCloseTo(0.5, 6);
    expect(nv[1]).toBeCloseTo(0.1, 6);
    const p = projectL2(xAdv, x, 0.25, [0, 1]);
    const want = [0.65, 0.7, 0.6, 0.5];
    Array.from(p.dataSync()).forEach((v, i) => {
      expect(v).toBeCloseTo(want[i], 6);
    });
    // clipping after the scaling keeps the point in the ball
    const c = projectL2(xAdv, x, 0.25, [0, 0.66]);
    Array.from(c.dataSync()).forEach((v, i) => {
      expect(v).toBeCloseTo(Math.min(want[i], 0.66), 6);
    });
    tf.dispose([x, xAdv, norms, p, c]);
  });

  it('keepBetter: a success beats a failure, else the higher objective; ties keep the incumbent', () => {
    const best = {
      x: tf.fill([4, 1, 1, 1], 0) as tf.Tensor4D,
      value: tf.tensor1d([1, 5, 2, 3]),
      success: tf.tensor1d([0, 0, 1, 1]),
    };
    const cand = {
      x: tf.fill([4, 1, 1, 1], 1) as tf.Tensor4D,
      value: tf.tensor1d([0, 6, 9, 3]),
      success: tf.tensor1d([1, 0, 0, 1]),
    };
    const r = keepBetter(best, cand);
    // 0: cand succeeds; 1: neither, cand higher; 2: only best succeeds; 3: tie → best
    expect(Array.from(r.x.dataSync())).toEqual([1, 1, 0, 0]);
    expect(Array.from(r.value.dataSync())).toEqual([0, 6, 2, 3]);
    expect(Array.from(r.success.dataSync())).toEqual([1, 0, 1, 1]);
    tf.dispose([best.x, best.value, best.success, cand.x, cand.value, cand.success, r.x, r.value, r.success]);
  });
});

describe('runAsync (backends without a synchronous readback)', () => {
  it('gives the result of run: random targets, a probability model, APGD and PGD', async () => {
    const x = randomImages(6, shape, 30);
    const y = randomLabels(6, 4, 30);
    const probs = linearModel(randomMatrix(64, 4, 30), [0, 0, 0, 0], shape, 'softmax');
    for (const make of [
      () => new PGD(probs, { eps: 0.1, steps: 3, targeted: true, seed: 5 }),
      () => new APGD(probs, { eps: 0.1, steps: 6, seed: 5 }),
      () => new PGD(model, { eps: 0.1, steps: 3, randomStart: true, seed: 5 }),
    ]) {
      const yy = make().model === model ? tf.tidy(() => tf.cast(tf.mod(y, 3), 'int32') as tf.Tensor1D) : y;
      const a = make().run(x, yy);
      const before = tf.memory().numTensors;
      const b = await make().runAsync(x, yy);
      expect(tf.memory().numTensors).toBe(before + 1);
      expect(Array.from(b.dataSync())).toEqual(Array.from(a.dataSync()));
      tf.dispose([a, b]);
      if (yy !== y) yy.dispose();
    }
    probs.dispose();
    tf.dispose([x, y]);
  });

  it('throws the errors of run', async () => {
    const x = randomImages(2, shape, 31);
    const y = randomLabels(2, 3, 31);
    const atk = new PGD(model, { eps: 0.1, steps: 1 });
    const big = tf.mul(x, 2) as tf.Tensor4D;
    const bad = tf.tensor1d([0, 3], 'int32');
    const short = tf.tensor1d([0], 'int32');
    for (const [xx, yy] of [
      [big, y],
      [x, bad],
      [x, short],
    ] as [tf.Tensor4D, tf.Tensor1D][]) {
      let syncError: unknown;
      try {
        atk.run(xx, yy);
      } catch (e) {
        syncError = e;
      }
      expect(syncError).toBeInstanceOf(yy === short ? ShapeError : InvalidArgumentError);
      await expect(atk.runAsync(xx, yy)).rejects.toThrow((syncError as Error).message);
    }
    tf.dispose([x, y, big, bad, short]);
  });
});
