// tfjs-core registers no gradients by itself; tfjs-layers' import does.
import '@tensorflow/tfjs-layers';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { kernelStats } from './kernels/override.js';
import { expectClose, nativeTestsEnabled, useNative } from './testing/differential.js';
import { testRng } from './testing/rng.js';

type Params = Record<string, tf.Tensor>;

/** Gradients of `loss(params)` w.r.t. every param, as plain arrays. */
function gradsOf(
  loss: (p: Params) => tf.Scalar,
  make: () => Params,
): { value: number; grads: Record<string, Float32Array> } {
  return tf.tidy(() => {
    const p = make();
    const names = Object.keys(p);
    const { value, grads } = tf.valueAndGrads((...xs: tf.Tensor[]) =>
      loss(Object.fromEntries(names.map((n, i) => [n, xs[i]]))),
    )(names.map((n) => p[n]));
    return {
      value: value.dataSync()[0],
      grads: Object.fromEntries(names.map((n, i) => [n, grads[i].dataSync() as Float32Array])),
    };
  });
}

async function onBoth(loss: (p: Params) => tf.Scalar, make: () => Params) {
  const nat = gradsOf(loss, make);
  await tf.setBackend('cpu');
  const ref = gradsOf(loss, make);
  await tf.setBackend('ft-native');
  return { nat, ref };
}

describe.runIf(nativeTestsEnabled())('gradients through conv, BN and pooling: ft-native vs cpu', () => {
  beforeAll(useNative);

  it('conv → BN (moments + batchNorm) → relu → maxPool → conv(s2) → avgPool → dense → softmax xent', async () => {
    const g = testRng(8);
    const data = {
      x: g.normal(4 * 10 * 10 * 3),
      w1: g.normal(3 * 3 * 3 * 8, 0.4),
      gamma: g.uniform(8, 0.5, 1.5),
      beta: g.normal(8, 0.1),
      w2: g.normal(3 * 3 * 8 * 6, 0.3),
      dw: g.normal(2 * 2 * 6 * 2, 0.3),
      wd: g.normal(12 * 5, 0.3),
      bd: g.normal(5, 0.1),
    };
    const labels = [1, 4, 0, 2];
    const make = (): Params => ({
      x: tf.tensor4d(data.x, [4, 10, 10, 3]),
      w1: tf.tensor4d(data.w1, [3, 3, 3, 8]),
      gamma: tf.tensor1d(data.gamma),
      beta: tf.tensor1d(data.beta),
      w2: tf.tensor4d(data.w2, [3, 3, 8, 6]),
      dw: tf.tensor4d(data.dw, [2, 2, 6, 2]),
      wd: tf.tensor2d(data.wd, [12, 5]),
      bd: tf.tensor1d(data.bd),
    });
    const loss = (p: Params) => {
      let h: tf.Tensor4D = tf.conv2d(p.x as tf.Tensor4D, p.w1 as tf.Tensor4D, 1, 'same');
      const { mean, variance } = tf.moments(h, [0, 1, 2]);
      h = tf.relu(tf.batchNorm(h, mean, variance, p.beta, p.gamma, 1e-3)) as tf.Tensor4D;
      h = tf.maxPool(h, 2, 2, 'valid'); // 5x5x8
      h = tf.conv2d(h, p.w2 as tf.Tensor4D, 2, 'same'); // 3x3x6
      h = tf.depthwiseConv2d(h, p.dw as tf.Tensor4D, 1, 'same'); // 3x3x12
      h = tf.avgPool(h, 3, 1, 'valid'); // 1x1x12
      const logits = tf.fused.matMul({ a: tf.reshape(h, [4, 12]), b: p.wd as tf.Tensor2D, bias: p.bd });
      return tf.losses.softmaxCrossEntropy(tf.oneHot(tf.tensor1d(labels, 'int32'), 5), logits) as tf.Scalar;
    };
    const { nat, ref } = await onBoth(loss, make);
    expect(Math.abs(nat.value - ref.value)).toBeLessThan(1e-5);
    for (const k of Object.keys(ref.grads)) expectClose(nat.grads[k], ref.grads[k], { atol: 1e-5, rtol: 1e-5 }, k);
    const s = kernelStats();
    for (const k of ['Conv2DBackpropFilter', 'Conv2DBackpropInput', 'MaxPoolGrad', 'AvgPoolGrad', 'FusedBatchNorm']) {
      expect(s[k]?.native ?? 0, k).toBeGreaterThan(0);
    }
  });

  it('conv gradients with stride 2, valid padding and a rectangular kernel', async () => {
    const g = testRng(9);
    const xd = g.normal(2 * 9 * 7 * 3);
    const wd = g.normal(3 * 2 * 3 * 4, 0.5);
    const make = (): Params => ({ x: tf.tensor4d(xd, [2, 9, 7, 3]), w: tf.tensor4d(wd, [3, 2, 3, 4]) });
    const loss = (p: Params) =>
      tf.sum(tf.square(tf.conv2d(p.x as tf.Tensor4D, p.w as tf.Tensor4D, [2, 1], 'valid'))) as tf.Scalar;
    const { nat, ref } = await onBoth(loss, make);
    expect(Math.abs(nat.value - ref.value) / Math.abs(ref.value)).toBeLessThan(1e-6);
    expectClose(nat.grads.x, ref.grads.x, { atol: 1e-4, rtol: 1e-5 }, 'dx');
    expectClose(nat.grads.w, ref.grads.w, { atol: 1e-4, rtol: 1e-5 }, 'dw');
  });
});
