#!/usr/bin/env node
// JADCE benchmark: the feature-aided adaptive-tuning network (our reconstruction of Shao et al., arXiv 2012.13523)
// against oracle LS, AMP-MMV, covariance ML, EM-BG-AMP, group LASSO (FISTA, ADMM), M-SBL, LISTA-GS and ALISTA-GS on
// simulated massive access. Writes docs/results/jadce.md, SVG curves and raw records under docs/results/jadce/.
//
//   node benchmarks/jadce/run.mjs [--quick] [--seed 0] [--count 2000] [--val-count 500] [--train-seeds 0,1,2]
//                                 [--ls 6,8,10,12,16,20] [--snrs 0,5,10,15,20] [--workers 2] [--train-jobs 2]
//                                 [--budget 32x8000 | --ladder 8x2000,16x4000,...] [--out docs/results/jadce.md] [--records <file.json>]
//                                 [--model-dir <dir>] [--page-only] [--charts-only] [--no-resume] [--no-extras]
//
// Runs on the default backend (core `initBackend()`: ft-native where it is built, else cpu; FT_BACKEND overrides).
// `--out /tmp/x/jadce.md` writes the page, SVGs and records under /tmp/x (tiny test runs never touch the committed
// page). `--budget SxN` skips the budget search and trains every network S steps per stage on N samples.
// `ft jadce bench` runs this script. Public API only (@ft/jadce, @ft/core, @ft/report). Interrupted runs resume from
// the records file (Ctrl-C keeps finished points); --page-only rebuilds the page from it (the NumPy cross-check and the
// ROC are recomputed); --charts-only redraws only the NMSE/AER SVGs from it.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { initBackend } from '@ft/core';
import { runJadceBenchmark } from './bench.mjs';
import { benchSetup } from './config.mjs';
import { numpyCrossCheck, rocSection } from './extra-sections.mjs';
import { writeJadceCharts } from './page.mjs';
import { modelKey } from './train.mjs';

const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    seed: { type: 'string', default: '0' },
    count: { type: 'string' },
    'val-count': { type: 'string' },
    'train-seeds': { type: 'string' },
    ls: { type: 'string' },
    snrs: { type: 'string' },
    lref: { type: 'string' },
    workers: { type: 'string' },
    'train-jobs': { type: 'string' },
    budget: { type: 'string' },
    ladder: { type: 'string' },
    'budget-l': { type: 'string' },
    't-layers': { type: 'string' },
    'timing-count': { type: 'string' },
    out: { type: 'string', default: 'docs/results/jadce.md' },
    records: { type: 'string' },
    'model-dir': { type: 'string' },
    'page-only': { type: 'boolean', default: false },
    'charts-only': { type: 'boolean', default: false },
    'no-resume': { type: 'boolean', default: false },
    'no-extras': { type: 'boolean', default: false },
  },
});
const num = (v) => (v === undefined ? undefined : Number(v));
const list = (v) => (v === undefined ? undefined : v.split(',').map(Number));
if (values['charts-only']) {
  const svgDir = join(dirname(values.out), 'jadce');
  const records = values.records ?? join(svgDir, values.quick ? 'records-quick.json' : 'records.json');
  await writeJadceCharts(JSON.parse(readFileSync(records, 'utf8')), { out: values.out, svgDir });
  console.error(`[jadce] redrew the charts in ${svgDir} from ${records}`);
  process.exit(0);
}
const seed = Number(values.seed);
const backend = await initBackend();
const controller = new AbortController();
process.on('SIGINT', () => controller.abort());

const fixedBudget = values.budget
  ? (([s, n]) => ({ stepsPerStage: Number(s), samples: Number(n) }))(values.budget.split('x'))
  : undefined;
const budgetLadder = values.ladder?.split(',').map((r) => {
  const [st, n] = r.split('x').map(Number);
  return { stepsPerStage: st, samples: n };
});
const options = {
  budgetLadder,
  quick: values.quick,
  seed,
  count: num(values.count),
  valCount: num(values['val-count']),
  trainSeeds: list(values['train-seeds']),
  Ls: list(values.ls),
  snrs: list(values.snrs),
  Lref: num(values.lref),
  workers: num(values.workers),
  trainJobs: num(values['train-jobs']),
  fixedBudget,
  budgetL: num(values['budget-l']),
  T: num(values['t-layers']),
  timingCount: num(values['timing-count']),
  out: values.out,
  records: values.records,
  modelDir: values['model-dir'],
  pageOnly: values['page-only'],
  resume: !values['no-resume'],
  backend,
  command: `node benchmarks/jadce/run.mjs${values.quick ? ' --quick' : ''} --seed ${values.seed}`,
  log: (l) => console.error(`[jadce ${new Date().toISOString().slice(11, 19)}] ${l}`),
  signal: controller.signal,
};
const extraSections = [];
if (!values['no-extras']) {
  extraSections.push(numpyCrossCheck(seed));
  console.error(extraSections[0].body);
}
let summary;
if (!values['page-only']) {
  try {
    summary = (await runJadceBenchmark({ ...options, extraSections })).summary;
  } catch (e) {
    // Ctrl-C: one line (the finished points are kept and the next run resumes from them), exit 130 like a shell.
    if (!controller.signal.aborted) throw e;
    console.error(`[jadce] ${e.message}; run the same command again to resume`);
    process.exit(130);
  }
}
if (!controller.signal.aborted) {
  // the ROC needs the trained models the run cached (first training seed, chosen budget); then the page is rebuilt
  const { config, recordsPath, modelDir } = benchSetup(options);
  const file = existsSync(recordsPath) ? JSON.parse(readFileSync(recordsPath, 'utf8')) : undefined;
  const budget = file?.budget?.chosen ?? file?.config?.budget?.fixed;
  if (!values['no-extras'] && budget) {
    const dir = join(modelDir, modelKey(config.Lref, 'mixed', config.trainSeeds[0], budget));
    extraSections.push(await rocSection({ seed, out: values.out, L: config.Lref, modelDir: dir }));
  }
  summary = (await runJadceBenchmark({ ...options, extraSections, pageOnly: true })).summary;
}
console.log(JSON.stringify(summary));
