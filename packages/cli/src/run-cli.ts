import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import {
  type BackendName,
  BackendUnavailableError,
  type CommandContext,
  type CommandOption,
  type CommandSpec,
  createRng,
  defineCommand,
  FtError,
  InterruptedError,
  InvalidArgumentError,
  initBackend,
  isFtError,
  KNOWN_BACKENDS,
  NonFiniteValueError,
  parseBackendList,
  releaseBackend,
} from '@ft/core';
import { COMPLETION_SHELLS, type CompletionShell, completionScript } from './completion.js';
import { formatResult } from './format.js';
import { commandHelp, constraintText, fullName, groupHelp, mainHelp } from './help.js';
import type { FtPackage } from './method-commands.js';
import { createProgressBar } from './progress-bar.js';
import { formatVersionReport, versionReport } from './version.js';

export { constraintText } from './help.js';

/** Streams the CLI writes to (injectable for tests). */
export interface CliIO {
  stdout: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
  stderr: NodeJS.WritableStream;
}

/** Options of `runCli`. */
export interface RunCliOptions {
  /** Commands to mount (built-ins plus method packages' `commands`). */
  commands: CommandSpec[];
  io?: CliIO;
  /**
   * The discovered @ft packages, for `ft --version` (default: discovered when `--version` is asked for). `ft`
   * passes the list it mounted the method commands from.
   */
  packages?: readonly FtPackage[];
}

/** Thrown for bad command lines; exits with code 2. */
export class UsageError extends FtError {
  constructor(message: string) {
    super('USAGE', message);
  }
}

/** Exit codes of `runCli`. */
export const EXIT = { ok: 0, failed: 1, usage: 2, sigint: 130, sigterm: 143 } as const;

/** A user-caused file-system failure (ENOENT, EISDIR, ...) that no loader turned into a more specific error. */
export class FileAccessError extends FtError {
  constructor(message: string, details?: Record<string, unknown>, options?: { cause?: unknown }) {
    super('FILE_ACCESS', message, details, options);
  }
}

const COMMON: Record<string, CommandOption> = {
  seed: { type: 'number', description: 'Seed for every random choice', default: 0, integer: true },
  backend: {
    type: 'string',
    description: `Backend(s) to try, comma-separated: ${KNOWN_BACKENDS.join(', ')} (env FT_BACKEND)`,
  },
  json: { type: 'boolean', description: 'Print the result as one JSON object on the last stdout line', default: false },
  'zoo-dir': {
    type: 'string',
    description:
      'Zoo folder for zoo:<name> models this run (sets FT_ZOO_DIR; default: the installed @ft/zoo, then ./zoo)',
  },
  precision: {
    type: 'string',
    choices: ['fp32', 'bf16'],
    description:
      'Precision of the ft-native convolutions and matmuls: fp32 (default) or bf16 (needs AVX512_BF16 or AMX; env FT_NATIVE_PRECISION)',
  },
  help: { type: 'boolean', description: 'Show help', short: 'h', default: false },
};

/** `--zoo-dir`: sets FT_ZOO_DIR (absolute) for the run; returns what puts the previous value back. */
function setZooDir(value: unknown): (() => void) | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value.trim() === '') throw new UsageError('--zoo-dir needs a folder');
  const prev = process.env.FT_ZOO_DIR;
  process.env.FT_ZOO_DIR = path.resolve(value);
  return () => {
    if (prev === undefined) delete process.env.FT_ZOO_DIR;
    else process.env.FT_ZOO_DIR = prev;
  };
}

/**
 * `--precision`: sets FT_NATIVE_PRECISION for the run, which @ft/tfjs-backend-native's `registerNativeBackend()`
 * (called by `initBackend`) reads; returns what puts the previous value back.
 */
function setPrecision(value: unknown): (() => void) | undefined {
  if (value === undefined) return undefined;
  const prev = process.env.FT_NATIVE_PRECISION;
  process.env.FT_NATIVE_PRECISION = String(value);
  return () => {
    if (prev === undefined) delete process.env.FT_NATIVE_PRECISION;
    else process.env.FT_NATIVE_PRECISION = prev;
  };
}

/**
 * bf16 (from `--precision` or FT_NATIVE_PRECISION) only exists on ft-native: when another backend was selected —
 * ft-native refused bf16 on this CPU, is not installed, or `--backend` chose another — fail instead of silently
 * running fp32 on a slower backend.
 */
function checkPrecision(backend: {
  name: string;
  fallbackReason?: string;
  attempts: { name: string; ok: boolean; reason?: string }[];
}): void {
  if (process.env.FT_NATIVE_PRECISION !== 'bf16' || backend.name === 'ft-native') return;
  const native = backend.attempts.find((a) => a.name === 'ft-native' && !a.ok);
  const why = native ? `ft-native is unavailable: ${native.reason}` : `the ${backend.name} backend was selected`;
  throw new BackendUnavailableError(`--precision bf16 needs the ft-native backend, but ${why}`, {
    backend: backend.name,
  });
}

function findCommand(commands: CommandSpec[], positionals: string[]): { cmd?: CommandSpec; rest: string[] } {
  const [a, b] = positionals;
  const grouped = commands.find((c) => c.group === a && c.name === b);
  if (grouped) return { cmd: grouped, rest: positionals.slice(2) };
  const top = commands.find((c) => !c.group && c.name === a);
  if (top) return { cmd: top, rest: positionals.slice(1) };
  return { rest: positionals };
}

function coerce(
  name: string,
  o: CommandOption,
  raw: string | boolean | undefined,
): string | number | boolean | undefined {
  if (raw === undefined) {
    if (o.required) throw new UsageError(`--${name} is required`);
    if (o.output && typeof o.default === 'string') checkOutputPath(`--${name}`, o.default, o.output);
    return o.default;
  }
  if (o.type === 'boolean') return raw === true || raw === 'true';
  if (typeof raw !== 'string') throw new UsageError(`--${name} needs a value`);
  if (o.type === 'number') {
    const v = Number(raw);
    const con = constraintText(o);
    const want = con ? `a number (${con})` : 'a number';
    if (raw.trim() === '' || !Number.isFinite(v)) throw new UsageError(`--${name} must be ${want}, got "${raw}"`);
    if (
      (o.integer && !Number.isInteger(v)) ||
      (o.min !== undefined && v < o.min) ||
      (o.exclusiveMin !== undefined && v <= o.exclusiveMin) ||
      (o.max !== undefined && v > o.max) ||
      (o.exclusiveMax !== undefined && v >= o.exclusiveMax)
    ) {
      throw new UsageError(`--${name} must be ${con}, got ${raw}`);
    }
    return v;
  }
  if (raw.startsWith('-') && raw.length > 1 && !/^-\d/.test(raw)) {
    // `--out --json`: parseArgs took the next flag as this option's value
    throw new UsageError(`--${name} needs a value, got the flag "${raw}"`);
  }
  if (o.choices && !o.choices.includes(raw)) {
    throw new UsageError(`--${name} must be one of ${o.choices.join(', ')}, got "${raw}"`);
  }
  if (o.pattern && !o.pattern.test(raw)) {
    throw new UsageError(`--${name} must be ${o.patternHint ?? `of the form ${o.pattern}`}, got "${raw}"`);
  }
  if (o.output) checkOutputPath(`--${name}`, raw, o.output);
  if (o.input) checkInputPath(`--${name}`, raw, o.input);
  return raw;
}

/**
 * Checks, before any work, that `p` can be written as a folder (`'dir'`) or a file: it is not an existing entry of
 * the other kind, and its nearest existing ancestor is a writable folder. Throws `UsageError` naming the flag.
 */
export function checkOutputPath(flag: string, p: string, kind: 'dir' | 'file'): void {
  if (p.trim() === '') throw new UsageError(`${flag} must not be empty`);
  const abs = path.resolve(p);
  let st: fs.Stats | undefined;
  try {
    st = fs.statSync(abs);
  } catch {
    st = undefined;
  }
  if (st) {
    if (kind === 'dir' && !st.isDirectory())
      throw new UsageError(`${flag} ${p}: exists and is not a folder (give a folder path)`);
    if (kind === 'file' && st.isDirectory()) throw new UsageError(`${flag} ${p}: is a folder (give a file path)`);
  }
  // The nearest existing ancestor must be a folder we can write into (the command creates the rest).
  let dir = st ? (kind === 'dir' ? abs : path.dirname(abs)) : path.dirname(abs);
  for (;;) {
    let ds: fs.Stats | undefined;
    try {
      ds = fs.statSync(dir);
    } catch {
      ds = undefined;
    }
    if (ds) {
      if (!ds.isDirectory()) throw new UsageError(`${flag} ${p}: ${dir} is a file, so nothing can be created under it`);
      try {
        fs.accessSync(dir, fs.constants.W_OK | fs.constants.X_OK);
      } catch {
        throw new UsageError(`${flag} ${p}: the folder ${dir} is not writable`);
      }
      return;
    }
    const up = path.dirname(dir);
    if (up === dir) return;
    dir = up;
  }
}

/** Refuses an input path that exists as the other kind (a folder given for a file, or the reverse). */
export function checkInputPath(flag: string, p: string, kind: 'dir' | 'file'): void {
  if (p.trim() === '') throw new UsageError(`${flag} must not be empty`);
  let st: fs.Stats | undefined;
  try {
    st = fs.statSync(p);
  } catch {
    return; // missing: the loader reports it with its own typed error
  }
  if (kind === 'file' && st.isDirectory()) throw new UsageError(`${flag} ${p}: is a folder, expected a file`);
  if (kind === 'dir' && !st.isDirectory()) throw new UsageError(`${flag} ${p}: is a file, expected a folder`);
}

/**
 * node's parseArgs reads `--seed -5` as an option without a value followed by the flag `-5`: join a negative number
 * that follows an option taking a value to it (`--seed=-5`, `--snr=-5:10`).
 */
export function joinNegativeNumbers(argv: string[], options: Record<string, CommandOption>): string[] {
  const numeric = new Set<string>();
  for (const [name, o] of Object.entries(options)) {
    if (o.type === 'boolean') continue;
    numeric.add(`--${name}`);
    if (o.short) numeric.add(`-${o.short}`);
  }
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--') {
      out.push(...argv.slice(i));
      break;
    }
    const next = argv[i + 1];
    if (numeric.has(a) && next !== undefined && /^-(\d|\.\d|Infinity$|NaN$)/.test(next)) {
      out.push(`${a}=${next}`);
      i++;
    } else out.push(a);
  }
  return out;
}

/** `--backend` as a usage error when empty or naming an unknown backend (core's `parseBackendList` checks names). */
function parseBackendFlag(v: string): BackendName[] {
  let names: BackendName[];
  try {
    names = parseBackendList(v, '--backend');
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  if (names.length === 0) throw new UsageError(`--backend needs a name: ${KNOWN_BACKENDS.join(', ')}`);
  return names;
}

/**
 * Throws `NonFiniteValueError` when a number in a command's result is NaN or ±Infinity: `JSON.stringify` would print
 * it as `null`, i.e. a broken value would pass for a missing one. (A field that is meant to be absent is `null` or
 * left out by the command itself, never a NaN.)
 */
export function assertFiniteResult(value: unknown, at = 'result'): void {
  if (typeof value === 'number') {
    if (!Number.isFinite(value))
      throw new NonFiniteValueError(`${at} is ${value}: the computation produced a non-finite number`, {
        field: at,
        value: String(value),
      });
    return;
  }
  if (Array.isArray(value) || (ArrayBuffer.isView(value) && !(value instanceof DataView))) {
    const list = Array.from(value as ArrayLike<unknown>);
    for (let i = 0; i < list.length; i++) assertFiniteResult(list[i], `${at}[${i}]`);
  } else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) assertFiniteResult(v, `${at}.${k}`);
  }
}

const FS_CODES: Record<string, string> = {
  ENOENT: 'no such file or folder',
  EISDIR: 'is a folder, expected a file',
  ENOTDIR: 'a part of the path is a file, expected a folder',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  ENOSPC: 'no space left on the device',
  EROFS: 'read-only file system',
  EEXIST: 'already exists',
  ENAMETOOLONG: 'name too long',
  EMFILE: 'too many open files',
};

/** Last resort: a Node file-system error that reached the CLI boundary becomes a typed `FileAccessError`. */
export function mapSystemError(e: unknown): unknown {
  if (isFtError(e) || !(e instanceof Error)) return e;
  const se = e as NodeJS.ErrnoException;
  if (typeof se.code !== 'string' || !(se.code in FS_CODES)) return e;
  const where = se.path ? `${se.path}: ` : '';
  return new FileAccessError(
    `${where}${FS_CODES[se.code]} (${se.code}${se.syscall ? ` in ${se.syscall}` : ''})`,
    { path: se.path, errno: se.code, syscall: se.syscall },
    { cause: e },
  );
}

/** Step, epoch and checkpoint of an interrupted run, from the error (or its causes). */
function interruptDetails(e: unknown): { step?: number; epoch?: number; checkpoint?: string } {
  for (let x = e, k = 0; x && k < 5; x = (x as { cause?: unknown }).cause, k++) {
    const d = (x as FtError).details;
    if (d && typeof d.step === 'number')
      return {
        step: d.step,
        epoch: typeof d.epoch === 'number' ? d.epoch : undefined,
        checkpoint: typeof d.checkpoint === 'string' ? d.checkpoint : undefined,
      };
  }
  return {};
}

/**
 * Parses a command line for `cmd` (the whole argv, command words included) with its options plus the common ones:
 * typed, coerced and checked values (defaults applied) and the positionals after the command words. Throws
 * `UsageError` for an unknown flag, a bad value or a missing required argument; `help` is true for `--help` (nothing
 * else is checked then).
 */
export function parseCommandLine(
  commands: CommandSpec[],
  cmd: CommandSpec,
  argv: string[],
): { help: boolean; args: CommandContext['args']; positionals: string[] } {
  const all = { ...(cmd.options ?? {}), ...COMMON };
  const parseOpts: Record<string, { type: 'string' | 'boolean'; short?: string }> = {};
  for (const [name, o] of Object.entries(all)) {
    parseOpts[name] = { type: o.type === 'boolean' ? 'boolean' : 'string', ...(o.short ? { short: o.short } : {}) };
  }
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({
      args: joinNegativeNumbers(argv, all),
      options: parseOpts,
      strict: true,
      allowPositionals: true,
    });
  } catch (e) {
    throw new UsageError(`${(e as Error).message.split('\n')[0]} (see \`ft ${fullName(cmd)} --help\`)`);
  }
  if (parsed.values.help) return { help: true, args: {}, positionals: [] };
  const args: CommandContext['args'] = {};
  for (const [name, o] of Object.entries(all)) args[name] = coerce(name, o, parsed.values[name] as string | boolean);
  const positionals = findCommand(commands, parsed.positionals).rest;
  const required = (cmd.positionals ?? []).filter((p) => p.required);
  if (positionals.length < required.length) {
    throw new UsageError(`missing <${required[positionals.length].name}> (see \`ft ${fullName(cmd)} --help\`)`);
  }
  return { help: false, args, positionals };
}

/**
 * Parses one of a command's `examples` the way `ft` would parse it (without running it): the words up to a shell
 * redirection or pipe, which must start with `ft` and name `cmd`. Throws `UsageError` when the example would not run.
 */
export function parseExample(commands: CommandSpec[], cmd: CommandSpec, example: string) {
  const words = example.trim().split(/\s+/);
  const cut = words.findIndex((w) => /^(\d?>>?|\||&&|;|<)/.test(w));
  const argv = (cut >= 0 ? words.slice(0, cut) : words).slice(1);
  if (words[0] !== 'ft') throw new UsageError(`example "${example}" does not start with "ft"`);
  const found = findCommand(commands, parseArgs({ args: argv, strict: false, allowPositionals: true }).positionals).cmd;
  if (found !== cmd) throw new UsageError(`example "${example}" does not run "ft ${fullName(cmd)}"`);
  return parseCommandLine(commands, cmd, argv);
}

/** The command names of the groups (`ad`, `data`, ...). */
function groupNames(commands: CommandSpec[]): Set<string> {
  return new Set(commands.filter((c) => c.group).map((c) => c.group as string));
}

/**
 * No command named: `ft --version`, `ft` / `ft --help` (the command list), `ft <group>` / `ft <group> --help` (the
 * group's commands), or an unknown command (usage error). Without `--help` a bare `ft` or `ft <group>` exits 2.
 */
function noCommand(
  commands: CommandSpec[],
  first: ReturnType<typeof parseArgs>,
  packages: readonly FtPackage[] | undefined,
  io: CliIO,
): number {
  const pos = first.positionals;
  const help = Boolean(first.values.help || first.values.h);
  if (pos.length === 0 && (first.values.version || first.values.V)) {
    const report = versionReport(packages);
    io.stdout.write(`${first.values.json ? JSON.stringify(report) : formatVersionReport(report)}\n`);
    return EXIT.ok;
  }
  if (pos.length === 0) {
    io.stdout.write(`${mainHelp(commands, COMMON)}\n`);
    return help ? EXIT.ok : EXIT.usage;
  }
  if (groupNames(commands).has(pos[0]) && (pos.length === 1 || help)) {
    io.stdout.write(`${groupHelp(commands, pos[0])}\n`);
    return help ? EXIT.ok : EXIT.usage;
  }
  if (help) {
    io.stdout.write(`${mainHelp(commands, COMMON)}\n`);
    return EXIT.ok;
  }
  const hint = groupNames(commands).has(pos[0]) ? `ft ${pos[0]} --help` : 'ft --help';
  throw new UsageError(`unknown command "${pos.slice(0, 2).join(' ')}". Run \`${hint}\`.`);
}

/**
 * `ft completion bash|zsh`, mounted by runCli beside the given commands (unless one of them is a top-level
 * `completion`): prints the completion script of everything mounted, as it is (with `--json`: `{ shell, script }`).
 */
function withCompletion(commands: CommandSpec[], io: CliIO): CommandSpec[] {
  if (commands.some((c) => !c.group && c.name === 'completion')) return commands;
  const all: CommandSpec[] = [...commands];
  all.push(
    defineCommand({
      name: 'completion',
      description: 'Print a shell completion script for bash or zsh (commands, flags, choices)',
      positionals: [{ name: 'shell', description: COMPLETION_SHELLS.join(' | '), required: true }],
      needsBackend: false,
      examples: [
        'ft completion bash > ~/.local/share/bash-completion/completions/ft',
        'ft completion zsh > ~/.zfunc/_ft',
      ],
      async run(ctx) {
        const shell = ctx.positionals[0];
        if (!(COMPLETION_SHELLS as readonly string[]).includes(shell))
          throw new UsageError(`ft completion: unknown shell "${shell}"; choose ${COMPLETION_SHELLS.join(' or ')}`);
        const script = completionScript(shell as CompletionShell, all, COMMON);
        if (ctx.json) return { shell, script };
        io.stdout.write(script);
        return undefined;
      },
    }),
  );
  return all;
}

/**
 * Runs the `ft` command line. Returns the exit code: 0 on success, 1 on a failed command, 2 on a usage error,
 * 130 / 143 when a SIGINT / SIGTERM stopped the command (after its current step, with a checkpoint when one is
 * configured). A second signal exits the process at once with the same code.
 * With `--json` the last stdout line is one JSON object; logs then go to stderr.
 */
export async function runCli(argv: string[], opts: RunCliOptions): Promise<number> {
  const io = opts.io ?? { stdout: process.stdout, stderr: process.stderr };
  const commands = withCompletion(opts.commands, io);
  const controller = new AbortController();
  let signalled: 'SIGINT' | 'SIGTERM' | undefined;
  const signalExit = (sig: 'SIGINT' | 'SIGTERM') => (sig === 'SIGINT' ? EXIT.sigint : EXIT.sigterm);
  const onSignal = (sig: 'SIGINT' | 'SIGTERM') => {
    if (signalled) {
      // only reached when another listener kept the signal caught (see below)
      io.stderr.write(`\nft: ${sig} again; exiting now\n`);
      process.exit(signalExit(sig));
    }
    signalled = sig;
    // A second signal must end the process at once, even in the middle of a long synchronous step (a cpu-backend
    // kernel) when no JavaScript handler can run: give SIGINT and SIGTERM back their default action, so the kernel
    // kills the process (the shell reports 130 / 143).
    process.off('SIGINT', onSigint);
    process.off('SIGTERM', onSigterm);
    if (process.listenerCount('SIGINT') > 0 || process.listenerCount('SIGTERM') > 0) {
      // someone else (a test runner, an embedding app) keeps them caught: keep a JS fallback for the second signal
      process.once('SIGINT', onSigint);
      process.once('SIGTERM', onSigterm);
    }
    io.stderr.write(
      `\nft: ${sig === 'SIGINT' ? 'interrupted' : 'terminated'}; stopping after the current step (${sig === 'SIGINT' ? 'Ctrl-C' : 'signal'} again to force)\n`,
    );
    controller.abort(new InterruptedError(`interrupted by ${sig}`, { signal: sig }));
  };
  function onSigint() {
    onSignal('SIGINT');
  }
  function onSigterm() {
    onSignal('SIGTERM');
  }
  process.on('SIGINT', onSigint);
  process.on('SIGTERM', onSigterm);
  let json = argv.includes('--json');
  let restoreZooDir: (() => void) | undefined;
  let restorePrecision: (() => void) | undefined;
  try {
    const firstPass = parseArgs({ args: argv, strict: false, allowPositionals: true });
    const { cmd } = findCommand(commands, firstPass.positionals);
    if (!cmd) return noCommand(commands, firstPass, opts.packages, io);
    const parsed = parseCommandLine(commands, cmd, argv);
    if (parsed.help) {
      io.stdout.write(`${commandHelp(cmd, COMMON)}\n`);
      return EXIT.ok;
    }
    const { args, positionals } = parsed;
    json = Boolean(args.json);
    restoreZooDir = setZooDir(args['zoo-dir']);
    restorePrecision = setPrecision(args.precision);
    const prefer = args.backend !== undefined ? parseBackendFlag(String(args.backend)) : undefined;
    const seed = Number(args.seed ?? 0);
    const log = (m: string) => (json ? io.stderr : io.stdout).write(`${m}\n`);
    const backend =
      cmd.needsBackend === false
        ? undefined
        : await initBackend({
            ...(prefer ? { prefer, ignoreEnv: true } : {}),
            log: { warn: (m) => io.stderr.write(`${m}\n`) },
          });
    if (backend) checkPrecision(backend);
    const ctx: CommandContext = {
      args,
      positionals,
      seed,
      rng: createRng(seed),
      json,
      backend: backend as CommandContext['backend'],
      log,
      progress: (total, label) => (json ? { update() {}, done() {} } : createProgressBar(io.stdout, total, label)),
      signal: controller.signal,
    };
    const result = await cmd.run(ctx);
    assertFiniteResult(result ?? {});
    if (json) io.stdout.write(`${JSON.stringify(result ?? {})}\n`);
    else if (result) io.stdout.write(`${formatResult(result)}\n`);
    return EXIT.ok;
  } catch (caught) {
    if (signalled && controller.signal.aborted) {
      // Stopped by a signal: one line saying where, and 130 / 143 like a shell.
      const d = interruptDetails(caught);
      const where =
        d.step !== undefined ? ` after step ${d.step}${d.epoch !== undefined ? ` (epoch ${d.epoch})` : ''}` : '';
      const ck = d.checkpoint ? `; checkpoint ${d.checkpoint}` : '';
      const line = `ft: interrupted by ${signalled}${where}${ck} [INTERRUPTED]`;
      io.stderr.write(`${line}\n`);
      if (json)
        io.stdout.write(
          `${JSON.stringify({ error: { code: 'INTERRUPTED', message: line.slice(4), signal: signalled, ...d } })}\n`,
        );
      return signalExit(signalled);
    }
    const e = mapSystemError(caught);
    const typed = isFtError(e);
    const code = typed && e.code === 'USAGE' ? EXIT.usage : EXIT.failed;
    const msg = typed
      ? `ft: error [${e.code}]: ${e.message}`
      : `ft: unexpected error: ${e instanceof Error ? e.message : String(e)}`;
    io.stderr.write(`${msg}\n`);
    if (process.env.FT_DEBUG && e instanceof Error && e.stack) io.stderr.write(`${e.stack}\n`);
    if (json)
      io.stdout.write(
        `${JSON.stringify({ error: { code: typed ? e.code : 'UNEXPECTED', message: (e as Error).message } })}\n`,
      );
    return code;
  } finally {
    // ft-webgpu holds a GPU device that keeps Node alive: release it once the command is done.
    releaseBackend();
    restoreZooDir?.();
    restorePrecision?.();
    process.off('SIGINT', onSigint);
    process.off('SIGTERM', onSigterm);
  }
}

/** Guards against two commands with the same name. */
export function checkCommands(commands: CommandSpec[]): void {
  const seen = new Set<string>();
  for (const c of commands) {
    const n = fullName(c);
    if (seen.has(n)) throw new InvalidArgumentError(`two commands are named "ft ${n}"`);
    seen.add(n);
  }
}
