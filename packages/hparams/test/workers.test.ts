/**
 * The worker test: 4 worker processes on one Redis journal run 40 trials in all; one is killed with SIGKILL
 * mid-trial; its trial is failed by heartbeat and re-run; the study ends with exactly 40 complete trials and unique
 * trial numbers, and a worker started after the kill resumes the study.
 *
 * The workers are plain Node processes running test/fixtures/workers/worker.ts, bundled here from the package source
 * with esbuild (tsup's), so the test needs no build of @ft/hparams; @ft/core, ioredis and tfjs stay external and
 * resolve from this package's node_modules (core's dist, built first when missing).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createStudy, loadStudy } from '../src/engine/study.js';
import { lastHeartbeat, retriedTrialNumber, retryHistory } from '../src/engine/workers.js';
import { journalRedisStorage } from '../src/storage/journal-storage.js';
import { bundleForTest, PKG } from './bundle.js';
import { REDIS_SERVER, type RedisServer, startRedisServer } from './redis-server.js';

if (!REDIS_SERVER) console.warn('worker tests skipped: redis-server is not installed (apt-get install redis-server)');

const OUT = join(PKG, 'node_modules', '.cache', `workers-test-${process.pid}`);
const TRIAL_MS = 300;

interface Line {
  pid: number;
  event: 'start' | 'done' | 'exit';
  number?: number;
  x?: number;
}

/** A worker process and the events it printed. */
class Worker {
  readonly lines: Line[] = [];
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private stderr = '';
  private waiters: Array<() => void> = [];
  constructor(
    readonly proc: ChildProcess,
    readonly name: string,
  ) {
    let buf = '';
    proc.stdout?.setEncoding('utf8');
    proc.stdout?.on('data', (d: string) => {
      buf += d;
      for (let i = buf.indexOf('\n'); i >= 0; i = buf.indexOf('\n')) {
        this.lines.push(JSON.parse(buf.slice(0, i)) as Line);
        buf = buf.slice(i + 1);
        for (const w of this.waiters) w();
      }
    });
    proc.stderr?.setEncoding('utf8');
    proc.stderr?.on('data', (d: string) => {
      this.stderr += d;
    });
    this.exited = new Promise((resolve) => proc.on('exit', (code, signal) => resolve({ code, signal })));
  }
  starts(): Line[] {
    return this.lines.filter((l) => l.event === 'start');
  }
  onLine(f: () => void): void {
    this.waiters.push(f);
  }
  get log(): string {
    return `${this.name}: ${this.stderr}`;
  }
}

describe.skipIf(!REDIS_SERVER)('workers on one Redis journal', () => {
  let server: RedisServer;
  const procs: ChildProcess[] = [];
  beforeAll(async () => {
    server = await startRedisServer();
    await bundleForTest('test/fixtures/workers/worker.ts', join(OUT, 'worker.mjs'));
  });
  afterAll(async () => {
    for (const p of procs) if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
    await server?.stop();
    rmSync(OUT, { recursive: true, force: true });
  });

  const startWorker = (name: string, seed: number) => {
    const proc = spawn(process.execPath, [join(OUT, 'worker.mjs'), server.url, 'w', String(seed), String(TRIAL_MS)], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    procs.push(proc);
    return new Worker(proc, name);
  };

  it('4 workers run 40 trials; a SIGKILLed one loses its trial only, which heartbeat fails and retry re-runs', async () => {
    const storage = journalRedisStorage(server.url);
    try {
      const study = await createStudy({ storage, studyName: 'w' });
      for (let i = 0; i < 40; i++) await study.enqueueTrial({});
      await storage.flush();

      const workers = [0, 1, 2, 3].map((i) => startWorker(`worker ${i}`, i));
      // Kill the first worker to start its second trial, right after it said so (its heartbeat and params are in
      // Redis by then; its first trial has finished).
      const victim = await new Promise<{ w: Worker; line: Line }>((resolve) => {
        for (const w of workers) {
          w.onLine(() => {
            const s = w.starts();
            if (s.length === 2) resolve({ w, line: s[1] as Line });
          });
        }
      });
      victim.w.proc.kill('SIGKILL');
      const killed = victim.line.number as number;
      // A worker started after the kill joins the study where it stands.
      const late = startWorker('late worker', 9);
      const all = [...workers, late];
      const exits = await Promise.all(all.map((w) => w.exited));
      for (const [i, e] of exits.entries()) {
        if (all[i] === victim.w) expect(e.signal).toBe('SIGKILL');
        else expect(e, all[i]?.log).toEqual({ code: 0, signal: null });
      }

      await storage.sync();
      const view = await loadStudy({ storage, studyName: 'w' });
      const trials = view.trials;
      // Exactly 40 complete trials, unique numbers, one failed attempt: the killed one.
      expect(trials.filter((t) => t.state === 'complete')).toHaveLength(40);
      expect(trials.map((t) => t.number)).toEqual([...Array(41).keys()]);
      const failed = trials.filter((t) => t.state === 'fail');
      expect(failed.map((t) => t.number)).toEqual([killed]);
      // Failed by heartbeat: more than the grace period after its last heartbeat.
      const f = failed[0] as (typeof trials)[number];
      expect((f.datetimeComplete as Date).getTime() - (lastHeartbeat(f) as number)).toBeGreaterThan(1000);
      // Re-run with the same params, recording Optuna's failed_trial and retry_history.
      const retried = trials.filter((t) => retriedTrialNumber(t) !== null);
      expect(retried).toHaveLength(1);
      const r = retried[0] as (typeof trials)[number];
      expect(r.state).toBe('complete');
      expect(retriedTrialNumber(r)).toBe(killed);
      expect(retryHistory(r)).toEqual([killed]);
      expect(r.params).toEqual({ x: victim.line.x });
      expect(r.value).toBe((victim.line.x as number) ** 2);
      // Nothing lost: every trial a worker finished is complete (the victim's first one too), and each ran once.
      const done = all.flatMap((w) => w.lines.filter((l) => l.event === 'done').map((l) => l.number));
      expect(done).toHaveLength(40);
      expect(new Set(done).size).toBe(40);
      for (const n of done) expect(trials[n as number]?.state).toBe('complete');
      expect(victim.w.lines.filter((l) => l.event === 'done')).toHaveLength(1);
    } finally {
      await storage.close();
    }
  }, 60_000);
});
