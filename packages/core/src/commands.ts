/**
 * The command registration API shared by `@ft/cli` and the method packages. A method package exports
 * `commands: CommandSpec[]` (e.g. `ad fit`, `ad eval`); the CLI mounts them as `ft <group> <name>`, parses
 * flags, initialises the backend and prints results. Commands hold no printing or parsing logic of their own.
 */
import type { BackendInfo } from './backend.js';
import type { Rng } from './rng.js';
import type { Callback } from './train/callback.js';

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
  /** Number options: the value must be an integer (checked by the CLI, shown in `--help`). */
  integer?: boolean;
  /** Number options: the smallest allowed value (inclusive). */
  min?: number;
  /** Number options: the value must be greater than this. */
  exclusiveMin?: number;
  /** Number options: the largest allowed value (inclusive). */
  max?: number;
  /** Number options: the value must be less than this. */
  exclusiveMax?: number;
  /** String options: the value must match this pattern; `patternHint` describes it in messages and help. */
  pattern?: RegExp;
  patternHint?: string;
  /**
   * String options naming a path the command writes: `'dir'` (a folder it creates or fills) or `'file'`. The CLI
   * checks before the command runs that the path is not an existing entry of the other kind and that its nearest
   * existing parent is a writable folder, so a bad path fails at once instead of after training.
   */
  output?: 'dir' | 'file';
  /**
   * String options naming a path the command reads: `'file'` or `'dir'`. The CLI refuses (exit 2) a path that exists
   * as the other kind before the command runs; a missing path is left to the command's loader (its typed error).
   */
  input?: 'dir' | 'file';
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
  /**
   * Aborted on the first SIGINT or SIGTERM (its reason is an `InterruptedError`); long work should stop after the
   * current step (and checkpoint) when it fires. The CLI then exits 130 (SIGINT) or 143 (SIGTERM).
   */
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
  /**
   * Example command lines for `--help` (printed under "Examples:"), each a full line starting with `ft`, e.g.
   * `'ft ad score --detector det/ --images photos/'`. Every mounted command should have at least one.
   */
  examples?: string[];
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

/**
 * The `"ft"` field of an @ft package's package.json: how the tools of the monorepo find it. The `ft` CLI mounts the
 * `commands` export of every installed package with `commands: true`; the pack-and-install smoke test runs its
 * `test/smoke.mjs`; `scripts/docs-tables.mjs` writes its row of the README's package table. Adding a method package is
 * adding a folder with this field: nothing outside the folder lists it.
 */
export interface FtPackageManifest {
  /** What the package is: a method from a paper, a shared library, the CLI, or a tfjs backend. */
  kind: 'method' | 'library' | 'cli' | 'backend';
  /** True when the package exports `commands: CommandSpec[]` for the `ft` CLI. */
  commands?: boolean;
  /** One line for the README's package table. */
  summary: string;
  /** Methods: the paper it implements (authors, venue, arXiv id). */
  paper?: string;
  /** Methods: its results page under docs/results/, relative to the repository root. */
  results?: string;
}

/**
 * A `fit` callback that drives a command's progress reporter: one unit per optimizer step, with the step's loss, and
 * the validation accuracy logged after epochs that have one. Call `finish()` when training ends.
 * @param ctx the command's context.
 * @param total the run's total steps.
 * @param label the bar's label, e.g. `'ssl train'`.
 */
export function fitProgress(ctx: CommandContext, total: number, label: string): Callback & { finish(): void } {
  const bar = ctx.progress(total, label);
  return {
    name: 'cli-progress',
    onStepEnd: (step, logs) => bar.update(step + 1, `loss ${logs.loss.toFixed(3)}`),
    onEpochEnd: (_e, logs) => {
      if (logs.val_accuracy !== undefined) ctx.log(`  val accuracy ${(100 * logs.val_accuracy).toFixed(1)}%`);
    },
    finish: () => bar.done(),
  };
}

/**
 * Options every few-label transfer command shares (`ft ssl train`, `ft adafilter train`): the pre-trained source, the
 * dataset, the labelled budget K per class with its validation hold-out (core `budgetSplit`), a test-set limit and a
 * checkpoint folder. Spread them into a command's `options` and add its own.
 */
export const FEW_LABEL_TRAIN_OPTIONS: Readonly<Record<string, CommandOption>> = Object.freeze({
  source: {
    type: 'string',
    description: 'Pre-trained model: zoo:<name>, a model directory, model.json or URL',
    required: true,
  },
  dataset: { type: 'string', description: 'fashion-mnist | mnist | <folder> | folder:<dir>', default: 'fashion-mnist' },
  'labels-per-class': {
    type: 'number',
    description: 'Labelled budget K per class (validation included)',
    required: true,
    integer: true,
    min: 2,
  },
  'val-per-class': {
    type: 'number',
    description: 'Labels per class held out for validation (default max(1, ⌊K/4⌋))',
    integer: true,
    min: 1,
  },
  'test-limit': {
    type: 'number',
    description: 'Score the first N test images (0 = all)',
    default: 0,
    integer: true,
    min: 0,
  },
  'checkpoint-dir': {
    type: 'string',
    description: 'Write checkpoints here and resume from them',
    output: 'dir',
  },
});

/** Options of a command that scores a saved model on a dataset's test split: `--model`, `--dataset`, `--limit`. */
export const EVAL_COMMAND_OPTIONS: Readonly<Record<string, CommandOption>> = Object.freeze({
  model: { type: 'string', description: 'zoo:<name>, a model directory, model.json or URL', required: true },
  dataset: { type: 'string', description: 'fashion-mnist | mnist | <folder> | folder:<dir>', default: 'fashion-mnist' },
  limit: {
    type: 'number',
    description: 'Score the first N test images (0 = all)',
    default: 0,
    integer: true,
    min: 0,
  },
});
