/**
 * Univariate Parzen estimators of TPE, following Optuna's design (independent TPE): a mixture of one kernel per
 * observation plus a prior kernel. Numeric parameters use truncated Gaussian kernels in the sampling space
 * (log space for `log`, widened by half a step for steps and integers); bandwidths are the larger gap to the
 * sorted neighbours (the prior and the bounds included, the outermost kernels using their inner gap),
 * "magic-clipped" to [range / min(100, 1 + nKernels), range]; the prior is centred with bandwidth = range.
 * Categorical parameters use one smoothed one-hot distribution per observation (prior weight spread over the
 * choices) and a uniform prior kernel.
 */
import type { Rng } from '@ft/core';
import { stats } from '@ft/core/linalg';
import type { Distribution } from '../distributions.js';
import { numericBounds } from './transform.js';

/** Optuna's default weights: 1 for up to 25 observations, else a ramp from 1/n to 1 over the oldest n − 25. */
export function defaultWeights(n: number): number[] {
  if (n <= 0) return [];
  if (n < 25) return new Array<number>(n).fill(1);
  const ramp = n - 25;
  const out: number[] = [];
  for (let i = 0; i < ramp; i++) out.push(ramp === 1 ? 1 / n : 1 / n + ((1 - 1 / n) * i) / (ramp - 1));
  for (let i = 0; i < 25; i++) out.push(1);
  return out;
}

/** Options of a Parzen estimator (Optuna's defaults in brackets). */
export interface ParzenOptions {
  /** Add the prior kernel [true]. */
  considerPrior?: boolean;
  /** Weight of the prior kernel [1]. */
  priorWeight?: number;
  /** Clip bandwidths to [range / min(100, 1 + nKernels), range] [true]. */
  considerMagicClip?: boolean;
  /** Let the outermost kernels' bandwidths reach the bounds [false]. */
  considerEndpoints?: boolean;
  /** Weights of the observations, oldest first [defaultWeights]. */
  weights?: (n: number) => number[];
}

/** Multivariate TPE's bandwidth factor: every numeric kernel gets σ = 0.2·max(n, 1)^(−1/(d+4))·range (Optuna's rule). */
export function multivariateSigma0(nObservations: number, nParams: number): number {
  return 0.2 * Math.max(nObservations, 1) ** (-1 / (nParams + 4));
}

const EPS = 1e-12;

/** A fitted univariate Parzen estimator over one distribution's internal/sampling space. */
export class ParzenEstimator {
  /** Mixture weights (sum 1). */
  readonly weights: number[];
  /** Numeric: kernel centres and bandwidths in the sampling space, and its bounds. */
  readonly mus: number[] = [];
  readonly sigmas: number[] = [];
  readonly low: number = 0;
  readonly high: number = 0;
  /** Numeric: grid step in the sampling space (null when continuous or log). */
  readonly step: number | null = null;
  /** Categorical: per-kernel probabilities over the choices. */
  readonly categorical: number[][] = [];

  /**
   * @param observations values in the sampling space (log of the value for `log`; the choice index for
   *   categoricals), oldest first
   */
  constructor(
    observations: readonly number[],
    readonly dist: Distribution,
    opts: ParzenOptions = {},
    /** Multivariate TPE: the shared bandwidth factor of {@link multivariateSigma0} instead of neighbour gaps. */
    sigma0?: number,
  ) {
    const considerPrior = opts.considerPrior ?? true;
    const priorWeight = opts.priorWeight ?? 1;
    const n = observations.length;
    const w = (opts.weights ?? defaultWeights)(n).slice(0, n);
    if (considerPrior || n === 0) w.push(priorWeight);
    const total = w.reduce((a, b) => a + b, 0);
    this.weights = w.map((x) => x / total);
    if (dist.kind === 'categorical') {
      const k = dist.choices.length;
      if (n === 0) {
        this.categorical.push(new Array<number>(k).fill(1 / k));
        this.weights = [1];
        return;
      }
      const nKernels = n + (considerPrior ? 1 : 0);
      for (let i = 0; i < nKernels; i++) {
        const row = new Array<number>(k).fill(priorWeight / nKernels);
        if (i < n) row[observations[i] as number] = (row[observations[i] as number] as number) + 1;
        const s = row.reduce((a, b) => a + b, 0);
        this.categorical.push(row.map((x) => x / s));
      }
      return;
    }
    const step = !dist.log && dist.step !== null ? dist.step : null;
    const [lo, hi] = numericBounds(dist);
    // Kernels live on [low, high] of the grid itself; the bounds used for bandwidths and truncation are widened.
    this.low = lo;
    this.high = hi;
    this.step = step;
    const range = hi - lo;
    const priorMu = 0.5 * (lo + hi);
    if (n === 0 && !considerPrior) {
      this.mus.push(priorMu);
      this.sigmas.push(range);
      return;
    }
    const nKernels = n + (considerPrior ? 1 : 0);
    const maxSigma = range;
    const minSigma = (opts.considerMagicClip ?? true) ? range / Math.min(100, 1 + nKernels) : EPS;
    if (sigma0 !== undefined) {
      const sigma = Math.min(Math.max(sigma0 * range, minSigma), maxSigma);
      for (let i = 0; i < n; i++) {
        this.mus.push(observations[i] as number);
        this.sigmas.push(sigma);
      }
      if (considerPrior) {
        this.mus.push(priorMu);
        this.sigmas.push(range);
      }
      return;
    }
    const withPrior = considerPrior ? [...observations, priorMu] : [...observations];
    const idx = withPrior.map((_, i) => i).sort((a, b) => (withPrior[a] as number) - (withPrior[b] as number) || a - b);
    const sorted = [lo, ...idx.map((i) => withPrior[i] as number), hi];
    const m = withPrior.length;
    const sortedSigmas = new Array<number>(m);
    for (let j = 1; j <= m; j++) {
      sortedSigmas[j - 1] = Math.max(
        (sorted[j] as number) - (sorted[j - 1] as number),
        (sorted[j + 1] as number) - (sorted[j] as number),
      );
    }
    if (!(opts.considerEndpoints ?? false) && sorted.length >= 4) {
      sortedSigmas[0] = (sorted[2] as number) - (sorted[1] as number);
      sortedSigmas[m - 1] = (sorted[m] as number) - (sorted[m - 1] as number);
    }
    const sigmasAll = new Array<number>(m);
    idx.forEach((orig, j) => {
      sigmasAll[orig] = sortedSigmas[j] as number;
    });
    for (let i = 0; i < n; i++) {
      this.mus.push(observations[i] as number);
      this.sigmas.push(Math.min(Math.max(sigmasAll[i] as number, minSigma), maxSigma));
    }
    if (considerPrior) {
      this.mus.push(priorMu);
      this.sigmas.push(range);
    }
  }

  /** A kernel index drawn by weight. */
  pickKernel(rng: Rng): number {
    const u = rng.uniform();
    let acc = 0;
    for (let i = 0; i < this.weights.length; i++) {
      acc += this.weights[i] as number;
      if (u < acc) return i;
    }
    return this.weights.length - 1;
  }

  /**
   * `n` draws in the sampling space: a kernel by weight, then (numeric) a truncated normal by inverse CDF on
   * [low, high], snapped to the grid for steps, or (categorical) a choice index.
   */
  sample(rng: Rng, n: number): number[] {
    const out: number[] = [];
    for (let s = 0; s < n; s++) out.push(this.sampleKernel(rng, this.pickKernel(rng)));
    return out;
  }

  /** One draw from kernel `k`, in the sampling space. */
  sampleKernel(rng: Rng, k: number): number {
    if (this.dist.kind === 'categorical') {
      const row = this.categorical[k] as number[];
      const u = rng.uniform();
      let acc = 0;
      let c = row.length - 1;
      for (let i = 0; i < row.length; i++) {
        acc += row[i] as number;
        if (u < acc) {
          c = i;
          break;
        }
      }
      return c;
    }
    const mu = this.mus[k] as number;
    const sigma = this.sigmas[k] as number;
    const pa = stats.normCdf((this.low - mu) / sigma);
    const pb = stats.normCdf((this.high - mu) / sigma);
    const p = pa + rng.uniform() * (pb - pa);
    let x = mu + sigma * stats.normPpf(Math.min(Math.max(p, 1e-300), 1 - 1e-16));
    x = Math.min(Math.max(x, this.low), this.high);
    if (this.step !== null) {
      const gLow = this.low + 0.5 * this.step;
      const gHigh = this.high - 0.5 * this.step;
      x = Math.min(Math.max(gLow + Math.round((x - gLow) / this.step) * this.step, gLow), gHigh);
    }
    return x;
  }

  /**
   * Log density (continuous) or log probability mass (steps, integers, log-scaled integers, categorical) at `x`, a
   * point of the sampling space.
   */
  logPdf(x: number): number {
    const comp = this.componentLogPdf(x);
    return logSumExp(comp.map((c, k) => Math.log(this.weights[k] as number) + c));
  }

  /** The log density (or mass) of each kernel at `x`, without the mixture weights. */
  componentLogPdf(x: number): number[] {
    const terms: number[] = [];
    if (this.dist.kind === 'categorical') {
      for (let k = 0; k < this.weights.length; k++) {
        terms.push(Math.log((this.categorical[k] as number[])[x] as number));
      }
    } else {
      // A log-scaled integer v owns the cell [log(v − ½), log(v + ½)] (as Optuna since optuna#6258).
      const intLog = this.dist.kind === 'int' && this.dist.log;
      const v = Math.round(Math.exp(x));
      const cell = [Math.log(v - 0.5), Math.log(v + 0.5)];
      for (let k = 0; k < this.weights.length; k++) {
        const mu = this.mus[k] as number;
        const sigma = this.sigmas[k] as number;
        const norm = stats.normCdf((this.high - mu) / sigma) - stats.normCdf((this.low - mu) / sigma);
        let lp: number;
        if (this.step !== null || intLog) {
          const [lo, hi] = intLog ? cell : [x - 0.5 * (this.step as number), x + 0.5 * (this.step as number)];
          const mass = stats.normCdf((hi - mu) / sigma) - stats.normCdf((lo - mu) / sigma);
          lp = Math.log(Math.max(mass, EPS)) - Math.log(Math.max(norm, EPS));
        } else {
          const z = (x - mu) / sigma;
          lp = -0.5 * z * z - Math.log(sigma) - 0.5 * Math.log(2 * Math.PI) - Math.log(Math.max(norm, EPS));
        }
        terms.push(lp);
      }
    }
    return terms;
  }
}

function logSumExp(terms: readonly number[]): number {
  const mx = Math.max(...terms);
  if (mx === Number.NEGATIVE_INFINITY) return mx;
  let s = 0;
  for (const t of terms) s += Math.exp(t - mx);
  return mx + Math.log(s);
}

/**
 * Multivariate TPE's estimator (Optuna's `multivariate=True`): one product kernel per observation (each dimension a
 * kernel of {@link ParzenEstimator} with the shared bandwidth rule), plus the product prior, with shared weights.
 * Observations are rows of sampling-space values, one column per parameter.
 */
export class MultivariateParzenEstimator {
  readonly dims: ParzenEstimator[];
  constructor(observations: readonly (readonly number[])[], dists: readonly Distribution[], opts: ParzenOptions = {}) {
    const sigma0 = multivariateSigma0(observations.length, dists.length);
    this.dims = dists.map(
      (d, j) =>
        new ParzenEstimator(
          observations.map((row) => row[j] as number),
          d,
          opts,
          sigma0,
        ),
    );
  }

  get weights(): number[] {
    return (this.dims[0] as ParzenEstimator).weights;
  }

  /** `n` joint draws: one kernel per draw, every dimension drawn from it. */
  sample(rng: Rng, n: number): number[][] {
    const out: number[][] = [];
    const first = this.dims[0] as ParzenEstimator;
    for (let s = 0; s < n; s++) {
      const k = first.pickKernel(rng);
      out.push(this.dims.map((d) => d.sampleKernel(rng, k)));
    }
    return out;
  }

  /** log Σ_k w_k Π_j p_kj(x_j). */
  logPdf(x: readonly number[]): number {
    const acc = this.weights.map((w) => Math.log(w));
    this.dims.forEach((d, j) => {
      d.componentLogPdf(x[j] as number).forEach((c, k) => {
        acc[k] = (acc[k] as number) + c;
      });
    });
    return logSumExp(acc);
  }
}
