/**
 * Summary statistics over seeds/runs: mean, sample standard deviation (ddof = 1, as `np.std(ddof=1)` and most
 * papers' "mean ± std over seeds"), standard error of the mean and median. Values must be finite: a diverged run
 * should be filtered (and reported) by the caller, not silently averaged.
 */

import { InvalidArgumentError } from '../errors.js';
import { checkNonEmpty, type NumericInput, toFloat64 } from './input.js';

/** Result of {@link meanStd}. */
export interface MeanStd {
  /** Arithmetic mean. */
  mean: number;
  /** Sample standard deviation √(Σ(xᵢ − x̄)² / (n − 1)); `NaN` when n = 1. */
  std: number;
  /** Number of values. */
  n: number;
}

function readValues(values: NumericInput): Float64Array {
  const v = toFloat64(values, 'values');
  checkNonEmpty(v, 'values');
  for (let i = 0; i < v.length; i++) {
    if (!Number.isFinite(v[i])) {
      throw new InvalidArgumentError(`values[${i}] is ${v[i]}; summary statistics need finite values`, {
        parameter: 'values',
        index: i,
      });
    }
  }
  return v;
}

/**
 * Mean and sample standard deviation (ddof = 1, two-pass). Throws `InvalidArgumentError` on empty input or
 * non-finite values.
 */
export function meanStd(values: NumericInput): MeanStd {
  const v = readValues(values);
  const n = v.length;
  let sum = 0;
  for (let i = 0; i < n; i++) sum += v[i];
  const mean = sum / n;
  if (n === 1) return { mean, std: Number.NaN, n };
  let ss = 0;
  let comp = 0;
  for (let i = 0; i < n; i++) {
    const d = v[i] - mean;
    ss += d * d;
    comp += d;
  }
  // Corrected two-pass formula (Chan, Golub & LeVeque): removes the rounding error of the mean.
  const variance = (ss - (comp * comp) / n) / (n - 1);
  return { mean, std: Math.sqrt(Math.max(variance, 0)), n };
}

/** Standard error of the mean: std(ddof = 1) / √n; `NaN` when n = 1. */
export function sem(values: NumericInput): number {
  const { std, n } = meanStd(values);
  return std / Math.sqrt(n);
}

/** Median (mean of the two middle values for even n). */
export function median(values: NumericInput): number {
  const v = readValues(values).sort();
  const m = v.length >> 1;
  return v.length % 2 === 1 ? v[m] : (v[m - 1] + v[m]) / 2;
}
