/**
 * "Slow start, fast decay", the learning-rate schedule of adversarial fine-tuning (Jeddi, Shafiee, Wong, "A Simple
 * Fine-tuning Is All You Need", CVPR-W 2021, arXiv 2012.13628), as a length-relative `ScheduleSpec` of @ft/core (a
 * shape in fractions of training that builds a per-step `Schedule` once the total number of optimizer steps T is
 * known). It is built from core's `piecewiseLinear` and `exponential`; the baselines (`piecewiseDecay`, `cyclicLr`,
 * `oneCycleLr`, `constantLr`, `fixedSchedule`) and `scheduleCurve` live in @ft/core.
 *
 * Only the name is verified in the paper; the shape is the project's resolution (spec adv-finetune.md §4), per
 * optimizer step t of T with warm-up fraction p:
 *   η(t) = η_start + (η_max − η_start) · t/(pT)                   for t ≤ pT        (slow start)
 *   η(t) = η_max + (η_end − η_max) · (t − pT)/((1−p)T)            for t > pT, linear (fast decay)
 *   η(t) = η_max · γ^{(t − pT)/((1−p)T)}                           for t > pT, exponential (γ = final ratio)
 * p and η_max are chosen on held-out robust accuracy (never on test); see the benchmark's results page.
 */
import { exponential, InvalidArgumentError, piecewiseLinear, type Schedule, type ScheduleSpec } from '@ft/core';
import { checkNonNegative, checkPositiveInt } from '@ft/core/internal';

/** Options of {@link slowStartFastDecay}. */
export interface SlowStartFastDecayOptions {
  /** Peak learning rate η_max. */
  peakLr: number;
  /** Warm-up fraction p ∈ (0, 1). [0.7] */
  warmFraction?: number;
  /** Decay shape after the peak. ['linear'] */
  decay?: 'linear' | 'exp';
  /** Exponential decay: lr at the end = γ·η_max (γ ∈ (0, 1)). [0.01] */
  gamma?: number;
  /** Learning rate at t = 0. [0] */
  startLr?: number;
  /** Linear decay: learning rate at t = T. [0] */
  endLr?: number;
}

/**
 * "Slow start, fast decay": linear warm-up from `startLr` to `peakLr` over the first p·T steps, then a fast linear
 * (to `endLr`) or exponential (to γ·peakLr) decay over the remaining (1−p)·T (formulas in the file header).
 * @param opts `{peakLr, warmFraction = 0.7, decay = 'linear', gamma = 0.01, startLr = 0, endLr = 0}`.
 */
export function slowStartFastDecay(opts: SlowStartFastDecayOptions): ScheduleSpec {
  const where = 'slowStartFastDecay';
  const peak = checkNonNegative(opts.peakLr, 'peakLr', where);
  const p = opts.warmFraction ?? 0.7;
  if (!(p > 0 && p < 1)) throw new InvalidArgumentError(`${where}: warmFraction must be in (0, 1), got ${p}`);
  const decay = opts.decay ?? 'linear';
  if (decay !== 'linear' && decay !== 'exp') {
    throw new InvalidArgumentError(`${where}: decay must be 'linear' or 'exp', got ${String(decay)}`);
  }
  const gamma = opts.gamma ?? 0.01;
  if (!(gamma > 0 && gamma < 1)) throw new InvalidArgumentError(`${where}: gamma must be in (0, 1), got ${gamma}`);
  const start = checkNonNegative(opts.startLr ?? 0, 'startLr', where);
  const end = checkNonNegative(opts.endLr ?? 0, 'endLr', where);
  return {
    name: `slow-start-fast-decay(p=${p}, ${decay === 'exp' ? `exp γ=${gamma}` : 'linear'})`,
    build(T: number): Schedule {
      checkPositiveInt(T, 'totalSteps', where);
      const W = p * T;
      if (decay === 'linear') {
        return piecewiseLinear([
          [0, start],
          [W, peak],
          [T, end],
        ]);
      }
      const warm = piecewiseLinear([
        [0, start],
        [W, peak],
      ]);
      const tail = exponential({ lr: peak, gamma, decaySteps: (1 - p) * T });
      return (t) => (t <= W ? warm(t) : tail(t - W));
    },
  };
}
