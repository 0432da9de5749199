// tfjs-core registers no gradients by itself; tfjs-layers' import does (before ours, as in real use).
import '@tensorflow/tfjs-layers';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { MEAN_GRAD_KERNEL } from './mean-grad.js';
import { nativeTestsEnabled, useNative } from './testing/differential.js';
import { testRng } from './testing/rng.js';

/** Gradient of sum(mean(x, axis) · r) with respect to x. */
function meanGrad(x: Float32Array, shape: number[], axis: number | number[], keepDims: boolean): number[] {
  return tf.tidy(() => {
    const xt = tf.tensor(x, shape);
    const r = tf.tensor(testRng(5).normal(tf.mean(xt, axis, keepDims).size), tf.mean(xt, axis, keepDims).shape);
    return Array.from(
      tf
        .grad((t: tf.Tensor) => tf.sum(tf.mul(tf.mean(t, axis, keepDims), r)))(xt)
        .dataSync(),
    );
  });
}

describe.runIf(nativeTestsEnabled())('Mean gradient on ft-native: one native pass', () => {
  beforeAll(useNative);

  it.each([
    [[6, 5, 5, 8], [1, 2], false], // global average pooling
    [[6, 5, 5, 8], [1, 2], true],
    [[4, 7], 0, false],
    [[3, 4, 5], [0, 2], false],
    [[9], 0, true],
  ] as [number[], number | number[], boolean][])(
    'x %j, axis %j, keepDims %s: bit-identical to tfjs on cpu',
    async (shape, axis, keepDims) => {
      const x = testRng(3).normal(shape.reduce((p, d) => p * d, 1));
      const engine = tf.engine() as unknown as { runKernel: (...a: unknown[]) => unknown };
      const runKernel = engine.runKernel;
      let fused = 0;
      engine.runKernel = function (this: unknown, ...a: unknown[]) {
        if (a[0] === MEAN_GRAD_KERNEL) fused++;
        return runKernel.apply(this, a);
      };
      let nat: number[];
      try {
        nat = meanGrad(x, shape, axis, keepDims);
      } finally {
        engine.runKernel = runKernel;
      }
      expect(fused).toBe(1);
      await tf.setBackend('cpu');
      const ref = meanGrad(x, shape, axis, keepDims);
      await tf.setBackend('ft-native');
      expect(nat).toEqual(ref);
    },
  );
});
