/** Percentile and median pruning (Optuna's PercentilePruner and MedianPruner). */
import { InvalidArgumentError } from '@ft/core';
import { type FrozenTrial, lastStep, type StudyDirection } from '../storage.js';
import type { Pruner, StudyView } from '../types.js';

/** Options of {@link PercentilePruner} (Optuna's defaults). */
export interface PercentilePrunerOptions {
  /** No pruning until this many trials completed [5]. */
  nStartupTrials?: number;
  /** No pruning before this step [0]. */
  nWarmupSteps?: number;
  /** Prune only at the first report of each interval of this many steps after the warm-up [1]. */
  intervalSteps?: number;
  /** Completed trials that must have reported at the step for a comparison [1]. */
  nMinTrials?: number;
}

/** Linear-interpolation percentile of `values` (numpy's default), ignoring NaN; NaN when none is left. */
export function nanPercentile(values: readonly number[], q: number): number {
  const v = values.filter((x) => !Number.isNaN(x)).sort((a, b) => a - b);
  if (v.length === 0) return Number.NaN;
  const pos = (q / 100) * (v.length - 1);
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return (v[lo] as number) + ((v[hi] as number) - (v[lo] as number)) * (pos - lo);
}

/** Whether `step` is the first report at or after the latest pruning checkpoint (Optuna's interval rule). */
function isFirstInIntervalStep(
  step: number,
  steps: Iterable<number>,
  nWarmupSteps: number,
  intervalSteps: number,
): boolean {
  const nearestLower = Math.floor((step - nWarmupSteps) / intervalSteps) * intervalSteps + nWarmupSteps;
  let secondLast = -1;
  for (const s of steps) if (s > secondLast && s !== step) secondLast = s;
  return secondLast < nearestLower;
}

function bestIntermediate(t: FrozenTrial, direction: StudyDirection): number {
  let best = Number.NaN;
  for (const v of t.intermediateValues.values()) {
    if (Number.isNaN(v)) continue;
    if (Number.isNaN(best) || (direction === 'minimize' ? v < best : v > best)) best = v;
  }
  return best;
}

function checkCount(who: string, name: string, v: number, min: number): void {
  if (!Number.isSafeInteger(v) || v < min)
    throw new InvalidArgumentError(`${who}: ${name} must be an integer >= ${min}, got ${v}`);
}

/**
 * Prunes a trial whose best intermediate value so far is worse than the given percentile (of the best side: the
 * q-th for minimisation, the (100 − q)-th for maximisation) of the values completed trials reported at the same step.
 */
export class PercentilePruner implements Pruner {
  readonly percentile: number;
  readonly nStartupTrials: number;
  readonly nWarmupSteps: number;
  readonly intervalSteps: number;
  readonly nMinTrials: number;
  constructor(percentile: number, opts: PercentilePrunerOptions = {}, who = 'PercentilePruner') {
    if (!(percentile >= 0 && percentile <= 100))
      throw new InvalidArgumentError(`${who}: percentile must be in [0, 100], got ${percentile}`);
    this.percentile = percentile;
    this.nStartupTrials = opts.nStartupTrials ?? 5;
    this.nWarmupSteps = opts.nWarmupSteps ?? 0;
    this.intervalSteps = opts.intervalSteps ?? 1;
    this.nMinTrials = opts.nMinTrials ?? 1;
    checkCount(who, 'nStartupTrials', this.nStartupTrials, 0);
    checkCount(who, 'nWarmupSteps', this.nWarmupSteps, 0);
    checkCount(who, 'intervalSteps', this.intervalSteps, 1);
    checkCount(who, 'nMinTrials', this.nMinTrials, 1);
  }

  prune(study: StudyView, trial: FrozenTrial): boolean {
    const completed = study.getTrials(['complete']);
    if (completed.length === 0 || completed.length < this.nStartupTrials) return false;
    const step = lastStep(trial);
    if (step === null || step < this.nWarmupSteps) return false;
    if (!isFirstInIntervalStep(step, trial.intermediateValues.keys(), this.nWarmupSteps, this.intervalSteps))
      return false;
    const best = bestIntermediate(trial, study.direction);
    if (Number.isNaN(best)) return true;
    const atStep = completed
      .filter((t) => t.intermediateValues.has(step))
      .map((t) => t.intermediateValues.get(step) as number);
    if (atStep.length < this.nMinTrials) return false;
    const q = study.direction === 'maximize' ? 100 - this.percentile : this.percentile;
    const p = nanPercentile(atStep, q);
    if (Number.isNaN(p)) return false;
    return study.direction === 'maximize' ? best < p : best > p;
  }
}

/** Optuna's MedianPruner: {@link PercentilePruner} at 50 (defaults nStartupTrials 5, nWarmupSteps 0, intervalSteps 1). */
export class MedianPruner extends PercentilePruner {
  constructor(opts: PercentilePrunerOptions = {}) {
    super(50, opts, 'MedianPruner');
  }
}
