import { batchNormTrain, FUSED_BATCH_NORM_KERNELS } from '@ft/tfjs-fused-training';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { afterAll, describe, expect, it } from 'vitest';
import { disposeWebGpu, registerWebGpuBackend, webgpuInfo } from '../register.js';
import { onBackend, registerForTests, relDiff, values } from '../test-helpers.js';

const reg = await registerForTests();
const UNFUSED = 'ft-webgpu-stock-bn';
const { train: TRAIN, grad: GRAD } = FUSED_BATCH_NORM_KERNELS;
if (reg.ok) await registerWebGpuBackend({ name: UNFUSED, software: true, stockKernels: [TRAIN, GRAD] });

/** Odd shapes: rank 2 to 4, one row, more rows than a reduction workgroup has threads, one channel. */
const SHAPES: [number[], string][] = [
  [[3, 5, 7, 6], 'NHWC 3×5×7×6'],
  [[700, 5], '700 rows (> 256 threads per channel)'],
  [[2, 9, 33], 'rank 3, 33 channels'],
  [[1, 4], 'one row: variance 0'],
  [[4, 3, 3, 1], 'one channel'],
];

/** x, gamma, beta and a cotangent for `shape`, deterministic. */
function operands(shape: number[]) {
  const c = shape[shape.length - 1];
  const size = tf.util.sizeFromShape(shape);
  // Channel means away from zero, so a one-pass variance would lose digits where the two-pass one does not.
  const x = tf.add(tf.tensor(values(size, 1), shape), tf.mul(tf.tensor1d(values(c, 2)), 3));
  return {
    x,
    gamma: tf.add(tf.tensor1d(values(c, 3)), 1.5) as tf.Tensor1D,
    beta: tf.tensor1d(values(c, 4)) as tf.Tensor1D,
    dy: tf.tensor(values(size, 5), shape),
  };
}

describe.skipIf(!reg.ok)('fused BatchNorm on ft-webgpu', () => {
  afterAll(() => disposeWebGpu());

  for (const [shape, why] of SHAPES) {
    it(`${why}: forward and gradients match cpu's tf.moments + tf.batchNorm composition`, async () => {
      const before = { ...webgpuInfo().kernels };
      const run = () => {
        const { x, gamma, beta, dy } = operands(shape);
        const f = (xx: tf.Tensor, g: tf.Tensor, b: tf.Tensor) =>
          batchNormTrain(xx, g as tf.Tensor1D, b as tf.Tensor1D, 1e-3);
        const { y, mean, variance } = f(x, gamma, beta);
        const grads = tf.grads((xx: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(f(xx, g, b).y, dy)))([
          x,
          gamma,
          beta,
        ]);
        return [y, mean, variance, ...grads];
      };
      const ref = await onBackend('cpu', run);
      const got = await onBackend('ft-webgpu', run);
      const names = ['y', 'mean', 'variance', 'dx', 'dgamma', 'dbeta'];
      for (const [i, g] of got.entries()) expect(relDiff(g, ref[i]), names[i]).toBeLessThan(2e-5);
      expect(webgpuInfo().kernels[TRAIN].fast).toBeGreaterThan(before[TRAIN].fast);
      expect(webgpuInfo().kernels[GRAD].fast).toBe(before[GRAD].fast + 1);
    });
  }

  it('the gradient agrees with a central finite difference along a random direction', async () => {
    await tf.setBackend('ft-webgpu');
    const shape = [6, 4, 5];
    const { x, gamma, beta, dy } = operands(shape);
    const v = tf.tensor(values(tf.util.sizeFromShape(shape), 9), shape);
    const loss = (xx: tf.Tensor) => tf.sum(tf.mul(batchNormTrain(xx, gamma, beta, 1e-3).y, dy));
    const eps = 1e-2;
    const fd = tf.div(tf.sub(loss(tf.add(x, tf.mul(v, eps))), loss(tf.sub(x, tf.mul(v, eps)))), 2 * eps);
    const analytic = tf.sum(tf.mul(tf.grad(loss)(x), v));
    const [a, b] = [(await fd.data())[0], (await analytic.data())[0]];
    expect(Math.abs(a - b)).toBeLessThan(2e-3 * Math.max(1, Math.abs(b)));
    tf.dispose([x, gamma, beta, dy, v, fd, analytic]);
  });

  it('the ReLU-masked gradient (a y input) equals the gradient of relu(batchnorm(x)) on cpu', async () => {
    const shape = [5, 3, 4];
    const run = () => {
      const { x, gamma, beta, dy } = operands(shape);
      if (tf.getBackend() === 'cpu') {
        return tf.grads((xx: tf.Tensor, g: tf.Tensor, b: tf.Tensor) =>
          tf.sum(tf.mul(tf.relu(batchNormTrain(xx, g as tf.Tensor1D, b as tf.Tensor1D, 1e-3).y), dy)),
        )([x, gamma, beta]);
      }
      const [y, mean, variance] = tf.engine().runKernel(TRAIN, { x, gamma, beta }, { epsilon: 1e-3 }) as tf.Tensor[];
      const relu = tf.relu(y);
      return tf.engine().runKernel(GRAD, { dy, x, gamma, mean, variance, y: relu }, { epsilon: 1e-3 }) as tf.Tensor[];
    };
    const ref = await onBackend('cpu', run);
    const got = await onBackend('ft-webgpu', run);
    for (const [i, g] of got.entries()) expect(relDiff(g, ref[i]), ['dx', 'dgamma', 'dbeta'][i]).toBeLessThan(2e-5);
  });

  it('rejects non-float32 input with a clear error', async () => {
    await tf.setBackend('ft-webgpu');
    const x = tf.ones([2, 3], 'int32');
    expect(() => tf.engine().runKernel(TRAIN, { x, gamma: tf.ones([3]), beta: tf.zeros([3]) }, {})).toThrow(
      /FtBatchNormTrain: expected float32 x/,
    );
    x.dispose();
  });

  /** Conv → BatchNorm → ReLU → pool → Dense, trained `steps` steps of SGD from fixed weights; losses and weights. */
  async function trainModel(backend: string, steps: number) {
    await tf.setBackend(backend);
    const model = tfl.sequential({
      layers: [
        tfl.layers.conv2d({ inputShape: [6, 6, 2], filters: 5, kernelSize: 3, padding: 'same', useBias: false }),
        tfl.layers.batchNormalization({ momentum: 0.9 }),
        tfl.layers.activation({ activation: 'relu' }),
        tfl.layers.globalAveragePooling2d({}),
        tfl.layers.dense({ units: 3, activation: 'softmax' }),
      ],
    });
    model.setWeights(model.getWeights().map((w, i) => tf.mul(tf.tensor(values(w.size, 30 + i), w.shape), 0.5)));
    model.compile({ optimizer: tf.train.sgd(0.1), loss: 'categoricalCrossentropy' });
    const xs = tf.tensor4d(values(8 * 6 * 6 * 2, 40), [8, 6, 6, 2]);
    const ys = tf.oneHot(tf.tensor1d([0, 1, 2, 0, 1, 2, 0, 1], 'int32'), 3);
    const losses: number[] = [];
    const counts: number[] = [];
    for (let i = 0; i < steps; i++) {
      losses.push(Number(await model.trainOnBatch(xs, ys)));
      counts.push(tf.memory().numTensors);
    }
    const weights = await Promise.all(model.getWeights().map(async (w) => (await w.data()) as Float32Array));
    model.dispose();
    tf.dispose([xs, ys]);
    return { losses, weights, counts };
  }

  it("a tfjs-layers model's BatchNormalization trains through the fused kernels like the stock composition", async () => {
    const before = webgpuInfo().kernels[TRAIN].fast;
    const fused = await trainModel('ft-webgpu', 6);
    expect(webgpuInfo().kernels[TRAIN].fast - before).toBe(6);
    const stock = await trainModel(UNFUSED, 6);
    expect(webgpuInfo().kernels[TRAIN].fast - before).toBe(6);
    const cpu = await trainModel('cpu', 6);
    for (const [i, l] of fused.losses.entries()) {
      expect(Math.abs(l - stock.losses[i]), `loss ${i} vs stock`).toBeLessThan(1e-5);
      expect(Math.abs(l - cpu.losses[i]), `loss ${i} vs cpu`).toBeLessThan(1e-5);
    }
    expect(fused.losses[5]).toBeLessThan(fused.losses[0]);
    // conv kernel, gamma, beta, moving mean, moving variance, dense kernel, dense bias.
    for (const [i, w] of fused.weights.entries()) expect(relDiff(w, cpu.weights[i]), `weight ${i}`).toBeLessThan(1e-4);
    expect(new Set(fused.counts.slice(1)).size).toBe(1); // tensor count flat after the first step
  });
});
