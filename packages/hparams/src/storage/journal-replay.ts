/**
 * Replays Optuna journal operations into studies and trials, with Optuna's rules
 * (`JournalStorageReplayResult.apply_logs`, 3.1–4.x):
 * - study ids count CREATE_STUDY records that created a study (a name already in use creates nothing); trial ids
 *   count every CREATE_TRIAL of an existing study, over all studies; a trial's number is its index in its study;
 * - an operation on a missing study or trial, or on a finished trial, changes nothing;
 * - a second RUNNING on a RUNNING trial changes nothing (the first worker to claim a WAITING trial wins);
 * - a param whose distribution is incompatible with the one an earlier trial of the study recorded for that name
 *   (another kind, another `log`, other categorical choices) changes nothing.
 *
 * Optuna raises for such operations when they come from the replaying worker itself; {@link JournalReplay.apply}
 * returns `false` instead, so a writer can tell that its operation lost.
 */
import {
  isFinishedState,
  type JournalAttrValue,
  type JournalDistribution,
  type JournalOp,
  type JournalParam,
  type JournalStudyDirection,
  type JournalTrialState,
} from './journal-ops.js';

/** A study, as replayed. */
export interface JournalStudy {
  readonly studyId: number;
  readonly name: string;
  readonly directions: readonly JournalStudyDirection[];
  readonly userAttrs: Record<string, JournalAttrValue>;
  readonly systemAttrs: Record<string, JournalAttrValue>;
  /** The study's trial ids, in trial-number order. */
  readonly trialIds: number[];
}

/** A trial, as replayed. */
export interface JournalTrial {
  readonly trialId: number;
  readonly studyId: number;
  /** 0, 1, 2, … per study, in log order. */
  readonly number: number;
  state: JournalTrialState;
  /** Params in the order they were set. */
  readonly params: Record<string, JournalParam>;
  values: readonly number[] | null;
  /** Reported values by step. */
  readonly intermediateValues: Map<number, number>;
  readonly userAttrs: Record<string, JournalAttrValue>;
  readonly systemAttrs: Record<string, JournalAttrValue>;
  datetimeStart: string | null;
  datetimeComplete: string | null;
  /** The worker whose CREATE_TRIAL made the trial. */
  readonly createdBy: string;
}

/** Optuna's `check_distribution_compatibility`, as a predicate. */
export function distributionsCompatible(a: JournalDistribution, b: JournalDistribution): boolean {
  if (a.kind !== b.kind) return false;
  if (a.kind === 'categorical' && b.kind === 'categorical') {
    return (
      a.choices.length === b.choices.length &&
      a.choices.every((c, i) => Object.is(c, b.choices[i]) || c === b.choices[i])
    );
  }
  return (a as { log: boolean }).log === (b as { log: boolean }).log;
}

/** The studies and trials of a journal, built by applying its operations in order. */
export class JournalReplay {
  /** Live studies by id (a deleted study is removed; its id is not reused). */
  readonly studies = new Map<number, JournalStudy>();
  /** Every trial by id (those of deleted studies included, as in Optuna). */
  readonly trials: JournalTrial[] = [];
  /** How many operations were applied (or ignored): the log number to read from next. */
  opsRead = 0;
  private nextStudyId = 0;
  private readonly lastTrialByWorker = new Map<string, number>();

  /** Applies one operation; returns false when Optuna's rules make it change nothing. */
  apply(op: JournalOp): boolean {
    this.opsRead++;
    switch (op.op) {
      case 'createStudy': {
        for (const s of this.studies.values()) if (s.name === op.studyName) return false;
        const studyId = this.nextStudyId++;
        this.studies.set(studyId, {
          studyId,
          name: op.studyName,
          directions: [...op.directions],
          userAttrs: {},
          systemAttrs: {},
          trialIds: [],
        });
        return true;
      }
      case 'deleteStudy':
        return this.studies.delete(op.studyId);
      case 'setStudyUserAttr':
      case 'setStudySystemAttr': {
        const s = this.studies.get(op.studyId);
        if (!s) return false;
        (op.op === 'setStudyUserAttr' ? s.userAttrs : s.systemAttrs)[op.key] = op.value;
        return true;
      }
      case 'createTrial': {
        const s = this.studies.get(op.studyId);
        if (!s) return false;
        const t = op.template;
        const trial: JournalTrial = {
          trialId: this.trials.length,
          studyId: s.studyId,
          number: s.trialIds.length,
          state: t?.state ?? 'RUNNING',
          params: t ? { ...t.params } : {},
          values: t?.values ? [...t.values] : null,
          intermediateValues: new Map(t ? Object.entries(t.intermediateValues).map(([k, v]) => [Number(k), v]) : []),
          userAttrs: t ? { ...t.userAttrs } : {},
          systemAttrs: t ? { ...t.systemAttrs } : {},
          datetimeStart: op.datetimeStart,
          datetimeComplete: t?.datetimeComplete ?? null,
          createdBy: op.workerId,
        };
        this.trials.push(trial);
        s.trialIds.push(trial.trialId);
        this.lastTrialByWorker.set(op.workerId, trial.trialId);
        return true;
      }
      default: {
        const trial = this.trials[op.trialId];
        if (!trial || isFinishedState(trial.state)) return false;
        switch (op.op) {
          case 'setTrialParam': {
            const s = this.studies.get(trial.studyId);
            for (const id of s?.trialIds ?? []) {
              const prev = (this.trials[id] as JournalTrial).params[op.name];
              if (prev) {
                if (!distributionsCompatible(prev.distribution, op.param.distribution)) return false;
                break;
              }
            }
            trial.params[op.name] = op.param;
            return true;
          }
          case 'setTrialStateValues':
            if (op.state === 'RUNNING' && trial.state === 'RUNNING') return false;
            if (op.state === 'RUNNING') trial.datetimeStart = op.datetimeStart ?? trial.datetimeStart;
            if (isFinishedState(op.state)) trial.datetimeComplete = op.datetimeComplete ?? trial.datetimeComplete;
            trial.state = op.state;
            if (op.values !== null) trial.values = [...op.values];
            return true;
          case 'setTrialIntermediateValue':
            trial.intermediateValues.set(op.step, op.value);
            return true;
          case 'setTrialUserAttr':
            trial.userAttrs[op.key] = op.value;
            return true;
          case 'setTrialSystemAttr':
            trial.systemAttrs[op.key] = op.value;
            return true;
        }
      }
    }
  }

  /** Applies operations in order. */
  applyAll(ops: Iterable<JournalOp>): void {
    for (const op of ops) this.apply(op);
  }

  /** The live study with this name, if any. */
  studyByName(name: string): JournalStudy | undefined {
    for (const s of this.studies.values()) if (s.name === name) return s;
    return undefined;
  }

  /** A study's trials in number order. */
  trialsOf(studyId: number): JournalTrial[] {
    return (this.studies.get(studyId)?.trialIds ?? []).map((id) => this.trials[id] as JournalTrial);
  }

  /** The id of the last trial this worker created, as Optuna's writer learns its own trial id. */
  lastTrialCreatedBy(workerId: string): number | undefined {
    return this.lastTrialByWorker.get(workerId);
  }

  /**
   * The best COMPLETE trial of a single-objective study, as `study.best_trial`: the smallest (MINIMIZE) or largest
   * (MAXIMIZE) value, the first in number order on ties; NaN values never win. Undefined when none is complete.
   */
  bestTrial(studyId: number): JournalTrial | undefined {
    const s = this.studies.get(studyId);
    if (s?.directions.length !== 1) return undefined;
    const sign = s.directions[0] === 'MAXIMIZE' ? -1 : 1;
    let best: JournalTrial | undefined;
    for (const t of this.trialsOf(studyId)) {
      const v = t.values?.[0];
      if (t.state !== 'COMPLETE' || v === undefined || Number.isNaN(v)) continue;
      if (best === undefined || sign * v < sign * (best.values?.[0] as number)) best = t;
    }
    return best;
  }
}
