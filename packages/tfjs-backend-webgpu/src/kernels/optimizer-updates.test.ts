import { FUSED_OPTIMIZER_KERNELS } from '@ft/tfjs-fused-training';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, describe, expect, it } from 'vitest';
import { disposeWebGpu, registerWebGpuBackend, webgpuInfo } from '../register.js';
import { registerForTests, relDiff, values } from '../test-helpers.js';

const reg = await registerForTests();
const UNFUSED = 'ft-webgpu-unfused';
const KERNELS = Object.values(FUSED_OPTIMIZER_KERNELS);
if (reg.ok) await registerWebGpuBackend({ name: UNFUSED, software: true, stockKernels: KERNELS });

type MakeOptimizer = () => tf.Optimizer;
const OPTIMIZERS: [string, MakeOptimizer, keyof typeof FUSED_OPTIMIZER_KERNELS][] = [
  ['sgd', () => tf.train.sgd(0.05), 'sgd'],
  ['momentum', () => tf.train.momentum(0.05, 0.9), 'momentum'],
  ['momentum (Nesterov)', () => tf.train.momentum(0.05, 0.8, true), 'momentum'],
  ['adam', () => tf.train.adam(0.01, 0.9, 0.999, 1e-7), 'adam'],
];

let runId = 0;
/**
 * Least squares over a [70, 9] matrix (630 elements: 10 workgroups, the last partial), a vector and a scalar for
 * `steps` steps; returns the final values.
 */
async function train(backend: string, make: MakeOptimizer, steps: number): Promise<Float32Array[]> {
  await tf.setBackend(backend);
  const tag = `${runId++}`;
  const w = tf.variable(tf.tensor2d(values(70 * 9, 1), [70, 9]), true, `w_${tag}`);
  const b = tf.variable(tf.tensor1d(values(9, 2)), true, `b_${tag}`);
  const s = tf.variable(tf.scalar(0.5), true, `s_${tag}`);
  const x = tf.tensor2d(values(16 * 70, 3), [16, 70]);
  const y = tf.tensor2d(values(16 * 9, 4), [16, 9]);
  const opt = make();
  for (let i = 0; i < steps; i++) {
    opt.minimize(() => tf.mean(tf.square(tf.sub(tf.mul(tf.add(tf.matMul(x, w), b), s), y))) as tf.Scalar);
  }
  const out = await Promise.all([w, b, s].map(async (v) => (await v.data()) as Float32Array));
  opt.dispose();
  tf.dispose([w, b, s, x, y]);
  return out;
}

describe.skipIf(!reg.ok)('fused optimizer updates on ft-webgpu', () => {
  afterAll(() => disposeWebGpu());

  it.each(OPTIMIZERS)(
    '%s: one fused kernel per variable and step; matches tfjs’ update chain and cpu',
    async (_, make, kind) => {
      const name = FUSED_OPTIMIZER_KERNELS[kind];
      const before = webgpuInfo().kernels[name].fast;
      const fused = await train('ft-webgpu', make, 6);
      expect(webgpuInfo().kernels[name].fast - before).toBe(18); // 3 variables × 6 steps
      const unfused = await train(UNFUSED, make, 6);
      expect(webgpuInfo().kernels[name].fast - before).toBe(18); // the stock backend did not use it
      const cpu = await train('cpu', make, 6);
      const start = await train('cpu', make, 0);
      for (const [i, v] of fused.entries()) {
        // Same gradients on both GPU backends: only the update's rounding differs (WGSL division/sqrt, a few ulp).
        expect(relDiff(v, unfused[i]), `variable ${i} vs tfjs' chain`).toBeLessThan(1e-6);
        expect(relDiff(v, cpu[i]), `variable ${i} vs cpu`).toBeLessThan(1e-5);
        expect(relDiff(v, start[i]), `variable ${i} moved`).toBeGreaterThan(1e-3);
      }
    },
  );

  it('one Adam step on 300,000 elements (several thousand workgroups) equals the closed form', async () => {
    await tf.setBackend('ft-webgpu');
    const n = 300_000;
    const [p, g, m, v] = [11, 12, 13, 14].map((seed) => values(n, seed));
    const [b1, b2, eps, lr, t] = [0.9, 0.999, 1e-7, 0.01, 3];
    const out = tf.tidy(() =>
      tf.engine().runKernel(
        FUSED_OPTIMIZER_KERNELS.adam,
        {
          param: tf.tensor1d(p),
          m: tf.tensor1d(m),
          v: tf.tensor1d(v.map(Math.abs)),
          grad: tf.tensor1d(g),
          accBeta1: tf.scalar(b1 ** t),
          accBeta2: tf.scalar(b2 ** t),
        },
        {
          beta1: b1,
          beta2: b2,
          oneMinusBeta1: 1 - b1,
          oneMinusBeta2: 1 - b2,
          epsilon: eps,
          negLr: -lr,
        },
      ),
    ) as tf.Tensor[];
    const [param2, m2, v2] = await Promise.all(out.map(async (o) => (await o.data()) as Float32Array));
    tf.dispose(out);
    let worst = 0;
    for (let i = 0; i < n; i += 997) {
      const mm = b1 * m[i] + (1 - b1) * g[i];
      const vv = b2 * Math.abs(v[i]) + (1 - b2) * g[i] * g[i];
      const pp = p[i] - (lr * (mm / (1 - b1 ** t))) / (Math.sqrt(vv / (1 - b2 ** t)) + eps);
      worst = Math.max(worst, Math.abs(m2[i] - mm), Math.abs(v2[i] - vv), Math.abs(param2[i] - pp));
    }
    expect(worst).toBeLessThan(1e-6);
    expect(Math.abs(param2[n - 1] - p[n - 1])).toBeGreaterThan(0); // the last element was written
  });

  it('a scalar variable, and the tensor count stays flat across momentum steps', async () => {
    await tf.setBackend('ft-webgpu');
    const s = tf.variable(tf.scalar(2));
    const opt = tf.train.momentum(0.1, 0.5);
    const loss = () => tf.square(s) as tf.Scalar;
    opt.minimize(loss);
    const n = tf.memory().numTensors;
    for (let i = 0; i < 20; i++) opt.minimize(loss);
    expect(tf.memory().numTensors).toBe(n);
    const final = (await s.data())[0];
    // Heavy-ball on s²: a_{k+1} = 0.5 a_k + 2 s_k, s_{k+1} = s_k − 0.1 a_{k+1}, from s = 2, a = 0.
    let sv = 2;
    let a = 0;
    for (let i = 0; i < 21; i++) {
      a = 0.5 * a + 2 * sv;
      sv -= 0.1 * a;
    }
    expect(Math.abs(final - sv)).toBeLessThan(1e-6);
    opt.dispose();
    s.dispose();
  });
});
