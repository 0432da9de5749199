/**
 * Distances of feature vectors to a fitted Gaussian, on host data in Float64 (Rippel, Mertens & Merhof, "Modeling
 * the Distribution of Normal Data in Pre-Trained Deep Features for Anomaly Detection", ICPR 2020, arXiv
 * 2005.14140; official code `ORippler/gaussian-ad-mvtec`, `src/gaussian/model.py`: `mahalanobis_distance`,
 * `l2_distance`, `sed_distance`). Higher = more anomalous everywhere. These are **constants for autodiff** (tensors
 * are read with `dataSync()`); the differentiable versions used by fine-tuning live in `GaussianAD.distanceTensor`.
 */
import { InvalidArgumentError, type Matrix, ShapeError } from '@ft/core';

function check(x: Matrix, mean: ArrayLike<number>, who: string): void {
  if (x.cols !== mean.length) {
    throw new ShapeError(`${who}: features have ${x.cols} columns but the mean has ${mean.length}`, {
      shape: [x.rows, x.cols],
    });
  }
}

/**
 * Mahalanobis distance of every row to the Gaussian N(μ, Σ): M(x) = sqrt((x − μ)ᵀ P (x − μ)) with P = Σ⁻¹
 * (paper Eq. 2; the official code's `einsum("im,mn,in->i").sqrt()`). The quadratic form is clamped at 0 against
 * rounding. d² multiply-adds per row, Float64.
 * @param x n × d rows (a core `Matrix`)
 * @param mean μ (length d)
 * @param precision P = Σ⁻¹ (d × d, symmetric)
 * @returns n distances
 */
export function mahalanobis(x: Matrix, mean: ArrayLike<number>, precision: Matrix): Float64Array {
  check(x, mean, 'mahalanobis');
  const d = x.cols;
  if (precision.rows !== d || precision.cols !== d) {
    throw new ShapeError(`mahalanobis: precision is ${precision.rows}×${precision.cols}, features have d = ${d}`);
  }
  const out = new Float64Array(x.rows);
  const diff = new Float64Array(d);
  const p = precision.data;
  for (let r = 0; r < x.rows; r++) {
    const o = r * d;
    for (let i = 0; i < d; i++) diff[i] = x.data[o + i] - mean[i];
    let q = 0;
    for (let i = 0; i < d; i++) {
      const oi = i * d;
      let s = 0;
      for (let j = 0; j < d; j++) s += p[oi + j] * diff[j];
      q += diff[i] * s;
    }
    out[r] = Math.sqrt(Math.max(0, q));
  }
  return out;
}

/**
 * Euclidean distance of every row to the mean, ‖x − μ‖₂ (the paper's "L2" baseline, i.e. an isotropic Gaussian).
 * @param x n × d rows
 * @param mean μ (length d)
 */
export function l2ToMean(x: Matrix, mean: ArrayLike<number>): Float64Array {
  check(x, mean, 'l2ToMean');
  const d = x.cols;
  const out = new Float64Array(x.rows);
  for (let r = 0; r < x.rows; r++) {
    let s = 0;
    for (let i = 0; i < d; i++) {
      const v = x.data[r * d + i] - mean[i];
      s += v * v;
    }
    out[r] = Math.sqrt(s);
  }
  return out;
}

/**
 * Standardised Euclidean distance ("SED", a diagonal Gaussian): sqrt(Σ_i (x_i − μ_i)² / σ_i²). Zero-variance
 * coordinates are skipped (they carry no scale), like a diagonal Gaussian restricted to its support.
 * @param x n × d rows
 * @param mean μ (length d)
 * @param variance σ² per coordinate (length d, ≥ 0)
 */
export function standardizedEuclidean(x: Matrix, mean: ArrayLike<number>, variance: ArrayLike<number>): Float64Array {
  check(x, mean, 'standardizedEuclidean');
  if (variance.length !== mean.length) {
    throw new ShapeError(`standardizedEuclidean: variance has ${variance.length} entries, mean has ${mean.length}`);
  }
  const d = x.cols;
  const inv = new Float64Array(d);
  for (let i = 0; i < d; i++) {
    const v = variance[i];
    if (!(v >= 0)) throw new InvalidArgumentError(`standardizedEuclidean: variance[${i}] is ${v}`);
    inv[i] = v > 0 ? 1 / v : 0;
  }
  const out = new Float64Array(x.rows);
  for (let r = 0; r < x.rows; r++) {
    let s = 0;
    for (let i = 0; i < d; i++) {
      const v = x.data[r * d + i] - mean[i];
      s += v * v * inv[i];
    }
    out[r] = Math.sqrt(s);
  }
  return out;
}

/** The distances of the base paper, by name (`distances.mahalanobis`, `distances.l2ToMean`, `distances.standardizedEuclidean`). */
export const distances = { mahalanobis, l2ToMean, standardizedEuclidean } as const;
