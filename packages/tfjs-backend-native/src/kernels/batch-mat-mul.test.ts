import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectKernelParity, nativeTestsEnabled, parityReport, type Tol, useNative } from '../testing/differential.js';
import { testRng } from '../testing/rng.js';
import { kernelStats } from './override.js';

// oneDNN sgemm accumulates in float32 in blocks; tfjs-backend-cpu in float64 per 48-term block.
const TOL: Tol = { atol: 1e-5, rtol: 2e-6 };

describe.runIf(nativeTestsEnabled())('BatchMatMul / _FusedMatMul: native (oneDNN sgemm) vs tfjs-backend-cpu', () => {
  beforeAll(useNative);
  afterAll(() => console.log(parityReport()));

  const r = testRng(11);
  const cases = Array.from({ length: 16 }, (_, i) => ({
    batchA: [[], [1], [3], [2, 3]][i % 4] as number[],
    m: r.int(1, 40),
    k: r.int(1, 300),
    n: r.int(1, 40),
    tA: i % 2 === 1,
    tB: i % 3 === 1,
  }));

  it.each(cases.map((c, i) => [JSON.stringify(c), c, i] as const))('%s', (_, c, i) => {
    tf.tidy(() => {
      const g = testRng(40 + i);
      const aShape = [...c.batchA, ...(c.tA ? [c.k, c.m] : [c.m, c.k])];
      // b batch: same, or broadcast from 1 / none.
      const bBatch = i % 5 === 0 ? [] : c.batchA.map((d, j) => (i % 2 === 0 && j === 0 ? 1 : d));
      const bShape = [...bBatch, ...(c.tB ? [c.n, c.k] : [c.k, c.n])];
      const a = tf.tensor(g.normal(aShape.reduce((p, d) => p * d, 1)), aShape);
      const b = tf.tensor(g.normal(bShape.reduce((p, d) => p * d, 1)), bShape);
      const attrs = { transposeA: c.tA, transposeB: c.tB };
      expectKernelParity('BatchMatMul', { a, b }, attrs, TOL);
      const bias = tf.tensor1d(g.normal(c.n));
      for (const activation of ['linear', 'relu', 'relu6', 'elu', 'leakyrelu', 'sigmoid']) {
        expectKernelParity('_FusedMatMul', { a, b, bias }, { ...attrs, activation, leakyreluAlpha: 0.1 }, TOL);
      }
      expectKernelParity('_FusedMatMul', { a, b, bias: tf.scalar(0.5) }, { ...attrs, activation: 'relu' }, TOL);
    });
  });

  it('falls back for int32 and prelu', () => {
    tf.tidy(() => {
      const f0 = kernelStats().BatchMatMul?.fallback ?? 0;
      const y = tf.matMul(tf.tensor2d([1, 2, 3, 4], [2, 2], 'int32'), tf.tensor2d([1, 0, 0, 1], [2, 2], 'int32'));
      expect(Array.from(y.dataSync())).toEqual([1, 2, 3, 4]);
      expect(kernelStats().BatchMatMul.fallback).toBe(f0 + 1);
      const p0 = kernelStats()._FusedMatMul?.fallback ?? 0;
      const z = tf.fused.matMul({
        a: tf.tensor2d([1, -2], [1, 2]),
        b: tf.tensor2d([1, 0, 0, 1], [2, 2]),
        activation: 'prelu',
        preluActivationWeights: tf.scalar(0.5),
      });
      expect(Array.from(z.dataSync())).toEqual([1, -1]);
      expect(kernelStats()._FusedMatMul.fallback).toBe(p0 + 1);
    });
  });
});
