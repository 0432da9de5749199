import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { expectKernelParity, nativeTestsEnabled, parityReport, type Tol, useNative } from '../testing/differential.js';
import { testRng } from '../testing/rng.js';

const TOL: Tol = { atol: 1e-7, rtol: 1e-6 };

describe.runIf(nativeTestsEnabled())('Softmax: native vs tfjs-backend-cpu', () => {
  beforeAll(useNative);
  afterAll(() => console.log(parityReport()));

  it.each([[[128, 10]], [[3, 4, 7]], [[1, 1]], [[5]], [[2, 1000]]])('shape %j', (shape) => {
    tf.tidy(() => {
      const g = testRng(shape.length * 13 + shape[0]);
      const x = tf.tensor(
        g.normal(
          shape.reduce((p, d) => p * d, 1),
          4,
        ),
        shape,
      );
      expectKernelParity('Softmax', { logits: x }, { dim: -1 }, TOL);
      expectKernelParity('Softmax', { logits: x }, { dim: shape.length - 1 }, TOL);
    });
  });
});
