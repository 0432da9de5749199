import { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { batchNormTrain, FUSED_BATCH_NORM_KERNELS, fusedBatchNormActive } from './batch-norm.js';
import { installFusedBatchNorm, isLayersBatchNormPatched, setLayersBatchNormFusion } from './layers-batch-norm.js';

/**
 * A reference backend for the BatchNorm contract: the cpu backend under another name plus `FtBatchNormTrain` and
 * `FtBatchNormGrad` written from the contract's formulas in float64 (no ReLU variants), so the op, its gradient
 * registration and the layer patch are tested without any real backend.
 */
const REF = 'bn-ref';
type Args = { inputs: Record<string, tf.TensorInfo>; backend: MathBackendCPU; attrs?: tf.NamedAttrMap };
const read = (b: MathBackendCPU, t: tf.TensorInfo) => b.data.get(t.dataId).values as Float32Array;
const calls = { train: 0, grad: 0 };

function stats(x: Float32Array, c: number) {
  const n = x.length / c;
  const mean = new Float64Array(c);
  const variance = new Float64Array(c);
  for (let i = 0; i < x.length; i++) mean[i % c] += x[i] / n;
  for (let i = 0; i < x.length; i++) variance[i % c] += (x[i] - mean[i % c]) ** 2 / n;
  return { n, mean, variance };
}

function train({ inputs, backend: b, attrs }: Args): tf.TensorInfo[] {
  calls.train++;
  const x = read(b, inputs.x);
  const [g, be] = [read(b, inputs.gamma), read(b, inputs.beta)];
  const c = g.length;
  const eps = Number(attrs?.epsilon);
  const { mean, variance } = stats(x, c);
  const y = x.map((v, i) => g[i % c] * ((v - mean[i % c]) / Math.sqrt(variance[i % c] + eps)) + be[i % c]);
  return [
    b.makeTensorInfo(inputs.x.shape, 'float32', y),
    b.makeTensorInfo([c], 'float32', Float32Array.from(mean)),
    b.makeTensorInfo([c], 'float32', Float32Array.from(variance)),
  ];
}

function grad({ inputs, backend: b, attrs }: Args): tf.TensorInfo[] {
  calls.grad++;
  const [dy, x, g, mean, variance] = ['dy', 'x', 'gamma', 'mean', 'variance'].map((k) => read(b, inputs[k]));
  const c = g.length;
  const n = x.length / c;
  const eps = Number(attrs?.epsilon);
  const rstd = Array.from(variance, (v) => 1 / Math.sqrt(v + eps));
  const xhat = (i: number) => (x[i] - mean[i % c]) * rstd[i % c];
  const dbeta = new Float64Array(c);
  const dgamma = new Float64Array(c);
  for (let i = 0; i < x.length; i++) {
    dbeta[i % c] += dy[i];
    dgamma[i % c] += dy[i] * xhat(i);
  }
  const dx = x.map((_, i) => ((g[i % c] * rstd[i % c]) / n) * (n * dy[i] - dbeta[i % c] - xhat(i) * dgamma[i % c]));
  return [
    b.makeTensorInfo(inputs.x.shape, 'float32', dx),
    b.makeTensorInfo([c], 'float32', Float32Array.from(dgamma)),
    b.makeTensorInfo([c], 'float32', Float32Array.from(dbeta)),
  ];
}

beforeAll(() => {
  tf.registerBackend(REF, () => new MathBackendCPU(), 0);
  for (const config of tf.getKernelsForBackend('cpu')) tf.registerKernel({ ...config, backendName: REF });
  const reg = (kernelName: string, fn: (a: Args) => tf.TensorInfo[]) =>
    tf.registerKernel({ kernelName, backendName: REF, kernelFunc: fn as unknown as tf.KernelFunc });
  reg(FUSED_BATCH_NORM_KERNELS.train, train);
  reg(FUSED_BATCH_NORM_KERNELS.grad, grad);
  installFusedBatchNorm();
});

afterEach(() => {
  setLayersBatchNormFusion(true);
  calls.train = 0;
  calls.grad = 0;
});

const maxAbs = (a: Float32Array, b: Float32Array) => a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i])), 0);

async function values(backend: string, f: () => tf.Tensor[]): Promise<Float32Array[]> {
  await tf.setBackend(backend);
  const out = tf.tidy(f);
  const v = await Promise.all(out.map(async (t) => (await t.data()) as Float32Array));
  tf.dispose(out);
  return v;
}

describe('fused BatchNorm (op, gradient, layer patch) on a backend with the kernels', () => {
  it('is active only where the kernels are registered', async () => {
    await tf.setBackend(REF);
    expect(fusedBatchNormActive()).toBe(true);
    await tf.setBackend('cpu');
    expect(fusedBatchNormActive()).toBe(false);
    expect(isLayersBatchNormPatched()).toBe(true);
  });

  it('batchNormTrain: forward and gradients equal the tf.moments + tf.batchNorm composition on cpu', async () => {
    const run = () => {
      const x = tf.add(tf.randomNormal([4, 3, 5, 6], 0, 1, 'float32', 1), 2);
      const gamma = tf.randomNormal([6], 1, 0.3, 'float32', 2) as tf.Tensor1D;
      const beta = tf.randomNormal([6], 0, 1, 'float32', 3) as tf.Tensor1D;
      const dy = tf.randomNormal([4, 3, 5, 6], 0, 1, 'float32', 4);
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
    const fused = await values(REF, run);
    expect(calls.train).toBe(2);
    expect(calls.grad).toBe(1);
    const ref = await values('cpu', run);
    for (const [i, v] of fused.entries()) expect(maxAbs(v, ref[i]), `output ${i}`).toBeLessThan(2e-5);
  });

  /** Dense → BatchNormalization → ReLU → Dense, 4 SGD steps from fixed weights; losses and final weights. */
  async function trainModel(backend: string) {
    await tf.setBackend(backend);
    const model = tfl.sequential({
      layers: [
        tfl.layers.dense({ inputShape: [5], units: 4, kernelInitializer: tfl.initializers.glorotNormal({ seed: 1 }) }),
        tfl.layers.batchNormalization({ momentum: 0.8 }),
        tfl.layers.activation({ activation: 'relu' }),
        tfl.layers.dense({ units: 2, kernelInitializer: tfl.initializers.glorotNormal({ seed: 2 }) }),
      ],
    });
    model.compile({ optimizer: tf.train.sgd(0.1), loss: 'meanSquaredError' });
    const xs = tf.randomNormal([16, 5], 0, 1, 'float32', 5);
    const ys = tf.randomNormal([16, 2], 0, 1, 'float32', 6);
    const losses: number[] = [];
    for (let i = 0; i < 4; i++) losses.push(Number(await model.trainOnBatch(xs, ys)));
    const predicted = model.predict(xs) as tf.Tensor;
    const prediction = (await predicted.data()) as Float32Array;
    const weights = await Promise.all(model.getWeights().map(async (w) => (await w.data()) as Float32Array));
    predicted.dispose();
    model.dispose();
    tf.dispose([xs, ys]);
    return { losses, weights, prediction };
  }

  it("tfjs-layers' BatchNormalization trains through the kernels like the standard layer on cpu", async () => {
    const fused = await trainModel(REF);
    expect(calls.train).toBe(4); // training steps only: prediction uses the moving statistics
    expect(calls.grad).toBe(4);
    const ref = await trainModel('cpu');
    for (const [i, l] of fused.losses.entries()) expect(Math.abs(l - ref.losses[i]), `loss ${i}`).toBeLessThan(1e-5);
    // dense kernel and bias, gamma, beta, moving mean, moving variance, dense kernel and bias
    for (const [i, w] of fused.weights.entries()) expect(maxAbs(w, ref.weights[i]), `weight ${i}`).toBeLessThan(1e-5);
    expect(maxAbs(fused.prediction, ref.prediction)).toBeLessThan(1e-5);
  });

  it('setLayersBatchNormFusion(false) runs the standard layer on the same backend', async () => {
    setLayersBatchNormFusion(false);
    const off = await trainModel(REF);
    expect(calls.train).toBe(0);
    setLayersBatchNormFusion(true);
    const on = await trainModel(REF);
    expect(calls.train).toBe(4);
    for (const [i, l] of on.losses.entries()) expect(Math.abs(l - off.losses[i])).toBeLessThan(1e-5);
  });
});
