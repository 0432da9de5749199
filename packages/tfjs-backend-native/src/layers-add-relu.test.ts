import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kernelStats } from './kernels/override.js';
import { ADD_RELU_KERNEL, setAddReluFusion } from './layers-add-relu.js';
import { expectClose, nativeTestsEnabled, useNative } from './testing/differential.js';
import { residualTail, resnet } from './testing/models.js';
import { testRng } from './testing/rng.js';
import { type TrainRun, trainFromWeights } from './testing/train.js';

const addReluCalls = () => kernelStats()[ADD_RELU_KERNEL]?.native ?? 0;

/** Trains ResNet-8 (8×8×3, 4 classes) from fixed weights. */
const trainResnet = (weights: Float32Array[], steps: number) =>
  trainFromWeights(() => resnet(1, [8, 8, 3], 4), weights, steps, { lr: 0.05, seed: 11 });

describe.runIf(nativeTestsEnabled())('Add + ReLU in one pass (tfjs-layers Add read only by a ReLU)', () => {
  beforeAll(useNative);
  afterAll(() => setAddReluFusion(true));

  it('predicts relu(a + b) exactly, with one NativeAddRelu pass and no ReLU pass', () => {
    const model = residualTail([4, 4, 3]);
    const g = testRng(3);
    const a = tf.tensor4d(g.normal(2 * 48), [2, 4, 4, 3]);
    const b = tf.tensor4d(g.normal(2 * 48), [2, 4, 4, 3]);
    const relus = () => kernelStats().Relu?.native ?? 0;
    const [c0, r0] = [addReluCalls(), relus()];
    const got = (model.predict([a, b]) as tf.Tensor).dataSync();
    expect(addReluCalls()).toBe(c0 + 1);
    const want = tf.relu(tf.add(a, b)).dataSync();
    expect(Array.from(got)).toEqual(Array.from(want));
    // The ReLU layer still runs its kernel, which returns the rectified input as is (tfjs' Identity).
    expect(relus()).toBe(r0 + 2);
    expect(Math.min(...got)).toBe(0);
    tf.dispose([a, b]);
    model.dispose();
  });

  it('gives gradient dy·step(a + b) to both inputs, equal to the standard composition on cpu', async () => {
    const model = residualTail([3, 5]);
    const g = testRng(5);
    const av = g.normal(2 * 15);
    const bv = g.normal(2 * 15);
    const wv = g.normal(2 * 15);
    const grads = () =>
      tf.tidy(() => {
        const a = tf.tensor3d(av, [2, 3, 5]);
        const b = tf.tensor3d(bv, [2, 3, 5]);
        const w = tf.tensor3d(wv, [2, 3, 5]);
        const f = (p: tf.Tensor, q: tf.Tensor) => tf.sum(tf.mul(model.apply([p, q]) as tf.Tensor, w));
        return tf
          .grads(f)([a, b])
          .map((t) => t.dataSync() as Float32Array);
      });
    const c0 = addReluCalls();
    const native = grads();
    expect(addReluCalls()).toBe(c0 + 1);
    await tf.setBackend('cpu');
    const reference = grads();
    await tf.setBackend('ft-native');
    expectClose(native[0], reference[0], { atol: 0, rtol: 0 }, 'da');
    expectClose(native[1], reference[1], { atol: 0, rtol: 0 }, 'db');
    model.dispose();
  });

  it('trains ResNet-8 like the unfused layers (losses and weights), one fused pass per block and step', async () => {
    const init = resnet(1, [8, 8, 3], 4);
    const weights = init.getWeights().map((w) => w.dataSync() as Float32Array);
    init.dispose();
    const c0 = addReluCalls();
    const fused = await trainResnet(weights, 3);
    expect(addReluCalls()).toBe(c0 + 3 * 3); // 3 residual blocks
    setAddReluFusion(false);
    let plain: TrainRun;
    try {
      plain = await trainResnet(weights, 3);
    } finally {
      setAddReluFusion(true);
    }
    expect(addReluCalls()).toBe(c0 + 9);
    for (const [i, l] of fused.losses.entries()) expect(Math.abs(l - plain.losses[i]), `loss ${i}`).toBeLessThan(1e-6);
    for (const [i, w] of fused.weights.entries())
      expectClose(w, plain.weights[i], { atol: 1e-6, rtol: 1e-6 }, `weight ${i}`);
  });

  it('leaks no tensor over repeated training steps and predictions', async () => {
    const model = resnet(1, [8, 8, 3], 4);
    model.compile({ optimizer: tf.train.momentum(0.05, 0.9), loss: 'categoricalCrossentropy' });
    const x = tf.tensor4d(testRng(12).normal(4 * 8 * 8 * 3), [4, 8, 8, 3]);
    const y = tf.oneHot(tf.tensor1d([0, 1, 2, 3], 'int32'), 4);
    await model.trainOnBatch(x, y);
    tf.dispose(model.predict(x) as tf.Tensor);
    const n0 = tf.memory().numTensors;
    for (let i = 0; i < 5; i++) {
      await model.trainOnBatch(x, y);
      tf.dispose(model.predict(x) as tf.Tensor);
    }
    expect(tf.memory().numTensors).toBe(n0);
    tf.dispose([x, y]);
    model.dispose();
  });
});
