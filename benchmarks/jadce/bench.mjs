// The JADCE benchmark (`node benchmarks/jadce/run.mjs`, `ft jadce bench`): small-scale reproduction of the claim of
// Shao et al. (arXiv 2012.13523) that the feature-aided adaptive-tuning network reaches the detection and NMSE of the
// baselines with shorter pilots and at lower runtime than iterative methods, with our reconstruction of the network.
//
// Settings (issue 17 part 3 re-run of the spec's "Small-scale reproduction"): N = 100, ε = 0.05, M ∈ {8, 32},
// L ∈ {6, 8, 10, 12, 16, 20}, SNR ∈ {0, 5, 10, 15, 20} dB at L = Lref = 12, β_n = 1, one seeded pilot matrix per L.
// The training budget (steps per stage, samples) is chosen on validation NMSE (budget.mjs); every grid network is
// trained with 3 seeds at that budget (LISTA-GS and ALISTA-GS too); every method sees the same 2,000 test
// realisations. Curves: NMSE vs SNR (at Lref) and vs L (at 10 dB); AER vs L at 10 dB; shortest L reaching
// AER ≤ 1e-2; robustness to a mismatched ε (0.03 / 0.08) and SNR; runtime one realisation at a time for every method.
// Thresholds of every method are chosen on separate validation realisations (minimum AER), never on the test set.
//
// Everything is seeded from `seed`; finished points (per training seed) are appended to a JSON records file, so an
// interrupted run resumes (`resume`), and the page can be rebuilt from the records alone (`pageOnly`).
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createRng, yieldAndCheck, yieldToEventLoop } from '@ft/core';
import { makePilots, simulateMassiveAccess } from '@ft/jadce';
import { chooseBudget } from './budget.mjs';
import { benchSetup } from './config.mjs';
import { evalPoint, timeOneByOne } from './evaluate.mjs';
import { writeJadcePage } from './page.mjs';
import { openRecords, saveRecords } from './records.mjs';
import { createSolverPool } from './solver-pool.mjs';
import { modelLoader, pretrain } from './train.mjs';

/**
 * @typedef {object} BenchmarkOptions
 * @property {boolean} [quick] M 32, L ∈ {8, 12}, 10 dB, one training seed, a two-rung budget ladder
 * @property {string} [out] results page path (default docs/results/jadce.md); SVGs go to `<dir>/jadce/`
 * @property {number} [count] test realisations per point, every method (default 2000)
 * @property {number} [valCount] validation realisations per point (thresholds; default 300)
 * @property {number[]} [Ls] pilot lengths (default 6, 8, 10, 12, 16, 20)
 * @property {number[]} [snrs] SNRs of the sweep at Lref (default 0, 5, 10, 15, 20 dB)
 * @property {number} [Lref] reference pilot length (SNR sweep, ablations, robustness, runtime; default 12)
 * @property {number[]} [trainSeeds] training seeds of the grid networks (default seed, seed + 1, seed + 2)
 * @property {number[]} [extraSeeds] training seeds of the ablation and robustness networks (default the first)
 * @property {{ stepsPerStage: number, samples: number }[]} [budgetLadder] training budgets tried (config.mjs)
 * @property {number} [budgetL] pilot length of the budget search (default 10)
 * @property {number} [budgetTolDb] validation-NMSE improvement below which the search stops (default 0.2 dB)
 * @property {number} [budgetValCount] validation realisations per M of the budget search (default 500)
 * @property {{ stepsPerStage: number, samples: number } | null} [fixedBudget] skip the search, use this budget
 * @property {number} [timingCount] realisations timed one by one for the runtime table (default 100)
 * @property {number} [T] layers of every network (default 10)
 * @property {number} [batch] mini-batch (default 32)
 * @property {number} [workers] worker threads of the host solvers (default 2; ≤ 1: the calling thread)
 * @property {number} [trainJobs] training jobs run at once in child processes after the budget search (default 2;
 *   ≤ 1: every network is trained in this process)
 * @property {number} [seed] seed of pilots and data (default 0)
 * @property {object | string} [backend] backend used (for the page)
 * @property {string} [records] records file (default `<out dir>/jadce/records.json`)
 * @property {string} [cutRecords] records of the earlier cut run, shown as "cut" rows (default docs/results/jadce/records-cut.json)
 * @property {boolean} [resume] skip points already in the records file and reuse cached models (default true)
 * @property {boolean} [pageOnly] only rebuild the page from the records file
 * @property {string} [modelDir] cached trained models (default benchmarks/jadce/.cache/models)
 * @property {string} [command] command line shown on the page
 * @property {{ title: string, body: string }[]} [extraSections] sections appended to the page
 * @property {(line: string) => void} [log]
 * @property {AbortSignal} [signal]
 */

const BASELINES = ['oracle', 'oracle-mmse', 'amp-mmv', 'cov-ml', 'em-bg-amp', 'fista', 'admm', 'sbl'];

/** Methods of every grid point: the baselines, then the learned ones once per training seed. */
const gridMethods = (gets) => [
  ...BASELINES.map((m) => ({ name: m, method: m })),
  ...gets.flatMap(({ seed, get }) =>
    ['lista-gs', 'alista-gs', 'proposed'].map((m) => ({ name: m, method: m, model: get(m), trainSeed: seed })),
  ),
];

/** NMSE/AER over the (M, L, SNR) grid, plus the ablations at (Lref, snrRef). */
async function runGrid(run, getModels) {
  const { Ms, Ls, snrs, Lref, snrRef, eps, trainSeeds, extraSeeds } = run.config;
  for (const L of Ls) {
    const gets = [];
    for (const seed of trainSeeds) {
      const extra = L === Lref && extraSeeds.includes(seed) ? ['proposed-noem', 'proposed-nodr'] : [];
      const names = ['proposed', 'lista-gs', 'alista-gs', ...extra];
      gets.push({ seed, get: await getModels(L, names, run.snrRange, 'mixed', seed, run.budget) });
      if (run.o.signal?.aborted) return;
    }
    for (const M of Ms) {
      const points = L === Lref ? snrs : [snrRef];
      for (const snr of points) await evalPoint(run, 'grid', M, L, snr, eps, gridMethods(gets));
      if (L === Lref) {
        const abl = gets
          .filter((g) => extraSeeds.includes(g.seed))
          .flatMap(({ seed, get }) => [
            { name: 'proposed-noem', method: 'proposed', model: get('proposed-noem'), trainSeed: seed },
            ...(M === Math.max(...Ms)
              ? [{ name: 'proposed-nodr', method: 'proposed', model: get('proposed-nodr'), trainSeed: seed }]
              : []),
          ]);
        await evalPoint(run, 'ablation', M, L, snrRef, eps, abl);
      }
    }
  }
}

/** Robustness to a mismatched ε and SNR (M = max, L = Lref). */
async function runRobustness(run, getModels) {
  const { Ms, Lref, snrRef, eps, quick, extraSeeds } = run.config;
  const learned = [];
  for (const seed of extraSeeds) {
    const getFixed = await getModels(Lref, ['proposed', 'proposed-noem'], snrRef, 'fixed10', seed, run.budget);
    const getMixed = await getModels(Lref, ['proposed'], run.snrRange, 'mixed', seed, run.budget);
    learned.push(
      { name: 'proposed', method: 'proposed', model: getMixed('proposed'), trainSeed: seed },
      { name: 'proposed-fixed', method: 'proposed', model: getFixed('proposed'), trainSeed: seed },
      { name: 'proposed-noem-fixed', method: 'proposed', model: getFixed('proposed-noem'), trainSeed: seed },
    );
  }
  const points = quick
    ? [
        [0.03, snrRef],
        [0.08, snrRef],
      ]
    : [
        [0.03, snrRef],
        [0.05, snrRef],
        [0.08, snrRef],
        [0.05, 0],
        [0.05, 20],
      ];
  for (const [pe, ps] of points) {
    await evalPoint(run, 'robustness', Math.max(...Ms), Lref, ps, pe, [
      { name: 'amp-mmv', method: 'amp-mmv' },
      { name: 'amp-mmv-nominal', method: 'amp-mmv', priorEps: eps },
      { name: 'cov-ml', method: 'cov-ml' },
      ...learned,
    ]);
  }
}

/**
 * Runtime, one realisation at a time on this thread for every method (learned: the first training seed's models,
 * batch 1), on the same realisations at (M, Lref, snrRef) for every M; kept in `file.timing`.
 */
async function runTiming(run, getModels) {
  const { Ms, Lref, snrRef, eps, N, timingCount, extraSeeds } = run.config;
  const seed = extraSeeds[0];
  const get = await getModels(
    Lref,
    ['proposed', 'lista-gs', 'alista-gs', 'proposed-noem', 'proposed-nodr'],
    run.snrRange,
    'mixed',
    seed,
    run.budget,
  );
  run.file.timing ??= [];
  const priors = { eps, beta: new Float64Array(N).fill(1), source: { eps: 'flag', beta: 'flag' } };
  for (const M of Ms) {
    const data = simulateMassiveAccess({
      N,
      M,
      L: Lref,
      activity: eps,
      snrDb: snrRef,
      pilots: run.pilots.get(Lref),
      count: timingCount,
      rng: run.root.fork(`timing-M${M}`),
    });
    const names = [
      ...BASELINES.filter((m) => !m.startsWith('oracle')),
      'lista-gs',
      'alista-gs',
      'proposed',
      'proposed-noem',
      ...(M === Math.max(...Ms) ? ['proposed-nodr'] : []),
    ];
    for (const name of names) {
      if (run.o.signal?.aborted) return;
      if (run.file.timing.some((t) => t.M === M && t.method === name)) continue;
      const method = name.startsWith('proposed') ? 'proposed' : name;
      const m = { name, method, model: get(name) };
      const ms = timeOneByOne(m, data, timingCount, priors);
      run.file.timing.push({
        M,
        L: Lref,
        snrDb: snrRef,
        method: name,
        msOneByOne: ms,
        count: timingCount,
        trainSeed: m.model ? seed : undefined,
      });
      run.o.log?.(`timing M${M} L${Lref} ${name.padEnd(16)} ${ms.toFixed(2)} ms one by one`);
      saveRecords(run.recordsPath, run.file);
      await yieldToEventLoop();
    }
  }
}

/** Every training job of the run after the budget search (grid, ablation and robustness networks). */
function trainingJobs(run) {
  const { Ls, Lref, snrRef, trainSeeds, extraSeeds } = run.config;
  const budget = run.budget;
  const jobs = [];
  for (const L of Ls) {
    for (const seed of trainSeeds) {
      const extra = L === Lref && extraSeeds.includes(seed) ? ['proposed-noem', 'proposed-nodr'] : [];
      jobs.push({
        L,
        seed,
        tag: 'mixed',
        snr: run.snrRange,
        budget,
        methods: ['proposed', 'lista-gs', 'alista-gs', ...extra],
      });
    }
  }
  for (const seed of extraSeeds)
    jobs.push({ L: Lref, seed, tag: 'fixed10', snr: snrRef, budget, methods: ['proposed', 'proposed-noem'] });
  return jobs;
}

/** Chooses the training budget, trains, evaluates every point not in the records yet, and records the wall time. */
async function measure(run) {
  const { N, Ls, snrs, seed, budget } = run.config;
  run.root = createRng(seed);
  const allLs = [...new Set([...Ls, budget.L])];
  run.pilots = new Map(allLs.map((L) => [L, makePilots(L, N, run.root.fork(`pilots-L${L}`))]));
  run.snrRange = [Math.min(0, ...snrs), Math.max(20, ...snrs)];
  const getModels = modelLoader(run);
  run.pool = createSolverPool(run.config.workers);
  try {
    run.budget = await chooseBudget(run, getModels);
    await pretrain(run, trainingJobs(run), run.config.trainJobs);
    await runGrid(run, getModels);
    await runRobustness(run, getModels);
    await runTiming(run, getModels);
  } finally {
    await run.pool.close();
  }
  const { file, o } = run;
  if (o.signal?.aborted) {
    // keep the finished points (the next run resumes from them), but never write a page from a partial run
    saveRecords(run.recordsPath, file);
    await yieldAndCheck(o.signal, `jadce benchmark (finished points kept in ${run.recordsPath})`);
  }
  file.finished = new Date().toISOString();
  const minutes = (Number(file.training.wallMinutes) || 0) + (performance.now() - run.t0) / 60000;
  file.training.wallMinutes = minutes.toFixed(1);
  saveRecords(run.recordsPath, file);
}

/**
 * Runs the benchmark (unless `pageOnly`) and writes the results page (see the file header).
 * @param {BenchmarkOptions} [o]
 * @returns {Promise<{ summary: Record<string, unknown>, page: string, records: object[] }>}
 */
export async function runJadceBenchmark(o = {}) {
  const log = o.log ?? (() => {});
  const { config, out, svgDir, recordsPath, modelDir } = benchSetup(o);
  const file = openRecords(recordsPath, config, o, log);
  file.started ??= new Date().toISOString();
  const run = { o, config, file, recordsPath, modelDir, t0: performance.now() };
  if (!o.pageOnly) await measure(run);
  const cutPath = o.cutRecords ?? join('docs', 'results', 'jadce', 'records-cut.json');
  const cut = existsSync(cutPath) ? JSON.parse(readFileSync(cutPath, 'utf8')) : undefined;
  const page = await writeJadcePage(file, {
    out,
    svgDir,
    cut,
    backend: o.backend,
    command: o.command ?? `ft jadce bench${config.quick ? ' --quick' : ''} --seed ${config.seed}`,
    extraSections: o.extraSections,
  });
  return { summary: page.summary, page: page.markdown, records: file.records };
}
