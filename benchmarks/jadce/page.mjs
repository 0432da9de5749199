// Assembly of docs/results/jadce.md from the records: opening sections (command, backend, claim, verdict), what was
// run, tables, plots, training and the caller's extra sections.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { lineChartSvg, machineInfo, resultsPage, writeSvg } from '@ft/report';
import { GRID_METHODS } from './config.mjs';
import { aggregateSeeds, shortestL } from './format.mjs';
import { writeCharts } from './plots.mjs';
import {
  ablationTable,
  budgetTable,
  byLTable,
  cutTable,
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
  "One by one, for every method: the same realisations, each solved alone on the main thread (iterative solvers in Float64 JavaScript; the networks with batch 1 on the run's tfjs backend, their time including the DR eigendecomposition on the host and the MMSE channel estimate). The grid tables' 'throughput' times differ: host solvers there run on worker threads (one-core time per realisation), the networks batched (256). FLOPs count 8 real flops per complex multiply-add; the DR network's layers cost O(LNr) with r = 8 instead of O(LNM).";

const RUNTIME_NOTE_OLD =
  'Times are wall-clock throughput (iterative solvers one realisation at a time in Float64 JavaScript; the networks batched), not a like-for-like comparison. FLOPs count 8 real flops per complex multiply-add.';

/** "What was run": settings, methods, thresholds and training. */
function whatWasRun(c, file) {
  const seeds = c.trainSeeds ?? [c.seed];
  const b = file.budget?.chosen ?? c.budget?.fixed ?? { stepsPerStage: c.stepsPerStage, samples: c.samples };
  return [
    `N = ${c.N} devices, ε = 0.05, M ∈ {${c.Ms.join(', ')}}, L ∈ {${c.Ls.join(', ')}} at ${c.snrRef} dB, SNR ∈ {${c.snrs.join(', ')}} dB at L = ${c.Lref}, unit large-scale fading, σ² from the expected signal power (σ² = εN/(L·SNR)), one seeded CN(0, 1/L) pilot matrix per L shared by training, validation and test.`,
    'Methods: oracle-support LS and LMMSE (the true active set given; LMMSE is the NMSE bound for estimators that, like AMP-MMV, covariance ML + MMSE and the network, use σ² and β), AMP-MMV with the known ε (damping 0.5), covariance-based ML (10 coordinate-descent sweeps, then MMSE channels on the detected set), EM-BG-AMP (damping 0.5), group LASSO by FISTA (500 iterations) and ADMM, M-SBL (≤ 100 iterations), LISTA-GS and ALISTA-GS (T = 10), and the reconstructed network (DR to r = 8, T = 10, J = 3, detection π ≥ threshold, MMSE channels on the detected set).',
    `Every method is scored on the same ${c.count} test realisations per point; detection thresholds of every method (and training seed) minimise the AER on ${c.valCount ?? '–'} separate validation realisations. NMSE is over all N·M entries of every test realisation (ratio of sums). ± is the standard deviation over the ${seeds.length} training seeds for the learned methods (marked (s)) and over 4 disjoint blocks of the test realisations for the others.`,
    `Learned networks: one per L and training seed (${seeds.join(', ')}), mixed M ∈ {${c.Ms.join(', ')}} and SNR ∈ [0, 20] dB, batch ${c.batch}, T = ${c.T} layers, J = ${c.J} inner EM steps, inner layer-by-layer stages at lr 1e-3, then outer fine-tuning at 1e-4; budget ${b.stepsPerStage} Adam steps per stage on ${b.samples} realisations per pool, the same for the proposed network, LISTA-GS and ALISTA-GS, chosen on validation NMSE (section "Training budget"). Ablation and robustness networks: training seed ${(c.extraSeeds ?? [c.seed]).join(', ')} only.`,
  ].join('\n\n');
}

/** "Sizes cut to fit the machine" / "Where the grid differs from the paper". */
function sizeCuts(c) {
  if (!c.trainSeeds) {
    return [
      `Test realisations per point: ${c.count} for oracle LS, AMP-MMV, covariance ML and the proposed network; the first ${c.slowCount} of them for FISTA, ADMM, M-SBL, EM-BG-AMP, LISTA-GS and ALISTA-GS.`,
      `Training: ${c.samples} samples, ${c.stepsPerStage} steps per stage, batch ${c.batch}, one seed.`,
    ]
      .map((x) => `- ${x}`)
      .join('\n');
  }
  return [
    "The paper's figure settings are not in its abstract (spec: \"Paper figure settings/numbers unconfirmed; typical ranges in this literature: N 100–1000, ε 0.05–0.1, M 16–256, L 20–100, SNR 0–30 dB\"). Ours is smaller: N = 100, M ∈ {8, 32}, L ∈ {6, …, 20}; L reaches below 12 because covariance ML and M-SBL already reach AER ≤ 1e-2 at L = 12 and the shortest-pilot comparison needs the grid's floor below every method's shortest L.",
    `NMSE vs SNR is measured at L = ${c.Lref} only (at L = 20 every good method sits at the oracle bound), at SNR ∈ {${c.snrs.join(', ')}} dB, and NMSE/AER vs L at ${c.snrRef} dB only (not the full L × SNR grid).`,
    `Validation realisations for the detection thresholds: ${c.valCount} per point (the spec says 500; the iterative solvers' cost decided).`,
    "Training is shorter than the spec's 20k–50k samples with batch 128: the budget is the smallest rung of a doubling ladder after which the validation NMSE improves by less than the stated tolerance (or the ladder's top, said so below), batch " +
      c.batch +
      '.',
    'LISTA-GS / ALISTA-GS use a threshold θ·√M per group so that one network serves both antenna counts [I].',
  ]
    .map((x) => `- ${x}`)
    .join('\n');
}

/** The page sections after the verdict, in order. */
function sections(c, file, recs, grid, methods, images, extraSections, cut) {
  const budget = budgetTable(file.budget, file.training, c.trainSeeds?.[0] ?? c.seed);
  const Mmax = Math.max(...c.Ms);
  const ablation = ablationTable(c, recs);
  const robust = robustnessTable(recs);
  const training = trainingTable(file.training);
  return [
    { title: 'What was run', body: whatWasRun(c, file) },
    {
      title: c.trainSeeds ? 'Where the grid differs from the paper and the spec' : 'Sizes cut to fit the machine',
      body: sizeCuts(c),
    },
    ...(cutTable(c, recs, cut, methods)
      ? [
          {
            title: 'What changed from the cut run',
            body: `The cut run (${cut.finished ?? 'earlier'}: one training seed, ${cut.config.stepsPerStage} steps per stage on ${cut.config.samples} samples, cpu backend, ${cut.config.slowCount} test realisations for the slow methods, L ∈ {${cut.config.Ls.join(', ')}}) is kept frozen in \`docs/results/jadce/records-cut.json\`; its rows are next to this run's.\n\n${cutTable(c, recs, cut, methods)}`,
          },
        ]
      : []),
    ...(budget
      ? [
          {
            title: 'Training budget (chosen on validation loss)',
            body: `The proposed network at L = ${file.budget.L}, training seed ${c.trainSeeds?.[0] ?? c.seed}, trained at each rung; validation NMSE on fresh realisations (M ∈ {${c.Ms.join(', ')}}, SNR ∈ [0, 20] dB, never the test set). The search stops at the first rung whose successor improves the validation NMSE by less than ${file.budget.tolDb} dB${file.budget.converged === false ? '; **the ladder ended before that happened**, so the top rung was used and more training could still help' : ''}.\n\n${budget}`,
            images: images.budget ?? [],
          },
        ]
      : []),
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
      body: `${runtimeTable(c, recs, methods, file.timing)}\n\n${file.timing?.length ? RUNTIME_NOTE : RUNTIME_NOTE_OLD}`,
    },
    {
      title: 'Training (per model): seconds, steps, training NMSE (dB) after each layer',
      body: training ?? 'No training records.',
    },
    ...(extraSections ?? []),
    { title: 'Reconstruction notice', body: RECONSTRUCTION },
  ];
}

/** The validation-NMSE curve of the budget search as an SVG; the images (none without a search). */
async function budgetChart(budget, o) {
  if (!budget?.curve?.length) return [];
  const p = join(o.svgDir, 'budget-curve.svg');
  const points = budget.curve.map((q) => ({ x: q.stepsPerStage, y: q.valNmseDb }));
  await writeSvg(
    p,
    await lineChartSvg({
      title: `Validation NMSE vs training budget (proposed, L = ${budget.L})`,
      series: [{ name: 'validation NMSE', points }],
      xLabel: 'Adam steps per stage (samples per pool = 250 × steps)',
      yLabel: 'NMSE (dB)',
      logX: true,
    }),
  );
  return [{ path: relative(dirname(o.out), p), alt: 'Validation NMSE vs training budget' }];
}

/**
 * Writes only the SVG curves (NMSE vs SNR and vs L, AER vs L) of the records into `o.svgDir`; returns the images.
 * The page's other inputs (machine, NumPy cross-check, ROC from the trained models) are not touched.
 * @param {{ config: object, records: object[] }} file
 * @param {{ out: string, svgDir: string }} o
 */
export async function writeJadceCharts(file, o) {
  const grid = aggregateSeeds(file.records).filter((r) => r.group === 'grid');
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
  const recs = aggregateSeeds(file.records);
  const grid = recs.filter((r) => r.group === 'grid');
  const methods = GRID_METHODS.filter((m) => grid.some((r) => r.method === m));
  const images = await writeJadceCharts(file, o);
  images.budget = await budgetChart(file.budget, o);
  const { verdict, evidence } = jadceVerdict(c, recs, grid, { timing: file.timing, cut: o.cut });
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
    seeds: c.trainSeeds ?? [c.seed],
    seedsNote: c.trainSeeds
      ? `Training seeds of the learned networks; pilots, validation and test data come from seed ${c.seed} and are the same for every method and training seed.`
      : undefined,
    claim: CLAIM,
    verdict,
    evidence,
    sections: sections(c, file, recs, grid, methods, images, o.extraSections, o.cut),
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
