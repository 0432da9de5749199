// tfjs-core registers no gradients by itself; tfjs-layers' import does.
import '@tensorflow/tfjs-layers';
import * as tf from '@tensorflow/tfjs-core';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { OPTIMIZER_KERNELS, setOptimizerFusion } from './native-optimizers.js';
import { nativeTestsEnabled, useNative } from './testing/differential.js';
import { testRng } from './testing/rng.js';

type MakeOptimizer = () => tf.Optimizer;

const OPTIMIZERS: [string, MakeOptimizer, string][] = [
  ['sgd', () => tf.train.sgd(0.002), OPTIMIZER_KERNELS.sgd],
  ['momentum', () => tf.train.momentum(0.002, 0.9), OPTIMIZER_KERNELS.momentum],
  ['momentum (Nesterov)', () => tf.train.momentum(0.002, 0.8, true), OPTIMIZER_KERNELS.momentum],
  ['adam', () => tf.train.adam(0.01, 0.9, 0.999, 1e-7), OPTIMIZER_KERNELS.adam],
];

/**
 * Minimises a small least-squares loss over three variables (a [64, 8] matrix large enough to split across threads,
 * a vector and a scalar) for `steps` steps; returns the final variable values and the optimizer's weight names.
 */
let run = 0;
async function train(backend: string, make: MakeOptimizer, steps: number) {
  await tf.setBackend(backend);
  const tag = `${backend}_${run++}`;
  const g = testRng(7);
  const w = tf.variable(tf.tensor2d(g.normal(64 * 8), [64, 8]), true, `w_${tag}`);
  const b = tf.variable(tf.tensor1d(g.normal(8)), true, `b_${tag}`);
  const s = tf.variable(tf.scalar(0.5), true, `s_${tag}`);
  const x = tf.tensor2d(g.normal(16 * 64), [16, 64]);
  const y = tf.tensor2d(g.normal(16 * 8), [16, 8]);
  const opt = make();
  for (let i = 0; i < steps; i++) {
    opt.minimize(() => tf.mean(tf.square(tf.sub(tf.mul(tf.add(tf.matMul(x, w), b), s), y))) as tf.Scalar);
  }
  const values = [w, b, s].map((v) => Array.from(v.dataSync()));
  const names = (await opt.getWeights()).map((nt) => nt.name.replace(`_${tag}`, '_X'));
  opt.dispose();
  tf.dispose([w, b, s, x, y]);
  return { values, names };
}

describe.runIf(nativeTestsEnabled())('fused optimizer updates on ft-native', () => {
  beforeAll(useNative);
  afterEach(() => setOptimizerFusion(true));

  it.each(OPTIMIZERS)(
    '%s: 5 steps bit-identical to tfjs’ own update on the same backend, one fused kernel per variable',
    async (_, make, kernel) => {
      expect(tf.getKernel(kernel, 'ft-native')).toBeDefined();
      let fused = 0;
      const engine = tf.engine() as unknown as { runKernel: (...a: unknown[]) => unknown };
      const original = engine.runKernel;
      engine.runKernel = function (this: unknown, ...a: unknown[]) {
        if (a[0] === kernel) fused++;
        return original.apply(this, a);
      };
      let on: Awaited<ReturnType<typeof train>>;
      try {
        on = await train('ft-native', make, 5);
      } finally {
        engine.runKernel = original;
      }
      expect(fused).toBe(15); // 3 variables × 5 steps
      setOptimizerFusion(false);
      const off = await train('ft-native', make, 5);
      // Gradients are computed identically on both runs, so the fused update must match tfjs' bit for bit.
      expect(on.names).toEqual(off.names);
      for (const [i, v] of on.values.entries()) expect(v, `variable ${i}`).toEqual(off.values[i]);
      // Against tfjs on cpu the gradients differ by rounding (native matmul), not the update.
      const ref = await train('cpu', make, 5);
      await tf.setBackend('ft-native');
      for (const [i, v] of on.values.entries()) {
        for (const [j, x] of v.entries()) {
          expect(Number.isFinite(x)).toBe(true);
          expect(Math.abs(x - ref.values[i][j])).toBeLessThan(1e-5);
        }
      }
    },
  );

  it('keeps the tensor count flat across steps', async () => {
    await tf.setBackend('ft-native');
    const v = tf.variable(tf.ones([32, 4]));
    const opt = tf.train.adam(0.01);
    const step = () => opt.minimize(() => tf.sum(tf.square(v)) as tf.Scalar);
    step();
    const n = tf.memory().numTensors;
    for (let i = 0; i < 20; i++) step();
    expect(tf.memory().numTensors).toBe(n);
    opt.dispose();
    v.dispose();
  });
});
