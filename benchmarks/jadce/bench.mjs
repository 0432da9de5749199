// The JADCE benchmark (`node benchmarks/jadce/run.mjs`, `ft jadce bench`): small-scale reproduction of the claim of
// Shao et al. (arXiv 2012.13523) that the feature-aided adaptive-tuning network reaches the detection and NMSE of the
// baselines with shorter pilots and at lower runtime than iterative methods, with our reconstruction of the network.
//
// Settings (spec "Small-scale reproduction"): N = 100, ε = 0.05, M ∈ {8, 32}, L ∈ {12, 16, 20, 24, 32},
// SNR ∈ {0, 5, 10, 15, 20} dB, β_n = 1, one seeded pilot matrix per L. Curves: NMSE vs SNR (at L = 20) and vs L
// (at 10 dB); AER vs L at 10 dB; shortest L reaching AER ≤ 1e-2; robustness to a mismatched ε (0.03 / 0.08) and SNR;
// runtime and FLOPs. Thresholds of every method are chosen on separate validation realisations (minimum AER), never
// on the test set. Learned networks are trained once per L on a mixture of M ∈ {8, 32} (DR rank 8) and SNR ∈ [0, 20]
// dB.
//
// Everything is seeded from `seed`; finished points are appended to a JSON records file, so an interrupted run
// resumes (`resume`), and the page can be rebuilt from the records alone (`pageOnly`).
import { createRng, yieldAndCheck } from '@ft/core';
import { makePilots } from '@ft/jadce';
import { benchSetup } from './config.mjs';
import { evalPoint } from './evaluate.mjs';
import { writeJadcePage } from './page.mjs';
import { openRecords, saveRecords } from './records.mjs';
import { modelLoader } from './train.mjs';

/**
 * @typedef {object} BenchmarkOptions
 * @property {boolean} [quick] M 32, L ∈ {16, 24}, 10 dB, short training
 * @property {string} [out] results page path (default docs/results/jadce.md); SVGs go to `<dir>/jadce/`
 * @property {number} [count] test realisations per point for the fast methods (default 2000)
 * @property {number} [slowCount] test realisations per point for FISTA, ADMM, M-SBL, EM-BG-AMP, (A)LISTA-GS (default 200)
 * @property {number} [valCount] validation realisations per point (default 300; slow methods min(valCount, slowCount / 2))
 * @property {number} [stepsPerStage] Adam steps per training stage (default 8)
 * @property {number} [samples] training realisations per pool (default 2000)
 * @property {number} [batch] mini-batch (default 32)
 * @property {number} [seed] seed of pilots, data and training (default 0)
 * @property {object | string} [backend] backend used (for the page)
 * @property {string} [records] records file (default `<out dir>/jadce/records.json`)
 * @property {boolean} [resume] skip points already in the records file and reuse cached models (default true)
 * @property {boolean} [pageOnly] only rebuild the page from the records file
 * @property {string} [modelDir] cached trained models (default benchmarks/jadce/.cache/models)
 * @property {string} [command] command line shown on the page
 * @property {{ title: string, body: string }[]} [extraSections] sections appended to the page
 * @property {(line: string) => void} [log]
 * @property {AbortSignal} [signal]
 */

/** Methods of every grid point; the learned ones take the models of this L. */
const baseMethods = (get) => [
  ...['oracle', 'oracle-mmse', 'amp-mmv', 'cov-ml', 'em-bg-amp', 'fista', 'admm', 'sbl'].map((m) => ({
    name: m,
    method: m,
  })),
  ...['lista-gs', 'alista-gs', 'proposed'].map((m) => ({ name: m, method: m, model: get(m) })),
];

/** NMSE/AER over the (M, L, SNR) grid, plus the ablations at (Lref, snrRef). */
async function runGrid(run, getModels) {
  const { Ms, Ls, snrs, Lref, snrRef, eps } = run.config;
  for (const L of Ls) {
    const extra = L === Lref ? ['proposed-noem', 'proposed-nodr'] : [];
    const get = await getModels(L, ['proposed', 'lista-gs', 'alista-gs', ...extra], run.snrRange, 'mixed');
    for (const M of Ms) {
      const points = L === Lref ? snrs : [snrRef];
      for (const snr of points) await evalPoint(run, 'grid', M, L, snr, eps, baseMethods(get));
      if (L === Lref) {
        const abl = [{ name: 'proposed-noem', method: 'proposed', model: get('proposed-noem') }];
        if (M === Math.max(...Ms)) abl.push({ name: 'proposed-nodr', method: 'proposed', model: get('proposed-nodr') });
        await evalPoint(run, 'ablation', M, L, snrRef, eps, abl);
      }
    }
  }
}

/** Robustness to a mismatched ε and SNR (M = max, L = Lref). */
async function runRobustness(run, getModels) {
  const { Ms, Lref, snrRef, eps, quick } = run.config;
  const getFixed = await getModels(Lref, ['proposed', 'proposed-noem'], snrRef, 'fixed10');
  const getMixed = await getModels(Lref, ['proposed'], run.snrRange, 'mixed');
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
      { name: 'proposed', method: 'proposed', model: getMixed('proposed') },
      { name: 'proposed-fixed', method: 'proposed', model: getFixed('proposed') },
      { name: 'proposed-noem-fixed', method: 'proposed', model: getFixed('proposed-noem') },
    ]);
  }
}

/** Trains, evaluates every point not in the records yet, and records the wall time. */
async function measure(run) {
  const { N, Ls, snrs, seed } = run.config;
  run.root = createRng(seed);
  run.pilots = new Map(Ls.map((L) => [L, makePilots(L, N, run.root.fork(`pilots-L${L}`))]));
  run.snrRange = [Math.min(0, ...snrs), Math.max(20, ...snrs)];
  const getModels = modelLoader(run);
  await runGrid(run, getModels);
  await runRobustness(run, getModels);
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
  const page = await writeJadcePage(file, {
    out,
    svgDir,
    backend: o.backend,
    command: o.command ?? `ft jadce bench${config.quick ? ' --quick' : ''} --seed ${config.seed}`,
    extraSections: o.extraSections,
  });
  return { summary: page.summary, page: page.markdown, records: file.records };
}
