// tfjs-core registers no gradients by itself; tfjs-layers' import does.
import '@tensorflow/tfjs-layers';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { batchNormTrain } from './batch-norm-train.js';
import { kernelStats } from './kernels/override.js';
import { expectClose, nativeTestsEnabled, useNative } from './testing/differential.js';
import { testRng } from './testing/rng.js';

interface Out {
  y: Float32Array;
  mean: Float32Array;
  variance: Float32Array;
  dx: Float32Array;
  dgamma: Float32Array;
  dbeta: Float32Array;
  loss: number;
}

/** Forward + gradients of loss = sum(y · r) with the fused op or the tfjs composition (moments + batchNorm). */
function run(shape: number[], seed: number, fused: boolean, relu = false): Out {
  return tf.tidy(() => {
    const g = testRng(seed);
    const n = shape.reduce((p, d) => p * d, 1);
    const c = shape[shape.length - 1];
    const x = tf.tensor(g.normal(n, 2), shape);
    // Offset channels so the shifted-sum variance is exercised on non-centred data.
    const xs = tf.add(x, tf.tensor1d(g.uniform(c, -5, 5)));
    const gamma = tf.tensor1d(g.uniform(c, 0.5, 1.5));
    const beta = tf.tensor1d(g.normal(c));
    const r = tf.tensor(g.normal(n), shape);
    const axes = shape.slice(0, -1).map((_, i) => i);
    const f = (xx: tf.Tensor, gg: tf.Tensor, bb: tf.Tensor) => {
      if (fused) return batchNormTrain(xx, gg as tf.Tensor1D, bb as tf.Tensor1D, 1e-3, { relu });
      const { mean, variance } = tf.moments(xx, axes);
      const y = tf.batchNorm(xx, mean, variance, bb, gg, 1e-3);
      return { y: relu ? tf.relu(y) : y, mean, variance };
    };
    const { y, mean, variance } = f(xs, gamma, beta);
    const [dx, dgamma, dbeta] = tf.grads((a: tf.Tensor, b: tf.Tensor, d: tf.Tensor) => tf.sum(tf.mul(f(a, b, d).y, r)))(
      [xs, gamma, beta],
    );
    return {
      y: y.dataSync() as Float32Array,
      mean: mean.dataSync() as Float32Array,
      variance: variance.dataSync() as Float32Array,
      dx: dx.dataSync() as Float32Array,
      dgamma: dgamma.dataSync() as Float32Array,
      dbeta: dbeta.dataSync() as Float32Array,
      loss: tf.sum(tf.mul(y, r)).dataSync()[0],
    };
  });
}

/** The same run fused on ft-native and, as the reference, composed from tfjs ops on cpu. */
async function nativeAndReference(shape: number[], seed: number, relu = false): Promise<{ nat: Out; ref: Out }> {
  const nat = run(shape, seed, true, relu);
  await tf.setBackend('cpu');
  try {
    return { nat, ref: run(shape, seed, false, relu) };
  } finally {
    await tf.setBackend('ft-native');
  }
}

const TOL = { atol: 1e-5, rtol: 1e-6 };

describe.runIf(nativeTestsEnabled())('batchNormTrain: fused native BN vs the tfjs composition on cpu', () => {
  beforeAll(useNative);

  // [64, 9, 9, 20]: many 64-row float blocks per thread and a channel count that is not a SIMD width multiple.
  it.each([[[16, 6, 6, 8]], [[32, 5]], [[4, 3, 7]], [[64, 9, 9, 20]]])(
    'x %j: y, batch stats, dx, dgamma, dbeta ≤ 1e-5',
    async (shape) => {
      const before = kernelStats().FtBatchNormTrain?.native ?? 0;
      const { nat, ref } = await nativeAndReference(shape, shape.length * 7);
      expect(kernelStats().FtBatchNormTrain.native).toBe(before + 2);
      expect(kernelStats().FtBatchNormGrad.native).toBeGreaterThan(0);
      expectClose(nat.y, ref.y, TOL, 'y');
      expectClose(nat.mean, ref.mean, TOL, 'mean');
      expectClose(nat.variance, ref.variance, TOL, 'variance');
      expectClose(nat.dx, ref.dx, TOL, 'dx');
      expectClose(nat.dgamma, ref.dgamma, TOL, 'dgamma');
      expectClose(nat.dbeta, ref.dbeta, TOL, 'dbeta');
      expect(Math.abs(nat.loss - ref.loss)).toBeLessThan(1e-4);
    },
  );

  it.each([[[16, 6, 6, 8]], [[64, 9, 9, 20]]])(
    'with a fused ReLU, x %j: relu(batchnorm(x)) and its gradients ≤ 1e-5 vs the tfjs composition',
    async (shape) => {
      const before = kernelStats().FtBatchNormReluTrain?.native ?? 0;
      const { nat, ref } = await nativeAndReference(shape, 11, true);
      expect(kernelStats().FtBatchNormReluTrain.native).toBe(before + 2);
      expect(Math.min(...nat.y)).toBe(0); // rectified, with some zeros
      expectClose(nat.y, ref.y, TOL, 'y');
      expectClose(nat.dx, ref.dx, TOL, 'dx');
      expectClose(nat.dgamma, ref.dgamma, TOL, 'dgamma');
      expectClose(nat.dbeta, ref.dbeta, TOL, 'dbeta');
    },
  );

  it('matches central finite differences of the loss', () => {
    tf.tidy(() => {
      const g = testRng(3);
      const shape: [number, number] = [6, 3];
      const x = Array.from(g.normal(18));
      const gamma = [1.2, 0.7, 1];
      const beta = [0.1, -0.3, 0.2];
      const r = tf.tensor2d(g.normal(18), shape);
      const loss = (xv: number[], gv: number[], bv: number[]) =>
        tf.tidy(
          () =>
            tf
              .sum(tf.mul(batchNormTrain(tf.tensor2d(xv, shape), tf.tensor1d(gv), tf.tensor1d(bv), 1e-3).y, r))
              .dataSync()[0],
        );
      const [dx, dg, db] = tf
        .grads((a: tf.Tensor, b: tf.Tensor, c: tf.Tensor) =>
          tf.sum(tf.mul(batchNormTrain(a, b as tf.Tensor1D, c as tf.Tensor1D, 1e-3).y, r)),
        )([tf.tensor2d(x, shape), tf.tensor1d(gamma), tf.tensor1d(beta)])
        .map((t) => Array.from(t.dataSync()));
      const h = 1e-2;
      const fd = (vec: number[], i: number, which: 0 | 1 | 2) => {
        const plus = vec.slice();
        const minus = vec.slice();
        plus[i] += h;
        minus[i] -= h;
        const args = (v: number[]) =>
          [which === 0 ? v : x, which === 1 ? v : gamma, which === 2 ? v : beta] as [number[], number[], number[]];
        return (loss(...args(plus)) - loss(...args(minus))) / (2 * h);
      };
      for (let i = 0; i < 18; i += 2) expect(dx[i]).toBeCloseTo(fd(x, i, 0), 2);
      for (let i = 0; i < 3; i++) {
        expect(dg[i]).toBeCloseTo(fd(gamma, i, 1), 2);
        expect(db[i]).toBeCloseTo(fd(beta, i, 2), 2);
      }
    });
  });

  it('computes the same thing with standard ops on other backends', async () => {
    await tf.setBackend('cpu');
    const out = tf.tidy(() => {
      const { y, mean, variance } = batchNormTrain(tf.tensor2d([1, 2, 3, 4, 5, 6], [3, 2]), null, null);
      return [Array.from(y.dataSync()), Array.from(mean.dataSync()), Array.from(variance.dataSync())];
    });
    await tf.setBackend('ft-native');
    expect(out[1]).toEqual([3, 4]);
    expect(out[2][0]).toBeCloseTo(8 / 3, 5);
    expect(out[0][0]).toBeCloseTo(-2 / Math.sqrt(8 / 3 + 1e-3), 5);
  });
});
