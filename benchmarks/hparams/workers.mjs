#!/usr/bin/env node
// Part 3 of the @ft/hparams benchmarks, the workers: the speed-up of 1, 2 and 4 worker processes sharing one study
// through one Optuna journal in Redis, in wall time to N trials. Each run gets a fresh journal (its own key prefix)
// holding N enqueued trials with fixed parameters, so 1, 2 and 4 workers do exactly the same work; the workers drain
// the queue (`study.claimWaitingTrial()`), with heartbeats on, as the engine's multi-worker mode runs. Setup (loading
// tfjs, the data and the source model) is outside the clock: every worker says it is ready, then all start at once.
//
// Two objectives:
// - `transfer`: a real fine-tuning trial, the @ft/core transfer run (MNIST-digit zoo source → Fashion-MNIST, full
//   fine-tuning at a small label budget, fixed epochs, the trial's learning rate), one native thread per worker;
// - `sleep`: a trial that only sleeps, so that the wall time against the ideal N·sleep/workers is the engine's own
//   overhead (Redis round trips, journal replay, heartbeats, queue claims), free of CPU limits.
//
//   node benchmarks/hparams/workers.mjs [--quick] [--seeds 0,1]
//
// Standalone it prints the section and (not with --quick) writes docs/results/hparams/workers.jsonl;
// benchmarks/hparams/run.mjs assembles it into docs/results/hparams.md through runWorkers/workersSection.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const SELF = fileURLToPath(import.meta.url);
/** Worker counts, in table order. */
export const WORKER_COUNTS = [1, 2, 4];

/** The benchmark's settings (full run, and the --quick smoke run). */
export function workersConfig(quick) {
  return quick
    ? {
        sleep: { trials: 12, sleepMs: 100, repeats: 1 },
        transfer: { trials: 4, perClass: 10, valFraction: 0.3, epochs: 2, lr: [3e-3, 0.1] },
        heartbeat: { intervalMs: 1000, gracePeriodMs: 30_000 },
      }
    : {
        sleep: { trials: 40, sleepMs: 100, repeats: 3 },
        transfer: { trials: 12, perClass: 100, valFraction: 0.3, epochs: 3, lr: [3e-3, 0.1] },
        heartbeat: { intervalMs: 1000, gracePeriodMs: 30_000 },
      };
}

/** `n` learning rates spaced evenly in log between lo and hi (the enqueued trials of the transfer objective). */
function logSpaced(n, [lo, hi]) {
  if (n === 1) return [lo];
  return Array.from({ length: n }, (_, i) => lo * (hi / lo) ** (i / (n - 1)));
}

// ---- Redis ----------------------------------------------------------------------------------------------------------

async function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

/** Starts a throwaway redis-server (no persistence) on a free loopback port; null when it is not installed. */
async function startRedis(log) {
  const port = await freePort();
  const proc = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let out = '';
  const ok = await new Promise((resolve) => {
    const onData = (d) => {
      out += d;
      if (out.includes('Ready to accept connections')) resolve(true);
    };
    proc.stdout.on('data', onData);
    proc.stderr.on('data', onData);
    proc.once('error', () => resolve(false));
    proc.once('exit', () => resolve(false));
    setTimeout(() => resolve(false), 10_000);
  });
  if (!ok) {
    log(`[workers] redis-server did not start (apt-get install redis-server): ${out.trim().slice(-300)}`);
    proc.kill('SIGKILL');
    return null;
  }
  return {
    url: `redis://127.0.0.1:${port}`,
    stop: () =>
      new Promise((resolve) => {
        if (proc.exitCode !== null) return resolve();
        proc.once('exit', () => resolve());
        proc.kill('SIGTERM');
      }),
  };
}

// ---- one measurement ----------------------------------------------------------------------------------------------

/**
 * Runs `workers` worker processes on a fresh journal holding `params.length` enqueued trials; resolves with the wall
 * time from the common start to the last worker's exit, and the trials as the journal has them.
 */
async function measure({ url, prefix, objective, workers, params, cfg, seed, log }) {
  const { createStudy, journalRedisStorage } = await import('@ft/hparams');
  const storage = journalRedisStorage(url, { prefix });
  try {
    const study = await createStudy({ storage, studyName: 'workers', direction: 'minimize' });
    for (const p of params) await study.enqueueTrial(p);
    await storage.flush();
    const spec = JSON.stringify({ url, prefix, objective, cfg, seed });
    const t0Spawn = performance.now();
    const procs = Array.from({ length: workers }, () =>
      spawn(process.execPath, [SELF, '--worker', spec], {
        stdio: ['pipe', 'pipe', 'inherit'],
        env: { ...process.env, FT_NATIVE_THREADS: '1' },
      }),
    );
    const exits = procs.map(
      (p) =>
        new Promise((resolve) => p.once('exit', (code, signal) => resolve({ code, signal, at: performance.now() }))),
    );
    const outs = procs.map(() => ({ buf: '' }));
    const ready = procs.map(
      (p, i) =>
        new Promise((resolve, reject) => {
          p.stdout.setEncoding('utf8');
          p.stdout.on('data', (d) => {
            outs[i].buf += d;
            if (outs[i].buf.includes('ready\n')) resolve(performance.now());
          });
          p.once('exit', (code) =>
            reject(new Error(`a ${objective} worker exited with code ${code} before it was ready`)),
          );
        }),
    );
    const readyAt = await Promise.all(ready);
    const setupSeconds = (Math.max(...readyAt) - t0Spawn) / 1000;
    const load0 = os.loadavg()[0];
    const t0 = performance.now();
    for (const p of procs) p.stdin.end('go\n');
    const done = await Promise.all(exits);
    const wallSeconds = (Math.max(...done.map((d) => d.at)) - t0) / 1000;
    for (const d of done) {
      if (d.code !== 0) throw new Error(`a ${objective} worker exited with ${d.signal ?? `code ${d.code}`}`);
    }
    // CPU seconds the workers spent after the start (trials, journal, heartbeats), summed over workers.
    const cpuSeconds = outs
      .map((o) => Number(/^cpu (\S+)$/m.exec(o.buf)?.[1] ?? Number.NaN))
      .reduce((a, x) => a + x, 0);
    await storage.sync();
    const trials = study.trials;
    const secs = trials
      .filter((t) => t.datetimeStart && t.datetimeComplete)
      .map((t) => (t.datetimeComplete.getTime() - t.datetimeStart.getTime()) / 1000);
    const rec = {
      wallSeconds,
      setupSeconds,
      nComplete: trials.filter((t) => t.state === 'complete').length,
      nTrials: trials.length,
      nFail: trials.filter((t) => t.state === 'fail').length,
      trialSecondsMean: secs.reduce((a, x) => a + x, 0) / Math.max(1, secs.length),
      trialSecondsSum: secs.reduce((a, x) => a + x, 0),
      cpuSeconds,
      cpuSecondsPerTrial: cpuSeconds / Math.max(1, params.length),
      values: trials.map((t) => t.value),
      loadavg1: { before: load0, after: os.loadavg()[0] },
    };
    log(
      `[workers] ${objective} seed ${seed}, ${workers} worker${workers > 1 ? 's' : ''}: ${rec.nComplete}/${params.length} trials in ${wallSeconds.toFixed(2)} s (mean trial ${rec.trialSecondsMean.toFixed(2)} s, CPU ${rec.cpuSecondsPerTrial.toFixed(2)} s/trial, setup ${setupSeconds.toFixed(1)} s, load ${load0.toFixed(1)})`,
    );
    return rec;
  } finally {
    await storage.close();
  }
}

/**
 * Runs 1, 2 and 4 workers on both objectives; returns one plain JSON record per (objective, repeat, workers).
 * @param {{ quick?: boolean, seeds?: number[], log?: (m: string) => void, root: string }} ctx
 */
export async function runWorkers(ctx) {
  const log = ctx.log ?? (() => {});
  const cfg = workersConfig(!!ctx.quick);
  const seeds = ctx.seeds?.length ? ctx.seeds : ctx.quick ? [0] : [0, 1];
  const redis = await startRedis(log);
  if (!redis) return [];
  const { initBackend } = await import('@ft/core');
  const backend = await initBackend();
  const records = [];
  const base = {
    part: 'workers',
    cores: os.availableParallelism?.() ?? os.cpus().length,
    cpu: os.cpus()[0]?.model ?? 'unknown',
    backend: backend.name,
    heartbeat: cfg.heartbeat,
  };
  let run = 0;
  try {
    // Alternate the order of the worker counts between repeats, so that drift in the machine's load spreads evenly.
    const orders = (i) => (i % 2 === 0 ? WORKER_COUNTS : [...WORKER_COUNTS].reverse());
    const sleepRepeats = Array.from({ length: cfg.sleep.repeats }, (_, i) => i);
    for (const repeat of sleepRepeats) {
      for (const workers of orders(repeat)) {
        const params = Array.from({ length: cfg.sleep.trials }, () => ({}));
        const r = await measure({
          url: redis.url,
          prefix: `bench-${process.pid}-${run++}`,
          objective: 'sleep',
          workers,
          params,
          cfg,
          seed: repeat,
          log,
        });
        records.push({
          ...base,
          objective: 'sleep',
          repeat,
          workers,
          trials: cfg.sleep.trials,
          sleepMs: cfg.sleep.sleepMs,
          idealSeconds: (cfg.sleep.trials * cfg.sleep.sleepMs) / 1000 / workers,
          date: new Date().toISOString(),
          ...r,
          values: undefined,
        });
      }
    }
    for (const [i, seed] of seeds.entries()) {
      for (const workers of orders(i)) {
        const lrs = logSpaced(cfg.transfer.trials, cfg.transfer.lr);
        const r = await measure({
          url: redis.url,
          prefix: `bench-${process.pid}-${run++}`,
          objective: 'transfer',
          workers,
          params: lrs.map((lr) => ({ lr })),
          cfg,
          seed,
          log,
        });
        records.push({
          ...base,
          objective: 'transfer',
          repeat: i,
          seed,
          workers,
          trials: cfg.transfer.trials,
          transfer: { method: 'full', ...cfg.transfer, nativeThreadsPerWorker: 1 },
          date: new Date().toISOString(),
          ...r,
        });
      }
    }
  } finally {
    await redis.stop();
  }
  return records;
}

// ---- the worker process -----------------------------------------------------------------------------------------

async function worker(spec) {
  const { url, prefix, objective, cfg, seed } = JSON.parse(spec);
  const { loadStudy, journalRedisStorage, RandomSampler } = await import('@ft/hparams');
  let run;
  if (objective === 'sleep') {
    run = async (trial) => {
      const x = trial.suggestFloat('x', 0, 1);
      await new Promise((r) => setTimeout(r, cfg.sleep.sleepMs));
      return x;
    };
  } else {
    const { initBackend } = await import('@ft/core');
    const { carveValidation, labelledBudget, loadSource, loadTarget, transferObjective } = await import(
      './transfer-objective.mjs'
    );
    await initBackend();
    const { freshSource } = await loadSource({});
    const { train } = await loadTarget();
    const labelled = labelledBudget(train, cfg.transfer.perClass, seed);
    const { fit, val } = carveValidation(labelled, { valFraction: cfg.transfer.valFraction, seed });
    run = transferObjective({
      method: 'full',
      freshSource,
      fit,
      val,
      seed,
      space: { lr: cfg.transfer.lr, epochs: cfg.transfer.epochs, minSteps: 0 },
    });
  }
  const storage = journalRedisStorage(url, { prefix });
  const study = await loadStudy({
    storage,
    studyName: 'workers',
    sampler: new RandomSampler({ seed: process.pid }),
    heartbeat: cfg.heartbeat,
    retryFailedTrials: 1,
  });
  process.stdout.write('ready\n');
  await new Promise((resolve) => {
    let buf = '';
    process.stdin.setEncoding('utf8');
    process.stdin.on('data', (d) => {
      buf += d;
      if (buf.includes('go\n')) resolve();
    });
  });
  const cpu0 = process.cpuUsage();
  for (;;) {
    const trial = await study.claimWaitingTrial();
    if (!trial) {
      if (study.trials.every((t) => t.state !== 'running')) break;
      await new Promise((r) => setTimeout(r, 50));
      continue;
    }
    let result;
    try {
      result = await run(trial);
    } catch (e) {
      process.stderr.write(`[workers] trial ${trial.number} failed: ${e?.message ?? e}\n`);
      result = { state: 'fail' };
    }
    try {
      await study.tell(trial, result);
    } catch (e) {
      // Failed as stale by another worker meanwhile (its heartbeat came late): the retry reruns it.
      process.stderr.write(`[workers] trial ${trial.number}: ${e?.message ?? e}\n`);
    }
  }
  const cpu = process.cpuUsage(cpu0);
  process.stdout.write(`cpu ${(cpu.user + cpu.system) / 1e6}\n`);
  await storage.close();
}

// ---- the section ----------------------------------------------------------------------------------------------------

const median = (v) => {
  const s = [...v].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const fmt = (x, d = 2) => (x === null || x === undefined || Number.isNaN(x) ? '–' : x.toFixed(d));

/** The markdown section, one-line findings and cuts, from the records of {@link runWorkers}. */
export function workersSection(records) {
  const recs = records.filter((r) => r.part === 'workers');
  if (recs.length === 0) {
    return {
      markdown:
        '## Workers on one Redis journal\n\nNot run: redis-server is not installed (`apt-get install redis-server`).\n',
      verdict: ['workers: not run (no redis-server)'],
      cuts: ['the workers part did not run: no redis-server'],
    };
  }
  const cores = recs[0].cores;
  const rows = [];
  const stats = {};
  for (const objective of ['sleep', 'transfer']) {
    const of = recs.filter((r) => r.objective === objective);
    if (of.length === 0) continue;
    const byW = new Map(WORKER_COUNTS.map((w) => [w, of.filter((r) => r.workers === w)]));
    const base = median(byW.get(1).map((r) => r.wallSeconds));
    for (const w of WORKER_COUNTS) {
      const rs = byW.get(w);
      if (!rs.length) continue;
      const wall = median(rs.map((r) => r.wallSeconds));
      const speedup = base / wall;
      const trialS = median(rs.map((r) => r.trialSecondsMean));
      const ideal = objective === 'sleep' ? rs[0].idealSeconds : null;
      const overheadMs = ideal === null ? null : ((wall - ideal) * 1000 * w) / rs[0].trials;
      const load = median(rs.map((r) => r.loadavg1.before));
      const cpuS = rs.every((r) => Number.isFinite(r.cpuSecondsPerTrial))
        ? median(rs.map((r) => r.cpuSecondsPerTrial))
        : null;
      stats[`${objective}-${w}`] = { wall, speedup, trialS, ideal, overheadMs, load, cpuS, n: rs.length };
      rows.push(
        `| ${objective === 'sleep' ? `sleep ${rs[0].sleepMs} ms` : `transfer (full FT, ${rs[0].transfer.perClass}/class, ${rs[0].transfer.epochs} ep)`} | ${rs[0].trials} | ${w} | ${rs.length} | ${fmt(wall)} | ${fmt(ideal)} | ${fmt(speedup)}× | ${w}× | ${fmt(trialS)} | ${fmt(cpuS)} | ${fmt(overheadMs, 0)} | ${fmt(load, 1)} |`,
      );
    }
  }
  const s = (k) => stats[k];
  const verdict = [];
  if (s('sleep-1') && s('sleep-4')) {
    verdict.push(
      `engine scaling (sleep-bound trials): 2 workers ${fmt(s('sleep-2').speedup)}×, 4 workers ${fmt(s('sleep-4').speedup)}× against 1 (ideal 2× and 4×); the engine adds about ${fmt(s('sleep-1').overheadMs, 0)}–${fmt(Math.max(s('sleep-2').overheadMs, s('sleep-4').overheadMs), 0)} ms per trial per worker (Redis journal, heartbeats, queue claims)`,
    );
  }
  if (s('transfer-1') && s('transfer-2')) {
    verdict.push(
      `real fine-tuning trials on ${cores} cores: 2 workers ${fmt(s('transfer-2').speedup)}×, 4 workers ${s('transfer-4') ? `${fmt(s('transfer-4').speedup)}×` : '–'} against 1; with ${cores} cores and one native thread per worker, more than ${cores} workers cannot go faster, and the mean trial time grows from ${fmt(s('transfer-1').trialS)} s (1 worker) to ${s('transfer-4') ? fmt(s('transfer-4').trialS) : '–'} s (4 workers) as they share the CPU${s('transfer-1').cpuS !== null && s('transfer-4')?.cpuS != null ? ` (CPU per trial ${fmt(s('transfer-1').cpuS)} s with 1 worker, ${fmt(s('transfer-4').cpuS)} s with 4)` : ''}`,
    );
  }
  const tLoads = recs.filter((r) => r.objective === 'transfer').map((r) => r.loadavg1.before);
  // The 1-minute load average before a run also counts this benchmark's previous run (up to one busy process per core
  // for a few seconds after it), so only a load above the core count says that other processes held the CPU.
  if (tLoads.length && median(tLoads) > cores) {
    verdict.push(
      `the machine was shared while the transfer rows ran (median 1-minute load ${fmt(median(tLoads), 1)} on ${cores} cores before each run, more than this benchmark's own previous run accounts for): their speed-ups are what was left of the CPU, a lower bound on an idle machine; the sleep rows barely use the CPU`,
    );
  }
  const t = recs.find((r) => r.objective === 'transfer');
  const sl = recs.find((r) => r.objective === 'sleep');
  const cuts = [];
  if (t) {
    cuts.push(
      `workers: the real objective is small (full fine-tuning, ${t.transfer.perClass} labels/class, ${t.transfer.epochs} epochs, ${t.trials} trials, ${recs.filter((r) => r.objective === 'transfer' && r.workers === 1).length} repeat(s)) so that the part fits in minutes`,
    );
  }
  const markdown = [
    '## Workers on one Redis journal',
    '',
    `1, 2 and 4 worker processes share one study through one Optuna journal in Redis (a fresh journal per run) and drain the same ${sl ? sl.trials : '?'} (sleep) or ${t ? t.trials : '?'} (transfer) enqueued trials, so every row does the same work. Heartbeats are on (every ${recs[0].heartbeat?.intervalMs ?? recs[0].heartbeatMs} ms, grace ${(recs[0].heartbeat?.gracePeriodMs ?? 2 * recs[0].heartbeatMs) / 1000} s: the heartbeat timer shares the event loop with the training, which a loaded machine can stall for seconds). The clock starts when every worker has loaded its data and model and stops when the last one exits. Wall times are medians over the repeats; the speed-up is the median wall time of 1 worker over that of n.`,
    '',
    `This machine has **${cores} cores** (${recs[0].cpu}, backend ${recs[0].backend}, one native thread per worker). The sleep-bound objective needs no CPU, so its rows measure the engine alone against the ideal linear speed-up (ideal wall time = trials × sleep / workers; overhead = the time beyond it, per trial and worker, the workers' last poll and exit included); the transfer rows add the CPU limit: past ${cores} workers they can only share the cores. "CPU / trial" is the CPU time the workers spent after the start (user + system, all workers) over the trials: when it stays flat while the mean trial time grows, the trials waited for a core rather than did more work. "Load before" is the machine's 1-minute load average when a run started (median over repeats); it lags, so it also counts the benchmark's own previous run: up to ${cores} is this benchmark, more means other processes took cores from the workers.`,
    '',
    '| objective | trials | workers | repeats | wall (s) | ideal (s) | speed-up | ideal | mean trial (s) | CPU / trial (s) | overhead / trial (ms) | load before |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|',
    ...rows,
    '',
    ...verdict.map((v) => `- ${v}`),
    '',
  ].join('\n');
  return { markdown, verdict, cuts };
}

// ---- standalone -------------------------------------------------------------------------------------------------------

const isMain = process.argv[1] && path.resolve(process.argv[1]) === SELF;
if (isMain) {
  const { values: args } = parseArgs({
    options: {
      worker: { type: 'string' },
      quick: { type: 'boolean', default: false },
      seeds: { type: 'string' },
    },
  });
  if (args.worker) {
    await worker(args.worker);
  } else {
    const root = path.resolve(path.dirname(SELF), '../..');
    const log = (m) => process.stderr.write(`${m}\n`);
    const records = await runWorkers({
      quick: args.quick,
      seeds: args.seeds ? args.seeds.split(',').map(Number) : undefined,
      log,
      root,
    });
    if (!args.quick && records.length > 0) {
      const dir = path.join(root, 'docs/results/hparams');
      fs.mkdirSync(dir, { recursive: true });
      fs.writeFileSync(path.join(dir, 'workers.jsonl'), `${records.map((r) => JSON.stringify(r)).join('\n')}\n`);
      log(`[workers] wrote ${path.join(dir, 'workers.jsonl')}`);
    }
    const { markdown } = workersSection(records);
    process.stdout.write(`${markdown}\n`);
  }
}
