/**
 * The continuous space a numeric distribution is sampled in (Optuna's `_SearchSpaceTransform` with step
 * transformation): log-scaled parameters live in log space; stepped and integer parameters are widened by half a
 * step on each side so each grid point owns an equal slice, and a sample is rounded back to the grid.
 */
import type { FloatDistribution, IntDistribution } from '../distributions.js';

/** Bounds of the sampling space of `d`. */
export function numericBounds(d: FloatDistribution | IntDistribution): [number, number] {
  if (d.log) {
    if (d.kind === 'int') return [Math.log(d.low - 0.5), Math.log(d.high + 0.5)];
    return [Math.log(d.low), Math.log(d.high)];
  }
  if (d.step !== null) return [d.low - 0.5 * d.step, d.high + 0.5 * d.step];
  return [d.low, d.high];
}

/** Maps a point of the sampling space back to an internal value of `d` (on its grid, within its bounds). */
export function fromSamplingSpace(d: FloatDistribution | IntDistribution, x: number): number {
  let v = d.log ? Math.exp(x) : x;
  if (d.kind === 'int') {
    v = d.log ? Math.round(v) : d.low + Math.round((v - d.low) / d.step) * d.step;
  } else if (d.step !== null) {
    v = d.low + Math.round((v - d.low) / d.step) * d.step;
  }
  return Math.min(Math.max(v, d.low), d.high);
}

/** Maps an internal value of `d` into its sampling space. */
export function toSamplingSpace(d: FloatDistribution | IntDistribution, v: number): number {
  return d.log ? Math.log(v) : v;
}
