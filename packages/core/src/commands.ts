/**
 * The command registration API shared by `@ft/cli` and the method packages. A method package exports
 * `commands: CommandSpec[]` (e.g. `ad fit`, `ad eval`); the CLI mounts them as `ft <group> <name>`, parses
 * flags, initialises the backend and prints results. Commands hold no printing or parsing logic of their own.
 */
import type { BackendInfo } from './backend.js';
import type { Rng } from './rng.js';

/** One flag of a command. `--seed`, `--backend` and `--json` are added by the CLI to every command. */
export interface CommandOption {
  type: 'string' | 'number' | 'boolean';
  description: string;
  default?: string | number | boolean;
  required?: boolean;
  /** Allowed values (checked by the CLI). */
  choices?: readonly string[];
  /** One-letter alias. */
  short?: string;
}

/** Reports progress of long work; renders a bar only when stdout is a TTY and `--json` is off. */
export interface ProgressReporter {
  update(done: number, info?: string): void;
  done(): void;
}

/** What a command receives when it runs. */
export interface CommandContext {
  /** Parsed flags, typed per `CommandOption.type` (defaults applied). */
  args: Record<string, string | number | boolean | undefined>;
  /** Positional arguments after the command name. */
  positionals: string[];
  /** `--seed` (default 0). */
  seed: number;
  /** Seeded RNG created from `--seed`. */
  rng: Rng;
  /** True with `--json`: the last stdout line must be the JSON result, so logs go to stderr. */
  json: boolean;
  /** The backend chosen for this run. */
  backend: BackendInfo;
  /** Human-readable log line (stderr under `--json`, stdout otherwise). */
  log(message: string): void;
  /** Creates a progress reporter for `total` units of work. */
  progress(total: number, label: string): ProgressReporter;
  /** Aborted on SIGINT; long work should stop cleanly (and checkpoint) when it fires. */
  signal: AbortSignal;
}

/** A CLI command contributed by a package. */
export interface CommandSpec {
  /** Command group, e.g. `'ad'` for `ft ad fit`; omit for top-level commands. */
  group?: string;
  /** Command name within its group, e.g. `'fit'`. */
  name: string;
  /** One-line description for `--help`. */
  description: string;
  options?: Record<string, CommandOption>;
  /** Names of positional arguments, for help text; `required` ones are checked. */
  positionals?: { name: string; description: string; required?: boolean }[];
  /** Does the work; the returned object is the command's result (printed as JSON with `--json`). */
  run(ctx: CommandContext): Promise<Record<string, unknown> | undefined>;
  /** Set to false for commands that never touch tensors (skip backend init). Default true. */
  needsBackend?: boolean;
}

/** Identity helper that type-checks a command definition. */
export function defineCommand(spec: CommandSpec): CommandSpec {
  return spec;
}
