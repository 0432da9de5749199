/**
 * PGD (L∞ and L2): the ε-ball and [0, 1] after every step (runs with 1..K steps reproduce the iterates) on a small
 * seeded conv net with BatchNorm, restarts that never lose a success, and closed forms on linear classifiers
 * z = Wx + b: for two classes PGD-L∞ must reach the analytic corner clip(x − ε·sign(d), 0, 1), d = w_y − w_o, and
 * in L2 (interior x, no box contact) the worst case x − ε·d/‖d‖₂.
 */
import '@tensorflow/tfjs-backend-cpu';
import { createRng } from '@ft/core';
import { maxAbsDiff, tinyConvNet } from '@ft/core/testing';
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Attack } from './attack.js';
import { PGD, PGDL2 } from './pgd.js';
import {
  expectInBounds,
  l2Dist,
  linearModel,
  linfWorstCase,
  randomImages,
  randomLabels,
  randomMatrix,
} from './test-helpers.js';

let convNet: tfl.LayersModel;
beforeAll(async () => {
  await tf.setBackend('cpu');
  convNet = tinyConvNet({ classes: 3, seed: 1 });
});

const D = 16;
const shape: [number, number, number] = [4, 4, 1];
const convShape: [number, number, number] = [8, 8, 1];

describe('ε-ball and [0, 1] after every step', () => {
  const makers: Array<[string, 'Linf' | 'L2', (eps: number, steps: number) => Attack]> = [
    ['PGD', 'Linf', (eps, steps) => new PGD(convNet, { eps, alpha: eps / 3, steps, restarts: 2 })],
    ['PGD targeted', 'Linf', (eps, steps) => new PGD(convNet, { eps, alpha: eps / 3, steps, targeted: true })],
    ['PGDL2', 'L2', (eps, steps) => new PGDL2(convNet, { eps: eps * 4, alpha: eps, steps })],
  ];
  for (const [name, norm, make] of makers) {
    it(name, () => {
      const x = randomImages(6, convShape, 11, { borders: true });
      const y = randomLabels(6, 3, 11);
      for (const eps of [0.03, 0.2, 1]) {
        for (const steps of [1, 2, 3, 6]) {
          const atk = make(eps, steps);
          const adv = atk.run(x, y, createRng(`run-${steps}`));
          expectInBounds(adv, x, atk.eps, norm);
          adv.dispose();
        }
      }
      tf.dispose([x, y]);
    });
  }
});

describe('restarts', () => {
  it('restarts never lose a success: the 1-restart successes are a subset of the 3-restart ones', () => {
    const x = randomImages(24, convShape, 15);
    const y = randomLabels(24, 3, 15);
    const wrong = (adv: tf.Tensor4D) =>
      tf.tidy(() => Array.from(tf.notEqual(tf.argMax(convNet.predict(adv) as tf.Tensor, 1), y).dataSync()));
    const one = new PGD(convNet, { eps: 0.05, alpha: 0.02, steps: 3, restarts: 1 }).run(x, y, createRng(5));
    const three = new PGD(convNet, { eps: 0.05, alpha: 0.02, steps: 3, restarts: 3 }).run(x, y, createRng(5));
    const w1 = wrong(one);
    const w3 = wrong(three);
    w1.forEach((v, i) => {
      if (v) expect(w3[i]).toBe(1);
    });
    expect(w3.reduce((s, v) => s + v, 0)).toBeGreaterThanOrEqual(w1.reduce((s, v) => s + v, 0));
    tf.dispose([x, y, one, three]);
  });
});

describe('PGD on a two-class linear model', () => {
  const w = randomMatrix(D, 2, 1);
  const model = linearModel(w, [0.1, -0.2], shape);
  const yArr = [0, 1, 1, 0, 1, 0];

  it('PGD-L∞ with random start reaches the analytic worst case', () => {
    const x = randomImages(6, shape, 2, { borders: true });
    const y = tf.tensor1d(yArr, 'int32');
    const eps = 0.1;
    const adv = new PGD(model, { eps, alpha: eps / 4, steps: 10, randomStart: true, restarts: 2 }).run(x, y);
    const want = tf.tensor4d(linfWorstCase(x.dataSync() as Float32Array, yArr, w, eps), x.shape);
    expect(maxAbsDiff(adv, want)).toBeLessThan(1e-6);
    // the margins match the analytic minimum
    const margin = (t: tf.Tensor4D) =>
      tf.tidy(() => {
        const z = model.predict(t) as tf.Tensor2D;
        const v = z.arraySync();
        return v.map((r, n) => r[yArr[n]] - r[1 - yArr[n]]);
      });
    const mAdv = margin(adv);
    const mWant = margin(want);
    mAdv.forEach((m, i) => {
      expect(m).toBeCloseTo(mWant[i], 5);
    });
    tf.dispose([x, y, adv, want]);
  });

  it('sign(0) = 0: a coordinate with zero gradient is left unchanged', () => {
    // rows 0..3 are zero ⇒ ∂CE/∂x_i = Σ_j W_ij (p_j − e_yj) = 0 exactly (equal non-zero weights would leave a
    // float rounding residue of p_0 + p_1 − 1)
    const w0 = w.map((r, i) => (i < 4 ? [0, 0] : r));
    const m0 = linearModel(w0, [0, 0], shape);
    const x = randomImages(3, shape, 4, { lo: 0.2, hi: 0.8 });
    const y = tf.tensor1d([0, 1, 0], 'int32');
    const adv = new PGD(m0, { eps: 0.1, alpha: 0.03, steps: 5, randomStart: false }).run(x, y);
    const a = adv.dataSync();
    const xv = x.dataSync();
    for (let n = 0; n < 3; n++) {
      for (let i = 0; i < 4; i++) expect(a[n * D + i]).toBe(xv[n * D + i]);
      for (let i = 4; i < D; i++) expect(Math.abs(a[n * D + i] - xv[n * D + i])).toBeCloseTo(0.1, 5);
    }
    tf.dispose([x, y, adv]);
  });

  it('PGD-L2 without random start moves exactly along −d/‖d‖ to the L2 worst case', () => {
    const x = randomImages(4, shape, 5, { lo: 0.4, hi: 0.6 });
    const y = tf.tensor1d([0, 1, 1, 0], 'int32');
    const eps = 0.5;
    const adv = new PGDL2(model, { eps, alpha: 0.1, steps: 8, randomStart: false }).run(x, y);
    const a = adv.dataSync();
    const xv = x.dataSync();
    for (let n = 0; n < 4; n++) {
      const yn = [0, 1, 1, 0][n];
      const d = w.map((r) => r[yn] - r[1 - yn]);
      const nd = Math.hypot(...d);
      for (let i = 0; i < D; i++) expect(a[n * D + i]).toBeCloseTo(xv[n * D + i] - (eps * d[i]) / nd, 5);
    }
    expect(Math.max(...l2Dist(adv, x))).toBeLessThan(eps + 1e-5);
    tf.dispose([x, y, adv]);
  });

  it('PGD-L2 with random start converges to the L2 worst case (cosine > 0.999)', () => {
    const x = randomImages(4, shape, 6, { lo: 0.4, hi: 0.6 });
    const yv = [1, 0, 0, 1];
    const y = tf.tensor1d(yv, 'int32');
    const eps = 0.5;
    const adv = new PGDL2(model, { eps, alpha: 0.1, steps: 60, randomStart: true }).run(x, y);
    const a = adv.dataSync();
    const xv = x.dataSync();
    for (let n = 0; n < 4; n++) {
      const d = w.map((r) => r[yv[n]] - r[1 - yv[n]]);
      const delta = Array.from({ length: D }, (_, i) => a[n * D + i] - xv[n * D + i]);
      const cos = -delta.reduce((s, v, i) => s + v * d[i], 0) / (Math.hypot(...delta) * Math.hypot(...d));
      expect(cos).toBeGreaterThan(0.999);
      expect(Math.hypot(...delta)).toBeCloseTo(eps, 3);
    }
    tf.dispose([x, y, adv]);
  });
});
