/**
 * Child-process objectives: each trial runs in a fresh Node process, so whatever the objective leaks (tensors, native
 * memory, timers, globals) dies with it, and a crash fails that trial only.
 *
 * The parent spawns `process.execPath` with an inline runner (`-e`, nothing to resolve on disk) and an IPC channel.
 * The runner imports the user's module and calls its export with a proxy trial whose methods are calls over the
 * channel to the parent's real {@link Trial}: samplers, pruners and storage run in the parent, unchanged, and the
 * objective stays define-by-run. Those calls are asynchronous: in a child, `suggestFloat`, `suggestInt`,
 * `suggestCategorical`, `report`, `shouldPrune` and `setUserAttr` return Promises. `await` them; an objective written
 * with `await trial.suggestFloat(…)` runs unchanged in process too, since `await` of a plain value is that value.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { resolve as resolvePath } from 'node:path';
import { pathToFileURL } from 'node:url';
import { AbortedError, FtError, InvalidArgumentError } from '@ft/core';
import type { Trial } from './study.js';
import { TrialPruned } from './study.js';

/** A trial's child process crashed, exited, was killed or threw (code `'TRIAL_CHILD_FAILED'`). */
export class ChildTrialError extends FtError {
  constructor(message: string, details?: Record<string, unknown>, options?: { cause?: unknown }) {
    super('TRIAL_CHILD_FAILED', message, details, options);
  }
}

/** Options of {@link childProcessObjective}. */
export interface ChildProcessObjectiveOptions {
  /** The module's export to call (default `'default'`). */
  readonly exportName?: string;
  /** Node flags of the child (default none; the parent's are not inherited). */
  readonly execArgv?: readonly string[];
  /** The child's environment (default the parent's). */
  readonly env?: NodeJS.ProcessEnv;
  /** The child's working directory (default the parent's). */
  readonly cwd?: string;
  /**
   * Kill the child (SIGKILL) and reject with AbortedError when this aborts. `optimize`'s own signal only stops new
   * trials: pass the same signal here to end the running one too.
   */
  readonly signal?: AbortSignal;
  /** Kill a trial's child after this many ms and fail the trial (default: no limit). */
  readonly timeoutMs?: number;
  /** Copy the child's stderr to this process's stderr as it comes (default true); its tail is kept either way. */
  readonly forwardStderr?: boolean;
  /** How much of the child's stderr a {@link ChildTrialError} quotes, in characters (default 4000). */
  readonly stderrTailChars?: number;
}

/** The trial methods a child may call. */
const METHODS = new Set(['suggestFloat', 'suggestInt', 'suggestCategorical', 'report', 'shouldPrune', 'setUserAttr']);

/**
 * The child's side, run with `node -e`: waits for the start message, imports the module, runs its export with the
 * proxy trial, sends the result or the error, and stays until the parent kills it.
 */
const RUNNER = `'use strict';
let seq = 0;
const pending = new Map();
const send = (m) => { try { process.send(m); } catch { process.exit(70); } };
const describe = (e) => e instanceof Error
  ? { name: e.name, message: e.message, stack: e.stack }
  : { name: 'Error', message: String(e), stack: undefined };
const fail = (e) => { send({ type: 'error', error: describe(e) }); };
process.on('disconnect', () => process.exit(71));
process.on('uncaughtException', (e) => { fail(e); });
process.on('unhandledRejection', (e) => { fail(e); });
process.on('message', async (m) => {
  if (m.type === 'result') {
    const p = pending.get(m.id);
    if (!p) return;
    pending.delete(m.id);
    if (m.ok) p.resolve(m.value);
    else p.reject(Object.assign(new Error(m.error.message), { name: m.error.name }));
    return;
  }
  if (m.type !== 'start') return;
  const call = (method, args) => new Promise((resolve, reject) => {
    const id = seq++;
    pending.set(id, { resolve, reject });
    send({ type: 'call', id, method, args });
  });
  const params = { ...m.trial.params };
  const trial = {
    number: m.trial.number,
    trialId: m.trial.trialId,
    get params() { return { ...params }; },
    suggestFloat: async (name, low, high, opts) => (params[name] = await call('suggestFloat', [name, low, high, opts])),
    suggestInt: async (name, low, high, opts) => (params[name] = await call('suggestInt', [name, low, high, opts])),
    suggestCategorical: async (name, choices) => (params[name] = await call('suggestCategorical', [name, choices])),
    report: (value, step) => call('report', [value, step]),
    shouldPrune: () => call('shouldPrune', []),
    setUserAttr: (key, value) => call('setUserAttr', [key, value]),
  };
  try {
    const mod = await import(m.url);
    const fn = mod[m.exportName];
    if (typeof fn !== 'function') {
      throw Object.assign(new Error(m.url + ' has no function export ' + JSON.stringify(m.exportName)), { name: 'ObjectiveModuleError' });
    }
    const value = await fn(trial);
    send({ type: 'done', value });
  } catch (e) {
    fail(e);
  }
});
send({ type: 'ready' });
`;

interface ChildMessage {
  type: 'ready' | 'call' | 'done' | 'error';
  id?: number;
  method?: string;
  args?: unknown[];
  value?: unknown;
  error?: { name: string; message: string; stack?: string };
}

/**
 * An objective that runs each trial in a fresh Node child process. `modulePath` (a path or a `file:` URL) names an
 * ES module (or CommonJS module) whose default export (or `exportName`) is `async (trial) => number`; in the child,
 * the trial's methods return Promises (see the module's notes). The child's `TrialPruned` (any error named
 * `'TrialPruned'`) prunes the trial; a throw, a crash, an exit or a timeout fails it with a {@link ChildTrialError}
 * quoting the tail of the child's stderr. The child is killed when the trial ends.
 */
export function childProcessObjective(
  modulePath: string,
  options: ChildProcessObjectiveOptions = {},
): (trial: Trial) => Promise<number> {
  if (typeof modulePath !== 'string' || modulePath === '')
    throw new InvalidArgumentError('childProcessObjective: modulePath must be a non-empty string');
  if (options.timeoutMs !== undefined && !(options.timeoutMs > 0))
    throw new InvalidArgumentError(`childProcessObjective: timeoutMs must be > 0, got ${options.timeoutMs}`);
  const url = modulePath.startsWith('file:') ? modulePath : pathToFileURL(resolvePath(modulePath)).href;
  const exportName = options.exportName ?? 'default';
  const tailChars = options.stderrTailChars ?? 4000;
  return (trial: Trial) => runChildTrial(trial, url, exportName, tailChars, options);
}

function runChildTrial(
  trial: Trial,
  url: string,
  exportName: string,
  tailChars: number,
  options: ChildProcessObjectiveOptions,
): Promise<number> {
  const { signal } = options;
  if (signal?.aborted)
    return Promise.reject(new AbortedError(`trial ${trial.number}: aborted`, undefined, { cause: signal.reason }));
  return new Promise<number>((resolve, reject) => {
    let stderr = '';
    let settled = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    /** Errors the parent's trial threw for the child's calls, to rethrow as they were if the child gives up on them. */
    const rpcErrors = new Map<string, unknown>();
    const child: ChildProcess = spawn(process.execPath, [...(options.execArgv ?? []), '-e', RUNNER], {
      stdio: ['ignore', 'inherit', 'pipe', 'ipc'],
      serialization: 'advanced', // structured clone: NaN, ±Infinity and undefined survive
      env: options.env ?? process.env,
      cwd: options.cwd,
      // Its own process group: a terminal's Ctrl-C reaches the parent only, which then lets the running trial finish
      // (or kills the child on abort). The child still exits when the parent dies (its IPC channel disconnects).
      detached: true,
    });
    const tail = () => (stderr.length > tailChars ? `…${stderr.slice(-tailChars)}` : stderr).trimEnd();
    const withTail = (msg: string) => {
      const t = tail();
      return t ? `${msg}\n--- child stderr (tail) ---\n${t}` : msg;
    };
    const onAbort = () =>
      finish(new AbortedError(`trial ${trial.number}: aborted`, undefined, { cause: signal?.reason }), undefined);
    const finish = (err: unknown, value: number | undefined) => {
      if (settled) return;
      settled = true;
      if (timer) clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      if (err !== undefined) reject(err);
      else resolve(value as number);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    if (options.timeoutMs !== undefined) {
      timer = setTimeout(
        () =>
          finish(
            new ChildTrialError(withTail(`trial ${trial.number}: the child process ran past ${options.timeoutMs} ms`), {
              trial: trial.number,
              stderr: tail(),
            }),
            undefined,
          ),
        options.timeoutMs,
      );
    }
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (d: string) => {
      stderr = (stderr + d).slice(-2 * tailChars);
      if (options.forwardStderr ?? true) process.stderr.write(d);
    });
    child.on('error', (e) =>
      finish(
        new ChildTrialError(`trial ${trial.number}: could not run the child process: ${e.message}`, {
          trial: trial.number,
        }),
        undefined,
      ),
    );
    // 'close' comes after the stdio pipes ended, so the tail holds the crash report.
    child.on('close', (code, sig) => {
      finish(
        new ChildTrialError(
          withTail(
            `trial ${trial.number}: the child process ${sig ? `was killed by ${sig}` : `exited with code ${code}`} before returning a value`,
          ),
          { trial: trial.number, exitCode: code, signal: sig, stderr: tail() },
        ),
        undefined,
      );
    });
    const post = (msg: object) => {
      if (child.connected) child.send(msg, () => {}); // a send to a dead child is reported by 'close'
    };
    child.on('message', (m: ChildMessage) => {
      if (settled) return;
      switch (m.type) {
        case 'ready':
          post({
            type: 'start',
            url,
            exportName,
            trial: { number: trial.number, trialId: trial.trialId, params: { ...trial.params } },
          });
          return;
        case 'call': {
          let reply: { type: 'result'; id?: number; ok: boolean; value?: unknown; error?: object };
          try {
            if (!METHODS.has(m.method as string)) throw new InvalidArgumentError(`no trial method '${m.method}'`);
            const fn = (trial as unknown as Record<string, (...a: unknown[]) => unknown>)[m.method as string];
            const value = (fn as (...a: unknown[]) => unknown).apply(trial, m.args ?? []);
            reply = { type: 'result', id: m.id, ok: true, value };
          } catch (e) {
            const err = e instanceof Error ? e : new Error(String(e));
            rpcErrors.set(`${err.name}: ${err.message}`, e);
            reply = { type: 'result', id: m.id, ok: false, error: { name: err.name, message: err.message } };
          }
          post(reply);
          return;
        }
        case 'done':
          finish(undefined, m.value as number);
          return;
        case 'error': {
          const e = m.error ?? { name: 'Error', message: 'unknown error' };
          if (e.name === 'TrialPruned') return finish(new TrialPruned(e.message), undefined);
          const original = rpcErrors.get(`${e.name}: ${e.message}`);
          if (original !== undefined) return finish(original, undefined);
          return finish(
            new ChildTrialError(
              withTail(`trial ${trial.number}: the objective threw in its child process: ${e.name}: ${e.message}`),
              { trial: trial.number, errorName: e.name, stack: e.stack, stderr: tail() },
            ),
            undefined,
          );
        }
      }
    });
  });
}
