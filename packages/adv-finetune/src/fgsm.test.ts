/**
 * FGSM against closed forms on linear classifiers z = Wx + b, and the attack invariants on a small conv net.
 *
 * Two classes: the CE gradient w.r.t. x is p_o·(w_o − w_y), whose sign is −sign(d) with d = w_y − w_o, for every x.
 * So FGSM (α = ε, no random start) gives x' = clip(x − ε·sign(d), 0, 1), the exact minimiser of the margin d·x' over
 * the L∞ ball ∩ [0, 1] (the analytic worst case). Many classes: x' = clip(x + ε·sign(Wᵀ(softmax(z) − e_y))).
 */
import '@tensorflow/tfjs-backend-cpu';
import { createRng } from '@ft/core';
import { maxAbsDiff, tinyConvNet } from '@ft/core/testing';
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Attack } from './attack.js';
import { FGSM } from './fgsm.js';
import {
  expectInBounds,
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

describe('ε-ball and [0, 1] after every step', () => {
  const makers: Array<[string, (eps: number) => Attack]> = [
    ['FGSM', (eps) => new FGSM(convNet, { eps })],
    ['FGSM-RS', (eps) => new FGSM(convNet, { eps, randomStart: true })],
  ];
  for (const [name, make] of makers) {
    it(name, () => {
      const x = randomImages(6, [8, 8, 1], 11, { borders: true });
      const y = randomLabels(6, 3, 11);
      for (const eps of [0.03, 0.2, 1]) {
        const atk = make(eps);
        const adv = atk.run(x, y, createRng('run-1'));
        expectInBounds(adv, x, atk.eps, 'Linf');
        adv.dispose();
      }
      tf.dispose([x, y]);
    });
  }
});

describe('FGSM on a two-class linear model', () => {
  const w = randomMatrix(D, 2, 1);
  const model = linearModel(w, [0.1, -0.2], shape);
  const yArr = [0, 1, 1, 0, 1, 0];

  it('FGSM equals the closed form clip(x − ε·sign(d)) (interior and border pixels)', () => {
    const x = randomImages(6, shape, 1, { borders: true });
    const y = tf.tensor1d(yArr, 'int32');
    for (const eps of [0.05, 0.1, 0.3]) {
      const adv = new FGSM(model, { eps }).run(x, y);
      const want = tf.tensor4d(linfWorstCase(x.dataSync() as Float32Array, yArr, w, eps), x.shape);
      expect(maxAbsDiff(adv, want)).toBeLessThan(1e-6);
      tf.dispose([adv, want]);
    }
    tf.dispose([x, y]);
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
