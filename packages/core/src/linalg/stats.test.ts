import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { InvalidArgumentError, ShapeError } from '../errors.js';
import {
  chi2Cdf,
  chi2Isf,
  chi2Ppf,
  chi2Sf,
  erf,
  erfc,
  gammaP,
  lnGamma,
  normCdf,
  normPpf,
  pearson,
  rankData,
  spearman,
} from './stats.js';

const fx = JSON.parse(readFileSync(new URL('./fixtures/stats.json', import.meta.url), 'utf8'));

function rel(a: number, b: number): number {
  return Math.abs(a - b) / Math.max(Math.abs(b), Number.MIN_VALUE);
}

describe('special functions vs SciPy', () => {
  it('erf / erfc to 1e-13 relative', () => {
    let worst = 0;
    for (const { x, erf: e, erfc: ec } of fx.erf) {
      worst = Math.max(worst, rel(erf(x), e), rel(erfc(x), ec));
    }
    console.log(`erf/erfc max relative error ${worst.toExponential(2)}`);
    expect(worst).toBeLessThan(1e-13);
    expect(erfc(10)).toBeGreaterThan(0); // tail is not lost to cancellation: erfc(10) ≈ 2.09e-45
    expect(rel(erfc(10), 2.088487583762545e-45)).toBeLessThan(1e-12);
  });

  it('lnGamma and gammaP closed forms', () => {
    expect(rel(lnGamma(0.5), 0.5 * Math.log(Math.PI))).toBeLessThan(1e-15);
    expect(rel(lnGamma(10), Math.log(362880))).toBeLessThan(1e-15);
    expect(rel(lnGamma(101), 363.73937555556347)).toBeLessThan(1e-14);
    // P(1, x) = 1 − e^{−x}
    for (const x of [0.1, 1, 5, 30]) expect(rel(gammaP(1, x), 1 - Math.exp(-x))).toBeLessThan(1e-14);
  });

  it('chi2Cdf / chi2Sf to 1e-12 relative', () => {
    let worst = 0;
    for (const { x, k, cdf, sf } of fx.chi2Cdf) {
      if (cdf > 1e-300) worst = Math.max(worst, rel(chi2Cdf(x, k), cdf));
      if (sf > 1e-300) worst = Math.max(worst, rel(chi2Sf(x, k), sf));
    }
    console.log(`chi2 cdf/sf max relative error ${worst.toExponential(2)}`);
    expect(worst).toBeLessThan(1e-12);
  });

  it('chi2Ppf matches scipy chi2.ppf to 1e-10 relative (k = 1 … 1792)', () => {
    let worst = 0;
    for (const { p, k, ppf } of fx.chi2Ppf) worst = Math.max(worst, rel(chi2Ppf(p, k), ppf));
    console.log(`chi2Ppf max relative error ${worst.toExponential(2)}`);
    expect(worst).toBeLessThan(1e-10);
    expect(chi2Ppf(0, 3)).toBe(0);
    expect(chi2Ppf(1, 3)).toBe(Number.POSITIVE_INFINITY);
    // k = 2 closed form: x = −2·log(1 − p)
    expect(rel(chi2Ppf(0.75, 2), -2 * Math.log(0.25))).toBeLessThan(1e-13);
    expect(() => chi2Ppf(1.5, 3)).toThrow(InvalidArgumentError);
    expect(() => chi2Ppf(0.5, 0)).toThrow(InvalidArgumentError);
  });

  it('Gaussian-AD working points σ = 1 … 8: chi2Isf(erfc(σ/√2)) and chi2Ppf(erf(σ/√2))', () => {
    let worstIsf = 0;
    let worstPpf = 0;
    for (const w of fx.workingPoints) {
      expect(rel(erf(w.sigma / Math.SQRT2), w.p)).toBeLessThan(1e-14);
      expect(rel(erfc(w.sigma / Math.SQRT2), w.q)).toBeLessThan(1e-12);
      worstIsf = Math.max(worstIsf, rel(chi2Isf(w.q, w.k), w.isf));
      if (w.ppf !== undefined) worstPpf = Math.max(worstPpf, rel(chi2Ppf(w.p, w.k), w.ppf));
    }
    console.log(`working points: isf ${worstIsf.toExponential(2)}, ppf ${worstPpf.toExponential(2)}`);
    expect(worstIsf).toBeLessThan(1e-10);
    expect(worstPpf).toBeLessThan(1e-8);
  });

  it('normCdf / normPpf', () => {
    for (const { p, ppf, cdf_x: x, cdf } of fx.norm) {
      expect(rel(normPpf(p), ppf)).toBeLessThan(1e-12);
      expect(rel(normCdf(x), cdf)).toBeLessThan(1e-13);
    }
  });
});

describe('correlation', () => {
  it('pearson and spearman match scipy (with and without ties)', () => {
    for (const c of fx.correlation) {
      expect(rel(pearson(c.a, c.b), c.pearson)).toBeLessThan(1e-12);
      expect(rel(spearman(c.a, c.b), c.spearman)).toBeLessThan(1e-12);
      if (c.ranksA) expect(Array.from(rankData(c.a))).toEqual(c.ranksA);
    }
  });

  it('closed forms and edge cases', () => {
    expect(Array.from(rankData([10, 20, 20, 5]))).toEqual([2, 3.5, 3.5, 1]);
    expect(spearman([1, 2, 3, 4], [1, 4, 9, 16])).toBe(1); // monotone ⇒ 1
    expect(pearson([1, 2, 3], [3, 2, 1])).toBe(-1);
    expect(spearman(Float32Array.from([1, 2, 3]), [5, 5, 5])).toBeNaN(); // constant input
    expect(() => pearson([1, 2], [1, 2, 3])).toThrow(ShapeError);
    expect(() => pearson([1], [1])).toThrow(InvalidArgumentError);
  });
});
