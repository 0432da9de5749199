/**
 * Workers and failures: heartbeats of running trials, stale trials failed (and retried, as Optuna's
 * `RetryFailedTrialCallback`), and the tensor count each trial must leave as it found it.
 *
 * - The heartbeat is the system attribute {@link HEARTBEAT_ATTR} (`'ft:heartbeat'`): the writer's clock in
 *   milliseconds since the epoch, rewritten every `intervalMs` while the trial runs. Optuna's `JournalStorage` has no
 *   heartbeat (only its RDB storage has one, in a table of its own), so Python Optuna keeps the attribute as an
 *   ordinary system attribute and ignores it: a Python worker neither writes heartbeats nor fails stale trials.
 * - A trial is stale when it is running, has a heartbeat, and that heartbeat is older than the grace period on the
 *   reader's clock (workers on several machines need clocks synchronised well within the grace period).
 */
import { FtError, InvalidArgumentError } from '@ft/core';
import * as tf from '@tensorflow/tfjs-core';
import type { FrozenTrial } from './storage.js';

/** The trial system attribute holding the last heartbeat (ms since the epoch, the writer's clock). */
export const HEARTBEAT_ATTR = 'ft:heartbeat';
/** The system attribute of a retried trial holding the number of the trial first failed (Optuna's name). */
export const FAILED_TRIAL_ATTR = 'failed_trial';
/** The system attribute of a retried trial holding the numbers of every failed attempt, oldest first (Optuna's name). */
export const RETRY_HISTORY_ATTR = 'retry_history';
/** The system attribute recording how many tensors a trial leaked (set only when it leaked). */
export const LEAKED_TENSORS_ATTR = 'ft:leaked_tensors';

/**
 * Heartbeats of running trials (see {@link HEARTBEAT_ATTR}). Each heartbeat is one journal operation, so a journal
 * grows by one line per trial per interval: seconds to a minute suit long trials (Optuna's RDB users often take 60 s).
 * The heartbeat is written from a timer of the worker's event loop: an objective that blocks the loop (long synchronous
 * work) for longer than the grace period looks dead to the other workers; run such objectives with
 * {@link childProcessObjective}, whose parent stays free to beat.
 */
export interface HeartbeatOptions {
  /** How often a running trial rewrites its heartbeat, in ms. */
  readonly intervalMs: number;
  /**
   * How old a heartbeat may get before another worker fails the trial, in ms (default 2 × intervalMs, as Optuna).
   * Optuna beats from a thread of its own; here the timer shares the event loop with the objective, and a loaded
   * machine stretches every synchronous tfjs call: on a 2-core machine at load 7, 4 workers training in process saw
   * beats more than 2 s late. Give in-process training a grace of tens of seconds.
   */
  readonly gracePeriodMs?: number;
}

/** What to do when a trial leaves more tfjs tensors than it found: warn (the default), fail the trial, or nothing. */
export type TensorLeakCheck = 'warn' | 'error' | 'off';

/** Options shared by {@link createStudy} and {@link loadStudy} that concern workers and failures. */
export interface WorkerOptions {
  /**
   * Write a heartbeat while a trial runs (under `optimize`, or from `ask` until `tell`), and, before each `ask`, fail
   * running trials whose heartbeat is older than the grace period. Off by default.
   */
  heartbeat?: HeartbeatOptions;
  /**
   * Re-enqueue a trial failed as stale, with the same parameters, up to this many times (Optuna's
   * `RetryFailedTrialCallback(max_retry)`); the new waiting trial records `failed_trial` and `retry_history`.
   * Default: no retry. Needs `heartbeat`.
   */
  retryFailedTrials?: number;
  /**
   * Compare `tf.memory().numTensors` before and after each trial of `optimize`: `'warn'` (default) emits a Node
   * warning (code `FT_TENSOR_LEAK`) and records the count in the `ft:leaked_tensors` system attribute, `'error'` also
   * fails the trial with a {@link TrialTensorLeakError}, `'off'` skips the check. The count is process-wide, so run
   * one `optimize` at a time per process (or use {@link childProcessObjective}) for it to mean anything.
   */
  checkTensorLeaks?: TensorLeakCheck;
}

/** Validated worker options. */
export interface ResolvedWorkerOptions {
  readonly heartbeat: { readonly intervalMs: number; readonly gracePeriodMs: number } | null;
  readonly retryFailedTrials: number;
  readonly checkTensorLeaks: TensorLeakCheck;
}

/** Checks {@link WorkerOptions} and fills in the defaults. */
export function resolveWorkerOptions(opts: WorkerOptions, where: string): ResolvedWorkerOptions {
  let heartbeat: ResolvedWorkerOptions['heartbeat'] = null;
  if (opts.heartbeat !== undefined) {
    const { intervalMs, gracePeriodMs } = opts.heartbeat ?? {};
    if (typeof intervalMs !== 'number' || !Number.isFinite(intervalMs) || intervalMs <= 0)
      throw new InvalidArgumentError(`${where}: heartbeat.intervalMs must be a number > 0, got ${String(intervalMs)}`);
    const grace = gracePeriodMs ?? 2 * intervalMs;
    if (typeof grace !== 'number' || !Number.isFinite(grace) || grace < intervalMs)
      throw new InvalidArgumentError(
        `${where}: heartbeat.gracePeriodMs must be a number >= intervalMs (${intervalMs}), got ${String(grace)}`,
      );
    heartbeat = { intervalMs, gracePeriodMs: grace };
  }
  const retry = opts.retryFailedTrials ?? 0;
  if (!Number.isSafeInteger(retry) || retry < 0)
    throw new InvalidArgumentError(`${where}: retryFailedTrials must be an integer >= 0, got ${String(retry)}`);
  if (retry > 0 && heartbeat === null)
    throw new InvalidArgumentError(`${where}: retryFailedTrials retries trials failed by heartbeat; set heartbeat too`);
  const check = opts.checkTensorLeaks ?? 'warn';
  if (check !== 'warn' && check !== 'error' && check !== 'off')
    throw new InvalidArgumentError(`${where}: checkTensorLeaks must be 'warn', 'error' or 'off', got ${String(check)}`);
  return { heartbeat, retryFailedTrials: retry, checkTensorLeaks: check };
}

/** A trial left more tfjs tensors than it found (code `'TENSOR_LEAK'`); `details.leaked` is the count. */
export class TrialTensorLeakError extends FtError {
  constructor(
    readonly trial: number,
    readonly before: number,
    readonly after: number,
  ) {
    super(
      'TENSOR_LEAK',
      `trial ${trial} leaked ${after - before} tensor${after - before === 1 ? '' : 's'} (tf.memory().numTensors went from ${before} to ${after}); dispose them (tf.tidy, tensor.dispose()) or run the objective with childProcessObjective`,
      { trial, before, after, leaked: after - before },
    );
  }
}

/** The process's live tfjs tensor count (shared by every copy of tfjs-core), or null if tfjs cannot tell. */
export function tensorCount(): number | null {
  try {
    // The engine's own counter: unlike tf.memory(), it does not initialise a backend.
    const n = (tf.engine() as unknown as { state?: { numTensors?: unknown } }).state?.numTensors;
    return typeof n === 'number' ? n : null;
  } catch {
    return null;
  }
}

/** The number of the trial first failed, when `trial` is a retry of it (Optuna's `retried_trial_number`), else null. */
export function retriedTrialNumber(trial: FrozenTrial): number | null {
  const n = trial.systemAttrs[FAILED_TRIAL_ATTR];
  return typeof n === 'number' ? n : null;
}

/** The numbers of the failed attempts `trial` retries, oldest first (Optuna's `retry_history`); empty if none. */
export function retryHistory(trial: FrozenTrial): number[] {
  const h = trial.systemAttrs[RETRY_HISTORY_ATTR];
  return Array.isArray(h) ? h.filter((x): x is number => typeof x === 'number') : [];
}

/** The last heartbeat of a trial (ms since the epoch), or null when it has none. */
export function lastHeartbeat(trial: FrozenTrial): number | null {
  const h = trial.systemAttrs[HEARTBEAT_ATTR];
  return typeof h === 'number' && Number.isFinite(h) ? h : null;
}
