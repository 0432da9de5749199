import { createRng } from '@ft/core';
import { describe, expect, it } from 'vitest';
import { CategoricalDistribution, FloatDistribution, IntDistribution } from '../distributions.js';
import { defaultWeights, ParzenEstimator } from './parzen.js';

// Reference log densities from scipy.stats (truncnorm.pdf / norm.cdf mixtures) for the kernels worked out by hand
// in each case below.
describe('ParzenEstimator', () => {
  it("has Optuna's default weights (flat up to 25, then a ramp over the oldest)", () => {
    expect(defaultWeights(3)).toEqual([1, 1, 1]);
    const w = defaultWeights(30);
    expect(w).toHaveLength(30);
    [1 / 30, 0.275, 0.5166666666666667, 0.7583333333333333, 1].forEach((v, i) => {
      expect(w[i]).toBeCloseTo(v, 12);
    });
    expect(w.slice(5).every((x) => x === 1)).toBe(true);
  });

  it('continuous: neighbour-gap bandwidths, endpoint rule, magic clip, prior kernel', () => {
    // [0, 10], observations 2 and 3, prior at 5: sorted with bounds 0 2 3 5 10 → raw gaps 2, 2, 5; the outer
    // kernels use their inner gaps (1 and 2); magic clip to ≥ 10/min(100, 1+3) = 2.5 → 2.5, 2.5; prior σ = 10.
    const p = new ParzenEstimator([2, 3], new FloatDistribution(0, 10));
    expect(p.mus).toEqual([2, 3, 5]);
    expect(p.sigmas).toEqual([2.5, 2.5, 10]);
    expect(p.weights.map((w) => w * 3)).toEqual([1, 1, 1]);
    expect(p.logPdf(2)).toBeCloseTo(-1.8553559243193458, 10);
    expect(p.logPdf(7.5)).toBeCloseTo(-2.9643164479604898, 10);
    expect(p.logPdf(0.1)).toBeCloseTo(-2.1877780496307744, 10);
  });

  it('integers: probability mass of each grid cell under kernels truncated to [low − ½, high + ½]', () => {
    const p = new ParzenEstimator([2, 2, 4], new IntDistribution(1, 5));
    expect(p.sigmas).toEqual([1, 1, 1, 5]);
    const ref: Record<number, number> = {
      1: -1.719414323869768,
      2: -1.3003487366199757,
      3: -1.4010829868016101,
      5: -2.1541858655602595,
    };
    for (const [x, v] of Object.entries(ref)) expect(p.logPdf(Number(x))).toBeCloseTo(v, 10);
    // The masses of the five cells sum to 1.
    const total = [1, 2, 3, 4, 5].reduce((s, x) => s + Math.exp(p.logPdf(x)), 0);
    expect(total).toBeCloseTo(1, 12);
    for (const x of p.sample(createRng(1), 200)) expect(Number.isInteger(x) && x >= 1 && x <= 5).toBe(true);
  });

  it('categorical: smoothed one-hot kernels and a uniform prior', () => {
    const p = new ParzenEstimator([0, 0, 2], new CategoricalDistribution(['a', 'b', 'c']));
    for (const [i, v] of [-0.7419373447293773, -1.6582280766035324, -1.0986122886681098].entries()) {
      expect(p.logPdf(i)).toBeCloseTo(v, 12);
    }
    const counts = [0, 0, 0];
    for (const x of p.sample(createRng(3), 20000)) counts[x] = (counts[x] as number) + 1;
    expect(counts[0] / 20000).toBeCloseTo(Math.exp(-0.7419373447293773), 1);
  });

  it('samples stay in bounds and follow the mixture (continuous and log)', () => {
    const p = new ParzenEstimator([2, 3], new FloatDistribution(0, 10));
    const xs = p.sample(createRng(7), 20000);
    expect(Math.min(...xs)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...xs)).toBeLessThanOrEqual(10);
    // P(x < 5) of the mixture, from scipy.stats.truncnorm.cdf: 0.70584783566325 (binomial sd ≈ 0.0032).
    const below = xs.filter((x) => x < 5).length / xs.length;
    expect(Math.abs(below - 0.70584783566325)).toBeLessThan(0.013);
    const lg = new ParzenEstimator([Math.log(1e-3)], new FloatDistribution(1e-4, 1, { log: true }));
    for (const x of lg.sample(createRng(2), 500)) expect(x >= Math.log(1e-4) - 1e-12 && x <= 1e-12).toBe(true);
  });
});
