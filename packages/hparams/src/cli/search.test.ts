/**
 * `ft hparams search` in process, with a fake CLI context (commandContext) and the objective modules of
 * test/fixtures/cli/. The several-process case is test/cli-processes.test.ts.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { CommandContext } from '@ft/core';
import { FtError } from '@ft/core';
import { commandContext } from '@ft/core/testing';
import { afterAll, describe, expect, it } from 'vitest';
import { REDIS_SERVER, startRedisServer } from '../../test/redis-server.js';
import { MedianPruner } from '../engine/pruners/percentile.js';
import { HyperbandPruner, SuccessiveHalvingPruner } from '../engine/pruners/successive-halving.js';
import { GridSampler } from '../engine/samplers/grid.js';
import { RandomSampler } from '../engine/samplers/random.js';
import { TPESampler } from '../engine/samplers/tpe.js';
import { loadStudy } from '../engine/study.js';
import { journalFileStorage } from '../storage/journal-storage.js';
import { makePruner, makeSampler, search } from './search.js';

const FIX = fileURLToPath(new URL('../../test/fixtures/cli/', import.meta.url));
const fx = (name: string) => join(FIX, name);
const dir = mkdtempSync(join(tmpdir(), 'ft-hparams-search-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function ctx(args: CommandContext['args'], opts: { seed?: number; signal?: AbortSignal } = {}) {
  const lines: string[] = [];
  const c = commandContext(search, args, { seed: opts.seed ?? 0, log: (m) => lines.push(m) });
  return { ctx: opts.signal ? { ...c, signal: opts.signal } : c, lines };
}

async function failure(p: Promise<unknown>): Promise<FtError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(FtError);
    return e as FtError;
  }
  throw new Error('expected the command to fail');
}

interface Summary {
  study: string;
  direction: string;
  bestValue: number | null;
  bestParams: Record<string, unknown> | null;
  nTrials: number;
  nComplete: number;
  nPruned: number;
  nFail: number;
}

/** Runs the command and types its result as the summary. */
const runSearch = async (c: CommandContext): Promise<Summary> => (await search.run(c)) as unknown as Summary;

describe('ft hparams search', () => {
  it('runs N trials on a journal file and returns exactly the summary object; a second run joins the study', async () => {
    const storage = join(dir, 'quad.log');
    const args = { objective: fx('quadratic.mjs'), study: 'quad', storage, 'n-trials': 12, sampler: 'tpe' };
    const first = ctx(args);
    const r = await runSearch(first.ctx);
    expect(Object.keys(r).sort()).toEqual(
      ['bestParams', 'bestValue', 'direction', 'nComplete', 'nFail', 'nPruned', 'nTrials', 'study'].sort(),
    );
    expect(r).toMatchObject({ study: 'quad', direction: 'minimize', nTrials: 12, nComplete: 12, nPruned: 0, nFail: 0 });
    const { x, y } = r.bestParams as { x: number; y: number };
    expect(r.bestValue).toBeCloseTo((x - 2) ** 2 + (y + 1) ** 2, 12);
    // One progress line per trial: number, params, value.
    const trialLines = first.lines.filter((l) => /^trial \d+: /.test(l));
    expect(trialLines).toHaveLength(12);
    expect(trialLines[0]).toMatch(/^trial 0: x=-?[\d.]+, y=-?[\d.]+ → [\d.e+-]+ \([\d.]+ s\)$/);
    expect(first.lines[0]).toMatch(/created study 'quad' \(minimize, 0 trials so far\)/);

    // Load-or-create: the same command again adds 5 trials to the same study (n-trials is per run).
    const second = ctx({ ...args, 'n-trials': 5 }, { seed: 1 });
    const r2 = await runSearch(second.ctx);
    expect(second.lines[0]).toMatch(/joined study 'quad' \(minimize, 12 trials so far\)/);
    expect(r2.nTrials).toBe(17);
    expect(r2.bestValue as number).toBeLessThanOrEqual(r.bestValue as number);

    // The journal holds what the summary says.
    const s = journalFileStorage(storage);
    const study = await loadStudy({ storage: s, studyName: 'quad' });
    expect(study.trials.map((t) => t.number)).toEqual([...Array(17).keys()]);
    expect(study.bestValue).toBe(r2.bestValue);
    await s.close();
  });

  it('TPE gets the quadratic below 1 in 30 seeded trials', async () => {
    const r = await runSearch(
      ctx({ objective: fx('quadratic.mjs'), study: 'q', storage: 'memory', 'n-trials': 30 }, { seed: 3 }).ctx,
    );
    expect(r.nComplete).toBe(30);
    expect(r.bestValue as number).toBeLessThan(1);
  });

  it('a maximize module makes a maximize study; joining it from a minimize module is a RESUME_MISMATCH', async () => {
    const storage = join(dir, 'dir.log');
    const r = await runSearch(
      ctx({ objective: fx('maximize.mjs'), study: 'm', storage, 'n-trials': 6, sampler: 'random' }).ctx,
    );
    expect(r.direction).toBe('maximize');
    const { x } = r.bestParams as { x: number };
    expect(r.bestValue).toBeCloseTo(x * (1 - x), 12);
    const e = await failure(
      search.run(ctx({ objective: fx('quadratic.mjs'), study: 'm', storage, 'n-trials': 1 }).ctx),
    );
    expect(e.code).toBe('RESUME_MISMATCH');
    expect(e.message).toMatch(/exists with direction 'maximize', but the objective exports direction 'minimize'/);
    // A module without a direction export joins whatever the study has: failing.mjs into the maximize study.
    const r2 = await runSearch(
      ctx({ objective: fx('failing.mjs'), study: 'm', storage, 'n-trials': 1, sampler: 'random' }).ctx,
    );
    expect(r2).toMatchObject({ direction: 'maximize', nTrials: 7 });
  });

  it('grid search runs every point of the module searchSpace once and stops', async () => {
    const g = ctx({ objective: fx('grid.mjs'), study: 'g', storage: 'memory', 'n-trials': 50, sampler: 'grid' });
    const r = await runSearch(g.ctx);
    expect(r).toMatchObject({ nTrials: 6, nComplete: 6, bestValue: 0, bestParams: { x: 0, y: 'a' } });
  });

  it('failed trials (a throw, a NaN) are counted and logged, and the study goes on', async () => {
    const f = ctx({ objective: fx('failing.mjs'), study: 'f', storage: 'memory', 'n-trials': 6, sampler: 'random' });
    const r = await runSearch(f.ctx);
    // Trials 1, 3, 5 throw, trial 2 returns NaN: 0 and 4 complete.
    expect(r).toMatchObject({ nTrials: 6, nComplete: 2, nFail: 4, nPruned: 0 });
    expect(f.lines.find((l) => l.startsWith('trial 1:'))).toMatch(/failed \(trial 1 exploded\)/);
    expect(f.lines.find((l) => l.startsWith('trial 2:'))).toMatch(/failed \(the objective returned NaN\)/);
  });

  it('--timeout alone bounds the run; an aborted signal stops after the running trial and keeps it', async () => {
    process.env.SLOW_MS = '150';
    try {
      const t = ctx({ objective: fx('slow.mjs'), study: 't', storage: 'memory', timeout: 0.4 });
      const t0 = Date.now();
      const r = await runSearch(t.ctx);
      // No trial starts after 0.4 s and each takes >= 150 ms: 1 to 3 trials, all complete.
      expect(r.nTrials).toBeGreaterThanOrEqual(1);
      expect(r.nTrials).toBeLessThanOrEqual(3);
      expect(r.nComplete).toBe(r.nTrials);
      expect(Date.now() - t0).toBeGreaterThanOrEqual(150 * r.nTrials);

      // Abort while trial 1 is running (seen in the journal by another reader): it still completes, none follows.
      const storage = join(dir, 'abort.log');
      const ac = new AbortController();
      const a = ctx({ objective: fx('slow.mjs'), study: 'a', storage, 'n-trials': 100 }, { signal: ac.signal });
      const watcher = journalFileStorage(storage);
      const running = search.run(a.ctx);
      const watch = async () => {
        for (let i = 0; i < 3000; i++) {
          await new Promise((res) => setTimeout(res, 10));
          await watcher.sync();
          const id = await watcher.getStudyIdFromName('a');
          if (id !== null && watcher.getAllTrials(id, ['running']).some((x) => x.number >= 1)) return;
        }
      };
      await watch();
      ac.abort(new Error('SIGINT'));
      await watcher.close();
      const e = await failure(running);
      expect(e.code).toBe('ABORTED');
      expect(a.lines.at(-1)).toMatch(/stopped; study 'a' keeps its \d+ trials/);
      const s = journalFileStorage(storage);
      const study = await loadStudy({ storage: s, studyName: 'a' });
      // Every trial started has finished: the one running at the abort completed.
      expect(study.trials.length).toBeGreaterThanOrEqual(2);
      expect(study.trials.every((x) => x.state === 'complete')).toBe(true);
      await s.close();
    } finally {
      delete process.env.SLOW_MS;
    }
  });

  it('bad input: typed errors naming the problem', async () => {
    const base = { objective: fx('quadratic.mjs'), study: 'b', storage: 'memory', 'n-trials': 1 };
    const cases: [CommandContext['args'], string, RegExp][] = [
      [{ ...base, sampler: 'cmaes' }, 'INVALID_ARGUMENT', /unknown sampler 'cmaes'; expected tpe, random, grid/],
      [{ ...base, pruner: 'wilcoxon' }, 'INVALID_ARGUMENT', /unknown pruner 'wilcoxon'/],
      [{ ...base, objective: fx('nope.mjs') }, 'INVALID_ARGUMENT', /no module at .*nope\.mjs/],
      [{ ...base, objective: FIX }, 'INVALID_ARGUMENT', /is not a file/],
      [{ ...base, objective: fx('no-default.mjs') }, 'INVALID_ARGUMENT', /has no default export function/],
      [{ ...base, objective: fx('import-throws.mjs') }, 'INVALID_ARGUMENT', /could not import .*failed at import/],
      [{ ...base, objective: fx('bad-direction.mjs') }, 'INVALID_ARGUMENT', /direction "up"; expected/],
      [{ ...base, sampler: 'grid' }, 'INVALID_ARGUMENT', /--sampler grid: .* exports no searchSpace/],
      [{ ...base, 'n-trials': Number.POSITIVE_INFINITY }, 'INVALID_ARGUMENT', /--n-trials must be an integer >= 1/],
      [{ ...base, 'n-trials': Number.NaN }, 'INVALID_ARGUMENT', /--n-trials must be an integer >= 1/],
      [{ ...base, 'n-trials': 2.5 }, 'INVALID_ARGUMENT', /--n-trials must be an integer >= 1/],
      [{ ...base, 'n-trials': undefined }, 'INVALID_ARGUMENT', /give --n-trials N, --timeout seconds, or both/],
      [{ ...base, timeout: Number.NaN }, 'INVALID_ARGUMENT', /--timeout must be a number of seconds > 0/],
      [{ ...base, storage: join(dir, 'missing', 'x.log') }, 'INVALID_ARGUMENT', /does not exist/],
      [{ ...base, storage: 'redis://host:port' }, 'INVALID_ARGUMENT', /not a usable Redis URL/],
      [{ ...base, 'retry-failed': 2 }, 'INVALID_ARGUMENT', /give --heartbeat <seconds> too/],
      [{ ...base, isolate: 'thread' }, 'INVALID_ARGUMENT', /unknown mode 'thread'/],
    ];
    for (const [args, want, re] of cases) {
      const e = await failure(search.run(ctx(args).ctx));
      expect(e.code, JSON.stringify(args)).toBe(want);
      expect(e.message, JSON.stringify(args)).toMatch(re);
    }
  });

  it('--isolate process runs each trial in a child process, with heartbeats and retries set on the study', async () => {
    const storage = join(dir, 'iso.log');
    const p = ctx({
      objective: fx('quadratic.mjs'),
      study: 'iso',
      storage,
      'n-trials': 3,
      sampler: 'random',
      isolate: 'process',
      heartbeat: 1,
      'retry-failed': 1,
    });
    const r = await runSearch(p.ctx);
    expect(r).toMatchObject({ nTrials: 3, nComplete: 3 });
    expect(p.lines[0]).toMatch(/each trial in a child process/);
    const s = journalFileStorage(storage);
    const study = await loadStudy({ storage: s, studyName: 'iso' });
    // Each trial wrote at least its first heartbeat.
    expect(study.trials.every((t) => typeof t.systemAttrs['ft:heartbeat'] === 'number')).toBe(true);
    for (const t of study.trials) {
      const { x, y } = t.params as { x: number; y: number };
      expect(t.value).toBeCloseTo((x - 2) ** 2 + (y + 1) ** 2, 12);
    }
    await s.close();
  }, 60_000);

  it('--pruner median prunes trials worse than the median at a step (trials in child processes)', async () => {
    const p = ctx(
      {
        objective: fx('pruned.mjs'),
        study: 'p',
        storage: 'memory',
        'n-trials': 12,
        sampler: 'random',
        pruner: 'median',
        isolate: 'process',
      },
      { seed: 5 },
    );
    const r = await runSearch(p.ctx);
    expect(r.nTrials).toBe(12);
    expect(r.nPruned).toBeGreaterThan(0);
    expect(r.nComplete + r.nPruned).toBe(12);
    expect(p.lines.filter((l) => / → pruned \(/.test(l))).toHaveLength(r.nPruned);
    // MedianPruner's 5 startup trials are never pruned.
    for (let n = 0; n < 5; n++) expect(p.lines.find((l) => l.startsWith(`trial ${n}:`))).not.toMatch(/pruned/);
  }, 60_000);

  it.skipIf(!REDIS_SERVER)('a redis://host:port/db storage holds the study across runs', async () => {
    const server = await startRedisServer();
    try {
      const args = { objective: fx('quadratic.mjs'), study: 'r', storage: `${server.url}/2`, 'n-trials': 3 };
      const first = await runSearch(ctx(args, { seed: 1 }).ctx);
      const second = await runSearch(ctx(args, { seed: 2 }).ctx);
      expect(first).toMatchObject({ nTrials: 3, nComplete: 3 });
      expect(second).toMatchObject({ nTrials: 6, nComplete: 6 });
      expect(second.bestValue as number).toBeLessThanOrEqual(first.bestValue as number);
    } finally {
      await server.stop();
    }
  });

  it('an unreachable Redis is a STORAGE_UNREACHABLE error within seconds', async () => {
    const t0 = Date.now();
    const e = await failure(
      search.run(
        ctx({ objective: fx('quadratic.mjs'), study: 'u', storage: 'redis://127.0.0.1:1/0', 'n-trials': 1 }).ctx,
      ),
    );
    expect(e.code).toBe('STORAGE_UNREACHABLE');
    expect(Date.now() - t0).toBeLessThan(20_000);
  }, 30_000);

  it('maps the sampler and pruner names to the engine classes', () => {
    const mod = { path: 'm.mjs', searchSpace: { a: [1, 2] } };
    expect(makeSampler('tpe', 0, mod)).toBeInstanceOf(TPESampler);
    expect(makeSampler('random', 0, mod)).toBeInstanceOf(RandomSampler);
    expect(makeSampler('grid', 0, mod)).toBeInstanceOf(GridSampler);
    expect(makePruner('none')).toBeUndefined();
    expect(makePruner('median')).toBeInstanceOf(MedianPruner);
    expect(makePruner('sha')).toBeInstanceOf(SuccessiveHalvingPruner);
    expect(makePruner('hyperband')).toBeInstanceOf(HyperbandPruner);
  });

  it('has help examples and the documented choices', () => {
    expect(search.examples?.length).toBeGreaterThanOrEqual(3);
    for (const ex of search.examples ?? []) expect(ex).toMatch(/^ft hparams search /);
    expect(search.options?.sampler.choices).toEqual(['tpe', 'random', 'grid']);
    expect(search.options?.pruner.choices).toEqual(['none', 'median', 'sha', 'hyperband']);
  });
});
