// tfjs-core registers no gradients by itself; tfjs-layers' import does (before ours, as in real use).
import '@tensorflow/tfjs-layers';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { kernelStats } from './kernels/override.js';
import { RELU_GRAD_KERNEL } from './relu-grad.js';
import { nativeTestsEnabled, useNative } from './testing/differential.js';
import { testRng } from './testing/rng.js';

function reluGrad(x: Float32Array, r: Float32Array, shape: number[]): Float32Array {
  return tf.tidy(
    () =>
      tf
        .grad((t: tf.Tensor) => tf.sum(tf.mul(tf.relu(t), tf.tensor(r, shape))))(tf.tensor(x, shape))
        .dataSync() as Float32Array,
  );
}

describe.runIf(nativeTestsEnabled())('Relu gradient on ft-native: one native pass', () => {
  beforeAll(useNative);

  it('is bit-identical to mul(dy, step(x)) and runs natively', async () => {
    const g = testRng(17);
    const shape = [8, 6, 6, 5];
    const x = g.normal(1440);
    x.set([0, -0, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY], 0);
    const r = g.normal(1440);
    r[10] = Number.POSITIVE_INFINITY;
    const before = kernelStats()[RELU_GRAD_KERNEL]?.native ?? 0;
    const nat = reluGrad(x, r, shape);
    expect(kernelStats()[RELU_GRAD_KERNEL].native).toBe(before + 1);
    await tf.setBackend('cpu');
    const ref = reluGrad(x, r, shape);
    await tf.setBackend('ft-native');
    expect(Array.from(nat)).toEqual(Array.from(ref));
  });
});
