/**
 * Losses against host-side Float64 formulas, and the input gradient of the attack objective against central finite
 * differences.
 */
import '@tensorflow/tfjs-backend-cpu';
import { tinyConvNet } from '@ft/core/testing';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { correctMask, crossEntropyPerExample, dlrPerExample, inputGradWithAux, klPerExample } from './losses.js';
import { randomImages } from './test-helpers.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const Z = [
  [2.0, -1.0, 0.5, 0.1],
  [0.0, 0.0, 0.0, 0.0],
  [-3.0, 4.0, 1.0, 3.5],
];
const Y = [0, 2, 3];

const lse = (r: number[]) => {
  const m = Math.max(...r);
  return m + Math.log(r.reduce((s, v) => s + Math.exp(v - m), 0));
};

describe('per-example losses', () => {
  it('cross-entropy = logsumexp(z) − z_y', () => {
    const got = tf.tidy(() => Array.from(crossEntropyPerExample(tf.tensor2d(Z), tf.tensor1d(Y, 'int32')).dataSync()));
    Z.forEach((r, i) => {
      expect(got[i]).toBeCloseTo(lse(r) - r[Y[i]], 5);
    });
  });

  it('DLR = −(z_y − max_{j≠y} z_j)/(z_π1 − z_π3 + 1e-12)', () => {
    const got = tf.tidy(() => Array.from(dlrPerExample(tf.tensor2d(Z), tf.tensor1d(Y, 'int32')).dataSync()));
    Z.forEach((r, i) => {
      const s = [...r].sort((a, b) => b - a);
      const other = Math.max(...r.filter((_, j) => j !== Y[i]));
      const want = -(r[Y[i]] - other) / (s[0] - s[2] + 1e-12);
      if (i === 1)
        expect(Math.abs(got[i])).toBe(0); // all-equal logits: 0/1e-12 → 0
      else expect(got[i]).toBeCloseTo(want, 5);
    });
  });

  it('KL(softmax(p) ‖ softmax(q)) matches the formula and is 0 for p = q', () => {
    const Q = Z.map((r) => r.map((v, j) => v * 0.5 + j * 0.1));
    const got = tf.tidy(() => Array.from(klPerExample(tf.tensor2d(Z), tf.tensor2d(Q)).dataSync()));
    Z.forEach((r, i) => {
      const lp = r.map((v) => v - lse(r));
      const lq = Q[i].map((v) => v - lse(Q[i]));
      const want = lp.reduce((s, v, j) => s + Math.exp(v) * (v - lq[j]), 0);
      expect(got[i]).toBeCloseTo(want, 5);
    });
    const self = tf.tidy(() => Array.from(klPerExample(tf.tensor2d(Z), tf.tensor2d(Z)).dataSync()));
    for (const v of self) expect(Math.abs(v)).toBeLessThan(1e-6);
  });

  it('correctMask is argmax == y (ties go to the first index)', () => {
    const got = tf.tidy(() => Array.from(correctMask(tf.tensor2d(Z), tf.tensor1d([0, 1, 1], 'int32')).dataSync()));
    expect(got).toEqual([1, 0, 1]);
  });
});

describe('input gradient', () => {
  it('matches central finite differences of Σ CE on a conv net (tanh, BN in inference mode)', () => {
    const model = tinyConvNet({ classes: 3, seed: 3, activation: 'tanh' });
    const x = randomImages(2, [8, 8, 1], 21, { lo: 0.2, hi: 0.8 });
    const y = tf.tensor1d([0, 2], 'int32');
    const f = (xx: tf.Tensor) => {
      const z = model.apply(xx, { training: false }) as tf.Tensor2D;
      const v = crossEntropyPerExample(z, y);
      return { objective: tf.sum(v) as tf.Scalar, aux: [v, z] };
    };
    const { grad, aux } = tf.tidy(() => {
      const r = inputGradWithAux(f, x);
      return { grad: r.grad, aux: r.aux };
    });
    // the auxiliary per-example loss is the loss at x
    const lossAt = (t: tf.Tensor) => tf.tidy(() => f(t).objective.dataSync()[0]);
    expect(aux[0].shape).toEqual([2]);
    expect(aux[1].shape).toEqual([2, 3]);
    expect(tf.tidy(() => tf.sum(aux[0]).dataSync()[0])).toBeCloseTo(lossAt(x), 5);
    const g = grad.dataSync();
    const xv = x.dataSync();
    const h = 1e-3;
    for (const i of [0, 9, 27, 36, 63, 64, 80, 100, 127]) {
      const plus = Float32Array.from(xv);
      const minus = Float32Array.from(xv);
      plus[i] += h;
      minus[i] -= h;
      const tp = tf.tensor4d(plus, x.shape);
      const tm = tf.tensor4d(minus, x.shape);
      const fd = (lossAt(tp) - lossAt(tm)) / (2 * h);
      tf.dispose([tp, tm]);
      expect(Math.abs(fd - g[i])).toBeLessThan(2e-3 + 2e-2 * Math.abs(g[i]));
    }
    tf.dispose([x, y, grad, ...aux]);
  });
});
