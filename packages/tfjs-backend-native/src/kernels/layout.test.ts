import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { expectKernelParity, nativeTestsEnabled, parityReport, type Tol, useNative } from '../testing/differential.js';
import { testRng } from '../testing/rng.js';

const EXACT: Tol = { atol: 0, rtol: 0 };

describe.runIf(nativeTestsEnabled())('Transpose / Tile: native vs tfjs-backend-cpu (bit-exact)', () => {
  beforeAll(useNative);
  afterAll(() => console.log(parityReport()));

  const r = testRng(3);
  const cases = Array.from({ length: 20 }, () => {
    const rank = r.int(1, 6);
    const shape = Array.from({ length: rank }, () => r.int(1, 5));
    const perm = shape.map((_, i) => i);
    for (let i = rank - 1; i > 0; i--) {
      const j = r.int(0, i);
      [perm[i], perm[j]] = [perm[j], perm[i]];
    }
    const reps = shape.map(() => r.int(1, 3));
    return { shape, perm, reps };
  });
  cases.push({ shape: [128, 32, 32, 16], perm: [0, 3, 1, 2], reps: [1, 1, 1, 2] });

  it.each(cases.map((c, i) => [JSON.stringify(c), c, i] as const))('%s', (_, c, i) => {
    tf.tidy(() => {
      const n = c.shape.reduce((p, d) => p * d, 1);
      const g = testRng(i);
      const x = tf.tensor(g.normal(n), c.shape);
      const xi = tf.tensor(Int32Array.from(g.uniform(n, -100, 100), Math.round), c.shape, 'int32');
      expectKernelParity('Transpose', { x }, { perm: c.perm }, EXACT);
      expectKernelParity('Transpose', { x: xi }, { perm: c.perm }, EXACT);
      expectKernelParity('Tile', { x }, { reps: c.reps }, EXACT);
      expectKernelParity('Tile', { x: xi }, { reps: c.reps }, EXACT);
    });
  });
});
