/**
 * `ft hparams search`: runs an objective module's trials on a study kept in a storage that several processes may
 * share (an Optuna journal file or Redis), creating the study or joining it (Optuna's `load_if_exists`).
 */
import { type CommandContext, defineCommand, InvalidArgumentError, ResumeMismatchError } from '@ft/core';
import { checkPositiveInt } from '@ft/core/internal';
import { childProcessObjective } from '../engine/child-process.js';
import { MedianPruner } from '../engine/pruners/percentile.js';
import { HyperbandPruner, SuccessiveHalvingPruner } from '../engine/pruners/successive-halving.js';
import { GridSampler } from '../engine/samplers/grid.js';
import { RandomSampler } from '../engine/samplers/random.js';
import { TPESampler } from '../engine/samplers/tpe.js';
import type { StudyDirection, StudyStorage } from '../engine/storage.js';
import { createStudy, loadStudy, type Objective, type Study, TrialPruned } from '../engine/study.js';
import type { Pruner, TrialSampler } from '../engine/types.js';
import type { WorkerOptions } from '../engine/workers.js';
import { openStorage, STORAGE_SPECS } from '../storage/open-storage.js';
import { loadObjectiveModule, type ObjectiveModule } from './objective-module.js';
import { formatParams, formatValue, studySummary } from './study-report.js';

/** The samplers `--sampler` names. */
export const SEARCH_SAMPLERS = ['tpe', 'random', 'grid'] as const;
/** The pruners `--pruner` names. */
export const SEARCH_PRUNERS = ['none', 'median', 'sha', 'hyperband'] as const;
/** How `--isolate` runs each trial: in this process, or in a fresh child process (`childProcessObjective`). */
export const SEARCH_ISOLATION = ['none', 'process'] as const;

/** The sampler `name` names, seeded with `seed`; grid needs the module's `searchSpace`. */
export function makeSampler(
  name: string,
  seed: number,
  mod: Pick<ObjectiveModule, 'path' | 'searchSpace'>,
): TrialSampler {
  switch (name) {
    case 'tpe':
      return new TPESampler({ seed });
    case 'random':
      return new RandomSampler({ seed });
    case 'grid':
      if (!mod.searchSpace)
        throw new InvalidArgumentError(
          `--sampler grid: ${mod.path} exports no searchSpace (export const searchSpace = { name: [values] })`,
        );
      return new GridSampler(mod.searchSpace, { seed });
    default:
      throw new InvalidArgumentError(`--sampler: unknown sampler '${name}'; expected ${SEARCH_SAMPLERS.join(', ')}`, {
        sampler: name,
      });
  }
}

/** The pruner `name` names, with the engine's (Optuna's) defaults. */
export function makePruner(name: string): Pruner | undefined {
  switch (name) {
    case 'none':
      return undefined;
    case 'median':
      return new MedianPruner();
    case 'sha':
      return new SuccessiveHalvingPruner();
    case 'hyperband':
      return new HyperbandPruner();
    default:
      throw new InvalidArgumentError(`--pruner: unknown pruner '${name}'; expected ${SEARCH_PRUNERS.join(', ')}`, {
        pruner: name,
      });
  }
}

/** Options of {@link openOrCreateStudy}. */
export interface OpenOrCreateOptions extends WorkerOptions {
  storage: StudyStorage;
  studyName: string;
  /** The direction the objective wants, or null to take an existing study's (and minimise a new one). */
  direction: StudyDirection | null;
  sampler: TrialSampler;
  pruner?: Pruner;
}

/**
 * Loads the study, or creates it when the storage has none of that name (Optuna's `load_if_exists`). A study with the
 * other direction is a ResumeMismatchError. When another process creates the study at the same moment, this one
 * joins it.
 */
export async function openOrCreateStudy(o: OpenOrCreateOptions): Promise<{ study: Study; created: boolean }> {
  const { storage, studyName, direction, ...rest } = o;
  const load = async (): Promise<Study> => {
    const study = await loadStudy({ ...rest, storage, studyName });
    if (direction !== null && study.direction !== direction)
      throw new ResumeMismatchError(
        `study '${studyName}' exists with direction '${study.direction}', but the objective exports direction '${direction}' (use another --study name)`,
        { study: studyName, stored: study.direction, requested: direction },
      );
    return study;
  };
  await storage.sync?.();
  if ((await storage.getStudyIdFromName(studyName)) !== null) return { study: await load(), created: false };
  try {
    const study = await createStudy({ ...rest, storage, studyName, direction: direction ?? 'minimize' });
    return { study, created: true };
  } catch (e) {
    // Another process created it between our look and our write: join it.
    await storage.sync?.();
    if (e instanceof InvalidArgumentError && (await storage.getStudyIdFromName(studyName)) !== null)
      return { study: await load(), created: false };
    throw e;
  }
}

/** Wraps the objective so that each finished trial logs one line: number, params, and value or state. */
function loggingObjective(objective: Objective, log: (m: string) => void): Objective {
  return async (trial) => {
    const start = Date.now();
    const line = (what: string) =>
      log(
        `trial ${trial.number}: ${formatParams(trial.params)} → ${what} (${((Date.now() - start) / 1000).toFixed(2)} s)`,
      );
    try {
      const v = await objective(trial);
      if (typeof v === 'number' && !Number.isNaN(v)) line(`${formatValue(v)}`);
      else line(`failed (the objective returned ${typeof v === 'number' ? 'NaN' : typeof v})`);
      return v;
    } catch (e) {
      if (e instanceof TrialPruned)
        line('pruned'); // as optimize decides: the brand, across package copies
      else line(`failed (${e instanceof Error ? e.message : String(e)})`);
      throw e;
    }
  };
}

/** The checked numeric options of a search run. */
function searchLimits(args: CommandContext['args']): { nTrials?: number; timeoutMs?: number } {
  const n = args['n-trials'];
  const t = args.timeout;
  if (n === undefined && t === undefined)
    throw new InvalidArgumentError('hparams search: give --n-trials N, --timeout seconds, or both');
  const out: { nTrials?: number; timeoutMs?: number } = {};
  if (n !== undefined) out.nTrials = checkPositiveInt(n, '--n-trials', 'hparams search');
  if (t !== undefined) {
    if (typeof t !== 'number' || !Number.isFinite(t) || t <= 0)
      throw new InvalidArgumentError(`hparams search: --timeout must be a number of seconds > 0, got ${String(t)}`);
    out.timeoutMs = t * 1000;
  }
  return out;
}

function workerOptions(args: CommandContext['args']): WorkerOptions {
  const out: WorkerOptions = {};
  const hb = args.heartbeat;
  if (hb !== undefined) {
    if (typeof hb !== 'number' || !Number.isFinite(hb) || hb <= 0)
      throw new InvalidArgumentError(`hparams search: --heartbeat must be a number of seconds > 0, got ${String(hb)}`);
    out.heartbeat = { intervalMs: hb * 1000 };
  }
  const retry = args['retry-failed'];
  if (retry !== undefined && retry !== 0) {
    out.retryFailedTrials = checkPositiveInt(retry, '--retry-failed', 'hparams search');
    if (!out.heartbeat)
      throw new InvalidArgumentError(
        'hparams search: --retry-failed re-runs trials failed by heartbeat; give --heartbeat <seconds> too',
      );
  }
  return out;
}

/** The `ft hparams search` command. */
export const search = defineCommand({
  group: 'hparams',
  name: 'search',
  description:
    "Run an objective module's trials on a study in a shared storage (created, or joined when it exists); --n-trials counts this process's trials, as Optuna's optimize",
  needsBackend: false,
  options: {
    objective: {
      type: 'string',
      description:
        'ES module whose default export is async (trial) => number; it may export direction (minimize | maximize) and searchSpace (for --sampler grid)',
      required: true,
      input: 'file',
    },
    study: {
      type: 'string',
      description: 'Study name (created when the storage has none of this name)',
      required: true,
    },
    storage: { type: 'string', description: `Where the study lives: ${STORAGE_SPECS.join(' | ')}`, required: true },
    'n-trials': {
      type: 'number',
      description: 'Trials this process runs (several processes on one storage each run their own N)',
      integer: true,
      min: 1,
    },
    timeout: { type: 'number', description: 'Start no new trial after this many seconds', exclusiveMin: 0 },
    sampler: { type: 'string', description: 'Sampler (seeded by --seed)', choices: SEARCH_SAMPLERS, default: 'tpe' },
    pruner: { type: 'string', description: 'Pruner (Optuna defaults)', choices: SEARCH_PRUNERS, default: 'none' },
    isolate: {
      type: 'string',
      description: 'none: trials run in this process; process: each trial in a fresh Node process (await trial calls)',
      choices: SEARCH_ISOLATION,
      default: 'none',
    },
    heartbeat: {
      type: 'number',
      description: 'Write a heartbeat every this many seconds; other workers fail a trial whose heartbeat is 2× older',
      exclusiveMin: 0,
    },
    'retry-failed': {
      type: 'number',
      description: 'Re-run a trial failed by heartbeat up to this many times (needs --heartbeat)',
      integer: true,
      min: 0,
    },
  },
  examples: [
    'ft hparams search --objective objective.mjs --study lr --storage journal.log --n-trials 20',
    'ft hparams search --objective objective.mjs --study lr --storage redis://localhost:6379/0 --n-trials 10 --sampler tpe --pruner median --seed 1 --json',
    'ft hparams search --objective grid.mjs --study g --storage memory --n-trials 100 --sampler grid',
    'ft hparams search --objective objective.mjs --study lr --storage journal.log --timeout 600 --isolate process --heartbeat 10 --retry-failed 2',
  ],
  async run(ctx) {
    const limits = searchLimits(ctx.args);
    const workers = workerOptions(ctx.args);
    const sampler = String(ctx.args.sampler ?? 'tpe');
    const prunerName = String(ctx.args.pruner ?? 'none');
    const isolate = String(ctx.args.isolate ?? 'none');
    if (!(SEARCH_ISOLATION as readonly string[]).includes(isolate))
      throw new InvalidArgumentError(`--isolate: unknown mode '${isolate}'; expected ${SEARCH_ISOLATION.join(', ')}`);
    const pruner = makePruner(prunerName);
    const mod = await loadObjectiveModule(String(ctx.args.objective ?? ''));
    const samplerImpl = makeSampler(sampler, ctx.seed, mod);
    const studyName = String(ctx.args.study ?? '');
    if (studyName === '') throw new InvalidArgumentError('hparams search: --study needs a name');
    const opened = openStorage(String(ctx.args.storage ?? ''));
    try {
      const { study, created } = await openOrCreateStudy({
        storage: opened.storage,
        studyName,
        direction: mod.direction,
        sampler: samplerImpl,
        ...(pruner ? { pruner } : {}),
        ...workers,
      });
      const before = study.trials.length;
      ctx.log(
        `hparams search: ${created ? 'created' : 'joined'} study '${studyName}' (${study.direction}, ${before} trial${before === 1 ? '' : 's'} so far) in ${opened.kind === 'memory' ? 'memory' : opened.location}; sampler ${sampler}, pruner ${prunerName}${isolate === 'process' ? ', each trial in a child process' : ''}`,
      );
      const objective = isolate === 'process' ? childProcessObjective(mod.path) : mod.objective;
      try {
        await study.optimize(loggingObjective(objective, ctx.log), { ...limits, signal: ctx.signal });
      } catch (e) {
        if (ctx.signal.aborted) {
          await opened.storage.sync?.();
          ctx.log(`hparams search: stopped; study '${studyName}' keeps its ${study.trials.length} trials`);
        }
        throw e;
      }
      await opened.storage.sync?.();
      return { ...studySummary(study) };
    } finally {
      await opened.close();
    }
  },
});
