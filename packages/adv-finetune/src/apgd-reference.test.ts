/**
 * APGD against a NumPy port of the reference implementation (fra31/auto-attack `APGDAttack.attack_single_run`,
 * scripts/apgd_reference.py) on a 4-class linear softmax model, from the same start point: the returned point
 * (the last misclassifying iterate where the attack succeeded, else the highest-loss point) must match.
 */
import '@tensorflow/tfjs-backend-cpu';
import fs from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { APGD } from './apgd.js';
import { linearModel } from './test-helpers.js';

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

beforeAll(async () => {
  await tf.setBackend('cpu');
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
