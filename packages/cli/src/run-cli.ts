import { parseArgs } from 'node:util';
import {
  type BackendName,
  type CommandContext,
  type CommandOption,
  type CommandSpec,
  createRng,
  FtError,
  InvalidArgumentError,
  initBackend,
} from '@ft/core';
import { createProgressBar } from './progress-bar.js';

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
}

/** Thrown for bad command lines; exits with code 2. */
export class UsageError extends FtError {
  constructor(message: string) {
    super('USAGE', message);
  }
}

const COMMON: Record<string, CommandOption> = {
  seed: { type: 'number', description: 'Seed for every random choice', default: 0 },
  backend: { type: 'string', description: 'Backend(s) to try, e.g. ft-native or tensorflow,cpu (env FT_BACKEND)' },
  json: { type: 'boolean', description: 'Print the result as one JSON object on the last stdout line', default: false },
  help: { type: 'boolean', description: 'Show help', short: 'h', default: false },
};

function fullName(c: CommandSpec): string {
  return c.group ? `${c.group} ${c.name}` : c.name;
}

function helpText(commands: CommandSpec[], cmd?: CommandSpec): string {
  if (!cmd) {
    const lines = ['Usage: ft <command> [options]', '', 'Commands:'];
    const w = Math.max(...commands.map((c) => fullName(c).length));
    for (const c of commands) lines.push(`  ${fullName(c).padEnd(w)}  ${c.description}`);
    lines.push('', 'Every command takes --seed, --backend and --json. Run `ft <command> --help` for its options.');
    return lines.join('\n');
  }
  const pos = (cmd.positionals ?? []).map((p) => (p.required ? `<${p.name}>` : `[${p.name}]`)).join(' ');
  const lines = [`Usage: ft ${fullName(cmd)} ${pos}[options]`.replace('  ', ' '), '', cmd.description, '', 'Options:'];
  const all = { ...(cmd.options ?? {}), ...COMMON };
  for (const [name, o] of Object.entries(all)) {
    const def = o.default !== undefined && o.type !== 'boolean' ? ` (default ${o.default})` : '';
    const ch = o.choices ? ` [${o.choices.join('|')}]` : '';
    lines.push(
      `  --${name}${o.type === 'boolean' ? '' : ` <${o.type}>`}  ${o.description}${ch}${def}${o.required ? ' (required)' : ''}`,
    );
  }
  return lines.join('\n');
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
    return o.default;
  }
  if (o.type === 'boolean') return raw === true || raw === 'true';
  if (typeof raw !== 'string') throw new UsageError(`--${name} needs a value`);
  if (o.type === 'number') {
    const v = Number(raw);
    if (raw.trim() === '' || !Number.isFinite(v)) throw new UsageError(`--${name} must be a number, got "${raw}"`);
    return v;
  }
  if (o.choices && !o.choices.includes(raw)) {
    throw new UsageError(`--${name} must be one of ${o.choices.join(', ')}, got "${raw}"`);
  }
  return raw;
}

/**
 * Runs the `ft` command line. Returns the exit code: 0 on success, 1 on a failed command, 2 on a usage error.
 * With `--json` the last stdout line is one JSON object; logs then go to stderr.
 */
export async function runCli(argv: string[], opts: RunCliOptions): Promise<number> {
  const io = opts.io ?? { stdout: process.stdout, stderr: process.stderr };
  const commands = opts.commands;
  const controller = new AbortController();
  const onSigint = () => {
    if (controller.signal.aborted) process.exit(130);
    io.stderr.write('\nft: interrupted; stopping after the current step (Ctrl-C again to force)\n');
    controller.abort();
  };
  process.on('SIGINT', onSigint);
  let json = argv.includes('--json');
  try {
    const firstPass = parseArgs({ args: argv, strict: false, allowPositionals: true });
    const { cmd, rest } = findCommand(commands, firstPass.positionals);
    if (!cmd) {
      if (firstPass.positionals.length === 0 || firstPass.values.help) {
        io.stdout.write(`${helpText(commands)}\n`);
        return firstPass.positionals.length === 0 && !firstPass.values.help ? 2 : 0;
      }
      throw new UsageError(`unknown command "${firstPass.positionals.slice(0, 2).join(' ')}". Run \`ft --help\`.`);
    }
    const all = { ...(cmd.options ?? {}), ...COMMON };
    const parseOpts: Record<string, { type: 'string' | 'boolean'; short?: string }> = {};
    for (const [name, o] of Object.entries(all)) {
      parseOpts[name] = { type: o.type === 'boolean' ? 'boolean' : 'string', ...(o.short ? { short: o.short } : {}) };
    }
    let parsed: ReturnType<typeof parseArgs>;
    try {
      parsed = parseArgs({ args: argv, options: parseOpts, strict: true, allowPositionals: true });
    } catch (e) {
      throw new UsageError(`${(e as Error).message.split('\n')[0]} (see \`ft ${fullName(cmd)} --help\`)`);
    }
    if (parsed.values.help) {
      io.stdout.write(`${helpText(commands, cmd)}\n`);
      return 0;
    }
    const args: CommandContext['args'] = {};
    for (const [name, o] of Object.entries(all)) args[name] = coerce(name, o, parsed.values[name] as string | boolean);
    json = Boolean(args.json);
    const positionals = findCommand(commands, parsed.positionals).rest;
    const required = (cmd.positionals ?? []).filter((p) => p.required);
    if (positionals.length < required.length) {
      throw new UsageError(`missing <${required[positionals.length].name}> (see \`ft ${fullName(cmd)} --help\`)`);
    }
    void rest;
    const seed = Number(args.seed ?? 0);
    const log = (m: string) => (json ? io.stderr : io.stdout).write(`${m}\n`);
    const backend =
      cmd.needsBackend === false
        ? undefined
        : await initBackend({
            ...(args.backend ? { prefer: String(args.backend).split(',') as BackendName[], ignoreEnv: true } : {}),
            log: { warn: (m) => io.stderr.write(`${m}\n`) },
          });
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
    if (json) io.stdout.write(`${JSON.stringify(result ?? {})}\n`);
    else if (result) io.stdout.write(`${formatHuman(result)}\n`);
    return 0;
  } catch (e) {
    const code = e instanceof UsageError ? 2 : 1;
    const msg =
      e instanceof FtError
        ? `ft: error [${e.code}]: ${e.message}`
        : `ft: unexpected error: ${e instanceof Error ? e.message : String(e)}`;
    io.stderr.write(`${msg}\n`);
    if (process.env.FT_DEBUG && e instanceof Error && e.stack) io.stderr.write(`${e.stack}\n`);
    if (json)
      io.stdout.write(
        `${JSON.stringify({ error: { code: e instanceof FtError ? e.code : 'UNEXPECTED', message: (e as Error).message } })}\n`,
      );
    return code;
  } finally {
    process.off('SIGINT', onSigint);
  }
}

/** Human-readable rendering of a result object: a `table` field (Markdown) is printed as is, then key: value. */
export function formatHuman(result: Record<string, unknown>): string {
  const lines: string[] = [];
  for (const [k, v] of Object.entries(result)) {
    if (k === 'table' && typeof v === 'string') continue;
    lines.push(`${k}: ${typeof v === 'object' ? JSON.stringify(v) : String(v)}`);
  }
  if (typeof result.table === 'string') lines.push('', result.table);
  return lines.join('\n');
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
