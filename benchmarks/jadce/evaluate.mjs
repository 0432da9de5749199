// Evaluation of one benchmark point: fresh test and validation realisations, a threshold per method (and training
// seed) chosen on the validation set (minimum AER), then the scored test run appended to the records. Every method
// sees all `count` test and `valCount` validation realisations; the host solvers run on the worker pool.
import { yieldToEventLoop } from '@ft/core';
import { chooseThreshold, nmseDb, predictLearned, runMethod, scoreRun, simulateMassiveAccess } from '@ft/jadce';
import { HOST_SOLVERS } from './config.mjs';
import { recordKey, saveRecords } from './records.mjs';

/**
 * NMSE (dB) and AER of `nBlocks` disjoint blocks of the test realisations (for mean ± std).
 * @param {{ X: { shape: number[], re: Float64Array, im: Float64Array }, score: ArrayLike<number> }} run
 * @param {{ X: { re: Float64Array, im: Float64Array }, active: ArrayLike<number> }} data
 * @param {number} threshold
 */
export function blocks(run, data, threshold, nBlocks = 4) {
  const [count, N, M] = run.X.shape;
  const size = Math.floor(count / nBlocks);
  const nmse = [];
  const aer = [];
  for (let k = 0; k < nBlocks && size > 0; k++) {
    const a = k * size * N * M;
    const b = (k + 1) * size * N * M;
    nmse.push(
      nmseDb(
        { re: run.X.re.subarray(a, b), im: run.X.im.subarray(a, b) },
        { re: data.X.re.subarray(a, b), im: data.X.im.subarray(a, b) },
      ),
    );
    let err = 0;
    for (let i = k * size * N; i < (k + 1) * size * N; i++)
      err += (run.score[i] >= threshold ? 1 : 0) !== data.active[i] ? 1 : 0;
    aer.push(err / (size * N));
  }
  return { nmse, aer };
}

/** Test and validation realisations of one point, each from its own seeded stream. */
function pointData(run, key, M, L, snrDb, eps) {
  const { N, count, valCount } = run.config;
  const base = { N, M, L, activity: eps, snrDb, pilots: run.pilots.get(L) };
  return {
    test: simulateMassiveAccess({ ...base, count, rng: run.root.fork(`test-${key}`) }),
    val: simulateMassiveAccess({ ...base, count: valCount, rng: run.root.fork(`val-${key}`) }),
  };
}

/** Runs one method on the first `count` realisations: host solvers on the pool, learned models batched here. */
export async function runOn(run, m, data, count, priors) {
  if (HOST_SOLVERS.has(m.method)) return run.pool.run(m.method, data, { priors, count });
  const models = m.model ? { [m.method]: m.model } : undefined;
  return runMethod(m.method, data, { priors, models, count });
}

/** Threshold on validation data, then the scored test run of one method. */
async function scoreMethod(run, m, test, val, eps) {
  const { N, count, valCount } = run.config;
  const priorEps = m.priorEps ?? eps;
  const priors = { eps: priorEps, beta: new Float64Array(N).fill(1), source: { eps: 'flag', beta: 'flag' } };
  const vrun = await runOn(run, m, val, valCount, priors);
  const threshold = m.method.startsWith('oracle')
    ? 0.5
    : chooseThreshold(vrun.score, val.active.subarray(0, valCount * N));
  const result = await runOn(run, m, test, count, priors);
  const s = scoreRun(result, test, { threshold });
  return { s, b: blocks(result, test, threshold) };
}

/**
 * Mean milliseconds per realisation when every realisation is solved alone (one by one, this thread): host solvers
 * one call each, learned models with batch 1; the same first `n` realisations for every method.
 */
export function timeOneByOne(m, data, n, priors) {
  const go = (count) =>
    HOST_SOLVERS.has(m.method)
      ? runMethod(m.method, data, { priors, count })
      : predictLearned(m.model, data, { beta: priors.beta, count, batch: 1 });
  go(Math.min(3, n)); // warm-up (JIT, kernel set-up), not timed
  const t0 = performance.now();
  go(n);
  return (performance.now() - t0) / n;
}

/**
 * Scores the methods of one point that the records do not hold yet; saves after each method.
 * @param {object} run the benchmark run state (see bench.mjs)
 * @param {'grid' | 'ablation' | 'robustness'} group
 * @param {{ name: string, method: string, model?: object, priorEps?: number }[]} methods
 */
export async function evalPoint(run, group, M, L, snrDb, eps, methods) {
  const { o, file } = run;
  const log = o.log ?? (() => {});
  const done = new Set(file.records.map(recordKey));
  const keyOf = (m) => ({ group, M, L, snrDb, eps, method: m.name, trainSeed: m.trainSeed });
  const todo = methods.filter((m) => !done.has(recordKey(keyOf(m))));
  if (!todo.length || o.signal?.aborted) return;
  const key = `${group}-M${M}-L${L}-snr${snrDb}-eps${eps}`;
  const { test, val } = pointData(run, key, M, L, snrDb, eps);
  for (const m of todo) {
    await yieldToEventLoop(); // a SIGINT handler can abort `signal` between methods
    if (o.signal?.aborted) return;
    const { s, b } = await scoreMethod(run, m, test, val, eps);
    file.records.push({ ...keyOf(m), ...s, blockNmseDb: b.nmse, blockAer: b.aer });
    const seedTag = m.trainSeed === undefined ? '' : ` s${m.trainSeed}`;
    log(
      `${key} ${(m.name + seedTag).padEnd(24)} NMSE ${s.nmseDb.toFixed(2)} dB  AER ${s.aer.toExponential(2)}  ${s.msPerSample.toFixed(2)} ms  (${((performance.now() - run.t0) / 60000).toFixed(1)} min)`,
    );
    saveRecords(run.recordsPath, file);
  }
}
