#!/usr/bin/env node
// Estimates the wall time of the full JADCE run (`node benchmarks/jadce/run.mjs`) from measured unit costs: CPU time
// per realisation of every host solver at L ∈ {6, 12, 20} and M ∈ {8, 32}, per training step and per pool sample of
// every learned model, and per realisation of the trained networks. CPU time (process.cpuUsage) rather than wall
// time, so a measurement on a loaded machine still approximates an idle core; the host solvers are assumed to scale
// over `workers` idle cores and the training after the budget search over `train-jobs` child processes. Prints the
// unit costs and the total for each rung of the budget ladder.
//
//   node benchmarks/jadce/estimate.mjs [--reps 8] [--workers 2] [--train-jobs 2] [--parts solvers,train] [--cache <f>]
//
// `--parts` measures only some unit costs (each part takes 1–3 minutes on a loaded machine); measured parts are kept
// in the cache file (default $TMPDIR/jadce-estimate.json) and the total is printed once every part is there.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createRng, initBackend } from '@ft/core';
import { makePilots, predictLearned, runMethod, simulateMassiveAccess, trainJadceModels } from '@ft/jadce';
import { BUDGET_LADDER, benchSetup } from './config.mjs';

const { values } = parseArgs({
  options: {
    reps: { type: 'string', default: '8' },
    workers: { type: 'string', default: '2' },
    'train-jobs': { type: 'string', default: '2' },
    parts: { type: 'string', default: 'solvers,train' },
    cache: { type: 'string', default: join(tmpdir(), 'jadce-estimate.json') },
  },
});
const parts = new Set(values.parts.split(','));
const cache = existsSync(values.cache) ? JSON.parse(readFileSync(values.cache, 'utf8')) : {};
const save = () => writeFileSync(values.cache, JSON.stringify(cache, null, 1));
const reps = Number(values.reps);
const workers = Number(values.workers);
const trainJobs = Math.max(1, Number(values['train-jobs']));
const backend = await initBackend({ log: () => {} });
const { config: c } = benchSetup({});
const root = createRng(0);
const priors = { eps: 0.05, beta: new Float64Array(100).fill(1), source: { eps: 'flag', beta: 'flag' } };
const SOLVERS = ['oracle', 'oracle-mmse', 'amp-mmv', 'cov-ml', 'em-bg-amp', 'fista', 'admm', 'sbl'];
const cpuMs = (f) => {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const out = f();
  const u = process.cpuUsage(c0);
  return { cpu: (u.user + u.system) / 1000, wall: performance.now() - t0, out };
};
const log = (s) => console.error(s);
log(`[estimate] backend ${backend.name}; CPU times (process.cpuUsage), wall in brackets`);

// 1. host solvers: CPU ms per realisation, one realisation at a time
const pilots = new Map();
const measureL = [6, 12, 20];
for (const L of measureL) pilots.set(L, makePilots(L, 100, root.fork(`pilots-L${L}`)));
if (parts.has('solvers')) {
  cache.solverMs = {};
  cache.solverPart = {};
}
for (const L of parts.has('solvers') ? measureL : []) {
  for (const M of c.Ms) {
    for (const snr of L === 12 ? [0, 10, 20] : [10]) {
      const data = simulateMassiveAccess({
        N: 100,
        M,
        L,
        activity: 0.05,
        snrDb: snr,
        pilots: pilots.get(L),
        count: reps + 2,
        rng: root.fork(`e${L}${M}${snr}`),
      });
      let sum = 0;
      const parts = [];
      for (const m of SOLVERS) {
        runMethod(m, data, { priors, count: 2 }); // warm-up
        const r = cpuMs(() => runMethod(m, data, { priors, count: reps }));
        sum += r.cpu / reps;
        cache.solverPart[`${L}|${M}|${snr}|${m}`] = r.cpu / reps;
        parts.push(`${m} ${(r.cpu / reps).toFixed(1)} [${(r.wall / reps).toFixed(1)}]`);
      }
      cache.solverMs[`${L}|${M}|${snr}`] = sum;
      save();
      log(`[estimate] solvers L ${L} M ${M} ${snr} dB: ${sum.toFixed(1)} ms/realisation (${parts.join(', ')})`);
    }
  }
}
const solverMs = new Map(Object.entries(cache.solverMs ?? {}));
const solverPart = new Map(Object.entries(cache.solverPart ?? {}));
/** Solver cost at any L: linear interpolation between the measured pilot lengths; other SNRs scaled like L = 12. */
const solverAt = (L, M, snr) => {
  const at10 = (x) => {
    const lo = [...measureL].reverse().find((v) => v <= x) ?? measureL[0];
    const hi = measureL.find((v) => v >= x) ?? measureL[measureL.length - 1];
    const a = solverMs.get(`${lo}|${M}|10`);
    const b = solverMs.get(`${hi}|${M}|10`);
    return hi === lo ? a : a + ((b - a) * (x - lo)) / (hi - lo);
  };
  const scale = solverMs.get(`12|${M}|${snr}`) ? solverMs.get(`12|${M}|${snr}`) / solverMs.get(`12|${M}|10`) : 1;
  return at10(L) * scale;
};

// 2. training: CPU ms per step and per pool sample, per learned method (L = 12, T = 10)
const S12 = pilots.get(12);
const train = async (methods, stepsPerStage, samples) => {
  const c0 = process.cpuUsage();
  const w0 = performance.now();
  const res = await trainJadceModels({
    S: S12,
    M: c.Ms,
    eps: 0.05,
    snrDb: [0, 20],
    methods,
    rank: 8,
    T: c.T,
    J: c.J,
    samples,
    stepsPerStage,
    batch: c.batch,
    rng: root.fork('est-train'),
  });
  const u = process.cpuUsage(c0);
  return { cpu: (u.user + u.system) / 1000, wall: performance.now() - w0, res };
};
if (parts.has('train')) {
  cache.stepMs = {};
  cache.sampleMs = {};
  cache.stepsPer = {};
  cache.netMs = {};
}
const models = {};
for (const m of parts.has('train') ? ['proposed', 'lista-gs', 'alista-gs', 'proposed-noem', 'proposed-nodr'] : []) {
  const { stepMs, sampleMs, stepsPer } = cache;
  const a = await train([m], 2, 256);
  const b = await train([m], 4, 256);
  const d = await train([m], 2, 1024);
  const steps2 = a.res.stats[m].steps;
  const steps4 = b.res.stats[m].steps;
  stepMs[m] = (b.cpu - a.cpu) / (steps4 - steps2);
  sampleMs[m] = Math.max(0, (d.cpu - a.cpu) / 768);
  stepsPer[m] = (steps4 - steps2) / 2;
  models[m] = a.res.models[m];
  log(
    `[estimate] training ${m}: ${stepMs[m].toFixed(1)} ms/step, ${sampleMs[m].toFixed(2)} ms/pool sample, ${stepsPer[m]} steps per unit of steps-per-stage`,
  );
  save();
}

// 3. network inference: CPU ms per realisation, batched (grid) and batch 1 (timing)
for (const M of parts.has('train') ? c.Ms : []) {
  const { netMs } = cache;
  const data = simulateMassiveAccess({
    N: 100,
    M,
    L: 12,
    activity: 0.05,
    snrDb: 10,
    pilots: S12,
    count: 256,
    rng: root.fork(`inf${M}`),
  });
  for (const m of ['proposed', 'lista-gs', 'alista-gs']) {
    predictLearned(models[m], data, { count: 8 });
    const r = cpuMs(() => predictLearned(models[m], data, {}));
    netMs[`${m}|${M}`] = r.cpu / 256;
    log(
      `[estimate] inference ${m} M ${M}: ${(r.cpu / 256).toFixed(2)} ms/realisation batched [${(r.wall / 256).toFixed(2)}]`,
    );
  }
  save();
}
if (!cache.solverMs || !cache.netMs) {
  console.log(`unit costs so far in ${values.cache}; run the missing parts (--parts solvers / train) for the total`);
  process.exit(0);
}
const { netMs } = cache;

const trainSeconds = (m, b) =>
  (cache.stepMs[m] * cache.stepsPer[m] * b.stepsPerStage + cache.sampleMs[m] * b.samples) / 1000;

// 4. the total per budget rung
const perPoint = c.count + c.valCount;
let solverTotal = 0;
let netTotal = 0;
for (const L of c.Ls) {
  for (const M of c.Ms) {
    for (const snr of L === c.Lref ? c.snrs : [c.snrRef]) {
      solverTotal += (perPoint * solverAt(L, M, snr)) / 1000 / workers;
      netTotal +=
        (perPoint *
          c.trainSeeds.length *
          ['proposed', 'lista-gs', 'alista-gs'].reduce((s, m) => s + netMs[`${m}|${M}`], 0)) /
        1000;
    }
  }
}
const Mmax = Math.max(...c.Ms);
// robustness: 5 points × (AMP-MMV twice, covariance ML) + 3 proposed variants (first seed); ablations: 3 networks
const part = (m) => solverPart.get(`12|${Mmax}|10|${m}`);
const extraEval =
  (5 * perPoint * (2 * part('amp-mmv') + part('cov-ml'))) / 1000 / workers +
  (5 * perPoint * 3 * netMs[`proposed|${Mmax}`]) / 1000 +
  (2 * perPoint * 2 * netMs[`proposed|${Mmax}`]) / 1000;
const timing =
  (c.Ms.reduce((s, M) => s + solverAt(c.Lref, M, 10) + 10 * netMs[`proposed|${M}`] * 3, 0) * c.timingCount) / 1000;
// the ROC section: 1000 realisations at (M max, Lref, 10 dB), one thread, AMP-MMV, covariance ML, M-SBL, FISTA and the nets
const roc =
  (1000 *
    (['amp-mmv', 'cov-ml', 'sbl', 'fista'].reduce((t, m) => t + part(m), 0) +
      ['proposed', 'lista-gs', 'alista-gs'].reduce((t, m) => t + netMs[`${m}|${Mmax}`], 0))) /
  1000;
const lines = [];
for (let k = 0; k < BUDGET_LADDER.length; k++) {
  const b = BUDGET_LADDER[k];
  const search = BUDGET_LADDER.slice(0, Math.min(k + 2, BUDGET_LADDER.length)).reduce(
    (s, r) => s + trainSeconds('proposed', r) + (2 * c.budget.valCount * netMs[`proposed|${Mmax}`]) / 1000,
    0,
  );
  const grid =
    c.Ls.length *
      c.trainSeeds.length *
      ['proposed', 'lista-gs', 'alista-gs'].reduce((s, m) => s + trainSeconds(m, b), 0) -
    trainSeconds('proposed', b);
  const extras = trainSeconds('proposed-noem', b) * 2 + trainSeconds('proposed-nodr', b) + trainSeconds('proposed', b);
  // after the search, every network is trained by `trainJobs` child processes at once (single-threaded kernels)
  const pretrain = (grid + extras) / trainJobs;
  const total = search + pretrain + solverTotal + netTotal + extraEval + timing + roc;
  lines.push(
    `budget ${b.stepsPerStage} steps/stage, ${b.samples} samples (search stops after the next rung): search ${(search / 60).toFixed(0)} min, training ${((grid + extras) / 60).toFixed(0)} min CPU → ${(pretrain / 60).toFixed(0)} min (${trainJobs} jobs at once), host solvers ${(solverTotal / 60).toFixed(0)} min (${workers} workers), network evaluation ${(netTotal / 60).toFixed(0)} min, robustness/ablation evaluation ${(extraEval / 60).toFixed(0)} min, timing ${(timing / 60).toFixed(0)} min, ROC ${(roc / 60).toFixed(0)} min → total ${(total / 60).toFixed(0)} min`,
  );
}
console.log(lines.join('\n'));
