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
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createRng, initBackend, nmseDb } from '@ft/core';

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
const extraSections = [await numpyCrossCheck()];
console.error(extraSections[0].body);

const res = await jadce.runJadceBenchmark({
  extraSections,
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
