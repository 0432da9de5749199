import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { expectKernelParity, nativeTestsEnabled, parityReport, useNative } from '../testing/differential.js';

describe.runIf(nativeTestsEnabled())('Fill / ZerosLike / OnesLike: native vs tfjs-backend-cpu', () => {
  beforeAll(useNative);
  afterAll(() => console.log(parityReport()));

  it('fills pooled (uninitialised) buffers completely', () => {
    tf.tidy(() => {
      const exact = { atol: 0, rtol: 0 };
      // Dirty the pool with a same-size buffer first.
      tf.dispose(tf.add(tf.fill([64, 33], 7), tf.scalar(1)));
      expectKernelParity('Fill', {}, { shape: [64, 33], value: -2.5, dtype: 'float32' }, exact);
      const x = tf.fill([64, 33], 3.25);
      expectKernelParity('ZerosLike', { x }, {}, exact);
      expectKernelParity('OnesLike', { x }, {}, exact);
    });
  });
});
