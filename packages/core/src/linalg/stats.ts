/**
 * Scalar special functions and correlation statistics in Float64 (exported as the `stats` namespace):
 * erf / erfc, regularised incomplete gamma, χ² CDF / quantiles (Gaussian AD working points), normal CDF /
 * quantile, Pearson and Spearman correlation. Plain numbers, not tensors: **constants for autodiff**.
 */
import * as tf from '@tensorflow/tfjs-core';
import { InvalidArgumentError, ShapeError } from '../errors.js';

const LANCZOS = [
  0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
  12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
];

/**
 * log Γ(x) for x > 0 (Lanczos approximation, g = 7, 9 terms; ≈ 1e-15 relative), reflection for x < 0.5.
 */
export function lnGamma(x: number): number {
  if (Number.isNaN(x)) return Number.NaN;
  if (x < 0.5) return Math.log(Math.PI / Math.abs(Math.sin(Math.PI * x))) - lnGamma(1 - x);
  const z = x - 1;
  let a = LANCZOS[0];
  const t = z + 7.5;
  for (let i = 1; i < 9; i++) a += LANCZOS[i] / (z + i);
  return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(a);
}

const FPMIN = 1e-300;
const EPS = 1e-16;

/** Series for P(a, x), valid for x < a + 1; returns [P, log prefactor]. */
function gammaSeries(a: number, x: number): number {
  let ap = a;
  let sum = 1 / a;
  let del = sum;
  for (let i = 0; i < 100000; i++) {
    ap += 1;
    del *= x / ap;
    sum += del;
    if (Math.abs(del) < Math.abs(sum) * EPS) break;
  }
  return sum * Math.exp(-x + a * Math.log(x) - lnGamma(a));
}

/** Continued fraction for Q(a, x), valid for x ≥ a + 1 (modified Lentz). */
function gammaCF(a: number, x: number): number {
  let b = x + 1 - a;
  let c = 1 / FPMIN;
  let d = 1 / b;
  let h = d;
  for (let i = 1; i < 100000; i++) {
    const an = -i * (i - a);
    b += 2;
    d = an * d + b;
    if (Math.abs(d) < FPMIN) d = FPMIN;
    c = b + an / c;
    if (Math.abs(c) < FPMIN) c = FPMIN;
    d = 1 / d;
    const del = d * c;
    h *= del;
    if (Math.abs(del - 1) < EPS) break;
  }
  return Math.exp(-x + a * Math.log(x) - lnGamma(a)) * h;
}

/**
 * Regularised lower incomplete gamma P(a, x) = γ(a, x)/Γ(a) (series for x < a + 1, continued fraction above;
 * Numerical Recipes §6.2). ≈ 1e-14 relative for moderate a.
 */
export function gammaP(a: number, x: number): number {
  if (!(a > 0)) throw new InvalidArgumentError(`gammaP: a must be > 0, got ${a}`);
  if (Number.isNaN(x)) return Number.NaN;
  if (x <= 0) return 0;
  if (x === Number.POSITIVE_INFINITY) return 1;
  return x < a + 1 ? gammaSeries(a, x) : 1 - gammaCF(a, x);
}

/** Regularised upper incomplete gamma Q(a, x) = 1 − P(a, x), accurate in the upper tail. */
export function gammaQ(a: number, x: number): number {
  if (!(a > 0)) throw new InvalidArgumentError(`gammaQ: a must be > 0, got ${a}`);
  if (Number.isNaN(x)) return Number.NaN;
  if (x <= 0) return 1;
  if (x === Number.POSITIVE_INFINITY) return 0;
  return x < a + 1 ? 1 - gammaSeries(a, x) : gammaCF(a, x);
}

/** Error function erf(x) = (2/√π)∫₀ˣ e^{−t²} dt = sign(x)·P(1/2, x²). */
export function erf(x: number): number {
  if (Number.isNaN(x)) return Number.NaN;
  if (x === 0) return x;
  const p = gammaP(0.5, x * x);
  return x > 0 ? p : -p;
}

/** Complementary error function erfc(x) = 1 − erf(x), accurate for large x (= Q(1/2, x²) for x ≥ 0). */
export function erfc(x: number): number {
  if (Number.isNaN(x)) return Number.NaN;
  return x >= 0 ? gammaQ(0.5, x * x) : 1 + gammaP(0.5, x * x);
}

/** Standard normal CDF Φ(x) = erfc(−x/√2)/2. */
export function normCdf(x: number): number {
  return 0.5 * erfc(-x / Math.SQRT2);
}

/**
 * Standard normal quantile Φ⁻¹(p): Acklam's rational approximation refined by one Halley step on erfc
 * (≈ 1e-15 relative).
 */
export function normPpf(p: number): number {
  if (Number.isNaN(p) || p < 0 || p > 1) throw new InvalidArgumentError(`normPpf: p must be in [0, 1], got ${p}`);
  if (p === 0) return Number.NEGATIVE_INFINITY;
  if (p === 1) return Number.POSITIVE_INFINITY;
  const a = [
    -39.69683028665376, 220.9460984245205, -275.9285104469687, 138.357751867269, -30.66479806614716, 2.506628277459239,
  ];
  const b = [-54.47609879822406, 161.5858368580409, -155.6989798598866, 66.80131188771972, -13.28068155288572];
  const c = [
    -0.007784894002430293, -0.3223964580411365, -2.400758277161838, -2.549732539343734, 4.374664141464968,
    2.938163982698783,
  ];
  const d = [0.007784695709041462, 0.3224671290700398, 2.445134137142996, 3.754408661907416];
  const plow = 0.02425;
  let x: number;
  if (p < plow) {
    const q = Math.sqrt(-2 * Math.log(p));
    x =
      (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
      ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
  } else if (p <= 1 - plow) {
    const q = p - 0.5;
    const r = q * q;
    x =
      ((((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q) /
      (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
  } else {
    const q = Math.sqrt(-2 * Math.log(1 - p));
    x =
      -(((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
      ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
  }
  // Halley refinement on e = Φ(x) − p, computed from the nearer tail (1 − p is exact for p ≥ 1/2).
  const e = x < 0 ? 0.5 * erfc(-x / Math.SQRT2) - p : 1 - p - 0.5 * erfc(x / Math.SQRT2);
  const u = e * Math.sqrt(2 * Math.PI) * Math.exp((x * x) / 2);
  return x - u / (1 + (x * u) / 2);
}

function checkDof(k: number, who: string): void {
  if (!(k > 0) || !Number.isFinite(k))
    throw new InvalidArgumentError(`${who}: degrees of freedom k must be > 0, got ${k}`);
}

/** χ²_k CDF: P(k/2, x/2) (0 for x ≤ 0). */
export function chi2Cdf(x: number, k: number): number {
  checkDof(k, 'chi2Cdf');
  return gammaP(k / 2, x / 2);
}

/** χ²_k survival function 1 − CDF = Q(k/2, x/2), accurate in the upper tail. */
export function chi2Sf(x: number, k: number): number {
  checkDof(k, 'chi2Sf');
  return gammaQ(k / 2, x / 2);
}

/** log of the χ²_k density at x > 0. */
function chi2LogPdf(x: number, k: number): number {
  const a = k / 2;
  return (a - 1) * Math.log(x) - x / 2 - a * Math.LN2 - lnGamma(a);
}

/**
 * Solves tail(x) = target for x > 0, where tail is the CDF (`upper = false`) or the survival function, by
 * safeguarded Newton on log(tail) inside a bracket that is widened geometrically from a Wilson–Hilferty start.
 */
function chi2Invert(target: number, k: number, upper: boolean): number {
  const tail = (x: number) => (upper ? chi2Sf(x, k) : chi2Cdf(x, k));
  // Wilson–Hilferty start.
  const z = upper ? -normPpf(target) : normPpf(target);
  const h = 2 / (9 * k);
  let x = k * Math.max(1 - h + z * Math.sqrt(h), 0.01) ** 3;
  if (!(x > 0) || !Number.isFinite(x)) x = k;
  // Bracket [lo, hi] with tail(lo) on one side of target and tail(hi) on the other.
  const below = (v: number) => (upper ? tail(v) > target : tail(v) < target); // v is left of the root
  let lo = x;
  let hi = x;
  while (lo > 1e-300 && !below(lo)) lo /= 2;
  if (lo <= 1e-300) lo = 0;
  while (below(hi) && hi < 1e300) hi *= 2;
  const logTarget = Math.log(target);
  for (let it = 0; it < 200; it++) {
    const t = tail(x);
    if (t === target) return x;
    if (upper ? t > target : t < target) lo = x;
    else hi = x;
    const g = Math.log(t) - logTarget;
    // d/dx log tail = ±pdf/tail
    const dlog = (upper ? -1 : 1) * Math.exp(chi2LogPdf(x, k) - Math.log(t));
    let xn = x - g / dlog;
    if (!(xn > lo && xn < hi) || !Number.isFinite(xn)) xn = hi === Number.POSITIVE_INFINITY ? 2 * x : 0.5 * (lo + hi);
    if (Math.abs(xn - x) <= 4e-16 * Math.max(Math.abs(xn), 1e-300)) return xn;
    if (hi - lo <= 4e-16 * hi) return 0.5 * (lo + hi);
    x = xn;
  }
  return x;
}

/**
 * χ²_k quantile (inverse CDF): the x with CDF(x) = p (scipy `chi2.ppf`). For p > 1/2 it inverts the survival
 * function at 1 − p. Note p itself cannot resolve tails below ≈ 1e-16: for the Gaussian-AD working points at
 * σ ≥ 7 use `chi2Isf(erfc(σ/√2), k)` instead of `chi2Ppf(erf(σ/√2), k)`.
 * @param p probability in [0, 1]
 * @param k degrees of freedom > 0
 */
export function chi2Ppf(p: number, k: number): number {
  checkDof(k, 'chi2Ppf');
  if (Number.isNaN(p) || p < 0 || p > 1) throw new InvalidArgumentError(`chi2Ppf: p must be in [0, 1], got ${p}`);
  if (p === 0) return 0;
  if (p === 1) return Number.POSITIVE_INFINITY;
  return p <= 0.5 ? chi2Invert(p, k, false) : chi2Invert(1 - p, k, true);
}

/**
 * χ²_k inverse survival function: the x with 1 − CDF(x) = q (scipy `chi2.isf`), accurate for tiny q.
 * @param q upper-tail probability in [0, 1]
 * @param k degrees of freedom > 0
 */
export function chi2Isf(q: number, k: number): number {
  checkDof(k, 'chi2Isf');
  if (Number.isNaN(q) || q < 0 || q > 1) throw new InvalidArgumentError(`chi2Isf: q must be in [0, 1], got ${q}`);
  if (q === 0) return Number.POSITIVE_INFINITY;
  if (q === 1) return 0;
  return q <= 0.5 ? chi2Invert(q, k, true) : chi2Invert(1 - q, k, false);
}

/** Values accepted by the correlation functions. */
export type VectorInput = ArrayLike<number> | tf.Tensor;

function toVec(x: VectorInput, name: string): Float64Array {
  if (x instanceof tf.Tensor) return Float64Array.from(x.dataSync() as Float32Array);
  if (x === null || typeof x !== 'object' || typeof x.length !== 'number') {
    throw new InvalidArgumentError(`${name}: expected an array or tensor`);
  }
  return Float64Array.from(x);
}

/**
 * Ranks 1..n with ties given the average of their ranks (scipy `rankdata(method='average')`). NaN is not allowed.
 */
export function rankData(x: VectorInput): Float64Array {
  const v = toVec(x, 'rankData');
  const n = v.length;
  for (let i = 0; i < n; i++) if (Number.isNaN(v[i])) throw new InvalidArgumentError(`rankData: value ${i} is NaN`);
  const idx = Array.from({ length: n }, (_, i) => i).sort((a, b) => v[a] - v[b]);
  const ranks = new Float64Array(n);
  let i = 0;
  while (i < n) {
    let j = i;
    while (j + 1 < n && v[idx[j + 1]] === v[idx[i]]) j++;
    const r = (i + j) / 2 + 1;
    for (let k = i; k <= j; k++) ranks[idx[k]] = r;
    i = j + 1;
  }
  return ranks;
}

/**
 * Pearson correlation r = Σ(a−ā)(b−b̄) / sqrt(Σ(a−ā)² Σ(b−b̄)²) (two-pass, Float64), like `scipy.stats.pearsonr`'s
 * statistic. NaN when either input is constant. Throws `ShapeError` on different lengths, `InvalidArgumentError` for
 * n < 2.
 */
export function pearson(a: VectorInput, b: VectorInput): number {
  const x = toVec(a, 'pearson(a)');
  const y = toVec(b, 'pearson(b)');
  return pearsonVec(x, y, 'pearson');
}

function pearsonVec(x: Float64Array, y: Float64Array, who: string): number {
  const n = x.length;
  if (y.length !== n) throw new ShapeError(`${who}: lengths differ (${n} vs ${y.length})`);
  if (n < 2) throw new InvalidArgumentError(`${who}: needs at least 2 values, got ${n}`);
  let mx = 0;
  let my = 0;
  for (let i = 0; i < n; i++) {
    mx += x[i];
    my += y[i];
  }
  mx /= n;
  my /= n;
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    const dx = x[i] - mx;
    const dy = y[i] - my;
    sxy += dx * dy;
    sxx += dx * dx;
    syy += dy * dy;
  }
  if (sxx === 0 || syy === 0) return Number.NaN;
  const r = sxy / Math.sqrt(sxx * syy);
  return Math.max(-1, Math.min(1, r));
}

/**
 * Spearman rank correlation: Pearson correlation of the average ranks (ties share their mean rank), like
 * `scipy.stats.spearmanr`'s statistic. NaN when either input is constant.
 */
export function spearman(a: VectorInput, b: VectorInput): number {
  return pearsonVec(rankData(a), rankData(b), 'spearman');
}
