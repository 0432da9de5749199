// Training of the learned networks, cached on disk per (L, tag, training seed, budget, method). Models can be trained
// in this process (the loader) or ahead of time by child processes (`pretrain`, train-worker.mjs), `trainJobs` at a
// time: the networks' tfjs kernels are mostly single-threaded, so two jobs use two idle cores.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadLearnedModel, makePilots, saveLearnedModel, trainJadceModels } from '@ft/jadce';
import { budgetTag } from './config.mjs';
import { saveRecords } from './records.mjs';

/** Key of a trained model set in the records' `training` map and its cache directory name. */
export const modelKey = (L, tag, seed, budget) => `L${L}-${tag}-seed${seed}-${budgetTag(budget)}`;

/**
 * The `trainJadceModels` options of one job; the training stream is `root.fork('train-L<L>-<tag>-s<seed>')`,
 * independent of the budget and of which methods are trained together, so a model of the budget search is the same
 * model the grid needs and is reused from the cache.
 */
export function trainOptions(c, root, S, job) {
  return {
    S,
    M: c.Ms.length > 1 ? c.Ms : [8, 32].filter((m) => m <= Math.max(...c.Ms)),
    eps: c.eps,
    snrDb: job.snr,
    methods: job.methods,
    rank: c.rank,
    T: c.T,
    J: c.J,
    samples: job.budget.samples,
    stepsPerStage: job.budget.stepsPerStage,
    batch: c.batch,
    rng: root.fork(`train-L${job.L}-${job.tag}-s${job.seed}`),
  };
}

/** Saves a trained model and its training statistics (stats.json, read back into the records by the loader). */
export function saveTrained(modelDir, key, m, model, stats) {
  const dir = join(modelDir, key, m);
  saveLearnedModel(dir, model);
  writeFileSync(join(dir, 'stats.json'), `${JSON.stringify({ ...(model.meta ?? {}), stages: stats.stages })}\n`);
}

/**
 * A loader that trains (or loads from the cache) the learned models of one pilot length, training seed and budget.
 * @param {object} run the benchmark run state (see bench.mjs: o, config, file, recordsPath, modelDir, pilots, root)
 * @returns {(L: number, methods: string[], snr: number | [number, number], tag: string, seed: number, budget: { stepsPerStage: number, samples: number }) => Promise<(m: string) => object | undefined>}
 */
export function modelLoader(run) {
  const { o, config: c, modelDir } = run;
  const log = o.log ?? (() => {});
  const models = new Map();
  return async (L, methods, snr, tag, seed, budget) => {
    const key = modelKey(L, tag, seed, budget);
    const todo = methods.filter((m) => {
      const dir = join(modelDir, key, m);
      if (models.has(`${key}|${m}`)) return false;
      if ((o.resume ?? true) && existsSync(join(dir, 'model.json'))) {
        models.set(`${key}|${m}`, loadLearnedModel(dir));
        const statsPath = join(dir, 'stats.json');
        if (!run.file.training[`${key}-${m}`] && existsSync(statsPath))
          run.file.training[`${key}-${m}`] = JSON.parse(readFileSync(statsPath, 'utf8'));
        return false;
      }
      return true;
    });
    if (todo.length) {
      log(`training ${todo.join(', ')} for ${key}`);
      const job = { L, methods: todo, snr, tag, seed, budget };
      const res = await trainJadceModels({
        ...trainOptions(c, run.root, run.pilots.get(L), job),
        log,
        signal: o.signal,
      });
      // an aborted training stops mid-schedule: never cache (or use) a partly trained network
      if (o.signal?.aborted) return () => undefined;
      for (const [m, model] of Object.entries(res.models)) {
        saveTrained(modelDir, key, m, model, res.stats[m]);
        models.set(`${key}|${m}`, model);
        run.file.training[`${key}-${m}`] = { ...(model.meta ?? {}), stages: res.stats[m].stages };
      }
    }
    saveRecords(run.recordsPath, run.file);
    return (m) => models.get(`${key}|${m}`);
  };
}

/**
 * Trains the jobs whose models are not cached yet in child processes, `concurrency` at a time (≤ 1: nothing here,
 * the loader trains in this process). Each child writes its models into the cache; the loader then loads them.
 * @param {object} run the benchmark run state
 * @param {{ L: number, methods: string[], snr: number | [number, number], tag: string, seed: number, budget: object }[]} jobs
 * @param {number} concurrency
 */
export async function pretrain(run, jobs, concurrency) {
  const { o, config: c, modelDir } = run;
  const log = o.log ?? (() => {});
  const todo = jobs
    .map((j) => ({
      ...j,
      methods: j.methods.filter(
        (m) => !existsSync(join(modelDir, modelKey(j.L, j.tag, j.seed, j.budget), m, 'model.json')),
      ),
    }))
    .filter((j) => j.methods.length > 0);
  if (concurrency <= 1 || todo.length === 0) return;
  const worker = fileURLToPath(new URL('./train-worker.mjs', import.meta.url));
  const jobDir = join(modelDir, 'jobs');
  mkdirSync(jobDir, { recursive: true });
  let next = 0;
  let done = 0;
  const t0 = performance.now();
  const children = new Set();
  const onAbort = () => {
    for (const ch of children) ch.kill('SIGINT');
  };
  o.signal?.addEventListener('abort', onAbort);
  const runOne = (job) =>
    new Promise((resolve, reject) => {
      const key = modelKey(job.L, job.tag, job.seed, job.budget);
      const path = join(jobDir, `${key}.json`);
      writeFileSync(path, JSON.stringify({ config: c, modelDir, job }));
      const ch = spawn(process.execPath, [worker, path], { stdio: ['ignore', 'ignore', 'pipe'] });
      children.add(ch);
      let tail = '';
      ch.stderr.on('data', (d) => {
        tail = (tail + d).slice(-2000);
      });
      ch.on('error', reject);
      ch.on('exit', (code) => {
        children.delete(ch);
        if (code === 0) resolve();
        else if (o.signal?.aborted) resolve();
        else reject(new Error(`training job ${key} exited with ${code}: ${tail}`));
      });
    });
  const lane = async () => {
    while (next < todo.length && !o.signal?.aborted) {
      const job = todo[next++];
      await runOne(job);
      done++;
      log(
        `trained ${job.methods.join(', ')} for ${modelKey(job.L, job.tag, job.seed, job.budget)} (${done}/${todo.length} jobs, ${((performance.now() - t0) / 60000).toFixed(1)} min)`,
      );
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.min(concurrency, todo.length) }, lane));
  } finally {
    o.signal?.removeEventListener('abort', onAbort);
  }
}

/** Runs one training job in this process (the body of train-worker.mjs). */
export async function runTrainJob({ config: c, modelDir, job }, root, signal) {
  const S = makePilots(job.L, c.N, root.fork(`pilots-L${job.L}`));
  const res = await trainJadceModels({ ...trainOptions(c, root, S, job), signal });
  if (signal?.aborted) return; // partly trained: not cached
  const key = modelKey(job.L, job.tag, job.seed, job.budget);
  for (const [m, model] of Object.entries(res.models)) saveTrained(modelDir, key, m, model, res.stats[m]);
}
