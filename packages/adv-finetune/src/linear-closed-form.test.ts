/**
 * Attack correctness against closed forms on linear classifiers z = Wx + b.
 *
 * Two classes: the CE gradient w.r.t. x is p_o·(w_o − w_y), whose sign is −sign(d) with d = w_y − w_o, for every x.
 * So FGSM (α = ε, no random start) gives x' = clip(x − ε·sign(d), 0, 1), which is also the exact minimiser of the
 * margin d·x' over the L∞ ball ∩ [0, 1] (the analytic worst case); PGD must reach the same corner. In L2 (interior
 * x, no box contact) the worst case is x − ε·d/‖d‖₂.
 */
import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { APGD } from './apgd.js';
import { FGSM } from './fgsm.js';
import { PGD, PGDL2 } from './pgd.js';
import { l2Dist, linearModel, maxAbsDiff, randomImages, randomMatrix } from './test-helpers.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const D = 16;
const shape: [number, number, number] = [4, 4, 1];

/** Analytic L∞ worst case for two classes: clip(x − ε·sign(w_y − w_o)). */
function linfWorst(x: Float32Array, y: number[], w: number[][], eps: number): Float32Array {
  const out = new Float32Array(x.length);
  for (let n = 0; n < y.length; n++) {
    for (let i = 0; i < D; i++) {
      const d = w[i][y[n]] - w[i][1 - y[n]];
      const v = x[n * D + i] - eps * Math.sign(d);
      out[n * D + i] = Math.min(1, Math.max(0, v));
    }
  }
  return out;
}

describe('attacks on a two-class linear model', () => {
  const w = randomMatrix(D, 2, 1);
  const model = linearModel(w, [0.1, -0.2], shape);
  const yArr = [0, 1, 1, 0, 1, 0];

  it('FGSM equals the closed form clip(x − ε·sign(d)) (interior and border pixels)', () => {
    const x = randomImages(6, shape, 1, { borders: true });
    const y = tf.tensor1d(yArr, 'int32');
    for (const eps of [0.05, 0.1, 0.3]) {
      const adv = new FGSM(model, { eps }).run(x, y);
      const want = tf.tensor4d(linfWorst(x.dataSync() as Float32Array, yArr, w, eps), x.shape);
      expect(maxAbsDiff(adv, want)).toBeLessThan(1e-6);
      tf.dispose([adv, want]);
    }
    tf.dispose([x, y]);
  });

  it('PGD-L∞ with random start reaches the analytic worst case', () => {
    const x = randomImages(6, shape, 2, { borders: true });
    const y = tf.tensor1d(yArr, 'int32');
    const eps = 0.1;
    const adv = new PGD(model, { eps, alpha: eps / 4, steps: 10, randomStart: true, restarts: 2 }).run(x, y);
    const want = tf.tensor4d(linfWorst(x.dataSync() as Float32Array, yArr, w, eps), x.shape);
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

  it('APGD-CE reaches the analytic worst case too', () => {
    const x = randomImages(4, shape, 3, { lo: 0.2, hi: 0.8 });
    const y = tf.tensor1d(yArr.slice(0, 4), 'int32');
    const eps = 0.1;
    const adv = new APGD(model, { eps, steps: 20 }).run(x, y);
    const want = tf.tensor4d(linfWorst(x.dataSync() as Float32Array, yArr.slice(0, 4), w, eps), x.shape);
    expect(maxAbsDiff(adv, want)).toBeLessThan(1e-5);
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

describe('FGSM on a multi-class linear model', () => {
  it('equals clip(x + ε·sign(Wᵀ(softmax(z) − e_y))) computed in float64', () => {
    const C = 4;
    const w = randomMatrix(D, C, 7);
    const b = [0.1, 0, -0.1, 0.2];
    const model = linearModel(w, b, shape);
    const x = randomImages(5, shape, 8);
    const yv = [0, 1, 2, 3, 1];
    const y = tf.tensor1d(yv, 'int32');
    const eps = 0.07;
    const adv = new FGSM(model, { eps }).run(x, y);
    const a = adv.dataSync();
    const xv = x.dataSync();
    let checked = 0;
    for (let n = 0; n < 5; n++) {
      const z = b.map((bj, j) => bj + w.reduce((s, r, i) => s + r[j] * xv[n * D + i], 0));
      const mx = Math.max(...z);
      const e = z.map((v) => Math.exp(v - mx));
      const se = e.reduce((s, v) => s + v, 0);
      const p = e.map((v) => v / se);
      for (let i = 0; i < D; i++) {
        const g = w[i].reduce((s, wij, j) => s + wij * (p[j] - (j === yv[n] ? 1 : 0)), 0);
        if (Math.abs(g) < 1e-5) continue;
        const want = Math.min(1, Math.max(0, xv[n * D + i] + eps * Math.sign(g)));
        expect(a[n * D + i]).toBeCloseTo(want, 6);
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(70);
    tf.dispose([x, y, adv]);
  });
});
