// Assembly of docs/results/jadce.md from the records: opening sections (command, backend, claim, verdict), what was
// run, tables, plots, training and the caller's extra sections.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { machineInfo, resultsPage } from '@ft/report';
import { GRID_METHODS } from './config.mjs';
import { shortestL } from './format.mjs';
import { writeCharts } from './plots.mjs';
import {
  ablationTable,
  byLTable,
  referenceTable,
  robustnessTable,
  runtimeTable,
  shortestTable,
  trainingTable,
} from './tables.mjs';
import { jadceVerdict } from './verdict.mjs';

const CLAIM =
  'Shao, Chen, Qiang, Zhong, Zhang, "Feature-Aided Adaptive-Tuning Deep Learning for Massive Device Detection", arXiv 2012.13523 (abstract): the DR + unrolled network with EM-based adaptive tuning reaches the detection and channel-estimation accuracy of the baselines with **shorter pilots** and at **lower complexity / runtime** than iterative methods.';

const RECONSTRUCTION =
  "Only the abstract of arXiv 2012.13523 was available. The DR module, the LAMP-style outer layers with learned B_t, the inner EM network (closed-form Bernoulli–Gaussian E/M steps with learned damping), the learned initial prior and the inner-then-outer layer-by-layer schedule are a reconstruction (`FeatureAidedJadceNet`, see packages/jadce/src/feature-aided-net.ts), not the authors' network; no official code is known.";

const ROBUSTNESS_NOTE =
  'Networks trained at ε = 0.05; "trained at 10 dB" networks saw only 10 dB. AMP-MMV is run with the true ε and with the nominal ε = 0.05 (the mismatch the networks face); the proposed network\'s EM steps re-estimate λ, φ and τ per realisation, the "w/o EM" network cannot. Detection thresholds are re-chosen on validation data at each test condition for every method, which absorbs part of any mismatch.';

const RUNTIME_NOTE =
  "Times are wall-clock on 2 cores that other jobs shared during the run, so absolute values are inflated and noisy; compare methods within one row of the same run. Iterative solvers run one realisation at a time in Float64 JavaScript; the networks run batched (256 realisations) on the tfjs cpu backend, and their time includes the DR eigendecomposition (host) and the MMSE channel estimate. FLOPs count 8 real flops per complex multiply-add; the DR network's layers cost O(LNr) with r = 8 instead of O(LNM).";

/** "What was run": settings, methods, thresholds and training. */
function whatWasRun(c) {
  return [
    `N = ${c.N} devices, ε = 0.05, M ∈ {${c.Ms.join(', ')}}, L ∈ {${c.Ls.join(', ')}}, SNR ∈ {${c.snrs.join(', ')}} dB, unit large-scale fading, σ² from the expected signal power (σ² = εN/(L·SNR)), one seeded CN(0, 1/L) pilot matrix per L shared by training, validation and test.`,
    'Methods: oracle-support LS and LMMSE (the true active set given; LMMSE is the NMSE bound for estimators that, like AMP-MMV, covariance ML + MMSE and the network, use σ² and β), AMP-MMV with the known ε (damping 0.5), covariance-based ML (10 coordinate-descent sweeps, then MMSE channels on the detected set), EM-BG-AMP (damping 0.5), group LASSO by FISTA (500 iterations) and ADMM, M-SBL (≤ 100 iterations), LISTA-GS and ALISTA-GS (T = 10), and the reconstructed network (DR to r = 8, T = 10, J = 3, detection π ≥ threshold, MMSE channels on the detected set).',
    'Detection thresholds of every method minimise the AER on separate validation realisations. NMSE is over all N·M entries of every test realisation (ratio of sums). ± is the standard deviation over 4 disjoint blocks of the test realisations (one training seed).',
    `Learned networks: one per L, trained once (seed ${c.seed}) on ${c.samples} realisations per pool, mixed M ∈ {${c.Ms.join(', ')}} and SNR ∈ [0, 20] dB, batch ${c.batch}, T = ${c.T} layers, J = ${c.J} inner EM steps, ${c.stepsPerStage} Adam steps per stage (inner layer-by-layer stages at lr 1e-3, then outer fine-tuning at 1e-4).`,
  ].join('\n\n');
}

/** "Sizes cut to fit the machine": how this run is smaller than the spec. */
function sizeCuts(c) {
  return [
    `Test realisations per point: ${c.count} for oracle LS, AMP-MMV, covariance ML and the proposed network; the first ${c.slowCount} of them for FISTA, ADMM, M-SBL, EM-BG-AMP, LISTA-GS and ALISTA-GS (they cost 20–200 ms per realisation in pure JavaScript on 2 shared cores). Validation (thresholds): ${c.valCount} separate realisations (${Math.min(c.valCount, Math.floor(c.slowCount / 2))} for the slower methods).`,
    `NMSE vs SNR is measured at L = ${c.Lref} only and NMSE/AER vs L at ${c.snrRef} dB only (not the full L × SNR grid).`,
    `Training is far shorter than the spec's 20k–50k samples with hundreds of steps per stage: ${c.samples} samples, ${c.stepsPerStage} steps per stage, batch ${c.batch} (the pure-JS backend trains this network at ≈ 60 ms per layer and step).`,
    'LISTA-GS / ALISTA-GS use a threshold θ·√M per group so that one network serves both antenna counts [I].',
  ]
    .map((s) => `- ${s}`)
    .join('\n');
}

/** The page sections after the verdict, in order. */
function sections(c, file, grid, methods, images, extraSections) {
  const recs = file.records;
  const Mmax = Math.max(...c.Ms);
  const ablation = ablationTable(c, recs);
  const robust = robustnessTable(recs);
  const training = trainingTable(file.training);
  return [
    { title: 'What was run', body: whatWasRun(c) },
    { title: 'Sizes cut to fit the machine', body: sizeCuts(c) },
    ...c.Ms.map((M) => ({
      title: `Reference point: M = ${M}, L = ${c.Lref}, ${c.snrRef} dB`,
      body: referenceTable(c, grid, methods, M),
    })),
    { title: 'NMSE vs SNR', images: images.snr, body: images.snr.length ? undefined : 'Not measured in this mode.' },
    ...c.Ms.map((M) => ({
      title: `NMSE (dB) vs pilot length, M = ${M}, ${c.snrRef} dB`,
      body: byLTable(c, grid, methods, M, 'nmseDb'),
    })),
    { title: 'NMSE vs pilot length (plots)', images: images.L },
    ...c.Ms.map((M) => ({
      title: `AER vs pilot length, M = ${M}, ${c.snrRef} dB`,
      body: byLTable(c, grid, methods, M, 'aer'),
    })),
    { title: 'AER vs pilot length (plots)', images: images.aer },
    { title: `Shortest pilot length reaching AER ≤ 1e-2 (${c.snrRef} dB)`, body: shortestTable(c, recs, methods) },
    { title: `Ablations (L = ${c.Lref}, ${c.snrRef} dB)`, body: ablation ?? 'Not run.' },
    {
      title: `Robustness to a mismatched ε and SNR (M = ${Mmax}, L = ${c.Lref})`,
      body: robust ? `${ROBUSTNESS_NOTE}\n\n${robust}` : 'Not run.',
    },
    {
      title: `Runtime and FLOPs (M = ${Mmax}, L = ${c.Lref}, ${c.snrRef} dB)`,
      body: `${runtimeTable(c, recs, methods)}\n\n${RUNTIME_NOTE}`,
    },
    {
      title: 'Training (per model): seconds, steps, training NMSE (dB) after each layer',
      body: training ?? 'No training records.',
    },
    ...(extraSections ?? []),
    { title: 'Reconstruction notice', body: RECONSTRUCTION },
  ];
}

/**
 * Writes only the SVG curves (NMSE vs SNR and vs L, AER vs L) of the records into `o.svgDir`; returns the images.
 * The page's other inputs (machine, NumPy cross-check, ROC from the trained models) are not touched.
 * @param {{ config: object, records: object[] }} file
 * @param {{ out: string, svgDir: string }} o
 */
export async function writeJadceCharts(file, o) {
  const grid = file.records.filter((r) => r.group === 'grid');
  const methods = GRID_METHODS.filter((m) => grid.some((r) => r.method === m));
  return writeCharts(file.config, grid, methods, o);
}

/**
 * Writes the results page (and its SVG curves) from a records file's content.
 * @param {{ config: object, training: object, records: object[], started?: string, finished?: string }} file
 * @param {{ out: string, svgDir: string, backend?: object | string, command: string, extraSections?: { title: string, body: string }[] }} o
 * @returns {Promise<{ markdown: string, summary: Record<string, unknown> }>}
 */
export async function writeJadcePage(file, o) {
  const c = file.config;
  const recs = file.records;
  const grid = recs.filter((r) => r.group === 'grid');
  const methods = GRID_METHODS.filter((m) => grid.some((r) => r.method === m));
  const images = await writeJadceCharts(file, o);
  const { verdict, evidence } = jadceVerdict(c, recs, grid);
  const other = o.command.startsWith('node')
    ? `ft jadce bench${c.quick ? ' --quick' : ''} --seed ${c.seed}`
    : `node benchmarks/jadce/run.mjs${c.quick ? ' --quick' : ''} --seed ${c.seed}`;
  const markdown = resultsPage({
    title: 'JADCE: feature-aided adaptive-tuning network (reconstruction) vs baselines',
    command: `${o.command}\n# equivalently: ${other}`,
    backend:
      o.backend ??
      'cpu (@tensorflow/tfjs-backend-cpu) for the networks; iterative solvers in Float64 JavaScript on the host',
    machine: machineInfo(),
    date: file.finished ?? file.started ?? 'unknown',
    seeds: [c.seed],
    claim: CLAIM,
    verdict,
    evidence,
    sections: sections(c, file, grid, methods, images, o.extraSections),
  });
  mkdirSync(dirname(o.out), { recursive: true });
  writeFileSync(o.out, markdown);
  const shortest = (M) => Object.fromEntries(methods.map((m) => [m, shortestL(recs, m, M, c.snrRef) ?? null]));
  const summary = {
    page: o.out,
    verdict,
    points: recs.length,
    shortestL: Object.fromEntries(c.Ms.map((M) => [`M${M}`, shortest(M)])),
  };
  return { markdown, summary };
}
