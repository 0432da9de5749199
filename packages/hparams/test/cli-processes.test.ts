/**
 * `ft hparams search` as separate processes: two processes started together on one Optuna journal file share the
 * study (each runs its own --n-trials, as Optuna's optimize; trial numbers stay unique), `ft hparams show` reads the
 * result, SIGINT stops a search after its running trial (exit 130, nothing left running), and bad flags exit 2.
 *
 * The processes run test/fixtures/cli/ft.ts: the CLI's own runCli with this package's commands, bundled from source
 * with tsup's esbuild (as test/workers.test.ts does), so the test needs no build of @ft/hparams or @ft/cli; @ft/core
 * stays external and resolves to its dist (built first when missing).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadStudy } from '../src/engine/study.js';
import { journalFileStorage } from '../src/storage/journal-storage.js';
import { bundleForTest, PKG } from './bundle.js';

const OUT = join(PKG, 'node_modules', '.cache', `cli-test-${process.pid}`);
const FT = join(OUT, 'ft.mjs');
const SLOW = join(PKG, 'test/fixtures/cli/slow.mjs');

interface Run {
  proc: ChildProcess;
  stdout: string;
  stderr: string;
  exited: Promise<number | null>;
}

const procs: ChildProcess[] = [];

function ft(args: string[], env: Record<string, string> = {}, { detached = false } = {}): Run {
  const proc = spawn(process.execPath, [FT, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...env },
    detached,
  });
  procs.push(proc);
  const run: Run = {
    proc,
    stdout: '',
    stderr: '',
    exited: new Promise((resolve) => proc.on('exit', (code) => resolve(code))),
  };
  proc.stdout?.setEncoding('utf8').on('data', (d: string) => {
    run.stdout += d;
  });
  proc.stderr?.setEncoding('utf8').on('data', (d: string) => {
    run.stderr += d;
  });
  return run;
}

const lastJson = (s: string) => JSON.parse(s.trim().split('\n').at(-1) as string) as Record<string, unknown>;
const trialNumbers = (stderr: string) => [...stderr.matchAll(/^trial (\d+): /gm)].map((m) => Number(m[1]));

beforeAll(async () => {
  await bundleForTest('test/fixtures/cli/ft.ts', FT);
}, 120_000);

afterAll(() => {
  for (const p of procs) if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
  rmSync(OUT, { recursive: true, force: true });
});

describe('ft hparams search in several processes', () => {
  it('two processes on one journal file share the study: 2 × --n-trials trials, unique numbers', async () => {
    const journal = join(OUT, 'shared.log');
    const common = ['hparams', 'search', '--objective', SLOW, '--study', 'shared', '--storage', journal];
    const a = ft([...common, '--n-trials', '6', '--seed', '1', '--json'], { SLOW_MS: '150' });
    const b = ft([...common, '--n-trials', '6', '--seed', '2', '--sampler', 'random', '--json'], { SLOW_MS: '150' });
    const [ca, cb] = await Promise.all([a.exited, b.exited]);
    expect(ca, a.stderr).toBe(0);
    expect(cb, b.stderr).toBe(0);
    // --json: the last stdout line is exactly the summary object; progress went to stderr.
    const sa = lastJson(a.stdout);
    const sb = lastJson(b.stdout);
    expect(Object.keys(sa).sort()).toEqual(
      ['bestParams', 'bestValue', 'direction', 'nComplete', 'nFail', 'nPruned', 'nTrials', 'study'].sort(),
    );
    expect(a.stdout.trim().split('\n')).toHaveLength(1);
    // Each process ran its own 6 trials; together they hold numbers 0..11 once each.
    const na = trialNumbers(a.stderr);
    const nb = trialNumbers(b.stderr);
    expect(na).toHaveLength(6);
    expect(nb).toHaveLength(6);
    expect([...na, ...nb].sort((x, y) => x - y)).toEqual([...Array(12).keys()]);
    // The one that finished last saw all 12 (the other at least its own 6).
    expect(Math.max(sa.nTrials as number, sb.nTrials as number)).toBe(12);
    expect(Math.min(sa.nTrials as number, sb.nTrials as number)).toBeGreaterThanOrEqual(6);
    // Exactly one of them created the study.
    expect([a.stderr, b.stderr].filter((s) => /created study 'shared'/.test(s))).toHaveLength(1);

    const storage = journalFileStorage(journal);
    const study = await loadStudy({ storage, studyName: 'shared' });
    expect(study.trials.map((t) => t.number)).toEqual([...Array(12).keys()]);
    expect(study.trials.every((t) => t.state === 'complete')).toBe(true);
    await storage.close();

    // ft hparams show reads the same study.
    const show = ft(['hparams', 'show', '--study', 'shared', '--storage', journal, '--json']);
    expect(await show.exited, show.stderr).toBe(0);
    const shown = lastJson(show.stdout) as { trials: { number: number }[]; best: { value: number } };
    expect(shown.trials).toHaveLength(12);
    expect(shown.best.value).toBe(study.bestValue);
    const human = ft(['hparams', 'show', '--study', 'shared', '--storage', journal]);
    expect(await human.exited).toBe(0);
    expect(human.stdout).toMatch(/^number\s+state\s+value\s+duration_s\s+params$/m);
    expect(human.stdout).toMatch(/^best: trial \d+, value /m);
  }, 120_000);

  // A terminal's Ctrl-C signals the whole foreground process group: with --isolate process, the trial's child must not
  // get it (it runs in its own group), so the running trial still finishes.
  it.each([
    { isolate: 'none', target: 'the process' },
    { isolate: 'process', target: 'the process group, as Ctrl-C does' },
  ])(
    'SIGINT to $target stops after the running trial (--isolate $isolate): exit 130, every trial finished',
    async ({ isolate }) => {
      const journal = join(OUT, `sigint-${isolate}.log`);
      const run = ft(
        [
          ...['hparams', 'search', '--objective', SLOW, '--study', 's', '--storage', journal, '--n-trials', '100'],
          ...['--isolate', isolate],
        ],
        { SLOW_MS: '500' },
        { detached: isolate === 'process' },
      );
      // Wait until the journal shows trial 1 running with its parameter set (with --isolate process, the child is up and
      // has called suggestFloat), so the signal comes in the middle of a trial.
      const t0 = Date.now();
      const watcher = journalFileStorage(journal);
      for (;;) {
        await new Promise((r) => setTimeout(r, 20));
        await watcher.sync();
        const id = await watcher.getStudyIdFromName('s');
        if (id !== null && watcher.getAllTrials(id, ['running']).some((t) => t.number >= 1 && 'x' in t.params)) break;
        if (Date.now() - t0 > 60_000) throw new Error(`no trial 1 running after 60 s: ${run.stderr}`);
      }
      await watcher.close();
      if (isolate === 'process') process.kill(-(run.proc.pid as number), 'SIGINT');
      else run.proc.kill('SIGINT');
      expect(await run.exited).toBe(130);
      expect(run.stderr).toMatch(/\[INTERRUPTED\]/);
      expect(run.stdout).toMatch(/stopped; study 's' keeps its \d+ trials/);
      const storage = journalFileStorage(journal);
      const study = await loadStudy({ storage, studyName: 's' });
      expect(study.trials.length).toBeGreaterThanOrEqual(2);
      expect(study.trials.length).toBeLessThan(100);
      expect(study.trials.every((t) => t.state === 'complete')).toBe(true);
      // The trial that was running when SIGINT came was logged as finished.
      expect(trialNumbers(run.stdout)).toEqual(study.trials.map((t) => t.number));
      await storage.close();
    },
    120_000,
  );

  it('bad flags exit 2 with a usage error; a module without a default export exits 1 with INVALID_ARGUMENT', async () => {
    const base = ['hparams', 'search', '--objective', SLOW, '--study', 'x', '--storage', 'memory'];
    const inf = ft([...base, '--n-trials', 'Infinity']);
    const sampler = ft([...base, '--n-trials', '1', '--sampler', 'cmaes']);
    const mod = ft([
      ...base.slice(0, 3),
      join(PKG, 'test/fixtures/cli/no-default.mjs'),
      ...base.slice(4),
      '--n-trials',
      '1',
      '--json',
    ]);
    expect(await inf.exited).toBe(2);
    expect(inf.stderr).toMatch(/n-trials/);
    expect(await sampler.exited).toBe(2);
    expect(sampler.stderr).toMatch(/tpe, random, grid|tpe \| random \| grid|cmaes/);
    expect(await mod.exited).toBe(1);
    expect(lastJson(mod.stdout)).toMatchObject({ error: { code: 'INVALID_ARGUMENT' } });
    expect(mod.stderr).toMatch(/has no default export function/);
  }, 60_000);
});
