/**
 * Study storage: the operations of Optuna's `BaseStorage`, one method each, so that a journal-backed storage
 * (Optuna's JournalStorage op log, in a file or Redis) maps each method to one journal operation. Reads are served
 * from the storage's current view; `sync()` refreshes that view from a shared backend and `flush()` waits until every
 * write has reached it (both are no-ops in memory). Methods that must learn a backend-assigned id or win a race
 * (creating a study or trial, claiming a waiting trial) are async.
 */
import { InvalidArgumentError } from '@ft/core';
import { checkDistributionCompatibility, type Distribution, type ParamValue } from './distributions.js';

/** Optuna's trial states. */
export type TrialState = 'running' | 'complete' | 'pruned' | 'fail' | 'waiting';
/** Direction of a single-objective study. */
export type StudyDirection = 'minimize' | 'maximize';

/** A read-only snapshot of a trial (Optuna's FrozenTrial). */
export interface FrozenTrial {
  /** Storage-wide id. */
  readonly trialId: number;
  /** 0-based number within its study. */
  readonly number: number;
  readonly state: TrialState;
  /** The objective value (null until the trial finishes with one). */
  readonly value: number | null;
  /** External parameter values. */
  readonly params: Readonly<Record<string, ParamValue>>;
  readonly distributions: Readonly<Record<string, Distribution>>;
  /** Reported intermediate values by step. */
  readonly intermediateValues: ReadonlyMap<number, number>;
  readonly userAttrs: Readonly<Record<string, unknown>>;
  readonly systemAttrs: Readonly<Record<string, unknown>>;
  readonly datetimeStart: Date | null;
  readonly datetimeComplete: Date | null;
}

/** The largest reported step of a trial, or null. */
export function lastStep(t: FrozenTrial): number | null {
  let s: number | null = null;
  for (const k of t.intermediateValues.keys()) if (s === null || k > s) s = k;
  return s;
}

/** Fields a new trial may start from (Optuna's `template_trial`), e.g. a waiting trial with fixed params. */
export interface TrialTemplate {
  state?: TrialState;
  value?: number | null;
  params?: Record<string, ParamValue>;
  distributions?: Record<string, Distribution>;
  intermediateValues?: ReadonlyMap<number, number>;
  userAttrs?: Record<string, unknown>;
  systemAttrs?: Record<string, unknown>;
}

/** The storage operations of a study (Optuna's BaseStorage, single-objective). */
export interface StudyStorage {
  /** Creates a study and returns its id; throws if `studyName` exists. */
  createNewStudy(direction: StudyDirection, studyName: string): Promise<number>;
  /** The id of the study named `studyName`, or null. */
  getStudyIdFromName(studyName: string): Promise<number | null>;
  getStudyDirection(studyId: number): StudyDirection;
  getStudyName(studyId: number): string;
  setStudyUserAttr(studyId: number, key: string, value: unknown): void;
  setStudySystemAttr(studyId: number, key: string, value: unknown): void;
  getStudyUserAttrs(studyId: number): Record<string, unknown>;
  getStudySystemAttrs(studyId: number): Record<string, unknown>;
  /** Creates a trial (running, or from `template`) and returns its id. */
  createNewTrial(studyId: number, template?: TrialTemplate): Promise<number>;
  /** Stores a parameter by its internal value; checks compatibility with the study's earlier distributions. */
  setTrialParam(trialId: number, name: string, internalValue: number, distribution: Distribution): void;
  /**
   * Sets a trial's state (and value when finishing). Returns false when the trial was to be claimed
   * (state 'running') but is no longer waiting (another worker took it).
   */
  setTrialStateValues(trialId: number, state: TrialState, value?: number | null): Promise<boolean>;
  setTrialIntermediateValue(trialId: number, step: number, value: number): void;
  setTrialUserAttr(trialId: number, key: string, value: unknown): void;
  setTrialSystemAttr(trialId: number, key: string, value: unknown): void;
  getTrial(trialId: number): FrozenTrial;
  /** The study's trials by number, optionally only those in `states`. */
  getAllTrials(studyId: number, states?: readonly TrialState[]): FrozenTrial[];
  /** Refreshes the view from a shared backend (no-op in memory). */
  sync?(): Promise<void>;
  /** Resolves when every write has reached the backend (no-op in memory). */
  flush?(): Promise<void>;
}

interface MutableTrial {
  trialId: number;
  number: number;
  state: TrialState;
  value: number | null;
  params: Record<string, ParamValue>;
  distributions: Record<string, Distribution>;
  intermediateValues: Map<number, number>;
  userAttrs: Record<string, unknown>;
  systemAttrs: Record<string, unknown>;
  datetimeStart: Date | null;
  datetimeComplete: Date | null;
  frozen: FrozenTrial | null;
}

interface StudyRecord {
  studyId: number;
  name: string;
  direction: StudyDirection;
  userAttrs: Record<string, unknown>;
  systemAttrs: Record<string, unknown>;
  trials: MutableTrial[];
  paramDistributions: Map<string, Distribution>;
}

const FINISHED: ReadonlySet<TrialState> = new Set(['complete', 'pruned', 'fail']);

/** Whether a trial in `state` has finished (complete, pruned or fail). */
export function isFinished(state: TrialState): boolean {
  return FINISHED.has(state);
}

/** Study storage in process memory (Optuna's InMemoryStorage): fast, not shared, lost at exit. */
export class InMemoryStorage implements StudyStorage {
  private readonly studies = new Map<number, StudyRecord>();
  private readonly trials = new Map<number, { study: StudyRecord; trial: MutableTrial }>();
  private nextStudyId = 0;
  private nextTrialId = 0;

  async createNewStudy(direction: StudyDirection, studyName: string): Promise<number> {
    if (direction !== 'minimize' && direction !== 'maximize') {
      throw new InvalidArgumentError(`direction must be 'minimize' or 'maximize', got ${String(direction)}`);
    }
    for (const s of this.studies.values()) {
      if (s.name === studyName)
        throw new InvalidArgumentError(`a study named '${studyName}' already exists`, { studyName });
    }
    const studyId = this.nextStudyId++;
    this.studies.set(studyId, {
      studyId,
      name: studyName,
      direction,
      userAttrs: {},
      systemAttrs: {},
      trials: [],
      paramDistributions: new Map(),
    });
    return studyId;
  }

  async getStudyIdFromName(studyName: string): Promise<number | null> {
    for (const s of this.studies.values()) if (s.name === studyName) return s.studyId;
    return null;
  }

  private study(studyId: number): StudyRecord {
    const s = this.studies.get(studyId);
    if (!s) throw new InvalidArgumentError(`no study with id ${studyId}`);
    return s;
  }

  getStudyDirection(studyId: number): StudyDirection {
    return this.study(studyId).direction;
  }
  getStudyName(studyId: number): string {
    return this.study(studyId).name;
  }
  setStudyUserAttr(studyId: number, key: string, value: unknown): void {
    this.study(studyId).userAttrs[key] = value;
  }
  setStudySystemAttr(studyId: number, key: string, value: unknown): void {
    this.study(studyId).systemAttrs[key] = value;
  }
  getStudyUserAttrs(studyId: number): Record<string, unknown> {
    return { ...this.study(studyId).userAttrs };
  }
  getStudySystemAttrs(studyId: number): Record<string, unknown> {
    return { ...this.study(studyId).systemAttrs };
  }

  async createNewTrial(studyId: number, template?: TrialTemplate): Promise<number> {
    const study = this.study(studyId);
    const state = template?.state ?? 'running';
    const trialId = this.nextTrialId++;
    const now = new Date();
    const trial: MutableTrial = {
      trialId,
      number: study.trials.length,
      state,
      value: template?.value ?? null,
      params: {},
      distributions: {},
      intermediateValues: new Map(template?.intermediateValues ?? []),
      userAttrs: { ...(template?.userAttrs ?? {}) },
      systemAttrs: { ...(template?.systemAttrs ?? {}) },
      datetimeStart: state === 'waiting' ? null : now,
      datetimeComplete: isFinished(state) ? now : null,
      frozen: null,
    };
    const dists = template?.distributions ?? {};
    for (const [name, v] of Object.entries(template?.params ?? {})) {
      const d = dists[name];
      if (!d) throw new InvalidArgumentError(`template parameter '${name}' has no distribution`);
      this.checkParam(study, name, d);
      trial.distributions[name] = d;
      trial.params[name] = d.toExternalRepr(d.toInternalRepr(v));
    }
    study.trials.push(trial);
    this.trials.set(trialId, { study, trial });
    return trialId;
  }

  private checkParam(study: StudyRecord, name: string, d: Distribution): void {
    const old = study.paramDistributions.get(name);
    if (old) checkDistributionCompatibility(name, old, d);
    study.paramDistributions.set(name, d);
  }

  private entry(trialId: number): { study: StudyRecord; trial: MutableTrial } {
    const e = this.trials.get(trialId);
    if (!e) throw new InvalidArgumentError(`no trial with id ${trialId}`);
    return e;
  }

  private updatable(trialId: number): { study: StudyRecord; trial: MutableTrial } {
    const e = this.entry(trialId);
    if (isFinished(e.trial.state)) {
      throw new InvalidArgumentError(
        `trial ${e.trial.number} has already finished (${e.trial.state}) and cannot be updated`,
        {
          trial: e.trial.number,
        },
      );
    }
    e.trial.frozen = null;
    return e;
  }

  setTrialParam(trialId: number, name: string, internalValue: number, distribution: Distribution): void {
    const { study, trial } = this.updatable(trialId);
    const prev = trial.distributions[name];
    if (prev) checkDistributionCompatibility(name, prev, distribution);
    this.checkParam(study, name, distribution);
    trial.distributions[name] = distribution;
    trial.params[name] = distribution.toExternalRepr(internalValue);
  }

  async setTrialStateValues(trialId: number, state: TrialState, value?: number | null): Promise<boolean> {
    const { trial } = this.updatable(trialId);
    if (state === 'running' && trial.state !== 'waiting') return false;
    trial.state = state;
    if (value !== undefined) trial.value = value;
    if (state === 'running') trial.datetimeStart = new Date();
    if (isFinished(state)) trial.datetimeComplete = new Date();
    return true;
  }

  setTrialIntermediateValue(trialId: number, step: number, value: number): void {
    this.updatable(trialId).trial.intermediateValues.set(step, value);
  }
  setTrialUserAttr(trialId: number, key: string, value: unknown): void {
    this.updatable(trialId).trial.userAttrs[key] = value;
  }
  setTrialSystemAttr(trialId: number, key: string, value: unknown): void {
    this.updatable(trialId).trial.systemAttrs[key] = value;
  }

  getTrial(trialId: number): FrozenTrial {
    return freeze(this.entry(trialId).trial);
  }

  getAllTrials(studyId: number, states?: readonly TrialState[]): FrozenTrial[] {
    const ts = this.study(studyId).trials;
    return (states ? ts.filter((t) => states.includes(t.state)) : ts).map(freeze);
  }
}

function freeze(t: MutableTrial): FrozenTrial {
  if (t.frozen) return t.frozen;
  const f: FrozenTrial = Object.freeze({
    trialId: t.trialId,
    number: t.number,
    state: t.state,
    value: t.value,
    params: Object.freeze({ ...t.params }),
    distributions: Object.freeze({ ...t.distributions }),
    intermediateValues: new Map([...t.intermediateValues].sort((a, b) => a[0] - b[0])),
    userAttrs: Object.freeze({ ...t.userAttrs }),
    systemAttrs: Object.freeze({ ...t.systemAttrs }),
    datetimeStart: t.datetimeStart,
    datetimeComplete: t.datetimeComplete,
  });
  t.frozen = f;
  return f;
}
