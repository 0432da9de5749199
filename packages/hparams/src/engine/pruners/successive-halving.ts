/** Asynchronous successive halving (ASHA, Li et al. 2020) and Hyperband, as Optuna implements them. */
import { InvalidArgumentError } from '@ft/core';
import { type FrozenTrial, lastStep, type StudyDirection } from '../storage.js';
import type { Pruner, StudyView } from '../types.js';

/** Options of {@link SuccessiveHalvingPruner} (Optuna's defaults). */
export interface SuccessiveHalvingOptions {
  /** Resource (step) of the first rung, or 'auto': max(⌊last step of the longest completed trial / 100⌋, 1) ['auto']. */
  minResource?: number | 'auto';
  /** η: a trial continues past a rung if it is in the top 1/η there [4]. */
  reductionFactor?: number;
  /** s: rung k sits at minResource·η^(s+k) [0]. */
  minEarlyStoppingRate?: number;
  /** Trials that must have reached a rung before its comparison can promote anyone [0]. */
  bootstrapCount?: number;
}

const RUNG_PREFIX = 'completed_rung_';

function currentRung(t: FrozenTrial): number {
  let n = 0;
  for (const k of Object.keys(t.systemAttrs)) if (k.startsWith(RUNG_PREFIX)) n++;
  return n;
}

/** max(⌊longest completed trial's last step / 100⌋, 1), or null without completed trials (Optuna's estimate). */
export function estimateMinResource(trials: readonly FrozenTrial[]): number | null {
  let m: number | null = null;
  for (const t of trials) {
    if (t.state !== 'complete') continue;
    const s = lastStep(t);
    if (s !== null && (m === null || s > m)) m = s;
  }
  return m === null ? null : Math.max(Math.floor(m / 100), 1);
}

function promotable(value: number, competing: number[], reductionFactor: number, direction: StudyDirection): boolean {
  let idx = Math.floor(competing.length / reductionFactor) - 1;
  if (idx === -1) idx = 0;
  const sorted = [...competing].sort((a, b) => a - b);
  if (direction === 'maximize') return value >= (sorted[sorted.length - 1 - idx] as number);
  return value <= (sorted[idx] as number);
}

function checkInt(who: string, name: string, v: number, min: number): void {
  if (!Number.isSafeInteger(v) || v < min)
    throw new InvalidArgumentError(`${who}: ${name} must be an integer >= ${min}, got ${v}`);
}

/**
 * Asynchronous successive halving. When a trial's last step reaches its next rung's resource, its value there is
 * recorded in the system attribute `completed_rung_<k>`, and it continues only if it is within the top
 * ⌊n/η⌋ (at least the best) of the n values recorded at that rung so far, itself included; it never waits.
 */
export class SuccessiveHalvingPruner implements Pruner {
  private minResource: number | null;
  readonly reductionFactor: number;
  readonly minEarlyStoppingRate: number;
  readonly bootstrapCount: number;
  constructor(opts: SuccessiveHalvingOptions = {}) {
    const who = 'SuccessiveHalvingPruner';
    const mr = opts.minResource ?? 'auto';
    if (mr !== 'auto') checkInt(who, 'minResource', mr, 1);
    this.minResource = mr === 'auto' ? null : mr;
    this.reductionFactor = opts.reductionFactor ?? 4;
    this.minEarlyStoppingRate = opts.minEarlyStoppingRate ?? 0;
    this.bootstrapCount = opts.bootstrapCount ?? 0;
    checkInt(who, 'reductionFactor', this.reductionFactor, 2);
    checkInt(who, 'minEarlyStoppingRate', this.minEarlyStoppingRate, 0);
    checkInt(who, 'bootstrapCount', this.bootstrapCount, 0);
    if (this.bootstrapCount > 0 && mr === 'auto') {
      throw new InvalidArgumentError(`${who}: bootstrapCount > 0 needs an explicit minResource`);
    }
  }

  /** The first rung's resource (null while 'auto' has nothing to estimate from). */
  get resolvedMinResource(): number | null {
    return this.minResource;
  }

  prune(study: StudyView, trial: FrozenTrial): boolean {
    const step = lastStep(trial);
    if (step === null) return false;
    let rung = currentRung(trial);
    const value = trial.intermediateValues.get(step) as number;
    let trials: FrozenTrial[] | null = null;
    for (;;) {
      if (this.minResource === null) {
        trials ??= study.getTrials();
        this.minResource = estimateMinResource(trials);
        if (this.minResource === null) return false;
      }
      const promotionStep = this.minResource * this.reductionFactor ** (this.minEarlyStoppingRate + rung);
      if (step < promotionStep) return false;
      if (Number.isNaN(value)) return true;
      trials ??= study.getTrials();
      const key = `${RUNG_PREFIX}${rung}`;
      study.setTrialSystemAttr(trial, key, value);
      const competing: number[] = [];
      for (const t of trials) {
        if (t.number === trial.number) continue;
        const v = t.systemAttrs[key];
        if (typeof v === 'number') competing.push(v);
      }
      competing.push(value);
      if (competing.length <= this.bootstrapCount) return true;
      if (!promotable(value, competing, this.reductionFactor, study.direction)) return true;
      rung++;
    }
  }
}

/** CRC-32 (IEEE), as Python's binascii.crc32, used to assign trials to Hyperband brackets as Optuna does. */
export function crc32(text: string): number {
  const bytes = new TextEncoder().encode(text);
  let c = 0xffffffff;
  for (const b of bytes) {
    c ^= b;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0xedb88320 : c >>> 1;
  }
  return (c ^ 0xffffffff) >>> 0;
}

/** Options of {@link HyperbandPruner} (Optuna's defaults). */
export interface HyperbandOptions {
  /** [1] */
  minResource?: number;
  /** Resource of a complete trial, or 'auto': the longest completed trial's last step + 1 ['auto']. */
  maxResource?: number | 'auto';
  /** [3] */
  reductionFactor?: number;
  /** [0] */
  bootstrapCount?: number;
}

/**
 * Hyperband: ⌊log_η(maxResource/minResource)⌋ + 1 brackets of successive halving with minEarlyStoppingRate 0, 1, …;
 * trial n goes to a bracket by crc32(`${studyName}_${n}`) modulo the total budget, bracket i having budget
 * ⌈B·η^(B−1−i)/(B−i)⌉ for B brackets, and is compared only with trials of its bracket.
 */
export class HyperbandPruner implements Pruner {
  readonly minResource: number;
  private maxResource: number | null;
  readonly reductionFactor: number;
  readonly bootstrapCount: number;
  private brackets: SuccessiveHalvingPruner[] = [];
  private budgets: number[] = [];

  constructor(opts: HyperbandOptions = {}) {
    const who = 'HyperbandPruner';
    this.minResource = opts.minResource ?? 1;
    const mr = opts.maxResource ?? 'auto';
    this.reductionFactor = opts.reductionFactor ?? 3;
    this.bootstrapCount = opts.bootstrapCount ?? 0;
    checkInt(who, 'minResource', this.minResource, 1);
    checkInt(who, 'reductionFactor', this.reductionFactor, 2);
    checkInt(who, 'bootstrapCount', this.bootstrapCount, 0);
    if (mr !== 'auto') {
      checkInt(who, 'maxResource', mr, 1);
      if (mr < this.minResource)
        throw new InvalidArgumentError(`${who}: maxResource (${mr}) must be >= minResource (${this.minResource})`);
    }
    this.maxResource = mr === 'auto' ? null : mr;
    if (this.maxResource !== null) this.init();
  }

  private init(): void {
    // ⌊log_η(max/min)⌋ + 1 counted exactly. Optuna computes it with Python's float math.log, which falls just below
    // an integer for some exact powers (math.log(243, 3) = 4.999…, math.log(1000, 10) = 2.999…) and then has one
    // bracket fewer; V8's Math.log differs from glibc's in the last bit, so the float formula could not match it.
    let n = 1;
    for (let r = this.minResource * this.reductionFactor; r <= (this.maxResource as number); r *= this.reductionFactor)
      n++;
    this.brackets = [];
    this.budgets = [];
    for (let i = 0; i < n; i++) {
      const s = n - 1 - i;
      this.budgets.push(Math.ceil((n * this.reductionFactor ** s) / (s + 1)));
      this.brackets.push(
        new SuccessiveHalvingPruner({
          minResource: this.minResource,
          reductionFactor: this.reductionFactor,
          minEarlyStoppingRate: i,
          bootstrapCount: this.bootstrapCount,
        }),
      );
    }
  }

  /** Number of brackets (0 until 'auto' can be resolved). */
  get nBrackets(): number {
    return this.brackets.length;
  }

  /** The bracket of trial `number` in study `studyName`. */
  bracketOf(studyName: string, number: number): number {
    if (this.brackets.length === 0) return 0;
    const total = this.budgets.reduce((a, b) => a + b, 0);
    let n = crc32(`${studyName}_${number}`) % total;
    for (let i = 0; i < this.budgets.length; i++) {
      n -= this.budgets[i] as number;
      if (n < 0) return i;
    }
    return this.budgets.length - 1;
  }

  /**
   * `study` seen from the bracket of `trial`: only that bracket's trials (itself when brackets are not known yet).
   * Samplers use it so that a bracket's trials are compared with each other only.
   */
  bracketView(study: StudyView, trial: FrozenTrial): StudyView {
    const b = this.bracketOf(study.studyName, trial.number);
    return {
      studyName: study.studyName,
      direction: study.direction,
      pruner: study.pruner,
      getTrials: (states) => study.getTrials(states).filter((t) => this.bracketOf(study.studyName, t.number) === b),
      stop: () => study.stop(),
      setTrialSystemAttr: (t, k, v) => study.setTrialSystemAttr(t, k, v),
    };
  }

  prune(study: StudyView, trial: FrozenTrial): boolean {
    if (this.maxResource === null) {
      let m: number | null = null;
      for (const t of study.getTrials(['complete'])) {
        const s = lastStep(t);
        if (s !== null && (m === null || s > m)) m = s;
      }
      if (m === null) return false;
      this.maxResource = Math.max(m + 1, this.minResource);
      this.init();
    }
    const b = this.bracketOf(study.studyName, trial.number);
    return (this.brackets[b] as SuccessiveHalvingPruner).prune(this.bracketView(study, trial), trial);
  }
}
