/**
 * TRADES (Zhang et al., ICML 2019): the loss against its closed form mean CE(z, y) + β·mean KL(softmax(z) ‖
 * softmax(z')), computed in float64, and the inner maximisation: x' stays in the ε-ball ∩ [0, 1] after any number of
 * steps, is deterministic in the rng, moves the output distribution away from f(x), and keeps the tensor count flat.
 */
import '@tensorflow/tfjs-backend-cpu';
import { createRng } from '@ft/core';
import { maxAbsDiff } from '@ft/core/testing';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { klPerExample } from './losses.js';
import { logitsOf } from './model-output.js';
import { expectInBounds, linearModel, randomImages, randomMatrix } from './test-helpers.js';
import { tradesAttack, tradesLoss } from './trades.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const shape: [number, number, number] = [4, 4, 1];

function softmax(z: number[]): number[] {
  const m = Math.max(...z);
  const e = z.map((v) => Math.exp(v - m));
  const s = e.reduce((a, v) => a + v, 0);
  return e.map((v) => v / s);
}

describe('tradesLoss', () => {
  it('equals mean CE + β·mean KL computed in float64', () => {
    const zc = [
      [1, 0, -1],
      [0.5, 2, 0],
      [0, 0, 0],
    ];
    const za = [
      [0, 0.5, 0],
      [1, 1, 1],
      [0, 0, 3],
    ];
    const y = [0, 1, 2];
    for (const beta of [0, 1, 6]) {
      let ce = 0;
      let kl = 0;
      for (let n = 0; n < 3; n++) {
        const p = softmax(zc[n]);
        const q = softmax(za[n]);
        ce += -Math.log(p[y[n]]);
        kl += p.reduce((s, pi, j) => s + pi * Math.log(pi / q[j]), 0);
      }
      const want = ce / 3 + (beta * kl) / 3;
      const got = tf.tidy(
        () => tradesLoss(tf.tensor2d(zc), tf.tensor2d(za), tf.tensor1d(y, 'int32'), beta).dataSync()[0],
      );
      expect(got).toBeCloseTo(want, 5);
    }
  });

  it('is the clean cross-entropy when x′ = x (KL = 0)', () => {
    const z = tf.tensor2d([
      [2, -1],
      [0.3, 0.1],
    ]);
    const y = tf.tensor1d([1, 0], 'int32');
    const a = tradesLoss(z, z, y, 6).dataSync()[0];
    const b = tradesLoss(z, z, y, 0).dataSync()[0];
    expect(a).toBeCloseTo(b, 6);
    tf.dispose([z, y]);
  });
});

describe('tradesAttack', () => {
  const w = randomMatrix(16, 3, 21);
  const model = linearModel(w, [0.1, 0, -0.1], shape);
  const opts = { alpha: 0.01, training: false, kind: 'logits' as const };

  it('stays in the ε-ball ∩ [0, 1] after every step, also at the borders', () => {
    const x = randomImages(6, shape, 1, { borders: true });
    for (const eps of [0, 0.03, 0.3]) {
      for (const steps of [0, 1, 3, 10]) {
        const xAdv = tradesAttack(model, x, { ...opts, eps, steps, rng: createRng(`s${steps}`) });
        expectInBounds(xAdv, x, eps, 'Linf');
        if (eps === 0) expect(maxAbsDiff(xAdv, x)).toBe(0);
        xAdv.dispose();
      }
    }
    x.dispose();
  });

  it('is deterministic in the rng, and moves f(x′) away from f(x) (KL grows with the steps)', () => {
    const x = randomImages(8, shape, 2, { lo: 0.2, hi: 0.8 });
    const run = (steps: number, seed: string) =>
      tradesAttack(model, x, { ...opts, eps: 0.1, steps, rng: createRng(seed) });
    const a = run(5, 'a');
    const b = run(5, 'a');
    const c = run(5, 'c');
    expect(maxAbsDiff(a, b)).toBe(0);
    expect(maxAbsDiff(a, c)).toBeGreaterThan(0);
    const kl = (xAdv: tf.Tensor4D) =>
      tf.tidy(
        () =>
          tf
            .sum(klPerExample(logitsOf(model, x, 'logits', false), logitsOf(model, xAdv, 'logits', false)))
            .dataSync()[0],
      );
    const start = run(0, 'a');
    const k0 = kl(start);
    const k1 = kl(run(1, 'a'));
    const k5 = kl(a);
    expect(k0).toBeLessThan(1e-4);
    expect(k1).toBeGreaterThan(k0);
    expect(k5).toBeGreaterThan(k1);
    tf.dispose([x, a, b, c, start]);
  });

  it('keeps the tensor count flat', () => {
    const x = randomImages(4, shape, 3);
    tradesAttack(model, x, { ...opts, eps: 0.1, steps: 2, rng: createRng(0) }).dispose();
    const before = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) tradesAttack(model, x, { ...opts, eps: 0.1, steps: 3, rng: createRng(i) }).dispose();
    expect(tf.memory().numTensors).toBe(before);
    x.dispose();
  });
});
