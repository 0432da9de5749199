/**
 * A {@link StudyStorage} on an Optuna journal (Optuna's `JournalStorage`): every storage operation appends the
 * matching journal operation, and the view is the replay of the log, so several processes (or several storages in one
 * process) can share a study through one journal file or one Redis database, and Optuna reads what it writes.
 *
 * - Each storage is one Optuna worker: its worker id is `<uuid4>-<thread id>`, as Optuna's
 *   `f"{uuid.uuid4()}-{threading.get_ident()}"`.
 * - Creating a study or a trial, and changing a trial's state, append the operation, wait until it reached the
 *   backend, then read the log: a new trial's id and number are those the replay gave the last trial this worker
 *   created (as Optuna's `JournalStorage.create_new_trial` learns them), and claiming a waiting trial reports whether
 *   this worker's RUNNING was the one the replay applied.
 * - The synchronous writes (params, intermediate values, attributes) are checked and applied to the view at once,
 *   and appended in the background in order; `flush()` waits for them, `sync()` flushes and then reads the
 *   operations other workers appended. Reading back its own operations, the storage skips those it already applied.
 */
import { randomUUID } from 'node:crypto';
import { threadId } from 'node:worker_threads';
import { InvalidArgumentError } from '@ft/core';
import {
  checkDistributionCompatibility,
  type Distribution,
  distributionFromJson,
  distributionToJson,
} from '../engine/distributions.js';
import type { FrozenTrial, StudyDirection, StudyStorage, TrialState, TrialTemplate } from '../engine/storage.js';
import { JournalFile, type JournalFileOptions } from './journal-file.js';
import {
  formatJournalDatetime,
  type JournalAttrValue,
  type JournalDistribution,
  type JournalOp,
  type JournalParam,
  type JournalTrialState,
  journalDistributionFromJson,
  journalDistributionToJson,
} from './journal-ops.js';
import { JournalRedis, type JournalRedisOptions } from './journal-redis.js';
import { JournalReplay, type JournalTrial } from './journal-replay.js';
import { parsePythonJson } from './python-json.js';

/** What a {@link JournalStorage} needs of a journal: append operations in order, read those not read yet. */
export interface JournalBackend {
  /** Appends operations, in order, atomically with respect to other writers. */
  append(ops: readonly JournalOp[]): Promise<unknown>;
  /** The operations appended since the last call (all of them on the first), in log order. */
  readNew(): Promise<JournalOp[]>;
  /** Releases the backend's resources (a Redis connection), when it has any. */
  close?(): Promise<void>;
}

/** Options of {@link JournalStorage}. */
export interface JournalStorageOptions {
  /** The worker id written in every operation (default `<uuid4>-<thread id>`, as Optuna). */
  readonly workerId?: string;
}

const TO_JOURNAL_STATE: Record<TrialState, JournalTrialState> = {
  running: 'RUNNING',
  complete: 'COMPLETE',
  pruned: 'PRUNED',
  fail: 'FAIL',
  waiting: 'WAITING',
};
const FROM_JOURNAL_STATE: Record<JournalTrialState, TrialState> = {
  RUNNING: 'running',
  COMPLETE: 'complete',
  PRUNED: 'pruned',
  FAIL: 'fail',
  WAITING: 'waiting',
};

function isFinished(s: JournalTrialState): boolean {
  return s === 'COMPLETE' || s === 'PRUNED' || s === 'FAIL';
}

/** An engine distribution in the journal's form (both are Optuna's `distribution_to_json`). */
export function engineToJournalDistribution(d: Distribution): JournalDistribution {
  return journalDistributionFromJson(JSON.stringify(distributionToJson(d)));
}

/** A journal distribution as an engine distribution. */
export function journalToEngineDistribution(d: JournalDistribution): Distribution {
  return distributionFromJson(
    parsePythonJson(journalDistributionToJson(d)) as { name: string; attributes: Record<string, unknown> },
  );
}

/** A journal datetime (local time, no zone, as Optuna writes it) as a Date. */
function parseDatetime(s: string | null): Date | null {
  if (s === null) return null;
  const d = new Date(s);
  return Number.isNaN(d.getTime()) ? null : d;
}

function defaultWorkerId(): string {
  // Optuna: f"{uuid.uuid4()}-{threading.get_ident()}"; worker_threads' threadId names the thread (0 on the main one).
  return `${randomUUID()}-${threadId}`;
}

interface Own {
  /** Already applied to the view when written (skip it when read back). */
  readonly applied: boolean;
}

/** A {@link StudyStorage} whose state is the replay of an Optuna journal (file or Redis). */
export class JournalStorage implements StudyStorage {
  /** This storage's Optuna worker id. */
  readonly workerId: string;
  /** The journal. */
  readonly backend: JournalBackend;
  private readonly replay = new JournalReplay();
  /** Operations waiting to be appended. */
  private pending: JournalOp[] = [];
  /** This worker's operations appended or pending and not yet read back, in order. */
  private readonly own: Own[] = [];
  private draining: Promise<void> | null = null;
  private writeError: unknown = null;
  /** Result of the last own operation applied when read back. */
  private lastOwnResult = true;
  private readonly frozen = new Map<number, FrozenTrial>();
  private readonly distCache = new Map<JournalDistribution, Distribution>();

  constructor(backend: JournalBackend, options: JournalStorageOptions = {}) {
    this.backend = backend;
    this.workerId = options.workerId ?? defaultWorkerId();
  }

  // ---- writing and reading the log ----

  private enqueue(op: JournalOp, applied: boolean): void {
    this.pending.push(op);
    this.own.push({ applied });
    if (!this.draining) this.draining = this.drain();
  }

  private async drain(): Promise<void> {
    let batch: JournalOp[] = [];
    try {
      while (this.pending.length > 0) {
        batch = this.pending;
        this.pending = [];
        await this.backend.append(batch);
      }
    } catch (e) {
      // The failed batch and what queued behind it will not be read back.
      this.writeError ??= e;
      this.own.splice(this.own.length - batch.length - this.pending.length);
      this.pending = [];
    } finally {
      this.draining = null;
    }
  }

  /** Resolves when every operation written so far has reached the backend; rethrows a failed write. */
  async flush(): Promise<void> {
    while (this.draining) await this.draining;
    if (this.writeError !== null) {
      const e = this.writeError;
      this.writeError = null;
      throw e;
    }
  }

  /** Flushes, then applies the operations appended to the journal since the last read. */
  async sync(): Promise<void> {
    await this.flush();
    for (const op of await this.backend.readNew()) {
      if (op.workerId === this.workerId && this.own.length > 0) {
        const mine = this.own.shift() as Own;
        if (mine.applied) {
          this.replay.opsRead++;
          continue;
        }
        this.lastOwnResult = this.applyToView(op);
      } else {
        this.applyToView(op);
      }
    }
  }

  private applyToView(op: JournalOp): boolean {
    const ok = this.replay.apply(op);
    if (ok) {
      if (op.op === 'createTrial') this.frozen.delete(this.replay.trials.length - 1);
      else if ('trialId' in op) this.frozen.delete(op.trialId);
    }
    return ok;
  }

  /** Applies this worker's operation to the view now and appends it in the background. */
  private writeNow(op: JournalOp): void {
    if (!this.applyToView(op)) {
      throw new InvalidArgumentError(`the journal refused ${op.op} (the trial or study no longer accepts it)`);
    }
    this.enqueue(op, true);
  }

  /** Appends this worker's operation, waits until it reached the journal, then reads the journal. */
  private async writeAndSync(op: JournalOp): Promise<boolean> {
    this.enqueue(op, false);
    await this.sync();
    return this.lastOwnResult;
  }

  /** Releases the backend (closes a Redis connection) after flushing. */
  async close(): Promise<void> {
    await this.flush();
    await this.backend.close?.();
  }

  // ---- studies ----

  async createNewStudy(direction: StudyDirection, studyName: string): Promise<number> {
    if (direction !== 'minimize' && direction !== 'maximize') {
      throw new InvalidArgumentError(`direction must be 'minimize' or 'maximize', got ${String(direction)}`);
    }
    await this.sync();
    if (this.replay.studyByName(studyName))
      throw new InvalidArgumentError(`a study named '${studyName}' already exists`, { studyName });
    const created = await this.writeAndSync({
      op: 'createStudy',
      workerId: this.workerId,
      studyName,
      directions: [direction === 'minimize' ? 'MINIMIZE' : 'MAXIMIZE'],
    });
    if (!created) throw new InvalidArgumentError(`a study named '${studyName}' already exists`, { studyName });
    return (this.replay.studyByName(studyName) as { studyId: number }).studyId;
  }

  async getStudyIdFromName(studyName: string): Promise<number | null> {
    return this.replay.studyByName(studyName)?.studyId ?? null;
  }

  private study(studyId: number) {
    const s = this.replay.studies.get(studyId);
    if (!s) throw new InvalidArgumentError(`no study with id ${studyId}`);
    return s;
  }

  getStudyDirection(studyId: number): StudyDirection {
    const d = this.study(studyId).directions;
    if (d.length !== 1) throw new InvalidArgumentError(`study ${studyId} is not single-objective`);
    return d[0] === 'MAXIMIZE' ? 'maximize' : 'minimize';
  }
  getStudyName(studyId: number): string {
    return this.study(studyId).name;
  }
  setStudyUserAttr(studyId: number, key: string, value: unknown): void {
    this.study(studyId);
    this.writeNow({ op: 'setStudyUserAttr', workerId: this.workerId, studyId, key, value: value as JournalAttrValue });
  }
  setStudySystemAttr(studyId: number, key: string, value: unknown): void {
    this.study(studyId);
    this.writeNow({
      op: 'setStudySystemAttr',
      workerId: this.workerId,
      studyId,
      key,
      value: value as JournalAttrValue,
    });
  }
  getStudyUserAttrs(studyId: number): Record<string, unknown> {
    return { ...this.study(studyId).userAttrs };
  }
  getStudySystemAttrs(studyId: number): Record<string, unknown> {
    return { ...this.study(studyId).systemAttrs };
  }

  // ---- trials ----

  /** The distribution an earlier trial of the study recorded for `name`, if any. */
  private studyDistribution(studyId: number, name: string): Distribution | undefined {
    for (const t of this.replay.trialsOf(studyId)) {
      const p = t.params[name];
      if (p) return this.engineDist(p.distribution);
    }
    return undefined;
  }

  async createNewTrial(studyId: number, template?: TrialTemplate): Promise<number> {
    await this.flush();
    this.study(studyId);
    const now = new Date();
    let op: JournalOp;
    if (template) {
      const state = TO_JOURNAL_STATE[template.state ?? 'running'];
      const params: Record<string, JournalParam> = {};
      const dists = template.distributions ?? {};
      for (const [name, v] of Object.entries(template.params ?? {})) {
        const d = dists[name];
        if (!d) throw new InvalidArgumentError(`template parameter '${name}' has no distribution`);
        const old = this.studyDistribution(studyId, name);
        if (old) checkDistributionCompatibility(name, old, d);
        params[name] = { internal: d.toInternalRepr(v), distribution: engineToJournalDistribution(d) };
      }
      const value = template.value ?? null;
      op = {
        op: 'createTrial',
        workerId: this.workerId,
        studyId,
        datetimeStart: state === 'WAITING' ? null : formatJournalDatetime(now),
        template: {
          state,
          values: value === null ? null : [value],
          datetimeComplete: isFinished(state) ? formatJournalDatetime(now) : null,
          params,
          userAttrs: { ...(template.userAttrs ?? {}) } as Record<string, JournalAttrValue>,
          systemAttrs: { ...(template.systemAttrs ?? {}) } as Record<string, JournalAttrValue>,
          intermediateValues: Object.fromEntries(template.intermediateValues ?? []),
        },
      };
    } else {
      op = { op: 'createTrial', workerId: this.workerId, studyId, datetimeStart: formatJournalDatetime(now) };
    }
    if (!(await this.writeAndSync(op))) throw new InvalidArgumentError(`no study with id ${studyId}`);
    const id = this.replay.lastTrialCreatedBy(this.workerId);
    if (id === undefined) throw new InvalidArgumentError('the journal did not record the new trial');
    return id;
  }

  private updatable(trialId: number): JournalTrial {
    const t = this.replay.trials[trialId];
    if (!t) throw new InvalidArgumentError(`no trial with id ${trialId}`);
    if (isFinished(t.state)) {
      const state = FROM_JOURNAL_STATE[t.state];
      throw new InvalidArgumentError(`trial ${t.number} has already finished (${state}) and cannot be updated`, {
        trial: t.number,
      });
    }
    return t;
  }

  setTrialParam(trialId: number, name: string, internalValue: number, distribution: Distribution): void {
    const t = this.updatable(trialId);
    const prev = t.params[name];
    if (prev) checkDistributionCompatibility(name, this.engineDist(prev.distribution), distribution);
    const old = this.studyDistribution(t.studyId, name);
    if (old) checkDistributionCompatibility(name, old, distribution);
    this.writeNow({
      op: 'setTrialParam',
      workerId: this.workerId,
      trialId,
      name,
      param: { internal: internalValue, distribution: engineToJournalDistribution(distribution) },
    });
  }

  async setTrialStateValues(trialId: number, state: TrialState, value?: number | null): Promise<boolean> {
    await this.sync();
    const t = this.updatable(trialId);
    if (state === 'running' && t.state !== 'WAITING') return false;
    const js = TO_JOURNAL_STATE[state];
    const now = formatJournalDatetime(new Date());
    const ok = await this.writeAndSync({
      op: 'setTrialStateValues',
      workerId: this.workerId,
      trialId,
      state: js,
      values: value === undefined || value === null ? null : [value],
      ...(js === 'RUNNING' ? { datetimeStart: now } : {}),
      ...(isFinished(js) ? { datetimeComplete: now } : {}),
    });
    if (!ok && state !== 'running') {
      throw new InvalidArgumentError(`trial ${t.number} could not be set to ${state} (another worker finished it)`);
    }
    return ok;
  }

  setTrialIntermediateValue(trialId: number, step: number, value: number): void {
    this.updatable(trialId);
    this.writeNow({ op: 'setTrialIntermediateValue', workerId: this.workerId, trialId, step, value });
  }
  setTrialUserAttr(trialId: number, key: string, value: unknown): void {
    this.updatable(trialId);
    this.writeNow({ op: 'setTrialUserAttr', workerId: this.workerId, trialId, key, value: value as JournalAttrValue });
  }
  setTrialSystemAttr(trialId: number, key: string, value: unknown): void {
    this.updatable(trialId);
    this.writeNow({
      op: 'setTrialSystemAttr',
      workerId: this.workerId,
      trialId,
      key,
      value: value as JournalAttrValue,
    });
  }

  private engineDist(d: JournalDistribution): Distribution {
    let e = this.distCache.get(d);
    if (!e) {
      e = journalToEngineDistribution(d);
      this.distCache.set(d, e);
    }
    return e;
  }

  private freeze(t: JournalTrial): FrozenTrial {
    const cached = this.frozen.get(t.trialId);
    if (cached) return cached;
    const params: Record<string, FrozenTrial['params'][string]> = {};
    const distributions: Record<string, Distribution> = {};
    for (const [name, p] of Object.entries(t.params)) {
      const d = this.engineDist(p.distribution);
      distributions[name] = d;
      params[name] = d.toExternalRepr(p.internal);
    }
    const f: FrozenTrial = Object.freeze({
      trialId: t.trialId,
      number: t.number,
      state: FROM_JOURNAL_STATE[t.state],
      value: t.values?.[0] ?? null,
      params: Object.freeze(params),
      distributions: Object.freeze(distributions),
      intermediateValues: new Map([...t.intermediateValues].sort((a, b) => a[0] - b[0])),
      userAttrs: Object.freeze({ ...t.userAttrs }),
      systemAttrs: Object.freeze({ ...t.systemAttrs }),
      datetimeStart: parseDatetime(t.datetimeStart),
      datetimeComplete: parseDatetime(t.datetimeComplete),
    });
    this.frozen.set(t.trialId, f);
    return f;
  }

  getTrial(trialId: number): FrozenTrial {
    const t = this.replay.trials[trialId];
    if (!t) throw new InvalidArgumentError(`no trial with id ${trialId}`);
    return this.freeze(t);
  }

  getAllTrials(studyId: number, states?: readonly TrialState[]): FrozenTrial[] {
    this.study(studyId);
    const ts = this.replay.trialsOf(studyId);
    const out: FrozenTrial[] = [];
    for (const t of ts) {
      if (states && !states.includes(FROM_JOURNAL_STATE[t.state])) continue;
      out.push(this.freeze(t));
    }
    return out;
  }
}

/** A {@link JournalStorage} on an Optuna journal file (Optuna's `JournalFileStorage`, same lock and format). */
export function journalFileStorage(
  path: string,
  options: JournalFileOptions & JournalStorageOptions = {},
): JournalStorage {
  return new JournalStorage(new JournalFile(path, options), options);
}

/** A {@link JournalStorage} on an Optuna journal in Redis (Optuna's `JournalRedisStorage`); `close()` disconnects. */
export function journalRedisStorage(
  url: string,
  options: JournalRedisOptions & JournalStorageOptions = {},
): JournalStorage {
  return new JournalStorage(new JournalRedis(url, options), options);
}
