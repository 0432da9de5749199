/**
 * Flat memory over many training steps on ft-webgpu: tfjs tensors and the backend's GPU buffers in use. A tiny model
 * keeps 1,000 steps fast on llvmpipe while every kernel this package adds or replaces runs each step: the forward
 * convolution and its filter gradient, the fused training BatchNorm and its gradient, and the fused Adam update.
 */
import { batchNormTrain } from '@ft/tfjs-fused-training';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, describe, expect, it } from 'vitest';
import { disposeWebGpu, webgpuInfo } from './register.js';
import { registerForTests, values } from './test-helpers.js';

const reg = await registerForTests();

describe.skipIf(!reg.ok)('memory on ft-webgpu', () => {
  afterAll(() => disposeWebGpu());

  it('tensor and GPU buffer counts stay flat over 1,000 training steps', async () => {
    await tf.setBackend('ft-webgpu');
    const w = tf.variable(tf.tensor4d(values(3 * 3 * 1 * 2, 21), [3, 3, 1, 2]));
    const gamma = tf.variable(tf.tensor1d([1, 1]));
    const beta = tf.variable(tf.tensor1d([0, 0]));
    const x = tf.tensor4d(values(4 * 4 * 4, 23), [4, 4, 4, 1]);
    const target = tf.tensor4d(values(4 * 4 * 4 * 2, 24), [4, 4, 4, 2]);
    const opt = tf.train.adam(0.01);
    const before = { ...webgpuInfo().kernels };
    const forward = () => batchNormTrain(tf.conv2d(x, w, 1, 'same'), gamma, beta, 1e-3).y;
    const step = () => opt.minimize(() => tf.mean(tf.square(tf.sub(tf.relu(forward()), target))), true) as tf.Scalar;
    const counts: { tensors: number; used: number }[] = [];
    let first = 0;
    let last = 0;
    for (let i = 1; i <= 1000; i++) {
      const loss = step();
      if (i % 100 === 0 || i === 10) {
        const value = (await loss.data())[0];
        if (i === 10) first = value;
        last = value;
        counts.push({ tensors: tf.memory().numTensors, used: webgpuInfo().buffers?.used ?? -1 });
      }
      loss.dispose();
    }
    expect(last).toBeLessThan(first);
    expect(counts).toHaveLength(11);
    for (const c of counts) expect(c).toEqual(counts[0]);
    expect(counts[0].used).toBeGreaterThan(0);
    const calls = (k: string) => webgpuInfo().kernels[k].fast - before[k].fast;
    for (const k of ['Conv2D', 'Conv2DBackpropFilter', 'FtBatchNormTrain', 'FtBatchNormGrad'])
      expect(calls(k), k).toBe(1000);
    expect(calls('FtAdamUpdate')).toBe(3000);
    opt.dispose();
    tf.dispose([w, gamma, beta, x, target]);
  });
});
