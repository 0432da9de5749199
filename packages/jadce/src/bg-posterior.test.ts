import { describe, expect, it } from 'vitest';
import { bgRowPosterior } from './bg-posterior.js';

/** Activity posterior by Bayes' rule on the two CN densities of the mixture (d complex entries). */
function bayesPi(r2: number, d: number, lambda: number, phi: number, tau: number): number {
  const logActive = Math.log(lambda) - d * Math.log(phi + tau) - r2 / (phi + tau);
  const logInactive = Math.log(1 - lambda) - d * Math.log(tau) - r2 / tau;
  return 1 / (1 + Math.exp(logInactive - logActive));
}

describe('bgRowPosterior', () => {
  it('closed form at r = 0, λ = ½, φ = τ = 1, d = 1: π = 1/3, g = ½, v = 1/6', () => {
    const p = bgRowPosterior(0, 1, 0.5, 1, 1);
    expect(p.logOdds).toBeCloseTo(Math.log(2), 14);
    expect(p.pi).toBeCloseTo(1 / 3, 14);
    expect(p.gain).toBe(0.5);
    expect(p.v).toBeCloseTo(1 / 6, 14);
  });

  it('π matches Bayes’ rule on the mixture, and v the mixture variance per entry', () => {
    for (const [r2, d, lambda, phi, tau] of [
      [0.3, 1, 0.05, 1, 0.2],
      [4, 4, 0.1, 0.5, 0.1],
      [12, 8, 0.02, 2, 1.5],
    ]) {
      const p = bgRowPosterior(r2, d, lambda, phi, tau);
      const pi = bayesPi(r2, d, lambda, phi, tau);
      expect(p.pi).toBeCloseTo(pi, 12);
      const g = phi / (phi + tau);
      // E|x|²/d − |E x|²/d with x = 0 w.p. 1 − π, x ~ CN(g·r, g·τ·I) w.p. π
      const v = pi * (g * tau + (g * g * r2) / d) - (pi * pi * g * g * r2) / d;
      expect(p.v).toBeCloseTo(v, 12);
    }
  });

  it('stays finite at extreme log-odds and increases with the row energy', () => {
    expect(bgRowPosterior(1e6, 1, 0.05, 1, 0.01).pi).toBe(1);
    const tiny = bgRowPosterior(0, 64, 1e-6, 100, 0.01);
    expect(tiny.pi).toBeGreaterThan(0);
    expect(tiny.pi).toBeLessThan(1e-100);
    let prev = 0;
    for (const r2 of [0, 0.5, 1, 2, 4, 8]) {
      const { pi } = bgRowPosterior(r2, 2, 0.1, 1, 0.5);
      expect(pi).toBeGreaterThan(prev);
      prev = pi;
    }
  });
});
