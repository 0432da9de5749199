import '@tensorflow/tfjs-backend-cpu';
import { createRng, InvalidArgumentError } from '@ft/core';
import { maxAbsDiff } from '@ft/core/testing';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { gumbelNoise, gumbelSoftmaxST } from './gumbel.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const logits = () =>
  tf.tensor3d([
    [
      [0.3, -0.2],
      [1.5, 0.1],
      [-0.4, 0.9],
    ],
    [
      [0, 0],
      [2, -1],
      [0.2, 0.25],
    ],
  ]);

describe('gumbelSoftmaxST', () => {
  it('is one-hot in the forward pass, at the argmax of the soft sample', () => {
    const a = logits();
    const { hard, soft } = gumbelSoftmaxST(a, 5, createRng(1));
    const h = hard.arraySync() as number[][][];
    const s = soft.arraySync() as number[][][];
    for (const [i, row] of h.entries()) {
      for (const [j, v] of row.entries()) {
        expect(v[0] + v[1]).toBe(1);
        expect(v.every((x) => x === 0 || x === 1)).toBe(true);
        const sj = (s[i] as number[][])[j] as number[];
        expect(v[1]).toBe((sj[1] as number) > (sj[0] as number) ? 1 : 0);
        expect((sj[0] as number) + (sj[1] as number)).toBeCloseTo(1, 6);
      }
    }
    tf.dispose([a, hard, soft]);
  });

  it('matches the closed form softmax((a + g)/τ) with g = −log(−log(U + 1e−20) + 1e−20) from the same RNG', () => {
    const a = logits();
    const { soft, hard } = gumbelSoftmaxST(a, 5, createRng(3));
    const rng = createRng(3);
    const av = a.dataSync();
    const sv = soft.dataSync();
    for (let k = 0; k < av.length; k += 2) {
      const g0 = -Math.log(-Math.log(rng.uniform() + 1e-20) + 1e-20);
      const g1 = -Math.log(-Math.log(rng.uniform() + 1e-20) + 1e-20);
      const z0 = ((av[k] as number) + g0) / 5;
      const z1 = ((av[k + 1] as number) + g1) / 5;
      expect(sv[k + 1]).toBeCloseTo(1 / (1 + Math.exp(z0 - z1)), 5);
    }
    tf.dispose([a, soft, hard]);
  });

  it('backward equals the soft sample gradient, which matches finite differences', () => {
    const a = logits();
    const w = tf.tensor3d([
      [
        [0.7, -1.2],
        [0.4, 2.0],
        [-0.3, 0.5],
      ],
      [
        [1.1, 0.2],
        [-0.8, 0.6],
        [0.9, -0.1],
      ],
    ]);
    const gHard = tf.grad((x: tf.Tensor) => tf.sum(tf.mul(w, gumbelSoftmaxST(x, 5, createRng(9)).hard)))(a);
    const gSoft = tf.grad((x: tf.Tensor) => tf.sum(tf.mul(w, gumbelSoftmaxST(x, 5, createRng(9)).soft)))(a);
    expect(maxAbsDiff(gHard, gSoft)).toBeLessThan(1e-7);
    expect(maxAbsDiff(gHard, tf.zerosLike(gHard))).toBeGreaterThan(1e-3);
    // finite differences of the soft sample (float64 in JS, same noise)
    const av = Array.from(a.dataSync());
    const wv = Array.from(w.dataSync());
    const noise = Array.from(gumbelNoise([2, 3, 2], createRng(9)).dataSync());
    const f = (x: number[]) => {
      let s = 0;
      for (let k = 0; k < x.length; k += 2) {
        const z0 = ((x[k] as number) + (noise[k] as number)) / 5;
        const z1 = ((x[k + 1] as number) + (noise[k + 1] as number)) / 5;
        const p1 = 1 / (1 + Math.exp(z0 - z1));
        s += (wv[k] as number) * (1 - p1) + (wv[k + 1] as number) * p1;
      }
      return s;
    };
    const gh = gHard.dataSync();
    for (let k = 0; k < av.length; k++) {
      const e = 1e-5;
      const up = [...av];
      const dn = [...av];
      up[k] = (up[k] as number) + e;
      dn[k] = (dn[k] as number) - e;
      expect(gh[k]).toBeCloseTo((f(up) - f(dn)) / (2 * e), 4);
    }
    tf.dispose([a, w, gHard, gSoft]);
  });

  it('is reproducible with a seeded RNG and differs across seeds', () => {
    const a = tf.zeros([64, 2]);
    const s1 = gumbelSoftmaxST(a, 5, createRng(4));
    const s2 = gumbelSoftmaxST(a, 5, createRng(4));
    const s3 = gumbelSoftmaxST(a, 5, createRng(5));
    expect(Array.from(s1.hard.dataSync())).toEqual(Array.from(s2.hard.dataSync()));
    expect(Array.from(s1.soft.dataSync())).toEqual(Array.from(s2.soft.dataSync()));
    expect(Array.from(s1.hard.dataSync())).not.toEqual(Array.from(s3.hard.dataSync()));
    // zero logits: each category about half the time
    const ones = (tf.sum(s1.hard, 0).dataSync()[1] as number) / 64;
    expect(ones).toBeGreaterThan(0.25);
    expect(ones).toBeLessThan(0.75);
    tf.dispose([a, s1.hard, s1.soft, s2.hard, s2.soft, s3.hard, s3.soft]);
  });

  it('leaves no tensors behind but its results', () => {
    const a = logits();
    const before = tf.memory().numTensors;
    const { hard, soft } = gumbelSoftmaxST(a, 5, createRng(1));
    expect(tf.memory().numTensors).toBe(before + 2);
    tf.dispose([hard, soft]);
    const g = tf.grad((x: tf.Tensor) => tf.sum(gumbelSoftmaxST(x, 5, createRng(2)).hard))(a);
    g.dispose();
    expect(tf.memory().numTensors).toBe(before);
    a.dispose();
  });

  it('rejects τ ≤ 0, non-finite τ and a last axis under 2', () => {
    const a = logits();
    for (const tau of [0, -1, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(() => gumbelSoftmaxST(a, tau, createRng(0))).toThrow(InvalidArgumentError);
    }
    expect(() => gumbelSoftmaxST(a, 0, createRng(0))).toThrow(/tau must be a finite number > 0, got 0/);
    const one = tf.zeros([3, 1]);
    expect(() => gumbelSoftmaxST(one, 5, createRng(0))).toThrow(/at least 2 categories/);
    tf.dispose([a, one]);
  });
});
