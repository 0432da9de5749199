/**
 * APGD against a NumPy port of the reference implementation (fra31/auto-attack `APGDAttack.attack_single_run`,
 * scripts/apgd_reference.py) on a 4-class linear softmax model, from the same start point: the returned point
 * (the last misclassifying iterate where the attack succeeded, else the highest-loss point) must match. Also: the
 * ε-ball and [0, 1] after every step on a small conv net (CE, DLR, L2, targeted), and the analytic L∞ worst case of a
 * two-class linear model, clip(x − ε·sign(w_y − w_o), 0, 1).
 */
import '@tensorflow/tfjs-backend-cpu';
import fs from 'node:fs';
import { createRng } from '@ft/core';
import { maxAbsDiff, tinyConvNet } from '@ft/core/testing';
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { beforeAll, describe, expect, it } from 'vitest';
import { APGD } from './apgd.js';
import type { Attack } from './attack.js';
import { PGD } from './pgd.js';
import {
  expectInBounds,
  linearModel,
  linfWorstCase,
  randomImages,
  randomLabels,
  randomMatrix,
} from './test-helpers.js';

interface Fixture {
  W: number[][];
  b: number[];
  x: number[][];
  y: number[];
  shape: [number, number, number];
  runs: {
    eps: number;
    steps: number;
    x_init: number[][];
    x_best: number[][];
    x_best_adv: number[][];
    acc: number[];
    step_size_halvings: number;
  }[];
}
const fx: Fixture = JSON.parse(fs.readFileSync(new URL('./fixtures/apgd-linear.json', import.meta.url), 'utf8'));

let convNet: tfl.LayersModel;
beforeAll(async () => {
  await tf.setBackend('cpu');
  convNet = tinyConvNet({ classes: 3, seed: 1 });
});

describe('APGD vs the NumPy port of auto-attack', () => {
  for (const run of fx.runs) {
    it(`ε = ${run.eps}, ${run.steps} iterations`, () => {
      const model = linearModel(fx.W, fx.b, fx.shape);
      const n = fx.y.length;
      const x = tf.tensor4d(fx.x.flat(), [n, ...fx.shape]);
      const y = tf.tensor1d(fx.y, 'int32');
      const init = tf.tensor4d(run.x_init.flat(), [n, ...fx.shape]);
      const adv = new APGD(model, { eps: run.eps, steps: run.steps }).run(x, y, { init });
      const got = adv.dataSync();
      const d = fx.x[0].length;
      let maxErr = 0;
      for (let i = 0; i < n; i++) {
        const want = run.acc[i] ? run.x_best[i] : run.x_best_adv[i];
        for (let j = 0; j < d; j++) maxErr = Math.max(maxErr, Math.abs(got[i * d + j] - want[j]));
      }
      expect(maxErr).toBeLessThan(1e-5);
      // the fixture exercises the step-size schedule (halvings and resets to the best point)
      expect(run.step_size_halvings).toBeGreaterThan(0);
      // the robust examples are exactly those the reference could not fool
      const pred = tf.tidy(() => Array.from(tf.argMax(model.predict(adv) as tf.Tensor, 1).dataSync()));
      pred.forEach((p, i) => {
        expect(p === fx.y[i] ? 1 : 0).toBe(run.acc[i]);
      });
      tf.dispose([x, y, init, adv]);
    });
  }
});

describe('ε-ball and [0, 1] after every step', () => {
  const makers: Array<[string, 'Linf' | 'L2', (eps: number, steps: number) => Attack]> = [
    ['APGD', 'Linf', (eps, steps) => new APGD(convNet, { eps, steps })],
    ['APGD-DLR', 'Linf', (eps, steps) => new APGD(convNet, { eps, steps, loss: 'dlr' })],
    ['APGD-L2', 'L2', (eps, steps) => new APGD(convNet, { eps: eps * 4, steps, norm: 'L2' })],
    ['APGD targeted', 'Linf', (eps, steps) => new APGD(convNet, { eps, steps, targeted: true })],
  ];
  for (const [name, norm, make] of makers) {
    it(name, () => {
      const x = randomImages(6, [8, 8, 1], 11, { borders: true });
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

describe('APGD on a two-class linear model', () => {
  it('APGD-CE reaches the analytic worst case too', () => {
    const w = randomMatrix(16, 2, 1);
    const model = linearModel(w, [0.1, -0.2], [4, 4, 1]);
    const yArr = [0, 1, 1, 0];
    const x = randomImages(4, [4, 4, 1], 3, { lo: 0.2, hi: 0.8 });
    const y = tf.tensor1d(yArr, 'int32');
    const eps = 0.1;
    const adv = new APGD(model, { eps, steps: 20 }).run(x, y);
    const want = tf.tensor4d(linfWorstCase(x.dataSync() as Float32Array, yArr, w, eps), x.shape);
    expect(maxAbsDiff(adv, want)).toBeLessThan(1e-5);
    tf.dispose([x, y, adv, want]);
  });
});

describe('APGD-CE against PGD at equal iterations (small conv net)', () => {
  /** Accuracy of `model` on `adv` against labels `y`. */
  const accuracy = (model: tfl.LayersModel, adv: tf.Tensor4D, y: number[]) =>
    tf.tidy(() => {
      const pred = Array.from(tf.argMax(model.predict(adv) as tf.Tensor, 1).dataSync());
      return pred.filter((p, i) => p === y[i]).length / y.length;
    });
  it('fools at least as many examples as PGD with the same number of iterations, deterministic under a seed', () => {
    const x = randomImages(24, [8, 8, 1], 21);
    // labels = the model's own predictions, so every example is correct clean
    const yArr = tf.tidy(() => Array.from(tf.argMax(convNet.predict(x) as tf.Tensor, 1).dataSync()));
    const y = tf.tensor1d(yArr, 'int32');
    const rows: number[][] = [];
    for (const [eps, steps] of [
      [0.3, 5],
      [0.3, 10],
    ]) {
      const pgd = new PGD(convNet, { eps, alpha: eps / 4, steps }).run(x, y, createRng('pgd'));
      const apgd = new APGD(convNet, { eps, steps }).run(x, y, createRng('apgd'));
      const again = new APGD(convNet, { eps, steps }).run(x, y, createRng('apgd'));
      expectInBounds(apgd, x, eps, 'Linf');
      expect(maxAbsDiff(apgd, again)).toBe(0);
      rows.push([eps, steps, accuracy(convNet, pgd, yArr), accuracy(convNet, apgd, yArr)]);
      tf.dispose([pgd, apgd, again]);
    }
    for (const [, , pgdAcc, apgdAcc] of rows) expect(apgdAcc).toBeLessThanOrEqual(pgdAcc);
    // the numbers (24 images, cpu backend): APGD-CE is strictly stronger at both budgets
    expect(rows.map((r) => r.slice(2).map((a) => Math.round(24 * a)))).toEqual([
      [19, 16],
      [13, 10],
    ]);
    tf.dispose([x, y]);
  });
});
