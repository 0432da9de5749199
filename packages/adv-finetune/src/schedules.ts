/**
 * Learning-rate schedules for adversarial training and fine-tuning, as length-relative specs: a `ScheduleSpec`
 * knows its shape in fractions of training and builds a core `Schedule` (step ↦ lr) once the total number of
 * optimizer steps T is known. Every shape is built from @ft/core's schedules (`piecewiseLinear`, `exponential`,
 * `multiStep`, `cyclicTriangular`, `oneCycle`, `constant`); nothing here re-implements one.
 *
 * "Slow start, fast decay" (Jeddi, Shafiee, Wong, "A Simple Fine-tuning Is All You Need", CVPR-W 2021, arXiv
 * 2012.13628): only the name is verified; the shape is the project's resolution (spec adv-finetune.md §4), per
 * optimizer step t of T with warm-up fraction p:
 *   η(t) = η_start + (η_max − η_start) · t/(pT)                   for t ≤ pT        (slow start)
 *   η(t) = η_max + (η_end − η_max) · (t − pT)/((1−p)T)            for t > pT, linear (fast decay)
 *   η(t) = η_max · γ^{(t − pT)/((1−p)T)}                           for t > pT, exponential (γ = final ratio)
 * p and η_max are chosen on held-out robust accuracy (never on test); see the benchmark's results page.
 * Baselines [V: locuslab/robust_overfitting, locuslab/fast_adversarial]: piecewise (Madry/Rice: ÷10 at 50 %,
 * ÷100 at 75 %), one-cycle (linear 0 → η_max at 40 %, → 0 at the end), Wong's cyclic (triangle, half up / half
 * down), constant.
 */
import {
  constant,
  cyclicTriangular,
  exponential,
  InvalidArgumentError,
  multiStep,
  oneCycle,
  piecewiseLinear,
  type Schedule,
} from '@ft/core';

/** A schedule shape defined relative to the training length; `build(T)` gives the per-step schedule. */
export interface ScheduleSpec {
  /** Short name for tables, e.g. `'slow-start-fast-decay(p=0.7, linear)'`. */
  readonly name: string;
  /** The schedule for T optimizer steps (t = 0..T−1). */
  build(totalSteps: number): Schedule;
}

function checkLr(where: string, name: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) {
    throw new InvalidArgumentError(`${where}: ${name} must be a finite number >= 0, got ${String(v)}`);
  }
  return v;
}

function checkT(where: string, T: number): number {
  if (!Number.isInteger(T) || T < 1)
    throw new InvalidArgumentError(`${where}: totalSteps must be an integer >= 1, got ${T}`);
  return T;
}

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
  const peak = checkLr(where, 'peakLr', opts.peakLr);
  const p = opts.warmFraction ?? 0.7;
  if (!(p > 0 && p < 1)) throw new InvalidArgumentError(`${where}: warmFraction must be in (0, 1), got ${p}`);
  const decay = opts.decay ?? 'linear';
  if (decay !== 'linear' && decay !== 'exp') {
    throw new InvalidArgumentError(`${where}: decay must be 'linear' or 'exp', got ${String(decay)}`);
  }
  const gamma = opts.gamma ?? 0.01;
  if (!(gamma > 0 && gamma < 1)) throw new InvalidArgumentError(`${where}: gamma must be in (0, 1), got ${gamma}`);
  const start = checkLr(where, 'startLr', opts.startLr ?? 0);
  const end = checkLr(where, 'endLr', opts.endLr ?? 0);
  return {
    name: `slow-start-fast-decay(p=${p}, ${decay === 'exp' ? `exp γ=${gamma}` : 'linear'})`,
    build(T: number): Schedule {
      checkT(where, T);
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

/**
 * Piecewise constant decay (Madry et al. 2018; Rice et al., ICML 2020): η_max, ÷10 at 50 % and ÷100 at 75 % of
 * training (core `multiStep` with milestones ⌊0.5T⌋, ⌊0.75T⌋).
 * @param opts `{peakLr, milestones = [0.5, 0.75] (fractions), gamma = 0.1}`.
 */
export function piecewiseDecay(opts: { peakLr: number; milestones?: readonly number[]; gamma?: number }): ScheduleSpec {
  const where = 'piecewiseDecay';
  const peak = checkLr(where, 'peakLr', opts.peakLr);
  const fr = opts.milestones ?? [0.5, 0.75];
  if (!fr.every((f, i) => f > 0 && f < 1 && (i === 0 || f > fr[i - 1]))) {
    throw new InvalidArgumentError(`${where}: milestones must be increasing fractions in (0, 1), got [${fr}]`);
  }
  const gamma = opts.gamma ?? 0.1;
  return {
    name: `piecewise(÷${Math.round(1 / gamma)} at ${fr.map((f) => `${Math.round(f * 100)}%`).join(', ')})`,
    build(T: number): Schedule {
      checkT(where, T);
      const ms = fr.map((f) => Math.max(1, Math.floor(f * T)));
      const uniq = ms.filter((m, i) => i === 0 || m > ms[i - 1]);
      return multiStep({ lr: peak, milestones: uniq, gamma });
    },
  };
}

/**
 * Wong et al.'s cyclic schedule (ICLR 2020, "Fast is better than free"): one triangle, 0 → η_max at T/2 → 0 at T
 * (core `cyclicTriangular` with T).
 * @param opts `{peakLr}`.
 */
export function cyclicLr(opts: { peakLr: number }): ScheduleSpec {
  const peak = checkLr('cyclicLr', 'peakLr', opts.peakLr);
  return {
    name: 'cyclic',
    build: (T: number) => cyclicTriangular({ peakLr: peak, T: checkT('cyclicLr', T) }),
  };
}

/**
 * One-cycle / super-convergence (Smith & Topin 2018; the `superconverge` schedule of locuslab/robust_overfitting):
 * linear 0 → η_max at `peakAt`·T, then linear → 0 at T (core `oneCycle`).
 * @param opts `{peakLr, peakAt = 0.4}`.
 */
export function oneCycleLr(opts: { peakLr: number; peakAt?: number }): ScheduleSpec {
  const peak = checkLr('oneCycleLr', 'peakLr', opts.peakLr);
  const peakAt = opts.peakAt ?? 0.4;
  if (!(peakAt > 0 && peakAt < 1))
    throw new InvalidArgumentError(`oneCycleLr: peakAt must be in (0, 1), got ${peakAt}`);
  return {
    name: `one-cycle(peak at ${Math.round(peakAt * 100)}%)`,
    build: (T: number) => oneCycle({ peakLr: peak, T: checkT('oneCycleLr', T), peakAt }),
  };
}

/** Constant learning rate (core `constant`). */
export function constantLr(lr: number): ScheduleSpec {
  const v = checkLr('constantLr', 'lr', lr);
  return {
    name: 'constant',
    build: (T: number) => {
      checkT('constantLr', T);
      return constant(v);
    },
  };
}

/** A plain per-step schedule wrapped as a spec (ignores T). */
export function fixedSchedule(schedule: Schedule, name = 'custom'): ScheduleSpec {
  if (typeof schedule !== 'function') throw new InvalidArgumentError('fixedSchedule: schedule must be a function');
  return { name, build: () => schedule };
}

/**
 * The learning rate at `points` evenly spaced steps of a T-step run, for plots: `[{x: t/T, y: lr}]`.
 * @param spec the schedule; @param T total steps; @param points samples (default min(T, 200)).
 */
export function scheduleCurve(spec: ScheduleSpec, T: number, points = Math.min(T, 200)): { x: number; y: number }[] {
  const s = spec.build(T);
  const out: { x: number; y: number }[] = [];
  for (let i = 0; i < points; i++) {
    const t = Math.round((i * (T - 1)) / Math.max(1, points - 1));
    out.push({ x: t / T, y: s(t) });
  }
  return out;
}
