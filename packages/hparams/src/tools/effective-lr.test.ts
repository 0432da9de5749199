import { InvalidArgumentError } from '@ft/core';
import { describe, expect, it } from 'vitest';
import { bnMomentum, effectiveLr, effectiveWeightDecay, lrForEffectiveLr } from './effective-lr.js';

describe('effectiveLr / lrForEffectiveLr', () => {
  it('matches the closed form η/(1 − m) at fixed values', () => {
    expect(effectiveLr(0.01, 0.9)).toBeCloseTo(0.1, 15);
    expect(effectiveLr(0.01, 0)).toBe(0.01);
    expect(effectiveLr(0.001, 0.99)).toBeCloseTo(0.1, 14);
    expect(effectiveLr(0.1, 0.95)).toBeCloseTo(2, 14);
    expect(effectiveLr(0, 0.5)).toBe(0);
    expect(lrForEffectiveLr(0.1, 0.9)).toBeCloseTo(0.01, 15);
    expect(lrForEffectiveLr(0.5, 0)).toBe(0.5);
  });

  it('round-trips over the paper grid', () => {
    for (const lr of [0.1, 0.05, 0.01, 0.005, 0.001, 0.0001]) {
      for (const m of [0.9, 0.99, 0.95, 0.8, 0]) {
        expect(lrForEffectiveLr(effectiveLr(lr, m), m)).toBeCloseTo(lr, 14);
      }
    }
  });

  it('equals the per-step displacement of heavy-ball SGD under a constant gradient', () => {
    // v ← m v + g, θ ← θ − η v (PyTorch / core sgd); the steady-state step is η g/(1 − m).
    for (const [lr, m] of [
      [0.01, 0.9],
      [0.05, 0.8],
      [0.001, 0.99],
    ]) {
      let v = 0;
      let theta = 0;
      let step = 0;
      for (let t = 0; t < 5000; t++) {
        v = m * v + 1;
        const before = theta;
        theta -= lr * v;
        step = before - theta;
      }
      expect(step).toBeCloseTo(effectiveLr(lr, m), 10);
    }
  });

  it('rejects bad arguments with InvalidArgumentError', () => {
    expect(() => effectiveLr(0.1, 1)).toThrow(InvalidArgumentError);
    expect(() => effectiveLr(0.1, -0.1)).toThrow(/momentum must be a finite number in \[0, 1\)/);
    expect(() => effectiveLr(-0.1, 0.9)).toThrow(/lr must be a finite number >= 0/);
    expect(() => effectiveLr(Number.NaN, 0.9)).toThrow(InvalidArgumentError);
    expect(() => lrForEffectiveLr(0.1, Number.POSITIVE_INFINITY)).toThrow(InvalidArgumentError);
    expect(() => lrForEffectiveLr(-1, 0)).toThrow(InvalidArgumentError);
  });
});

describe('effectiveWeightDecay', () => {
  it('is λ/η', () => {
    expect(effectiveWeightDecay(1e-4, 0.01)).toBeCloseTo(0.01, 15);
    expect(effectiveWeightDecay(5e-4, 0.1)).toBeCloseTo(0.005, 15);
    expect(effectiveWeightDecay(0, 0.1)).toBe(0);
  });
  it('rejects η ≤ 0 and λ < 0', () => {
    expect(() => effectiveWeightDecay(1e-4, 0)).toThrow(/lr must be a finite number > 0/);
    expect(() => effectiveWeightDecay(-1e-4, 0.1)).toThrow(InvalidArgumentError);
  });
});

describe('bnMomentum', () => {
  it('converts between tfjs/Keras and PyTorch (m_pt = 1 − m)', () => {
    expect(bnMomentum.toPytorch(0.99)).toBeCloseTo(0.01, 15);
    expect(bnMomentum.toPytorch(0.9)).toBeCloseTo(0.1, 15);
    expect(bnMomentum.fromPytorch(0.1)).toBeCloseTo(0.9, 15);
    expect(bnMomentum.fromPytorch(1)).toBe(0);
    expect(bnMomentum.toPytorch(0)).toBe(1);
    // The spec's BN sweep: PyTorch {1.0, 0.1, 0.05, 0.01} = tfjs {0.0, 0.9, 0.95, 0.99}.
    const pt = [1.0, 0.1, 0.05, 0.01];
    const tfjs = [0.0, 0.9, 0.95, 0.99];
    pt.forEach((p, i) => {
      expect(bnMomentum.fromPytorch(p)).toBeCloseTo(tfjs[i], 15);
      expect(bnMomentum.toPytorch(bnMomentum.fromPytorch(p))).toBeCloseTo(p, 15);
    });
  });

  it('both conventions update the running mean identically', () => {
    // Keras: μ ← m μ + (1 − m) x; PyTorch: μ ← (1 − m_pt) μ + m_pt x.
    const xs = [0.3, -1.2, 2.5, 0.7, 0.1];
    for (const m of [0.9, 0.99, 0.5]) {
      const mPt = bnMomentum.toPytorch(m);
      let a = 0;
      let b = 0;
      for (const x of xs) {
        a = m * a + (1 - m) * x;
        b = (1 - mPt) * b + mPt * x;
      }
      expect(a).toBeCloseTo(b, 14);
    }
  });

  it("gives Kornblith's max(1 − 10/s, 0.9)", () => {
    expect(bnMomentum.kornblith(1)).toBe(0.9);
    expect(bnMomentum.kornblith(100)).toBeCloseTo(0.9, 15);
    expect(bnMomentum.kornblith(50)).toBe(0.9);
    expect(bnMomentum.kornblith(200)).toBeCloseTo(0.95, 15);
    expect(bnMomentum.kornblith(1000)).toBeCloseTo(0.99, 15);
    // Li et al. App. C: only matters above 25.6K images at batch 256 (s > 100).
    expect(bnMomentum.kornblith(Math.ceil(25_600 / 256))).toBeCloseTo(0.9, 15);
    expect(bnMomentum.kornblith(Math.ceil(25_856 / 256))).toBeGreaterThan(0.9);
  });

  it('rejects values outside [0, 1] and bad step counts', () => {
    expect(() => bnMomentum.toPytorch(1.1)).toThrow(InvalidArgumentError);
    expect(() => bnMomentum.fromPytorch(-0.01)).toThrow(/mPt must be a finite number in \[0, 1\]/);
    expect(() => bnMomentum.toPytorch(Number.NaN)).toThrow(InvalidArgumentError);
    expect(() => bnMomentum.kornblith(0)).toThrow(InvalidArgumentError);
    expect(() => bnMomentum.kornblith(2.5)).toThrow(/stepsPerEpoch must be an integer >= 1/);
  });
});
