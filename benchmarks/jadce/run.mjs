#!/usr/bin/env node
// JADCE benchmark: the feature-aided adaptive-tuning network (our reconstruction of Shao et al., arXiv 2012.13523)
// against oracle LS, AMP-MMV, covariance ML, EM-BG-AMP, group LASSO (FISTA, ADMM), M-SBL, LISTA-GS and ALISTA-GS on
// simulated massive access. Writes docs/results/jadce.md, SVG curves and raw records under docs/results/jadce/.
//
//   node benchmarks/jadce/run.mjs [--quick] [--seed 0] [--count 2000] [--slow-count 300] [--steps 12]
//                                 [--samples 3000] [--out docs/results/jadce.md] [--records <file.json>]
//                                 [--page-only] [--charts-only] [--no-resume]
//
// `ft jadce bench` runs this script. Public API only (@ft/jadce, @ft/core, @ft/report). Interrupted runs resume from
// the records file; --page-only rebuilds the page from it (the NumPy cross-check and the ROC are recomputed);
// --charts-only redraws only the NMSE/AER SVGs from it (page, NumPy check and ROC untouched).
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { initBackend } from '@ft/core';
import { runJadceBenchmark } from './bench.mjs';
import { numpyCrossCheck, rocSection } from './extra-sections.mjs';
import { writeJadceCharts } from './page.mjs';

const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    seed: { type: 'string', default: '0' },
    count: { type: 'string' },
    'slow-count': { type: 'string' },
    steps: { type: 'string' },
    samples: { type: 'string' },
    out: { type: 'string', default: 'docs/results/jadce.md' },
    records: { type: 'string' },
    'page-only': { type: 'boolean', default: false },
    'charts-only': { type: 'boolean', default: false },
    'no-resume': { type: 'boolean', default: false },
  },
});
const num = (v) => (v === undefined ? undefined : Number(v));
if (values['charts-only']) {
  const svgDir = join(dirname(values.out), 'jadce');
  const records = values.records ?? join(svgDir, values.quick ? 'records-quick.json' : 'records.json');
  await writeJadceCharts(JSON.parse(readFileSync(records, 'utf8')), { out: values.out, svgDir });
  console.error(`[jadce] redrew the charts in ${svgDir} from ${records}`);
  process.exit(0);
}
const seed = Number(values.seed);
const backend = await initBackend({ prefer: ['cpu'] });
const controller = new AbortController();
process.on('SIGINT', () => controller.abort());

const extraSections = [numpyCrossCheck(seed)];
console.error(extraSections[0].body);

const options = {
  quick: values.quick,
  seed,
  count: num(values.count),
  slowCount: num(values['slow-count']),
  stepsPerStage: num(values.steps),
  samples: num(values.samples),
  out: values.out,
  records: values.records,
  pageOnly: values['page-only'],
  resume: !values['no-resume'],
  backend,
  command: `node benchmarks/jadce/run.mjs${values.quick ? ' --quick' : ''} --seed ${values.seed}`,
  log: (l) => console.error(l),
  signal: controller.signal,
};
let summary;
if (!values['page-only']) summary = (await runJadceBenchmark({ ...options, extraSections })).summary;
if (!controller.signal.aborted) {
  // the ROC needs the trained models the run cached; then the page is rebuilt from the records
  extraSections.push(await rocSection({ quick: values.quick, seed, out: values.out }));
  summary = (await runJadceBenchmark({ ...options, extraSections, pageOnly: true })).summary;
}
console.log(JSON.stringify(summary));
