import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectKernelParity, nativeTestsEnabled, parityReport, type Tol, useNative } from '../testing/differential.js';
import { testRng } from '../testing/rng.js';
import { BINARY_OPS } from './binary.js';
import { kernelStats } from './override.js';

// +, -, *, / and (a-b)^2 are exact (float32 ops equal the JS double op rounded once); pow goes through libm.
const EXACT: Tol = { atol: 0, rtol: 0 };
const POW: Tol = { atol: 0, rtol: 1e-6 };

/** Random broadcast-compatible pair of shapes of rank up to 6. */
function shapes(seed: number): [number[], number[]] {
  const r = testRng(seed);
  const rank = r.int(0, 6);
  const out = Array.from({ length: rank }, () => r.int(1, 5));
  const a = out.map((d) => (r.next() < 0.3 ? 1 : d));
  const b = out.map((d) => (r.next() < 0.3 ? 1 : d));
  // Drop leading dims on one side sometimes (rank broadcasting).
  return [a.slice(r.int(0, Math.min(2, rank))), b.slice(r.int(0, Math.min(2, rank)))];
}

describe.runIf(nativeTestsEnabled())('broadcasting binary ops: native vs tfjs-backend-cpu', () => {
  beforeAll(useNative);
  afterAll(() => console.log(parityReport()));

  const cases = [
    ...Array.from({ length: 30 }, (_, i) => shapes(1000 + i)),
    [[128, 16, 16, 32], [32]] as [number[], number[]], // bias/BN broadcast
    [
      [8, 1, 6],
      [1, 5, 1],
    ] as [number[], number[]],
    [
      [2, 3, 4, 5, 6, 7],
      [3, 1, 5, 1, 7],
    ] as [number[], number[]],
    [[], [4, 3]] as [number[], number[]],
    [
      [7, 7],
      [7, 7],
    ] as [number[], number[]],
  ];

  it.each(cases.map(([a, b], i) => [`${JSON.stringify(a)} ∘ ${JSON.stringify(b)}`, a, b, i] as const))(
    '%s',
    (_, aShape, bShape, i) => {
      tf.tidy(() => {
        const r = testRng(77 + i);
        const size = (s: number[]) => s.reduce((p, d) => p * d, 1);
        const a = tf.tensor(r.normal(size(aShape), 3), aShape);
        const b = tf.tensor(r.normal(size(bShape), 3), bShape);
        const bPos = tf.tensor(r.uniform(size(bShape), 0.5, 2), bShape);
        const aPos = tf.tensor(r.uniform(size(aShape), 0.1, 3), aShape);
        for (const op of Object.keys(BINARY_OPS).filter((k) => !k.startsWith('Native'))) {
          if (op === 'Pow') expectKernelParity(op, { a: aPos, b }, {}, POW);
          else expectKernelParity(op, { a, b: op === 'RealDiv' ? bPos : b }, {}, EXACT);
        }
      });
    },
  );

  it('propagates NaN in Maximum/Minimum like Math.max/min and divides by zero like JS', () => {
    tf.tidy(() => {
      const a = tf.tensor1d([Number.NaN, 1, 2, 0, -1, 0]);
      const b = tf.tensor1d([1, Number.NaN, 3, 0, 0, -0]);
      for (const op of ['Maximum', 'Minimum', 'RealDiv', 'Add', 'SquaredDifference']) {
        expectKernelParity(op, { a, b }, {}, EXACT);
      }
    });
  });

  it('falls back for int32', () => {
    tf.tidy(() => {
      const f0 = kernelStats().Add?.fallback ?? 0;
      const y = tf.add(tf.tensor1d([1, 2], 'int32'), tf.tensor1d([3, 4], 'int32'));
      expect(y.dtype).toBe('int32');
      expect(Array.from(y.dataSync())).toEqual([4, 6]);
      expect(kernelStats().Add.fallback).toBe(f0 + 1);
    });
  });
});
