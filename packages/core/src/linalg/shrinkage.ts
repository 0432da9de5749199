/**
 * sklearn-compatible covariance estimators (`EmpiricalCovariance`, `LedoitWolf`, `OAS` with
 * `assume_centered=False`) from data or from streaming statistics. Float64 on host data; **constants for
 * autodiff** (no gradient).
 */
import { EmptyDatasetError, InvalidArgumentError, NotPositiveDefiniteError, ShapeError } from '../errors.js';
import { choleskyFactor, inverseFromCholesky } from './cholesky.js';
import { CovarianceAccumulator, type CovarianceStats } from './covariance.js';
import { isMatrix, type Matrix, type MatrixInput, toMatrix, toSquareMatrix } from './matrix.js';
import { pinvh } from './sym-eig.js';

/** Data (n × d rows), a `CovarianceAccumulator`, or its `CovarianceStats`. */
export type CovarianceSource = MatrixInput | CovarianceAccumulator | CovarianceStats;

/** Result of the covariance estimators (names follow sklearn's fitted attributes). */
export interface CovarianceEstimate {
  /** Estimated covariance (sklearn `covariance_`), d × d. */
  covariance: Matrix;
  /** Shrinkage coefficient in [0, 1] (sklearn `shrinkage_`; 0 for the empirical estimate). */
  shrinkage: number;
  /**
   * Inverse of `covariance` (sklearn `precision_`): Cholesky inverse, or `pinvh` when not positive definite.
   * Computed lazily on first access (≈ n³/3 flops, seconds for d ≈ 2000) and cached.
   */
  readonly precision: Matrix;
  /** Sample mean (sklearn `location_`). */
  location: Float64Array;
}

interface Moments {
  n: number;
  d: number;
  mean: Float64Array;
  /** MLE covariance S = Q / n. */
  S: Matrix;
  sumNorm4?: number;
}

function isStats(x: unknown): x is CovarianceStats {
  return (
    typeof x === 'object' &&
    x !== null &&
    !isMatrix(x) &&
    typeof (x as CovarianceStats).count === 'number' &&
    'scatter' in (x as object) &&
    'mean' in (x as object)
  );
}

function moments(src: CovarianceSource, who: string): Moments {
  let count: number;
  let mean: Float64Array;
  let scatter: Matrix;
  let sumNorm4: number | undefined;
  if (src instanceof CovarianceAccumulator) {
    if (src.count === 0) throw new EmptyDatasetError(`${who}: the accumulator has no rows`);
    const st = src.stats();
    count = st.count;
    mean = st.mean;
    scatter = st.scatter;
    sumNorm4 = st.sumNorm4;
  } else if (isStats(src)) {
    count = src.count;
    if (!(Number.isInteger(count) && count > 0)) throw new InvalidArgumentError(`${who}: stats.count must be ≥ 1`);
    mean = Float64Array.from(src.mean);
    scatter = toSquareMatrix(src.scatter, `${who}(stats.scatter)`);
    if (scatter.rows !== mean.length) {
      throw new ShapeError(`${who}: stats.scatter is ${scatter.rows}×${scatter.cols} but mean has ${mean.length}`);
    }
    sumNorm4 = src.sumNorm4;
  } else {
    const x = toMatrix(src as MatrixInput, `${who}(X)`);
    if (x.rows === 0) throw new EmptyDatasetError(`${who}: X has no rows`);
    const acc = new CovarianceAccumulator(x.cols, { chunkRows: Math.min(x.rows, 1024) }); // bounded scratch
    acc.update(x);
    const st = acc.stats();
    count = st.count;
    mean = st.mean;
    scatter = st.scatter;
    sumNorm4 = st.sumNorm4;
  }
  const S = scatter;
  for (let i = 0; i < S.data.length; i++) S.data[i] /= count;
  return { n: count, d: mean.length, mean, S, sumNorm4 };
}

/** Precision as sklearn computes it (pinvh); here Cholesky inverse when PD, pinvh otherwise. */
function precisionOf(cov: Matrix): Matrix {
  try {
    return inverseFromCholesky(choleskyFactor(cov, { jitter: false }).L);
  } catch (e) {
    if (e instanceof NotPositiveDefiniteError) return pinvh(cov);
    throw e;
  }
}

/** Builds the result with a lazily computed, cached `precision`. */
function estimate(covariance: Matrix, shrinkage: number, location: Float64Array): CovarianceEstimate {
  let cached: Matrix | undefined;
  const out = { covariance, shrinkage, location } as CovarianceEstimate;
  Object.defineProperty(out, 'precision', {
    enumerable: true,
    get: () => {
      cached ??= precisionOf(covariance);
      return cached;
    },
  });
  return out;
}

function shrink(S: Matrix, shrinkage: number, mu: number): Matrix {
  const d = S.rows;
  const out = Float64Array.from(S.data);
  for (let i = 0; i < out.length; i++) out[i] *= 1 - shrinkage;
  for (let i = 0; i < d; i++) out[i * d + i] += shrinkage * mu;
  return { rows: d, cols: d, data: out };
}

function traceAndFrob2(S: Matrix): { tr: number; frob2: number } {
  const d = S.rows;
  let tr = 0;
  let frob2 = 0;
  for (let i = 0; i < d; i++) tr += S.data[i * d + i];
  for (let i = 0; i < S.data.length; i++) frob2 += S.data[i] * S.data[i];
  return { tr, frob2 };
}

/**
 * Maximum-likelihood covariance S = (1/n)·Σ (x−μ)(x−μ)ᵀ (sklearn `EmpiricalCovariance`, assume_centered=False),
 * with `precision` = pseudo-inverse when S is singular (d ≥ n), like sklearn's `pinvh`. Float64, a constant for
 * autodiff.
 * @param X n × d data, a `CovarianceAccumulator`, or `CovarianceStats`
 */
export function empiricalCovariance(X: CovarianceSource): CovarianceEstimate {
  const m = moments(X, 'empiricalCovariance');
  return estimate(m.S, 0, m.mean);
}

/**
 * Ledoit-Wolf shrinkage covariance, identical to sklearn `LedoitWolf().fit(X)` (assume_centered=False; Ledoit &
 * Wolf, "A well-conditioned estimator for large-dimensional covariance matrices", J. Multivar. Anal. 88, 2004).
 * With S = XcᵀXc/n (Xc centred on the sample mean), μ̂ = tr(S)/d, δ̂ = ‖S − μ̂I‖²_F/d,
 * β̂ = (1/(d·n))·((1/n)·Σ_i‖x_i−x̄‖⁴ − ‖S‖²_F), s = min(β̂, δ̂)/δ̂ (0 when β̂ = 0 or δ̂ = 0; 0 for d = 1):
 * Σ = (1 − s)·S + s·μ̂·I.
 *
 * Streaming: pass a `CovarianceAccumulator` (one pass, it tracks Σ‖x−μ‖⁴) or `CovarianceStats` with `sumNorm4`
 * (e.g. from a second pass with `centeredNorm4Sum`). Float64, a constant for autodiff.
 * @param X n × d data, a `CovarianceAccumulator`, or `CovarianceStats` (with `sumNorm4`)
 */
export function ledoitWolf(X: CovarianceSource): CovarianceEstimate {
  const m = moments(X, 'ledoitWolf');
  const { n, d, S } = m;
  const { tr, frob2 } = traceAndFrob2(S);
  const mu = tr / d;
  let shrinkage = 0;
  if (d > 1) {
    if (m.sumNorm4 === undefined || !Number.isFinite(m.sumNorm4)) {
      throw new InvalidArgumentError(
        'ledoitWolf: stats.sumNorm4 (Σ‖x_i − μ‖⁴) is required; use a CovarianceAccumulator or centeredNorm4Sum',
      );
    }
    const beta0 = (1 / (d * n)) * (m.sumNorm4 / n - frob2);
    const delta = (frob2 - 2 * mu * tr + d * mu * mu) / d;
    const beta = Math.min(beta0, delta);
    shrinkage = beta === 0 || delta === 0 ? 0 : beta / delta;
  }
  const covariance = d > 1 ? shrink(S, shrinkage, mu) : S;
  return estimate(covariance, shrinkage, m.mean);
}

/**
 * Oracle Approximating Shrinkage covariance, identical to sklearn `OAS().fit(X)` (assume_centered=False; Chen,
 * Wiesel, Eldar & Hero, IEEE TSP 58(10), 2010, in sklearn's formulation): with S the MLE covariance, μ̂ = tr(S)/d,
 * α = mean(S²) = ‖S‖²_F/d², s = min((α + μ̂²) / ((n + 1)·(α − μ̂²/d)), 1) (1 when the denominator is 0; 0 for
 * d = 1): Σ = (1 − s)·S + s·μ̂·I. Needs only count/mean/scatter, so streaming statistics work directly.
 * Float64, a constant for autodiff.
 * @param X n × d data, a `CovarianceAccumulator`, or `CovarianceStats`
 */
export function oas(X: CovarianceSource): CovarianceEstimate {
  const m = moments(X, 'oas');
  const { n, d, S } = m;
  if (d === 1) return estimate(S, 0, m.mean);
  const { tr, frob2 } = traceAndFrob2(S);
  const mu = tr / d;
  const alpha = frob2 / (d * d);
  const num = alpha + mu * mu;
  const den = (n + 1) * (alpha - (mu * mu) / d);
  const shrinkage = den === 0 ? 1 : Math.min(num / den, 1);
  const covariance = shrink(S, shrinkage, mu);
  return estimate(covariance, shrinkage, m.mean);
}
