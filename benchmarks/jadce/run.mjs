#!/usr/bin/env node
// JADCE benchmark: the feature-aided adaptive-tuning network (our reconstruction of Shao et al., arXiv 2012.13523)
// against oracle LS, AMP-MMV, covariance ML, EM-BG-AMP, group LASSO (FISTA, ADMM), M-SBL, LISTA-GS and ALISTA-GS on
// simulated massive access. Writes docs/results/jadce.md, SVG curves and raw records under docs/results/jadce/.
//
//   node benchmarks/jadce/run.mjs [--quick] [--seed 0] [--count 2000] [--slow-count 300] [--steps 12]
//                                 [--samples 3000] [--out docs/results/jadce.md] [--page-only] [--no-resume]
//
// Same as `ft jadce bench`. Public API only (@ft/jadce, @ft/core). Interrupted runs resume from the records file.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { createRng, initBackend, lineChartSvg, nmseDb, rocCurve, writeSvg } from '@ft/core';

let jadce;
try {
  jadce = await import('@ft/jadce');
} catch {
  // until benchmarks/package.json lists @ft/jadce, use the workspace package's built entry point (its public API)
  jadce = await import('../../packages/jadce/dist/index.js');
}

const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    seed: { type: 'string', default: '0' },
    count: { type: 'string' },
    'slow-count': { type: 'string' },
    steps: { type: 'string' },
    samples: { type: 'string' },
    out: { type: 'string', default: 'docs/results/jadce.md' },
    'page-only': { type: 'boolean', default: false },
    'no-resume': { type: 'boolean', default: false },
  },
});
const num = (v) => (v === undefined ? undefined : Number(v));
const backend = await initBackend({ prefer: ['cpu'] });
const controller = new AbortController();
process.on('SIGINT', () => controller.abort());
// NumPy cross-check: the same .npz (written by saveJadceNpz) through the TS ampMmv and benchmarks/jadce/amp_mmv.py
async function numpyCrossCheck() {
  const rng = createRng(Number(values.seed)).fork('numpy-cross-check');
  const S = jadce.makePilots(20, 100, rng.fork('pilots'));
  const data = jadce.simulateMassiveAccess({
    N: 100,
    M: 32,
    L: 20,
    activity: 0.05,
    snrDb: 10,
    pilots: S,
    count: 200,
    rng,
  });
  const file = join(mkdtempSync(join(tmpdir(), 'jadce-xcheck-')), 'xcheck.npz');
  jadce.saveJadceNpz(file, data, { compressed: true });
  const back = jadce.loadJadceNpz(file);
  const xh = { re: [], im: [] };
  for (let b = 0; b < 200; b++) {
    const r = jadce.ampMmv(
      { Y: jadce.batchItem(back.Y, b), S: back.S, sigma2: back.sigma2[b], eps: 0.05 },
      { damping: 0.5 },
    );
    xh.re.push(...r.X.re);
    xh.im.push(...r.X.im);
  }
  const ts = nmseDb(xh, { re: back.X.re, im: back.X.im });
  const py = spawnSync('python3', [join(import.meta.dirname, 'amp_mmv.py'), file, '--damping', '0.5'], {
    encoding: 'utf8',
  });
  if (py.status !== 0)
    return {
      title: 'NumPy cross-check',
      body: `python3 with numpy was not available (${(py.stderr || py.error?.message || '').trim().split('\n').pop()}); TS AMP-MMV NMSE ${ts.toFixed(3)} dB.`,
    };
  const np = JSON.parse(py.stdout.trim().split('\n').pop());
  return {
    title: 'NumPy cross-check of AMP-MMV',
    body: `One .npz (M = 32, L = 20, 10 dB, 200 realisations, seed ${values.seed}) written by \`saveJadceNpz\` and read by both: TypeScript \`ampMmv\` ${ts.toFixed(3)} dB, standalone NumPy \`benchmarks/jadce/amp_mmv.py\` ${np.nmseDb.toFixed(3)} dB (difference ${Math.abs(ts - np.nmseDb).toExponential(1)} dB; required ≤ 0.3 dB).`,
  };
}
// ROC by sweeping the threshold at the reference point, from the models the benchmark cached
async function rocSection() {
  const L = values.quick ? 16 : 20;
  const M = 32;
  const modelDir = join('benchmarks', 'jadce', '.cache', values.quick ? 'models-quick' : 'models', `L${L}-mixed`);
  const root = createRng(Number(values.seed));
  const S = jadce.makePilots(L, 100, root.fork(`pilots-L${L}`));
  const test = jadce.simulateMassiveAccess({
    N: 100,
    M,
    L,
    activity: 0.05,
    snrDb: 10,
    pilots: S,
    count: 1000,
    rng: root.fork('roc'),
  });
  const priors = { eps: 0.05, beta: new Float64Array(100).fill(1), source: { eps: 'flag', beta: 'flag' } };
  const models = {};
  for (const m of ['proposed', 'lista-gs', 'alista-gs']) {
    if (existsSync(join(modelDir, m, 'model.json'))) models[m] = jadce.loadLearnedModel(join(modelDir, m));
  }
  const names = ['amp-mmv', 'cov-ml', 'sbl', 'fista', 'lista-gs', 'alista-gs', 'proposed'].filter(
    (m) => !['lista-gs', 'alista-gs', 'proposed'].includes(m) || models[m],
  );
  const series = [];
  const rows = [];
  for (const m of names) {
    const count = ['sbl', 'fista'].includes(m) ? 200 : 1000;
    const run = jadce.runMethod(m, test, { priors, models, count });
    const labels = test.active.subarray(0, count * 100);
    const roc = rocCurve(labels, run.score);
    const step = Math.max(1, Math.floor(roc.fpr.length / 150));
    const points = [];
    for (let k = 1; k < roc.fpr.length; k += step)
      points.push({ x: Math.max(roc.fpr[k], 1e-5), y: Math.max(1 - roc.tpr[k], 1e-4) });
    series.push({ name: m, points });
    const s = jadce.scoreRun(run, test);
    rows.push(`| ${m} | ${count} | ${s.auroc.toFixed(5)} |`);
  }
  const svg = join(dirname(values.out), 'jadce', `roc-M${M}-L${L}.svg`);
  await writeSvg(
    svg,
    await lineChartSvg({
      title: `Detection trade-off by sweeping the threshold (M = ${M}, L = ${L}, 10 dB)`,
      series,
      xLabel: 'P_FA (floored at 1e-5)',
      yLabel: 'P_miss (floored at 1e-4)',
      logX: true,
      logY: true,
    }),
  );
  return {
    title: `ROC (threshold sweep), M = ${M}, L = ${L}, 10 dB`,
    body: `Fresh realisations (seeded), every method's per-device score swept over all thresholds (core \`rocCurve\`); P_miss = 1 − TPR against P_FA = FPR.\n\n| method | realisations | AUROC |\n| --- | --- | --- |\n${rows.join('\n')}\n\n![ROC](jadce/roc-M${M}-L${L}.svg)`,
  };
}

const extraSections = [await numpyCrossCheck()];
console.error(extraSections[0].body);

const options = {
  quick: values.quick,
  seed: Number(values.seed),
  count: num(values.count),
  slowCount: num(values['slow-count']),
  stepsPerStage: num(values.steps),
  samples: num(values.samples),
  out: values.out,
  pageOnly: values['page-only'],
  resume: !values['no-resume'],
  backend,
  command: `node benchmarks/jadce/run.mjs${values.quick ? ' --quick' : ''} --seed ${values.seed}`,
  log: (l) => console.error(l),
  signal: controller.signal,
};
let summary;
if (!values['page-only']) summary = (await jadce.runJadceBenchmark({ ...options, extraSections })).summary;
if (!controller.signal.aborted) {
  // the ROC needs the trained models the run cached; then the page is rebuilt from the records
  extraSections.push(await rocSection());
  summary = (await jadce.runJadceBenchmark({ ...options, extraSections, pageOnly: true })).summary;
}
console.log(JSON.stringify(summary));
