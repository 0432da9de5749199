import '@tensorflow/tfjs-backend-cpu';
import { InvalidArgumentError, ShapeError } from '@ft/core';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import nmseFixture from './fixtures/nmse.json';
import { nmseDb } from './nmse.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('nmseDb', () => {
  it('matches the NumPy ratio-of-sums value (batch with an all-zero sample)', () => {
    const { x, x_hat, nmse_db } = nmseFixture; // the `nmse` case of scripts/metrics-fixtures.py
    expect(Math.abs(nmseDb(x_hat, x) - nmse_db)).toBeLessThanOrEqual(1e-9);
  });

  it('closed forms: x̂ = 0 gives 0 dB, x̂ = 1.1·x gives 20·log10(0.1) = −20 dB', () => {
    expect(nmseDb([0, 0], [3, 4])).toBe(0);
    expect(nmseDb([1.1, 2.2], [1, 2])).toBeCloseTo(-20, 10);
    expect(nmseDb([1, 2], [1, 2])).toBe(Number.NEGATIVE_INFINITY);
  });

  it('complex {re, im}: sums squared moduli', () => {
    // x = [1 + 1i], x̂ = [1 + 0i]: |e|² = 1, |x|² = 2 → 10·log10(0.5)
    expect(nmseDb({ re: [1], im: [0] }, { re: [1], im: [1] })).toBeCloseTo(10 * Math.log10(0.5), 14);
  });

  it('accepts tensors of any shape', () => {
    const xHat = tf.tensor2d([
      [1, 0],
      [0, 0],
    ]);
    const x = tf.tensor2d([
      [2, 0],
      [0, 0],
    ]);
    expect(nmseDb(xHat, x)).toBeCloseTo(10 * Math.log10(0.25), 14);
    xHat.dispose();
    x.dispose();
  });

  it('throws on zero reference, size mismatch, NaN or mixed real/complex', () => {
    expect(() => nmseDb([1, 1], [0, 0])).toThrow(/Σx² = 0/);
    expect(() => nmseDb([1], [1, 2])).toThrow(ShapeError);
    expect(() => nmseDb([Number.NaN], [1])).toThrow(/xHat\[0\] is NaN/);
    expect(() => nmseDb([1], { re: [1], im: [0] })).toThrow(InvalidArgumentError);
  });
});
