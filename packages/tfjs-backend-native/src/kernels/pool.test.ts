import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { expectKernelParity, nativeTestsEnabled, parityReport, type Tol, useNative } from '../testing/differential.js';
import { testRng } from '../testing/rng.js';

const EXACT: Tol = { atol: 0, rtol: 0 };
// Gradients scatter-add in float32 where tfjs gathers in float64; averages divide in double in both.
const GRAD: Tol = { atol: 1e-6, rtol: 1e-6 };

type Pad = 'same' | 'valid' | number;
interface PoolCase {
  shape: [number, number, number, number];
  k: [number, number];
  s: [number, number];
  pad: Pad;
}

const FIXED: PoolCase[] = [
  { shape: [2, 8, 8, 3], k: [2, 2], s: [2, 2], pad: 'valid' },
  { shape: [2, 7, 9, 4], k: [3, 3], s: [2, 2], pad: 'same' },
  { shape: [1, 6, 6, 2], k: [3, 3], s: [1, 1], pad: 'same' },
  { shape: [3, 9, 7, 5], k: [3, 2], s: [2, 1], pad: 'valid' },
  { shape: [2, 5, 5, 3], k: [1, 1], s: [2, 2], pad: 'same' },
  { shape: [1, 8, 8, 2], k: [3, 3], s: [2, 2], pad: 1 },
];

function randomCases(seed: number, n: number): PoolCase[] {
  const r = testRng(seed);
  return Array.from({ length: n }, () => {
    const kh = r.int(1, 4);
    const kw = r.int(1, 4);
    return {
      shape: [r.int(1, 3), r.int(kh, 10), r.int(kw, 10), r.int(1, 6)] as [number, number, number, number],
      k: [kh, kw] as [number, number],
      s: [r.int(1, 3), r.int(1, 3)] as [number, number],
      pad: r.pick(['same', 'valid'] as const),
    };
  });
}

describe.runIf(nativeTestsEnabled())('MaxPool / AvgPool and grads: native vs tfjs-backend-cpu', () => {
  beforeAll(useNative);
  afterAll(() => console.log(parityReport()));

  const cases = [...FIXED, ...randomCases(21, 14)];
  it.each(cases.map((c, i) => [JSON.stringify(c), c, i] as const))('%s', (_, c, i) => {
    tf.tidy(() => {
      const g = testRng(60 + i);
      const n = c.shape.reduce((p, d) => p * d, 1);
      // Round to a coarse grid so windows contain ties: MaxPoolGrad must pick the same (first) maximum.
      const x = tf.tensor4d(
        Float32Array.from(g.normal(n), (v) => Math.round(v * 2) / 2),
        c.shape,
      );
      const attrs = { filterSize: c.k, strides: c.s, pad: c.pad, dimRoundingMode: undefined };
      const info = tf.backend_util.computePool2DInfo(c.shape, c.k, c.s, 1, c.pad);
      const dy = tf.tensor4d(g.normal(info.outShape.reduce((p, d) => p * d, 1)), info.outShape);
      expectKernelParity('MaxPool', { x }, attrs as never, EXACT);
      expectKernelParity('AvgPool', { x }, attrs as never, GRAD);
      const output = tf.maxPool(x, c.k, c.s, c.pad);
      expectKernelParity('MaxPoolGrad', { dy, input: x, output }, attrs as never, GRAD);
      expectKernelParity('AvgPoolGrad', { dy, input: x }, attrs as never, GRAD);
    });
  });
});
