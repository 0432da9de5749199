// Extra sections of the JADCE page computed by run.mjs: the NumPy cross-check of AMP-MMV and the ROC sweep.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createRng, rocCurve } from '@ft/core';
import {
  ampMmv,
  batchItem,
  loadJadceNpz,
  loadLearnedModel,
  makePilots,
  nmseDb,
  runMethod,
  saveJadceNpz,
  scoreRun,
  simulateMassiveAccess,
} from '@ft/jadce';
import { lineChartSvg, writeSvg } from '@ft/report';

/** NMSE (dB) of the TypeScript ampMmv on every realisation of a .npz file written by saveJadceNpz. */
function tsAmpNmse(file) {
  const back = loadJadceNpz(file);
  const xh = { re: [], im: [] };
  for (let b = 0; b < back.Y.shape[0]; b++) {
    const r = ampMmv({ Y: batchItem(back.Y, b), S: back.S, sigma2: back.sigma2[b], eps: 0.05 }, { damping: 0.5 });
    xh.re.push(...r.X.re);
    xh.im.push(...r.X.im);
  }
  return nmseDb(xh, { re: back.X.re, im: back.X.im });
}

/**
 * The same .npz (written by saveJadceNpz) through the TS ampMmv and benchmarks/jadce/amp_mmv.py.
 * @param {number} seed
 */
export function numpyCrossCheck(seed) {
  const rng = createRng(seed).fork('numpy-cross-check');
  const S = makePilots(20, 100, rng.fork('pilots'));
  const data = simulateMassiveAccess({ N: 100, M: 32, L: 20, activity: 0.05, snrDb: 10, pilots: S, count: 200, rng });
  const file = join(mkdtempSync(join(tmpdir(), 'jadce-xcheck-')), 'xcheck.npz');
  saveJadceNpz(file, data, { compressed: true });
  const ts = tsAmpNmse(file);
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
    body: `One .npz (M = 32, L = 20, 10 dB, 200 realisations, seed ${seed}) written by \`saveJadceNpz\` and read by both: TypeScript \`ampMmv\` ${ts.toFixed(3)} dB, standalone NumPy \`benchmarks/jadce/amp_mmv.py\` ${np.nmseDb.toFixed(3)} dB (difference ${Math.abs(ts - np.nmseDb).toExponential(1)} dB; required ≤ 0.3 dB).`,
  };
}

/** P_miss = 1 − TPR against P_FA = FPR (floored for the log axes), at most ~150 points. */
function rocPoints(labels, score) {
  const roc = rocCurve(labels, score);
  const step = Math.max(1, Math.floor(roc.fpr.length / 150));
  const points = [];
  for (let k = 1; k < roc.fpr.length; k += step)
    points.push({ x: Math.max(roc.fpr[k], 1e-5), y: Math.max(1 - roc.tpr[k], 1e-4) });
  return points;
}

/**
 * ROC by sweeping the threshold at the reference point, with the learned models the benchmark cached.
 * @param {{ seed: number, out: string, L: number, modelDir: string }} o  modelDir: the models of pilot length L
 */
export async function rocSection(o) {
  const L = o.L;
  const M = 32;
  const modelDir = o.modelDir;
  const root = createRng(o.seed);
  const S = makePilots(L, 100, root.fork(`pilots-L${L}`));
  const test = simulateMassiveAccess({
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
  const learned = ['lista-gs', 'alista-gs', 'proposed'];
  const models = {};
  for (const m of ['proposed', 'lista-gs', 'alista-gs']) {
    if (existsSync(join(modelDir, m, 'model.json'))) models[m] = loadLearnedModel(join(modelDir, m));
  }
  const names = ['amp-mmv', 'cov-ml', 'sbl', 'fista', ...learned].filter((m) => !learned.includes(m) || models[m]);
  const series = [];
  const rows = [];
  for (const m of names) {
    const count = 1000; // every method on the same realisations
    const run = runMethod(m, test, { priors, models, count });
    series.push({ name: m, points: rocPoints(test.active.subarray(0, count * 100), run.score) });
    rows.push(`| ${m} | ${count} | ${scoreRun(run, test).auroc.toFixed(5)} |`);
  }
  const svg = join(dirname(o.out), 'jadce', `roc-M${M}-L${L}.svg`);
  const title = `Detection trade-off by sweeping the threshold (M = ${M}, L = ${L}, 10 dB)`;
  const axes = { xLabel: 'P_FA (floored at 1e-5)', yLabel: 'P_miss (floored at 1e-4)', logX: true, logY: true };
  await writeSvg(svg, await lineChartSvg({ title, series, ...axes }));
  return {
    title: `ROC (threshold sweep), M = ${M}, L = ${L}, 10 dB`,
    body: `Fresh realisations (seeded), every method's per-device score swept over all thresholds (core \`rocCurve\`); P_miss = 1 − TPR against P_FA = FPR.\n\n| method | realisations | AUROC |\n| --- | --- | --- |\n${rows.join('\n')}\n\n![ROC](jadce/roc-M${M}-L${L}.svg)`,
  };
}
