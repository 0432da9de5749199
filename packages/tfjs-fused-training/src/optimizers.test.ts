// tfjs-core registers no gradients by itself; tfjs-layers' import does.
import '@tensorflow/tfjs-layers';
import { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  areFusedOptimizersInstalled,
  FUSED_OPTIMIZER_KERNELS,
  installFusedOptimizers,
  isOptimizerFusionEnabled,
  setOptimizerFusion,
} from './optimizers.js';

/**
 * A reference backend for the kernel contract: the cpu backend under another name, plus the three fused kernels
 * written from the contract in plain float32 arithmetic (one rounding per operation, in tfjs-core's order), so a
 * fused run must equal tfjs' unfused run on cpu bit for bit.
 */
const REF = 'fused-ref';
const f = Math.fround;

type Args = { inputs: Record<string, tf.TensorInfo>; backend: MathBackendCPU; attrs?: tf.NamedAttrMap };
const read = (b: MathBackendCPU, t: tf.TensorInfo) => b.data.get(t.dataId).values as Float32Array;
const out = (b: MathBackendCPU, like: tf.TensorInfo, v: Float32Array) => b.makeTensorInfo(like.shape, 'float32', v);
const calls: Record<string, number> = {};

function sgd({ inputs, backend: b }: Args): tf.TensorInfo {
  const p = read(b, inputs.param);
  const g = read(b, inputs.grad);
  const c = read(b, inputs.c)[0];
  calls.sgd = (calls.sgd ?? 0) + 1;
  return out(
    b,
    inputs.param,
    p.map((x, i) => f(f(c * g[i]) + x)),
  );
}

function momentum({ inputs, backend: b, attrs }: Args): tf.TensorInfo[] {
  const [p, acc, g] = [inputs.param, inputs.acc, inputs.grad].map((t) => read(b, t));
  const m = read(b, inputs.momentum)[0];
  const c = read(b, inputs.c)[0];
  const acc2 = acc.map((a, i) => f(f(m * a) + g[i]));
  const p2 = p.map((x, i) => (attrs?.nesterov ? f(f(c * f(g[i] + f(acc2[i] * m))) + x) : f(f(c * acc2[i]) + x)));
  calls.momentum = (calls.momentum ?? 0) + 1;
  return [out(b, inputs.param, p2), out(b, inputs.param, acc2)];
}

function adam({ inputs, backend: b, attrs }: Args): tf.TensorInfo[] {
  const [p, m, v, g] = [inputs.param, inputs.m, inputs.v, inputs.grad].map((t) => read(b, t));
  const a = (k: string) => Number(attrs?.[k]);
  const omab1 = f(1 - read(b, inputs.accBeta1)[0]);
  const omab2 = f(1 - read(b, inputs.accBeta2)[0]);
  const m2 = m.map((x, i) => f(f(x * a('beta1')) + f(g[i] * a('oneMinusBeta1'))));
  const v2 = v.map((x, i) => f(f(x * a('beta2')) + f(f(g[i] * g[i]) * a('oneMinusBeta2'))));
  const p2 = p.map((x, i) => {
    const mh = f(m2[i] / omab1);
    const vh = f(v2[i] / omab2);
    return f(f(f(mh / f(f(Math.sqrt(vh)) + a('epsilon'))) * a('negLr')) + x);
  });
  calls.adam = (calls.adam ?? 0) + 1;
  return [out(b, inputs.param, p2), out(b, inputs.param, m2), out(b, inputs.param, v2)];
}

beforeAll(() => {
  tf.registerBackend(REF, () => new MathBackendCPU(), 0);
  for (const config of tf.getKernelsForBackend('cpu')) tf.registerKernel({ ...config, backendName: REF });
  const reg = (kernelName: string, fn: (a: Args) => tf.TensorInfo | tf.TensorInfo[]) =>
    tf.registerKernel({ kernelName, backendName: REF, kernelFunc: fn as unknown as tf.KernelFunc });
  reg(FUSED_OPTIMIZER_KERNELS.sgd, sgd);
  reg(FUSED_OPTIMIZER_KERNELS.momentum, momentum);
  reg(FUSED_OPTIMIZER_KERNELS.adam, adam);
  installFusedOptimizers();
});

afterEach(() => {
  setOptimizerFusion(true);
  setOptimizerFusion(true, REF);
  for (const k of Object.keys(calls)) delete calls[k];
});

type MakeOptimizer = () => tf.Optimizer;
const OPTIMIZERS: [string, MakeOptimizer, keyof typeof FUSED_OPTIMIZER_KERNELS][] = [
  ['sgd', () => tf.train.sgd(0.05), 'sgd'],
  ['momentum', () => tf.train.momentum(0.05, 0.9), 'momentum'],
  ['momentum (Nesterov)', () => tf.train.momentum(0.05, 0.8, true), 'momentum'],
  ['adam', () => tf.train.adam(0.01, 0.9, 0.999, 1e-7), 'adam'],
];

let runId = 0;
/** Least squares over a matrix, a vector and a scalar for `steps` steps; final values and optimizer weight names. */
async function train(backend: string, make: MakeOptimizer, steps: number) {
  await tf.setBackend(backend);
  const tag = `${runId++}`;
  const rnd = (shape: number[], seed: number) => tf.randomNormal(shape, 0, 1, 'float32', seed);
  const w = tf.variable(rnd([12, 3], 1), true, `w_${tag}`);
  const b = tf.variable(rnd([3], 2), true, `b_${tag}`);
  const s = tf.variable(tf.scalar(0.5), true, `s_${tag}`);
  const x = rnd([16, 12], 3);
  const y = rnd([16, 3], 4);
  const opt = make();
  for (let i = 0; i < steps; i++) {
    opt.minimize(() => tf.mean(tf.square(tf.sub(tf.mul(tf.add(tf.matMul(x, w), b), s), y))) as tf.Scalar);
  }
  const values = await Promise.all([w, b, s].map(async (v) => Array.from(await v.data())));
  const names = (await opt.getWeights()).map((nt) => nt.name.replace(`_${tag}`, '_X'));
  opt.dispose();
  tf.dispose([w, b, s, x, y]);
  return { values, names };
}

describe('fused optimizer updates', () => {
  it('installs once per process', () => {
    expect(areFusedOptimizersInstalled()).toBe(true);
    const before = tf.AdamOptimizer.prototype.applyGradients;
    installFusedOptimizers();
    expect(tf.AdamOptimizer.prototype.applyGradients).toBe(before);
  });

  it.each(OPTIMIZERS)(
    '%s: one kernel call per variable and step, bit-identical to tfjs’ own update, same state names',
    async (_, make, kind) => {
      const fused = await train(REF, make, 6);
      expect(calls[kind]).toBe(18); // 3 variables × 6 steps
      const stock = await train('cpu', make, 6);
      expect(fused.names).toEqual(stock.names);
      for (const [i, v] of fused.values.entries()) expect(v, `variable ${i}`).toEqual(stock.values[i]);
      // The updates did move the variables.
      const start = await train('cpu', make, 0);
      expect(stock.values[0]).not.toEqual(start.values[0]);
    },
  );

  it('falls back to tfjs’ update when fusion is off, for one backend or process-wide', async () => {
    setOptimizerFusion(false, REF);
    expect(isOptimizerFusionEnabled(REF)).toBe(false);
    expect(isOptimizerFusionEnabled()).toBe(true);
    await train(REF, () => tf.train.adam(0.01), 2);
    expect(calls.adam).toBeUndefined();
    setOptimizerFusion(true, REF);
    setOptimizerFusion(false);
    await train(REF, () => tf.train.sgd(0.01), 2);
    expect(calls.sgd).toBeUndefined();
  });

  it('falls back on a backend without the kernels', async () => {
    await train('cpu', () => tf.train.momentum(0.01, 0.9), 2);
    expect(calls.momentum).toBeUndefined();
  });

  /** 31 Adam steps, then one more step from the saved state with a new optimizer (as a resumed run does). */
  async function resume(backend: string) {
    await tf.setBackend(backend);
    const v = tf.variable(tf.randomNormal([5, 4], 0, 1, 'float32', 9));
    const loss = () => tf.sum(tf.square(tf.sub(v, 0.3))) as tf.Scalar;
    const opt = tf.train.adam(0.01);
    opt.minimize(loss);
    const n = tf.memory().numTensors;
    for (let i = 0; i < 30; i++) opt.minimize(loss);
    const flat = tf.memory().numTensors === n;
    const weights = await opt.getWeights();
    const names = weights.map((w) => w.name.replace(v.name, 'X'));
    const saved = weights.map((w) => ({ name: w.name, tensor: tf.clone(w.tensor) }));
    const before = tf.clone(v);
    opt.minimize(loss);
    const next = Array.from(await v.data());
    v.assign(before);
    const resumed = tf.train.adam(0.01);
    await resumed.setWeights(saved);
    resumed.minimize(loss);
    const again = Array.from(await v.data());
    tf.dispose([...saved.map((s) => s.tensor), before, v]);
    opt.dispose();
    resumed.dispose();
    return { flat, names, next, again };
  }

  it('keeps the tensor count flat, and a run resumed with setWeights steps as tfjs’ own does', async () => {
    const fused = await resume(REF);
    expect(calls.adam).toBe(33);
    const stock = await resume('cpu');
    expect(fused.flat).toBe(true);
    expect(fused.names).toEqual(['iter', 'X/m', 'X/v']);
    expect(fused.names).toEqual(stock.names);
    expect(fused.next).toEqual(stock.next);
    // tfjs rebuilds β^t with pow() on resume, not the running product: last-bit differences, in tfjs as here.
    expect(fused.again).toEqual(stock.again);
    for (const [i, x] of fused.again.entries()) expect(Math.abs(x - fused.next[i])).toBeLessThan(1e-6);
  });
});
