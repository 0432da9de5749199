import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { expectKernelParity, nativeTestsEnabled, parityReport, type Tol, useNative } from '../testing/differential.js';
import { testRng } from '../testing/rng.js';

const TOL: Tol = { atol: 1e-6, rtol: 1e-6 };

describe.runIf(nativeTestsEnabled())('FusedBatchNorm: native vs tfjs-backend-cpu', () => {
  beforeAll(useNative);
  afterAll(() => console.log(parityReport()));

  it.each([
    [[16, 8, 8, 6], 6],
    [[4, 10], 10],
    [[2, 3, 5], 5],
  ] as const)('x %j, [C] parameters with and without scale/offset', (shape, c) => {
    tf.tidy(() => {
      const g = testRng(c);
      const x = tf.tensor(
        g.normal(
          shape.reduce((p, d) => p * d, 1),
          2,
        ),
        [...shape],
      );
      const mean = tf.tensor1d(g.normal(c));
      const variance = tf.tensor1d(g.uniform(c, 0.1, 3));
      const offset = tf.tensor1d(g.normal(c));
      const scale = tf.tensor1d(g.normal(c));
      const attrs = { varianceEpsilon: 1e-3 };
      expectKernelParity('FusedBatchNorm', { x, mean, variance, offset, scale }, attrs, TOL);
      expectKernelParity('FusedBatchNorm', { x, mean, variance }, attrs, TOL);
      expectKernelParity('FusedBatchNorm', { x, mean, variance, scale }, { varianceEpsilon: 0.1 }, TOL);
      // Scalar-like and full-size parameters cycle through their length, as in tfjs-backend-cpu.
      const fullMean = tf.tensor(g.normal(x.size), [...shape]);
      const fullVar = tf.tensor(g.uniform(x.size, 0.1, 2), [...shape]);
      expectKernelParity(
        'FusedBatchNorm',
        { x, mean: fullMean, variance: fullVar, offset: tf.tensor(g.normal(x.size), [...shape]) },
        attrs,
        TOL,
      );
    });
  });
});
