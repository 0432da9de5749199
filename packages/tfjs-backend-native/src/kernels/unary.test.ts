import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectKernelParity, nativeTestsEnabled, parityReport, type Tol, useNative } from '../testing/differential.js';
import { testRng } from '../testing/rng.js';
import { kernelStats } from './override.js';
import { UNARY_OPS } from './unary.js';

// Transcendentals are evaluated in double like Math.*; libm and V8 may differ by one float ulp.
const TOL: Tol = { atol: 1e-7, rtol: 2e-7 };

describe.runIf(nativeTestsEnabled())('unary ops: native vs tfjs-backend-cpu', () => {
  beforeAll(useNative);
  afterAll(() => console.log(parityReport()));

  it.each(Object.keys(UNARY_OPS))('%s on random values, special values and several shapes', (op) => {
    tf.tidy(() => {
      const r = testRng(op.length * 31);
      const positive = op === 'Log' || op === 'Sqrt' || op === 'Rsqrt';
      for (const shape of [[7], [3, 5, 4], [2, 64, 64, 3], []]) {
        const n = shape.reduce((p, d) => p * d, 1);
        const v = positive ? r.uniform(n, 1e-3, 10) : r.normal(n, 3);
        const x = tf.tensor(v, shape);
        expectKernelParity(op, { x }, op === 'Step' ? { alpha: 0.25 } : op === 'LeakyRelu' ? { alpha: 0.1 } : {}, TOL);
      }
      const special = tf.tensor1d([0, -0, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 1e-30, -7]);
      expectKernelParity(op, { x: special }, op === 'Step' ? { alpha: 0.25 } : { alpha: 0.2 }, TOL, `${op} special`);
    });
  });

  it('falls back for int32 input', () => {
    tf.tidy(() => {
      const f0 = kernelStats().Neg?.fallback ?? 0;
      const y = tf.neg(tf.tensor1d([1, -2], 'int32'));
      expect(y.dtype).toBe('int32');
      expect(Array.from(y.dataSync())).toEqual([-1, 2]);
      expect(kernelStats().Neg.fallback).toBe(f0 + 1);
    });
  });
});
