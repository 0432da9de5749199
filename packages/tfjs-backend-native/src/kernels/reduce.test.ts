import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectKernelParity, nativeTestsEnabled, parityReport, type Tol, useNative } from '../testing/differential.js';
import { testRng } from '../testing/rng.js';
import { kernelStats } from './override.js';
import { planReduce } from './reduce.js';

// Sums accumulate in double in both; Mean divides once at the end natively (tfjs divides each element first).
const SUM: Tol = { atol: 1e-6, rtol: 1e-6 };
const EXACT: Tol = { atol: 0, rtol: 0 };

describe('planReduce', () => {
  it('coalesces contiguous reduced axes and transposes otherwise', () => {
    expect(planReduce([4, 5, 6, 7], [0, 1, 2])).toEqual({ outer: 1, red: 120, inner: 7 });
    expect(planReduce([4, 5, 6, 7], [1, 2])).toEqual({ outer: 4, red: 30, inner: 7 });
    expect(planReduce([4, 5, 6, 7], [3])).toEqual({ outer: 120, red: 7, inner: 1 });
    expect(planReduce([4, 1, 6, 7], [0, 2])).toEqual({ outer: 1, red: 24, inner: 7 });
    expect(planReduce([4, 5, 6, 7], [0, 2])).toEqual({ outer: 35, red: 24, inner: 1, perm: [1, 3, 0, 2] });
  });
});

describe.runIf(nativeTestsEnabled())('Sum / Mean / Max / ArgMax: native vs tfjs-backend-cpu', () => {
  beforeAll(useNative);
  afterAll(() => console.log(parityReport()));

  const r = testRng(5);
  const cases: [number[], number[]][] = [
    [
      [128, 8, 8, 16],
      [0, 1, 2],
    ],
    [
      [4, 6, 6, 5],
      [1, 2],
    ],
    [[3, 4], [1]],
    [[3, 4], [0]],
    [
      [2, 3, 4, 5],
      [0, 2],
    ],
    [
      [2, 3, 4, 5, 2, 3],
      [1, 3, 5],
    ],
    [[100000], [0]],
    [[7], []],
  ];
  for (let i = 0; i < 12; i++) {
    const rank = r.int(1, 6);
    const shape = Array.from({ length: rank }, () => r.int(1, 6));
    const axes = shape.map((_, d) => d).filter(() => r.next() < 0.5);
    cases.push([shape, axes.length ? axes : [rank - 1]]);
  }

  it.each(cases.map(([s, a], i) => [`${JSON.stringify(s)} axes ${JSON.stringify(a)}`, s, a, i] as const))(
    '%s',
    (_, shape, axes, i) => {
      tf.tidy(() => {
        const g = testRng(900 + i);
        const x = tf.tensor(
          g.normal(
            shape.reduce((p, d) => p * d, 1),
            2,
          ),
          shape,
        );
        for (const keepDims of [false, true]) {
          expectKernelParity('Sum', { x }, { axis: axes, keepDims }, SUM);
          expectKernelParity('Mean', { x }, { axis: axes, keepDims }, SUM);
          expectKernelParity('Max', { x }, { reductionIndices: axes, keepDims }, EXACT);
        }
        for (const axis of axes.length ? axes : [0]) {
          expectKernelParity('ArgMax', { x }, { axis }, EXACT);
        }
      });
    },
  );

  it('Max propagates NaN, ArgMax takes the first maximum, as the JS kernels do', () => {
    tf.tidy(() => {
      const x = tf.tensor2d([1, Number.NaN, 3, 3, 2, 3, 5, 5, 1], [3, 3]);
      expectKernelParity('Max', { x }, { reductionIndices: [1], keepDims: false }, EXACT);
      expectKernelParity('Max', { x }, { reductionIndices: [0], keepDims: false }, EXACT);
      expectKernelParity('ArgMax', { x }, { axis: 1 }, EXACT);
      expectKernelParity('ArgMax', { x }, { axis: 0 }, EXACT);
    });
  });

  it('falls back for int32 sums', () => {
    tf.tidy(() => {
      const f0 = kernelStats().Sum?.fallback ?? 0;
      const y = tf.sum(tf.tensor1d([1, 2, 3], 'int32'));
      expect(y.dtype).toBe('int32');
      expect(y.dataSync()[0]).toBe(6);
      expect(kernelStats().Sum.fallback).toBe(f0 + 1);
    });
  });
});
