#!/usr/bin/env node
// JADCE benchmark: the feature-aided adaptive-tuning network (our reconstruction of Shao et al., arXiv 2012.13523)
// against oracle LS, AMP-MMV, covariance ML, EM-BG-AMP, group LASSO (FISTA, ADMM), M-SBL, LISTA-GS and ALISTA-GS on
// simulated massive access. Writes docs/results/jadce.md, SVG curves and raw records under docs/results/jadce/.
//
//   node benchmarks/jadce/run.mjs [--quick] [--seed 0] [--count 2000] [--slow-count 300] [--steps 12]
//                                 [--samples 3000] [--out docs/results/jadce.md] [--page-only] [--no-resume]
//
// Same as `ft jadce bench`. Public API only (@ft/jadce, @ft/core). Interrupted runs resume from the records file.
import { parseArgs } from 'node:util';
import { initBackend } from '@ft/core';

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
const res = await jadce.runJadceBenchmark({
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
});
console.log(JSON.stringify(res.summary));
