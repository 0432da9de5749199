import '@tensorflow/tfjs-backend-cpu';
import { InvalidArgumentError, ShapeError } from '@ft/core';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { mmd2 } from './mmd.js';
import { finiteDiff, maxDiff, mmdRef, randomRows } from './test-reference.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('mmd2', () => {
  it('hand-computed: a = {(0,0), (1,0)}, b = {(0,1)}, bandwidth D = 2', () => {
    const m = mmd2(
      tf.tensor2d([
        [0, 0],
        [1, 0],
      ]),
      tf.tensor2d([[0, 1]]),
    );
    // k_aa: (1 + e^−½ + e^−½ + 1)/4; k_bb: 1; k_ab: (e^−½ + e^−1)/2.
    const want = (1 + Math.exp(-0.5)) / 2 + 1 - Math.exp(-0.5) - Math.exp(-1);
    expect(m.dataSync()[0]).toBeCloseTo(want, 6);
  });

  it('matches the float64 V-statistic (default bandwidth D and a given one); MMD²(a, a) = 0', () => {
    const a = randomRows(12, 6, 'a');
    const b = randomRows(9, 6, 'b', 1.5);
    expect(mmd2(tf.tensor2d(a), tf.tensor2d(b)).dataSync()[0]).toBeCloseTo(mmdRef(a, b), 5);
    expect(mmd2(tf.tensor2d(a), tf.tensor2d(b), { bandwidth: 2.5 }).dataSync()[0]).toBeCloseTo(mmdRef(a, b, 2.5), 5);
    expect(Math.abs(mmd2(tf.tensor2d(a), tf.tensor2d(a)).dataSync()[0])).toBeLessThan(1e-6);
  });

  it('gradient in both arguments passes a finite-difference check', () => {
    const a = randomRows(5, 3, 'ga');
    const b = randomRows(4, 3, 'gb', 0.7);
    const [ga, gb] = tf.grads((x: tf.Tensor, y: tf.Tensor) => mmd2(x as tf.Tensor2D, y as tf.Tensor2D))([
      tf.tensor2d(a),
      tf.tensor2d(b),
    ]);
    const fa = finiteDiff((x) => mmdRef(x, b), a);
    const fb = finiteDiff((y) => mmdRef(a, y), b);
    expect(
      maxDiff(
        fa,
        fa.map((r) => r.map(() => 0)),
      ),
    ).toBeGreaterThan(1e-3);
    expect(maxDiff(ga.arraySync() as number[][], fa)).toBeLessThan(2e-5);
    expect(maxDiff(gb.arraySync() as number[][], fb)).toBeLessThan(2e-5);
  });

  it('typed errors: rank, empty, feature dimension, bandwidth', () => {
    const a = tf.ones([2, 3]) as tf.Tensor2D;
    expect(() => mmd2(a, tf.ones([2, 4]) as tf.Tensor2D)).toThrow(ShapeError);
    expect(() => mmd2(a, tf.zeros([0, 3]) as tf.Tensor2D)).toThrow(ShapeError);
    expect(() => mmd2(tf.ones([3]) as unknown as tf.Tensor2D, a)).toThrow(ShapeError);
    expect(() => mmd2(a, a, { bandwidth: 0 })).toThrow(InvalidArgumentError);
  });
});
