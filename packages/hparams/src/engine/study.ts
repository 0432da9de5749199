/**
 * Define-by-run studies, modelled on Optuna: a study asks its sampler for parameter values as the objective
 * suggests them, records reports, asks its pruner whether to stop, and keeps everything in a {@link StudyStorage}.
 */
import { AbortedError, InvalidArgumentError } from '@ft/core';
import {
  type CategoricalChoice,
  CategoricalDistribution,
  type Distribution,
  DistributionConflictError,
  distributionsEqual,
  FloatDistribution,
  IntDistribution,
  type ParamValue,
} from './distributions.js';
import { TPESampler } from './samplers/tpe.js';
import {
  type FrozenTrial,
  InMemoryStorage,
  isFinished,
  lastStep,
  type StudyDirection,
  type StudyStorage,
  type TrialState,
} from './storage.js';
import type { Pruner, StudyView, TrialSampler } from './types.js';
import {
  FAILED_TRIAL_ATTR,
  HEARTBEAT_ATTR,
  LEAKED_TENSORS_ATTR,
  lastHeartbeat,
  RETRY_HISTORY_ATTR,
  type ResolvedWorkerOptions,
  resolveWorkerOptions,
  retryHistory,
  TrialTensorLeakError,
  tensorCount,
  type WorkerOptions,
} from './workers.js';

const TRIAL_PRUNED = Symbol.for('@ft/hparams.TrialPruned');

/**
 * Throw it from an objective to end the trial as pruned (Optuna's `TrialPruned`).
 *
 * `instanceof` works across copies of `@ft/hparams` (an objective module that resolves its own copy, or ESM and CJS
 * builds in one process): the instance carries a `Symbol.for` brand, and `TrialPruned[Symbol.hasInstance]` tests it.
 */
export class TrialPruned extends Error {
  constructor(message = 'trial pruned') {
    super(message);
    this.name = 'TrialPruned';
    Object.defineProperty(this, TRIAL_PRUNED, { value: true });
  }

  static override [Symbol.hasInstance](value: unknown): boolean {
    return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[TRIAL_PRUNED] === true;
  }
}

/** A pruner that never prunes (Optuna's NopPruner), the default. */
export class NopPruner implements Pruner {
  prune(): boolean {
    return false;
  }
}

/** The system attribute holding an enqueued trial's fixed parameters (Optuna's name). */
const FIXED_PARAMS = 'fixed_params';
/** The system attribute holding why a trial failed (Optuna's name). */
const FAIL_REASON = 'fail_reason';

/** A running trial: the objective's handle for suggesting parameters and reporting progress. */
export class Trial {
  /** @internal */
  constructor(
    private readonly study: Study,
    /** Storage-wide id. */
    readonly trialId: number,
    /** 0-based number within the study. */
    readonly number: number,
    /** Joint values chosen by a multivariate sampler when the trial started. */
    private readonly relativeParams: Readonly<Record<string, ParamValue>> = {},
  ) {}

  private get storage(): StudyStorage {
    return this.study.storage;
  }

  /** The parameters suggested so far (external values). */
  get params(): Readonly<Record<string, ParamValue>> {
    return this.storage.getTrial(this.trialId).params;
  }

  /** The user attributes set so far. */
  get userAttrs(): Readonly<Record<string, unknown>> {
    return this.storage.getTrial(this.trialId).userAttrs;
  }

  /** A float in [low, high]; `log` samples log-uniformly, `step` restricts it to low + k·step. */
  suggestFloat(name: string, low: number, high: number, opts: { log?: boolean; step?: number } = {}): number {
    return this.suggest(name, new FloatDistribution(low, high, opts)) as number;
  }

  /** An integer in [low, high] on the grid low + k·step (`log` requires step 1). */
  suggestInt(name: string, low: number, high: number, opts: { log?: boolean; step?: number } = {}): number {
    return this.suggest(name, new IntDistribution(low, high, opts)) as number;
  }

  /** One of `choices` (null, boolean, number or string). */
  suggestCategorical<T extends CategoricalChoice>(name: string, choices: readonly T[]): T {
    return this.suggest(name, new CategoricalDistribution(choices)) as T;
  }

  private suggest(name: string, dist: Distribution): ParamValue {
    if (typeof name !== 'string' || name === '')
      throw new InvalidArgumentError('parameter name must be a non-empty string');
    const frozen = this.storage.getTrial(this.trialId);
    if (frozen.state !== 'running') {
      throw new InvalidArgumentError(
        `trial ${this.number} is ${frozen.state}; parameters can only be suggested while it runs`,
      );
    }
    const prev = frozen.distributions[name];
    if (prev) {
      if (!distributionsEqual(prev, dist)) {
        throw new DistributionConflictError(
          `parameter '${name}' was already suggested in trial ${this.number} with another distribution`,
          {
            name,
          },
        );
      }
      return frozen.params[name] as ParamValue;
    }
    const fixed = frozen.systemAttrs[FIXED_PARAMS] as Record<string, ParamValue> | undefined;
    let internal: number;
    if (fixed && Object.hasOwn(fixed, name)) {
      internal = dist.toInternalRepr(fixed[name] as ParamValue);
      if (!dist.contains(internal)) {
        throw new InvalidArgumentError(
          `enqueued value ${String(fixed[name])} of '${name}' is outside its distribution`,
          { name },
        );
      }
    } else if (dist.single()) {
      internal = dist.kind === 'categorical' ? 0 : dist.low;
    } else if (
      Object.hasOwn(this.relativeParams, name) &&
      containsExternal(dist, this.relativeParams[name] as ParamValue)
    ) {
      internal = dist.toInternalRepr(this.relativeParams[name] as ParamValue);
    } else {
      const v = this.study.sampler.sampleIndependent(this.study.view, frozen, name, dist);
      internal = dist.toInternalRepr(v);
    }
    this.storage.setTrialParam(this.trialId, name, internal, dist);
    return dist.toExternalRepr(internal);
  }

  /** Reports an intermediate objective value at `step` (a non-negative integer) for pruning. */
  report(value: number, step: number): void {
    if (typeof value !== 'number')
      throw new InvalidArgumentError(`report: value must be a number, got ${typeof value}`);
    if (!Number.isSafeInteger(step) || step < 0)
      throw new InvalidArgumentError(`report: step must be an integer >= 0, got ${step}`);
    const frozen = this.storage.getTrial(this.trialId);
    if (frozen.intermediateValues.has(step)) return; // Optuna ignores a second report at one step (with a warning).
    this.storage.setTrialIntermediateValue(this.trialId, step, value);
  }

  /** Whether the study's pruner says this trial should stop now. */
  shouldPrune(): boolean {
    return this.study.pruner.prune(this.study.view, this.storage.getTrial(this.trialId));
  }

  /** Stores a user attribute (a JSON-serialisable value). */
  setUserAttr(key: string, value: unknown): void {
    this.storage.setTrialUserAttr(this.trialId, key, value);
  }
}

function containsExternal(dist: Distribution, v: ParamValue): boolean {
  try {
    return dist.contains(dist.toInternalRepr(v));
  } catch {
    return false;
  }
}

/** Options of {@link createStudy}. */
export interface CreateStudyOptions extends WorkerOptions {
  /** Where trials are kept; default a new {@link InMemoryStorage}. */
  storage?: StudyStorage;
  /** Default `no-name-<n>`. */
  studyName?: string;
  direction?: StudyDirection;
  /** Default `new TPESampler({ seed })`. */
  sampler?: TrialSampler;
  /** Default {@link NopPruner}. */
  pruner?: Pruner;
  /** Seed of the default sampler (default 0). */
  seed?: number;
  /** Load the study if one with this name exists instead of throwing. */
  loadIfExists?: boolean;
}

/** Options of {@link Study.optimize}. */
export interface OptimizeOptions {
  /** Stop after this many trials (of this call). */
  nTrials?: number;
  /** Start no new trial after this many milliseconds. */
  timeoutMs?: number;
  /** Start no new trial once aborted; `optimize` then rejects with AbortedError. */
  signal?: AbortSignal;
}

/** What {@link Study.tell} accepts: a value, or a state (with an optional value for 'pruned'). */
export type TellResult = number | { state: 'complete' | 'pruned' | 'fail'; value?: number };

/** The objective: returns the value to minimise or maximise (or throws {@link TrialPruned}). */
export type Objective = (trial: Trial) => number | Promise<number>;

let unnamedCounter = 0;

/** A study: a set of trials optimising one objective in one direction. */
export class Study {
  /** @internal */
  readonly view: StudyView;
  private stopRequested = false;
  /** Heartbeat timers of this study's running trials, by trial id. */
  private readonly heartbeats = new Map<number, ReturnType<typeof setInterval>>();
  /** Heartbeats, retries and the tensor-leak check. */
  readonly workerOptions: ResolvedWorkerOptions;

  /** @internal */
  constructor(
    readonly storage: StudyStorage,
    readonly studyId: number,
    readonly studyName: string,
    readonly direction: StudyDirection,
    readonly sampler: TrialSampler,
    readonly pruner: Pruner,
    workerOptions: WorkerOptions = {},
  ) {
    this.workerOptions = resolveWorkerOptions(workerOptions, 'createStudy');
    this.view = {
      studyName,
      direction,
      pruner,
      getTrials: (states) => storage.getAllTrials(studyId, states),
      stop: () => this.stop(),
      setTrialSystemAttr: (trial, key, value) => storage.setTrialSystemAttr(trial.trialId, key, value),
    };
  }

  /** Every trial, by number. */
  get trials(): FrozenTrial[] {
    return this.storage.getAllTrials(this.studyId);
  }

  /** The best complete trial (lowest value when minimising). Throws InvalidArgumentError when none completed. */
  get bestTrial(): FrozenTrial {
    let best: FrozenTrial | null = null;
    for (const t of this.storage.getAllTrials(this.studyId, ['complete'])) {
      if (t.value === null || Number.isNaN(t.value)) continue;
      if (
        best === null ||
        (this.direction === 'minimize' ? t.value < (best.value as number) : t.value > (best.value as number))
      )
        best = t;
    }
    if (!best) throw new InvalidArgumentError(`study '${this.studyName}' has no complete trial yet`);
    return best;
  }

  get bestValue(): number {
    return this.bestTrial.value as number;
  }

  get bestParams(): Readonly<Record<string, ParamValue>> {
    return this.bestTrial.params;
  }

  /**
   * One flat row per trial with Optuna's `trials_dataframe()` columns: number, value, datetime_start,
   * datetime_complete (ISO strings or null), duration (ms or null), params_<name>, user_attrs_<key>, state
   * ('COMPLETE', 'PRUNED', …). A parameter or attribute a trial lacks is null.
   */
  trialsDataFrame(): Record<string, unknown>[] {
    const trials = this.trials;
    const params = [...new Set(trials.flatMap((t) => Object.keys(t.params)))].sort();
    const attrs = [...new Set(trials.flatMap((t) => Object.keys(t.userAttrs)))].sort();
    return trials.map((t) => {
      const row: Record<string, unknown> = {
        number: t.number,
        value: t.value,
        datetime_start: t.datetimeStart?.toISOString() ?? null,
        datetime_complete: t.datetimeComplete?.toISOString() ?? null,
        duration:
          t.datetimeStart && t.datetimeComplete ? t.datetimeComplete.getTime() - t.datetimeStart.getTime() : null,
      };
      for (const p of params) row[`params_${p}`] = Object.hasOwn(t.params, p) ? t.params[p] : null;
      for (const a of attrs) row[`user_attrs_${a}`] = Object.hasOwn(t.userAttrs, a) ? t.userAttrs[a] : null;
      row.state = t.state.toUpperCase();
      return row;
    });
  }

  /** Asks `optimize` to start no further trial. */
  stop(): void {
    this.stopRequested = true;
  }

  /** Adds a waiting trial whose parameters take `params` when suggested; `ask` runs waiting trials first. */
  async enqueueTrial(
    params: Record<string, ParamValue>,
    opts: { userAttrs?: Record<string, unknown> } = {},
  ): Promise<void> {
    for (const [k, v] of Object.entries(params)) {
      if (!(v === null || typeof v === 'boolean' || typeof v === 'number' || typeof v === 'string')) {
        throw new InvalidArgumentError(`enqueueTrial: value of '${k}' cannot be stored (${typeof v})`);
      }
    }
    await this.storage.createNewTrial(this.studyId, {
      state: 'waiting',
      systemAttrs: { [FIXED_PARAMS]: { ...params } },
      userAttrs: opts.userAttrs,
    });
  }

  /**
   * Fails the running trials whose heartbeat is older than the grace period (none without the `heartbeat` option),
   * and, with `retryFailedTrials`, enqueues each again with the same parameters. `ask` calls it first. The state
   * change is conditional: when several workers see the same stale trial, one fails it. Returns the numbers of the
   * trials this call failed.
   */
  async failStaleTrials(): Promise<number[]> {
    await this.storage.sync?.();
    const hb = this.workerOptions.heartbeat;
    if (!hb) return [];
    const failed: number[] = [];
    const now = Date.now();
    for (const t of this.storage.getAllTrials(this.studyId, ['running'])) {
      if (this.heartbeats.has(t.trialId)) continue; // this worker's own trial is alive
      const last = lastHeartbeat(t);
      if (last === null || now - last <= hb.gracePeriodMs) continue;
      try {
        if (!(await this.storage.setTrialStateValues(t.trialId, 'fail'))) continue;
      } catch (e) {
        if (e instanceof InvalidArgumentError) continue; // another worker finished it first
        throw e;
      }
      failed.push(t.number);
      if (this.workerOptions.retryFailedTrials > 0) await this.retry(this.storage.getTrial(t.trialId));
    }
    return failed;
  }

  /** Enqueues a failed trial again as Optuna's RetryFailedTrialCallback does, unless it ran out of retries. */
  private async retry(t: FrozenTrial): Promise<void> {
    const history = [...retryHistory(t), t.number];
    if (history.length > this.workerOptions.retryFailedTrials) return;
    const systemAttrs: Record<string, unknown> = { [FAILED_TRIAL_ATTR]: t.number, ...t.systemAttrs };
    delete systemAttrs[HEARTBEAT_ATTR];
    delete systemAttrs[FAIL_REASON];
    delete systemAttrs[LEAKED_TENSORS_ATTR];
    systemAttrs[RETRY_HISTORY_ATTR] = history;
    await this.storage.createNewTrial(this.studyId, {
      state: 'waiting',
      params: { ...t.params },
      distributions: { ...t.distributions },
      userAttrs: { ...t.userAttrs },
      systemAttrs,
    });
  }

  /**
   * Fails stale trials (see {@link failStaleTrials}), then claims the oldest waiting (enqueued or retried) trial and
   * starts it; null when none is waiting. Unlike `ask`, it never creates a trial: workers that drain a queue of
   * enqueued trials stop at exactly the queue's size.
   */
  async claimWaitingTrial(): Promise<Trial | null> {
    await this.failStaleTrials();
    const id = await this.claimWaiting();
    return id === null ? null : this.startTrial(id);
  }

  private async claimWaiting(): Promise<number | null> {
    for (const t of this.storage.getAllTrials(this.studyId, ['waiting'])) {
      if (await this.storage.setTrialStateValues(t.trialId, 'running')) return t.trialId;
    }
    return null;
  }

  /**
   * Starts a trial: the oldest waiting (enqueued) trial if any, else a new one. With `heartbeat`, it first fails
   * stale trials, and the new trial's heartbeat runs until `tell`.
   */
  async ask(): Promise<Trial> {
    await this.failStaleTrials();
    const trialId = (await this.claimWaiting()) ?? (await this.storage.createNewTrial(this.studyId));
    return this.startTrial(trialId);
  }

  private async startTrial(trialId: number): Promise<Trial> {
    await this.startHeartbeat(trialId);
    try {
      this.sampler.beforeTrial?.(this.view, this.storage.getTrial(trialId));
      const frozen = this.storage.getTrial(trialId);
      let relative: Record<string, ParamValue> = {};
      if (this.sampler.inferRelativeSearchSpace && this.sampler.sampleRelative) {
        const space = this.sampler.inferRelativeSearchSpace(this.view, frozen);
        if (Object.keys(space).length > 0) relative = this.sampler.sampleRelative(this.view, frozen, space);
      }
      return new Trial(this, trialId, frozen.number, relative);
    } catch (e) {
      this.stopHeartbeat(trialId);
      throw e;
    }
  }

  /** Writes the trial's first heartbeat (and waits until it reached the storage), then one every intervalMs. */
  private async startHeartbeat(trialId: number): Promise<void> {
    const hb = this.workerOptions.heartbeat;
    if (!hb) return;
    const beat = (): boolean => {
      try {
        if (this.storage.getTrial(trialId).state !== 'running') return false;
        this.storage.setTrialSystemAttr(trialId, HEARTBEAT_ATTR, Date.now());
        return true;
      } catch {
        return false; // finished meanwhile (by tell, or failed by another worker)
      }
    };
    beat();
    await this.storage.flush?.();
    const timer = setInterval(() => {
      if (!beat()) this.stopHeartbeat(trialId);
    }, hb.intervalMs);
    timer.unref?.();
    this.heartbeats.set(trialId, timer);
  }

  private stopHeartbeat(trialId: number): void {
    const timer = this.heartbeats.get(trialId);
    if (timer !== undefined) {
      clearInterval(timer);
      this.heartbeats.delete(trialId);
    }
  }

  /**
   * Finishes a trial. A number completes it (NaN fails it, as in Optuna); `{ state: 'pruned' }` stores the last
   * reported value as its value, as Optuna does.
   */
  async tell(trial: Trial | number, result: TellResult): Promise<FrozenTrial> {
    const trialId = typeof trial === 'number' ? this.trialIdOf(trial) : trial.trialId;
    this.stopHeartbeat(trialId);
    const frozen = this.storage.getTrial(trialId);
    if (isFinished(frozen.state))
      throw new InvalidArgumentError(`trial ${frozen.number} has already finished (${frozen.state})`);
    let state: TrialState;
    let value: number | null = null;
    if (typeof result === 'number') {
      if (Number.isNaN(result)) {
        state = 'fail';
        this.storage.setTrialSystemAttr(trialId, FAIL_REASON, 'the objective returned NaN');
      } else {
        state = 'complete';
        value = result;
      }
    } else if (result && (result.state === 'complete' || result.state === 'pruned' || result.state === 'fail')) {
      state = result.state;
      if (state === 'complete') {
        if (typeof result.value !== 'number' || Number.isNaN(result.value)) {
          throw new InvalidArgumentError('tell: a complete trial needs a numeric, non-NaN value');
        }
        value = result.value;
      } else if (state === 'pruned') {
        const s = lastStep(frozen);
        value = result.value ?? (s === null ? null : (frozen.intermediateValues.get(s) as number));
      }
    } else {
      throw new InvalidArgumentError(
        `tell: expected a number or { state: 'complete' | 'pruned' | 'fail' }, got ${String(result)}`,
      );
    }
    await this.storage.setTrialStateValues(trialId, state, value);
    await this.storage.flush?.();
    const done = this.storage.getTrial(trialId);
    this.sampler.afterTrial?.(this.view, done);
    return done;
  }

  private trialIdOf(number: number): number {
    const t = this.storage.getAllTrials(this.studyId).find((x) => x.number === number);
    if (!t) throw new InvalidArgumentError(`study '${this.studyName}' has no trial ${number}`);
    return t.trialId;
  }

  /**
   * Runs trials until `nTrials` ran, `timeoutMs` passed, the signal aborted or the sampler stopped the study. An
   * objective that throws or returns NaN fails its trial (the error message is kept in the `fail_reason` system
   * attribute) and the study goes on; {@link TrialPruned} ends the trial as pruned.
   */
  async optimize(objective: Objective, opts: OptimizeOptions = {}): Promise<void> {
    const { nTrials, timeoutMs, signal } = opts;
    if (typeof objective !== 'function') throw new InvalidArgumentError('optimize: objective must be a function');
    if (nTrials !== undefined && !(Number.isSafeInteger(nTrials) && nTrials >= 0)) {
      throw new InvalidArgumentError(`optimize: nTrials must be an integer >= 0, got ${nTrials}`);
    }
    if (timeoutMs !== undefined && !(timeoutMs >= 0))
      throw new InvalidArgumentError(`optimize: timeoutMs must be >= 0, got ${timeoutMs}`);
    this.stopRequested = false;
    const start = Date.now();
    for (let i = 0; nTrials === undefined || i < nTrials; i++) {
      if (signal?.aborted)
        throw new AbortedError(`study '${this.studyName}': optimize aborted`, undefined, { cause: signal.reason });
      if (this.stopRequested) break;
      if (timeoutMs !== undefined && Date.now() - start >= timeoutMs) break;
      const trial = await this.ask();
      let result: TellResult;
      const tensorsBefore = this.workerOptions.checkTensorLeaks === 'off' ? null : tensorCount();
      try {
        const v = await objective(trial);
        if (typeof v !== 'number') {
          this.noteOnTrial(trial.trialId, FAIL_REASON, `the objective returned ${typeof v}, not a number`);
          result = { state: 'fail' };
        } else {
          result = v;
        }
      } catch (err) {
        if (err instanceof TrialPruned) {
          result = { state: 'pruned' };
        } else {
          this.noteOnTrial(
            trial.trialId,
            FAIL_REASON,
            err instanceof Error ? `${err.name}: ${err.message}` : String(err),
          );
          result = { state: 'fail' };
        }
      }
      if (tensorsBefore !== null) result = this.checkLeak(trial, tensorsBefore, result);
      try {
        await this.tell(trial, result);
      } catch (e) {
        // A trial whose heartbeat came late may have been failed by another worker meanwhile: keep going.
        await this.storage.sync?.();
        if (!(e instanceof InvalidArgumentError) || !isFinished(this.storage.getTrial(trial.trialId).state)) throw e;
        process.emitWarning(`study '${this.studyName}': trial ${trial.number} was finished by another worker`, {
          code: 'FT_TRIAL_TAKEN',
        });
      }
    }
    this.stopRequested = false;
  }

  /** Sets a system attribute of a trial, unless another worker finished the trial meanwhile (then tell reports it). */
  private noteOnTrial(trialId: number, key: string, value: unknown): void {
    try {
      this.storage.setTrialSystemAttr(trialId, key, value);
    } catch (e) {
      if (!(e instanceof InvalidArgumentError) || !isFinished(this.storage.getTrial(trialId).state)) throw e;
    }
  }

  /** Compares the tensor count with the one before the trial; warns, or fails the trial, when it grew. */
  private checkLeak(trial: Trial, before: number, result: TellResult): TellResult {
    const after = tensorCount();
    if (after === null || after <= before) return result;
    const err = new TrialTensorLeakError(trial.number, before, after);
    this.noteOnTrial(trial.trialId, LEAKED_TENSORS_ATTR, after - before);
    if (this.workerOptions.checkTensorLeaks === 'error') {
      this.noteOnTrial(trial.trialId, FAIL_REASON, `${err.name}: ${err.message}`);
      return { state: 'fail' };
    }
    process.emitWarning(err.message, { code: 'FT_TENSOR_LEAK' });
    return result;
  }
}

/** Creates a study (or loads it with `loadIfExists`). */
export async function createStudy(opts: CreateStudyOptions = {}): Promise<Study> {
  const storage: StudyStorage = opts.storage ?? new InMemoryStorage();
  const direction = opts.direction ?? 'minimize';
  if (direction !== 'minimize' && direction !== 'maximize') {
    throw new InvalidArgumentError(`createStudy: direction must be 'minimize' or 'maximize', got ${String(direction)}`);
  }
  if (opts.seed !== undefined && !Number.isFinite(opts.seed))
    throw new InvalidArgumentError(`createStudy: seed must be finite, got ${opts.seed}`);
  const studyName = opts.studyName ?? `no-name-${unnamedCounter++}`;
  await storage.sync?.();
  const existing = await storage.getStudyIdFromName(studyName);
  if (existing !== null) {
    if (!opts.loadIfExists)
      throw new InvalidArgumentError(`createStudy: a study named '${studyName}' already exists (use loadIfExists)`);
    return loadStudy({ ...opts, storage, studyName });
  }
  resolveWorkerOptions(opts, 'createStudy');
  const studyId = await storage.createNewStudy(direction, studyName);
  const sampler = opts.sampler ?? new TPESampler({ seed: opts.seed ?? 0 });
  return new Study(storage, studyId, studyName, direction, sampler, opts.pruner ?? new NopPruner(), opts);
}

/** Opens an existing study of `storage`. */
export async function loadStudy(
  opts: {
    storage: StudyStorage;
    studyName: string;
    sampler?: TrialSampler;
    pruner?: Pruner;
    seed?: number;
  } & WorkerOptions,
): Promise<Study> {
  if (!opts?.storage) throw new InvalidArgumentError('loadStudy: storage is required');
  resolveWorkerOptions(opts, 'loadStudy');
  await opts.storage.sync?.();
  const studyId = await opts.storage.getStudyIdFromName(opts.studyName);
  if (studyId === null)
    throw new InvalidArgumentError(`loadStudy: no study named '${opts.studyName}'`, { studyName: opts.studyName });
  const direction = opts.storage.getStudyDirection(studyId);
  const sampler = opts.sampler ?? new TPESampler({ seed: opts.seed ?? 0 });
  return new Study(opts.storage, studyId, opts.studyName, direction, sampler, opts.pruner ?? new NopPruner(), opts);
}
