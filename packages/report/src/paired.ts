/**
 * Paired comparisons across seeds: arm A against arm B, each seed's runs matched, so that the seed-to-seed spread
 * that both arms share (label split, initialisation, batch order) cancels. Used by every benchmark's verdict.
 */
import { meanStd } from '@ft/core';

/** One run's value, keyed by its seed. */
export interface SeededValue {
  seed: number;
  value: number;
}

/** Result of {@link pairedGain}. */
export interface PairedGain {
  /** Mean over seeds of value(A) − value(B). */
  mean: number;
  /** Sample standard deviation of the differences (NaN for one seed). */
  std: number;
  /** Seeds present in both arms. */
  n: number;
  /** Seeds where A > B. */
  positive: number;
}

/**
 * The per-seed differences `a − b` (seeds present in both arms), summarised; null when no seed is shared.
 * @param a values of arm A.
 * @param b values of arm B.
 * @param scale multiplies each difference (e.g. 100 for percentage points). Default 1.
 */
export function pairedGain(a: readonly SeededValue[], b: readonly SeededValue[], scale = 1): PairedGain | null {
  const diffs = a.flatMap((ra) => {
    const rb = b.find((x) => x.seed === ra.seed);
    return rb ? [scale * (ra.value - rb.value)] : [];
  });
  if (diffs.length === 0) return null;
  const s = meanStd(diffs);
  return { mean: s.mean, std: s.std, n: s.n, positive: diffs.filter((d) => d > 0).length };
}

/** `+1.2 ± 0.8 (3/3 seeds up)`, or `–` for no pair. */
export function formatPairedGain(g: PairedGain | null, digits = 1): string {
  if (!g) return '–';
  const std = Number.isNaN(g.std) ? '–' : g.std.toFixed(digits);
  return `${g.mean >= 0 ? '+' : ''}${g.mean.toFixed(digits)} ± ${std} (${g.positive}/${g.n} seeds up)`;
}
