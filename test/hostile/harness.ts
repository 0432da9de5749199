/**
 * The hostile-input harness shared by every package's `test/hostile/` suite.
 *
 * A hostile case is one input a careless or malicious user can give (a corrupt file, a path escape, a
 * decompression bomb, a bad flag, a signal). `runHostileCase` runs it, classifies what happened and, when
 * `FT_RELIABILITY_OUT` names a file, appends one JSON line per case to it; `scripts/reliability.mjs` turns those
 * lines into `docs/results/reliability.md`.
 *
 * Outcomes:
 * - `typed`: an `FtError` (anything with a string `code`) or, for child processes, a non-zero exit whose stderr
 *   carries `[CODE]`: the only acceptable outcome for an input that must be refused;
 * - `ok`: the case returned normally (right for a valid input, e.g. a fuzz mutation that is still a valid file);
 * - `untyped`: a plain `Error` (a crash the user cannot act on);
 * - `hang`: it did not settle within its time limit.
 *
 * Only Node built-ins are used here, so any package's tests may import it by relative path.
 */
import { spawn } from 'node:child_process';
import { appendFileSync } from 'node:fs';

/** The kinds of defect counted on the reliability page. */
export type HostileCategory =
  | 'interrupt'
  | 'path'
  | 'bomb'
  | 'non-finite'
  | 'resume'
  | 'cli'
  | 'input'
  | 'leak'
  | 'fuzz';

/** How one hostile case ended. */
export interface HostileOutcome {
  /** Package or suite, e.g. `core`, `cli`. */
  suite: string;
  /** Stable id of the case, e.g. `idx-gzip-bomb`. */
  id: string;
  category: HostileCategory;
  kind: 'typed' | 'ok' | 'untyped' | 'hang';
  /** The `FtError` code (typed), or the error message (untyped). */
  code?: string;
  message?: string;
  /** Wall time, milliseconds. */
  ms: number;
  /** Peak resident memory of the child process, MiB (child-process cases only). */
  peakMiB?: number;
  /** Exit code of the child process (child-process cases only). */
  exitCode?: number | null;
  /** What the case must end in: `typed` (default: a hostile input must be refused) or `ok` (a valid edge case). */
  expect?: 'typed' | 'ok';
  /** For fuzz summaries: how many inputs this line stands for. */
  count?: number;
  /** For fuzz summaries: how many of them ended `typed` / `ok`. */
  typedCount?: number;
  okCount?: number;
}

/** Appends an outcome to `$FT_RELIABILITY_OUT` (JSON lines) when that variable is set; no-op otherwise. */
export function recordOutcome(o: HostileOutcome): void {
  const out = process.env.FT_RELIABILITY_OUT;
  if (out) appendFileSync(out, `${JSON.stringify(o)}\n`);
}

function classify(e: unknown): Pick<HostileOutcome, 'kind' | 'code' | 'message'> {
  const code = (e as { code?: unknown } | null)?.code;
  const message = e instanceof Error ? e.message : String(e);
  // Node system errors (ENOENT, ...) carry string codes too, but they are not ours: count them as untyped.
  if (typeof code === 'string' && /^[A-Z][A-Z_]+$/.test(code) && !/^E[A-Z]+$/.test(code) && e instanceof Error) {
    return { kind: 'typed', code, message };
  }
  return { kind: 'untyped', message };
}

/**
 * Runs `fn` in this process with a time limit, classifies the result and records it.
 * A hang is reported when `fn` has not settled after `timeoutMs` (a synchronous infinite loop cannot be cut
 * short in-process: use `runHostileChild` for inputs that might spin).
 */
export async function runHostileCase(
  meta: { suite: string; id: string; category: HostileCategory; timeoutMs?: number; expect?: 'typed' | 'ok' },
  fn: () => unknown | Promise<unknown>,
): Promise<HostileOutcome> {
  const t0 = performance.now();
  const timeoutMs = meta.timeoutMs ?? 10_000;
  let timer: NodeJS.Timeout | undefined;
  const hang = new Promise<'hang'>((res) => {
    timer = setTimeout(() => res('hang'), timeoutMs);
  });
  let partial: Pick<HostileOutcome, 'kind' | 'code' | 'message'>;
  try {
    const r = await Promise.race([Promise.resolve().then(fn), hang]);
    partial = r === 'hang' ? { kind: 'hang' } : { kind: 'ok' };
  } catch (e) {
    partial = classify(e);
  } finally {
    clearTimeout(timer);
  }
  const o: HostileOutcome = {
    suite: meta.suite,
    id: meta.id,
    category: meta.category,
    ...(meta.expect ? { expect: meta.expect } : {}),
    ...partial,
    ms: performance.now() - t0,
  };
  recordOutcome(o);
  return o;
}

/** Result of `runChild`. */
export interface ChildResult {
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  ms: number;
  /** Peak resident memory, MiB, read from `/usr/bin/time`-free means: the child's own report (see `runChild`). */
  peakMiB?: number;
  timedOut: boolean;
}

const PEAK_MARK = '__FT_PEAK_RSS_KIB__=';

/**
 * Runs `node <args>` as a child process and measures its peak RSS. The child's peak is read from
 * `process.resourceUsage().maxRSS`, printed to stderr at exit by a `--import` preload, so it covers the whole
 * child's lifetime. `onSpawn` gets the child (e.g. to send it signals). The child is killed with SIGKILL after
 * `timeoutMs`.
 */
export function runChild(
  args: string[],
  opts: {
    cwd?: string;
    env?: NodeJS.ProcessEnv;
    timeoutMs?: number;
    input?: string;
    onSpawn?: (
      child: import('node:child_process').ChildProcess,
      output: { stdout: () => string; stderr: () => string },
    ) => void;
  } = {},
): Promise<ChildResult> {
  const preload = `data:text/javascript,process.on('exit',()=>{try{process.stderr.write('\\n${PEAK_MARK}'+process.resourceUsage().maxRSS+'\\n')}catch{}})`;
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', preload, ...args], {
      cwd: opts.cwd,
      env: { ...process.env, ...opts.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => {
      stdout += d;
    });
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    if (opts.input !== undefined) child.stdin.end(opts.input);
    else child.stdin.end();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, opts.timeoutMs ?? 30_000);
    opts.onSpawn?.(child, { stdout: () => stdout, stderr: () => stderr });
    child.on('error', reject);
    child.on('close', (exitCode, signal) => {
      clearTimeout(timer);
      const m = stderr.match(new RegExp(`${PEAK_MARK}(\\d+)`));
      const peakMiB = m ? Number(m[1]) / 1024 : undefined;
      stderr = stderr.replace(new RegExp(`\\n?${PEAK_MARK}\\d+\\n?`), '');
      resolve({ exitCode, signal, stdout, stderr, ms: performance.now() - t0, peakMiB, timedOut });
    });
  });
}

/**
 * Runs a hostile case in a child process (for bombs, hangs and signals) and records it. The case is `typed`
 * when the child exits non-zero and its stderr (or the last stdout JSON line) names an error code in brackets,
 * e.g. `[DATASET_FORMAT]`; `ok` on exit 0; `hang` when it was killed by the time limit; otherwise `untyped`.
 */
export async function runHostileChild(
  meta: {
    suite: string;
    id: string;
    category: HostileCategory;
    expect?: 'typed' | 'ok';
    /** The case passes when the child is ended by this signal (a forced exit), e.g. a second Ctrl-C. */
    expectSignal?: NodeJS.Signals;
  },
  args: string[],
  opts: Parameters<typeof runChild>[1] = {},
): Promise<HostileOutcome & { child: ChildResult }> {
  const child = await runChild(args, opts);
  const code = child.stderr.match(/\[([A-Z][A-Z_]+)\]/)?.[1];
  const forced = !child.timedOut && meta.expectSignal !== undefined && child.signal === meta.expectSignal;
  const kind: HostileOutcome['kind'] = child.timedOut
    ? 'hang'
    : child.exitCode === 0 || forced
      ? 'ok'
      : code && !/^E[A-Z]+$/.test(code)
        ? 'typed'
        : 'untyped';
  const o: HostileOutcome = {
    suite: meta.suite,
    id: meta.id,
    category: meta.category,
    ...(meta.expect ? { expect: meta.expect } : forced ? { expect: 'ok' as const } : {}),
    kind,
    ...(forced ? { message: `ended by ${child.signal} (forced exit, as intended)` } : {}),
    ...(code ? { code } : {}),
    ...(kind === 'untyped' ? { message: child.stderr.trim().split('\n').slice(-3).join(' | ') } : {}),
    ms: child.ms,
    ...(child.peakMiB !== undefined ? { peakMiB: child.peakMiB } : {}),
    exitCode: child.exitCode,
  };
  recordOutcome(o);
  return { ...o, child };
}

/** What {@link runHostileCall} runs in its child process. */
export interface HostileCallOptions {
  /** Working directory of the child, e.g. the package folder, so that its bare imports resolve (default: this one). */
  cwd?: string;
  /**
   * ESM statements run before the clock starts: imports and constants the call needs, e.g.
   * `import '@tensorflow/tfjs-backend-cpu'; const core = await import('file:///…/dist/index.js');`.
   */
  setup: string;
  /** A JavaScript expression over what `setup` declared; it is awaited, so it may return a promise. Timed. */
  call: string;
  /** The child is killed (and the case counted as a hang) after this long; default 30 s. */
  timeoutMs?: number;
  /** Extra environment variables for the child, e.g. `{ FT_MAX_INPUT_BYTES: '1M' }`. */
  env?: NodeJS.ProcessEnv;
}

/** The ESM script of {@link runHostileCall}; its own names start with `__ft` so as not to clash with `setup`'s. */
function hostileCallScript(setup: string, call: string): string {
  return `${setup}
const __ftT0 = performance.now();
const __ftMs = () => (performance.now() - __ftT0).toFixed(1);
try {
  await (${call});
  console.log('ok (after ' + __ftMs() + ' ms)');
  process.exit(0);
} catch (e) {
  const ms = __ftMs();
  if (e !== null && typeof e === 'object' && typeof e.code === 'string' && /^[A-Z][A-Z_]+$/.test(e.code)) {
    console.error('[' + e.code + '] ' + e.message + ' (after ' + ms + ' ms)');
    process.exit(2);
  }
  console.error('untyped: ' + ((e && e.stack) || e));
  process.exit(3);
}
`;
}

/**
 * Runs one call (a load, a parse) in a child process, usually against a package's BUILT dist, and records it with
 * {@link runHostileChild}. The child runs `setup`, then times `await (call)` itself, so the time excludes Node's
 * start-up and the imports:
 * - on success it prints `ok (after X ms)` to stdout and exits 0;
 * - on a typed error (an `FtError`, or any error whose `code` is an UPPER_CASE string) it prints
 *   `[CODE] message (after X ms)` to stderr and exits 2 (Node system codes such as `ENOENT` still count as untyped
 *   in {@link runHostileChild});
 * - on anything else it prints `untyped: <stack>` and exits 3.
 * Read the in-child time with {@link childMs}.
 */
export function runHostileCall(
  meta: Parameters<typeof runHostileChild>[0],
  opts: HostileCallOptions,
): Promise<HostileOutcome & { child: ChildResult }> {
  return runHostileChild(meta, ['--input-type=module', '-e', hostileCallScript(opts.setup, opts.call)], {
    ...(opts.cwd !== undefined ? { cwd: opts.cwd } : {}),
    ...(opts.env !== undefined ? { env: opts.env } : {}),
    timeoutMs: opts.timeoutMs ?? 30_000,
  });
}

/** The in-child time of a {@link runHostileCall} (the `(after X ms)` it printed), in ms; `NaN` when there is none. */
export function childMs(output: string): number {
  return Number(/\(after ([\d.]+) ms\)/.exec(output)?.[1] ?? Number.NaN);
}

/** Records one line standing for a whole fuzz run (`count` mutations, none of which may hang or crash untyped). */
export function recordFuzz(meta: {
  suite: string;
  id: string;
  count: number;
  typedCount: number;
  okCount: number;
  untyped: string[];
  ms: number;
}): void {
  recordOutcome({
    suite: meta.suite,
    id: meta.id,
    category: 'fuzz',
    kind: meta.untyped.length > 0 ? 'untyped' : 'typed',
    ms: meta.ms,
    count: meta.count,
    typedCount: meta.typedCount,
    okCount: meta.okCount,
    ...(meta.untyped.length > 0 ? { message: meta.untyped.slice(0, 3).join(' | ') } : {}),
  });
}

/** A deterministic xorshift32 generator for seeded mutations (no dependency on @ft/core's Rng). */
export function mutationRng(seed: number): () => number {
  let s = seed >>> 0 || 0x9e3779b9;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s / 0x100000000;
  };
}

/** Applies 1–8 seeded byte-level mutations (flip, set to boundary value, truncate, duplicate a slice). */
export function mutateBytes(input: Uint8Array, rnd: () => number): Uint8Array {
  let b: Uint8Array = Uint8Array.from(input);
  const n = 1 + Math.floor(rnd() * 8);
  const boundary = [0x00, 0xff, 0x7f, 0x80, 0x01, 0xfe];
  for (let k = 0; k < n && b.length > 0; k++) {
    const op = Math.floor(rnd() * 5);
    const i = Math.floor(rnd() * b.length);
    if (op === 0) b[i] ^= 1 << Math.floor(rnd() * 8);
    else if (op === 1) b[i] = boundary[Math.floor(rnd() * boundary.length)];
    else if (op === 2) b = b.slice(0, i);
    else if (op === 3) {
      const len = Math.min(b.length - i, 1 + Math.floor(rnd() * 16));
      const merged = new Uint8Array(b.length + len);
      merged.set(b.subarray(0, i + len));
      merged.set(b.subarray(i, i + len), i + len);
      merged.set(b.subarray(i + len), i + 2 * len);
      b = merged;
    } else b[i] = Math.floor(rnd() * 256);
  }
  return b;
}
