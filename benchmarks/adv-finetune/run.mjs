#!/usr/bin/env node
// Adversarial fine-tuning ("A Simple Fine-tuning Is All You Need", Jeddi et al., arXiv 2012.13628) at small scale:
// Fashion-MNIST, L∞ ε = 0.1, PGD-7 (α = 0.025) training, arms A–F + TRADES + Fast-AT over seeds. Writes
// docs/results/adv-finetune.md, SVG plots and the raw JSON-lines records under docs/results/adv-finetune/.
//
//   node benchmarks/adv-finetune/run.mjs [--quick] [--seeds 0,1,2] [--train-size 1500] [--test-size 300] ...
//
// --quick: one seed, small sizes, a reduced selection grid; prints the tables and writes nothing under docs/
// (with an explicit --out <dir> it writes its page there, for checking the page generation).
// --render: redraws accuracy.svg and val-robust-curve.svg from the stored <out>/adv-finetune/records.jsonl (no
// training, page untouched), and schedules.svg and p-selection.svg from the stored selection.json (the run writes it).
// Public APIs only (@ft/core, @ft/adv-finetune). Hyper-parameters of B–E (p, peak LR) are chosen on a held-out
// validation split of the training set, never on the test set.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import * as adv from '@ft/adv-finetune';
import {
  buildBackbone,
  constantLr,
  createRng,
  cyclicLr,
  initBackend,
  isSlowBackend,
  loadFashionMnist,
  loadModel,
  meanStd,
  piecewiseDecay,
  saveModel,
  stratifiedSplit,
  subset,
} from '@ft/core';
import {
  formatMeanStd,
  machineInfo,
  markdownTable,
  readResults,
  resultRecord,
  resultsPage,
  writeResults,
} from '@ft/report';
import { chartInputsFromRecords, writeResultCharts, writeSelectionCharts } from './charts.mjs';

const {
  APGD,
  FGSM,
  PGD,
  adversarialFinetune,
  adversarialTrain,
  attackAccuracy,
  gradientMaskingChecks,
  slowStartFastDecay,
} = adv;

// ft-native keeps freed output buffers in per-size free lists with no total cap; evaluation on variable-size subsets
// (only the examples still to attack) creates many sizes, so the pool is trimmed after each run.
const native = await import('@ft/tfjs-backend-native').catch(() => null);
const trimPool = () => native?.trimPool?.() ?? 0;

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    seeds: { type: 'string' },
    arch: { type: 'string', default: 'tinyCnn' },
    eps: { type: 'string', default: '0.1' },
    'train-size': { type: 'string' },
    'val-size': { type: 'string' },
    'test-size': { type: 'string' },
    'pretrain-epochs': { type: 'string' },
    'epochs-a': { type: 'string' },
    'epochs-b': { type: 'string' },
    'epochs-trades': { type: 'string' },
    'epochs-fast': { type: 'string' },
    'sanity-size': { type: 'string' },
    'save-models': { type: 'string' },
    'allow-slow': { type: 'boolean', default: false },
    out: { type: 'string', default: path.join(root, 'docs/results') },
    render: { type: 'boolean', default: false },
  },
});
const quick = args.quick;
const pick = (k, full, q) => Number(args[k] ?? (quick ? q : full));
const seeds = (args.seeds ?? (quick ? '0' : '0,1,2')).split(',').map(Number);
const arch = args.arch;
const eps = Number(args.eps);
const trainSize = pick('train-size', 1500, 500);
const valSize = pick('val-size', 400, 200);
const testSize = pick('test-size', 300, 100);
const pretrainEpochs = pick('pretrain-epochs', 10, 4);
const epochsA = pick('epochs-a', 16, 4);
const epochsB = pick('epochs-b', 2, 1);
const epochsTrades = pick('epochs-trades', 6, 2);
const epochsFast = pick('epochs-fast', 16, 4);
const sanitySize = pick('sanity-size', 100, 50);
const K = 7;
const alpha = 0.025;
const batchSize = 128;
// Validation grids, widened over three full runs where the chosen value sat on a grid edge: A collapsed to a constant
// predictor on validation at the spec's 0.05 and at 0.02, so A is tuned at and below 0.01; for AFT, 0.01 and 0.02 were
// never best and the decaying schedules (B, D) chose the top of {0.02, 0.05, 0.1}, so the grid reaches 0.2.
const aLrGrid = quick ? [0.01] : [0.005, 0.01];
const lrGrid = quick ? [0.05] : [0.05, 0.1, 0.2];
const pGrid = quick ? [0.5, 0.7] : [0.5, 0.7, 0.9];
const decayGrid = quick ? ['linear'] : ['linear', 'exp'];
const log = (m) => process.stderr.write(`${m}\n`);
const command = `node benchmarks/adv-finetune/run.mjs ${process.argv.slice(2).join(' ')}`.trim();

const SCHEDULES = {
  A: ({ lr }) => piecewiseDecay({ peakLr: lr }),
  B: ({ lr, p, decay }) => slowStartFastDecay({ peakLr: lr, warmFraction: p, decay }),
  C: ({ lr }) => constantLr(lr),
  D: ({ lr }) => piecewiseDecay({ peakLr: lr }),
  E: ({ lr }) => cyclicLr({ peakLr: lr }),
  F: ({ lr }) => piecewiseDecay({ peakLr: lr }),
  TRADES: ({ lr }) => piecewiseDecay({ peakLr: lr }),
  'Fast-AT': ({ lr }) => cyclicLr({ peakLr: 2 * lr }),
};

if (args.render) {
  const outDir = path.join(args.out, 'adv-finetune');
  await writeResultCharts(outDir, chartInputsFromRecords(await readResults(path.join(outDir, 'records.jsonl'))));
  const selectionPath = path.join(outDir, 'selection.json');
  const haveSelection = fs.existsSync(selectionPath);
  if (haveSelection) await writeSelectionCharts(outDir, SCHEDULES, JSON.parse(fs.readFileSync(selectionPath, 'utf8')));
  log(
    `[adv] redrew accuracy.svg and val-robust-curve.svg from records.jsonl${haveSelection ? ', schedules.svg and p-selection.svg from selection.json' : ''} under ${outDir}`,
  );
  process.exit(0);
}

const backend = await initBackend();
log(`[adv] backend ${backend.name}${backend.fallbackReason ? ` (fallback: ${backend.fallbackReason})` : ''}`);
if (isSlowBackend(backend)) {
  log('[adv] WARNING: the pure-JS cpu backend is ~1,000x slower than ft-native for convnets; use --quick or build');
  log('[adv]          @ft/tfjs-backend-native (apt-get install libdnnl-dev). The full run needs ft-native.');
  if (!quick && !args['allow-slow']) {
    log('[adv] refusing the full run on a slow backend (it would take days); pass --allow-slow to force it');
    process.exit(1);
  }
}
const tStart = performance.now();

// ---- data ---------------------------------------------------------------------------------------------------
const fmTrain = await loadFashionMnist({ split: 'train' });
const fmTestFull = await loadFashionMnist({ split: 'test' });
const test = subset(fmTestFull, stratifiedSplit(fmTestFull.labels, { testSize, seed: 'adv-finetune-test' }).test);
/** Per seed: a stratified training subset and a disjoint stratified validation split, both from the train split. */
function splits(seed) {
  const s1 = stratifiedSplit(fmTrain.labels, { testSize: valSize, seed: `adv-val-${seed}` });
  const val = subset(fmTrain, s1.test);
  const rest = subset(fmTrain, s1.train);
  const train = subset(rest, stratifiedSplit(rest.labels, { testSize: trainSize, seed: `adv-train-${seed}` }).test);
  return { train, val };
}

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'adv-bench-'));
const fresh = (seed) =>
  buildBackbone(arch, { inputShape: [28, 28, 1], numClasses: 10, seed: `adv-${arch}-${seed}` }).model;

/** Natural pre-training (the "naturally pre-trained model" of AFT); saved to disk and reloaded per arm. */
async function pretrain(seed, data) {
  const model = fresh(seed);
  const r = await adversarialTrain(model, data.train, {
    method: 'natural',
    epochs: pretrainEpochs,
    batchSize,
    schedule: piecewiseDecay({ peakLr: 0.05 }),
    rng: createRng(seed).fork('pretrain'),
  });
  const dir = path.join(tmp, `pretrained-${seed}`);
  await saveModel(model, dir);
  model.dispose();
  log(`[adv] seed ${seed}: natural pre-training ${pretrainEpochs} epochs, ${(r.ms / 1000).toFixed(1)} s`);
  return { dir, passes: r.passes, ms: r.ms };
}

const valAttack = (model) => new PGD(model, { eps, alpha: eps / 4, steps: 10, seed: 'val' });

// Schedules of the arms; `lr` is the peak LR (chosen on validation), `p` the warm-up fraction of B.
const ARMS = ['A', 'B', 'C', 'D', 'E', 'F', 'TRADES', 'Fast-AT'];
const AFT_ARMS = ['B', 'C', 'D', 'E'];

/** Trains one arm with one configuration; validation robust accuracy (PGD-10) after every epoch. */
async function trainArm(seed, data, pre, arm, cfg) {
  const t0 = performance.now();
  const schedule = SCHEDULES[arm](cfg);
  const rng = createRng(seed).fork(`arm-${arm}`);
  const callbacks = [{ name: 'trimPool', onEpochEnd: () => void trimPool() }];
  let model;
  let r;
  if (AFT_ARMS.includes(arm)) {
    model = await loadModel(pre.dir);
    r = await adversarialFinetune(model, data.train, {
      attack: new PGD(model, { eps, alpha, steps: K }),
      epochs: epochsB,
      batchSize,
      schedule,
      rng,
      callbacks,
      val: { data: data.val, attack: valAttack(model) },
    });
  } else {
    model = fresh(seed);
    const base = { batchSize, rng, schedule, callbacks, val: { data: data.val, attack: valAttack(model) } };
    if (arm === 'A' || arm === 'F') {
      r = await adversarialTrain(model, data.train, {
        ...base,
        attack: new PGD(model, { eps, alpha, steps: K }),
        epochs: arm === 'A' ? epochsA : epochsB,
      });
    } else if (arm === 'TRADES') {
      r = await adversarialTrain(model, data.train, {
        ...base,
        method: 'trades',
        eps,
        alpha,
        steps: K,
        beta: 6,
        epochs: epochsTrades,
      });
    } else {
      r = await adversarialTrain(model, data.train, { ...base, method: 'fast-at', eps, epochs: epochsFast });
    }
  }
  return { model, r, trainMs: performance.now() - t0 };
}

// ---- evaluation ---------------------------------------------------------------------------------------------
const evalAttacks = (model) => [
  new PGD(model, { eps, alpha: 0.01, steps: 20, seed: 'pgd20' }),
  new PGD(model, { eps, alpha: 0.01, steps: 50, restarts: 5, seed: 'pgd50' }),
  new APGD(model, { eps, steps: 100, seed: 'apgd' }),
];
async function evaluate(model, seed, arm) {
  const t0 = performance.now();
  const rng = createRng(`eval-${seed}-${arm}`);
  // cascade: PGD-50×5 and APGD-CE only attack what PGD-20 (then PGD-50×5) did not break; the last column is the
  // per-example worst case over all three (the package's strongest attack)
  const cas = await attackAccuracy(model, test, { attacks: evalAttacks(model), mode: 'cascade', rng });
  const fg = await attackAccuracy(model, test, { attacks: [new FGSM(model, { eps })], rng: rng.fork('fgsm') });
  const sanity = await gradientMaskingChecks(model, test, { eps, n: sanitySize, steps: 10, rng: rng.fork('sanity') });
  const [pgd20, pgd50] = Object.values(cas.perAttack);
  return {
    clean: cas.clean,
    fgsm: fg.worstCase,
    pgd20,
    pgd50cum: Math.min(pgd20, pgd50),
    robust: cas.worstCase,
    evalPasses: cas.passes + fg.passes,
    sanity,
    evalMs: performance.now() - t0,
  };
}

// ---- runs: selection on the first seed's validation split, then every seed ----------------------------------
const selSeed = seeds[0];
const grids = {
  A: aLrGrid.map((lr) => ({ lr })),
  B: decayGrid.flatMap((decay) => lrGrid.flatMap((lr) => pGrid.map((p) => ({ lr, p, decay })))),
  C: lrGrid.map((lr) => ({ lr })),
  D: lrGrid.map((lr) => ({ lr })),
  E: lrGrid.map((lr) => ({ lr })),
};
const chosen = {};
const selection = [];
const records = [];
const curves = {};
const lastVal = (r) => r.valCurve[r.valCurve.length - 1];
for (const seed of seeds) {
  const data = splits(seed);
  const pre = await pretrain(seed, data);
  for (const arm of ARMS) {
    let run;
    if (seed === selSeed && grids[arm]) {
      // try every configuration; keep the one with the best last-epoch validation robust accuracy (ties: clean)
      let best = null;
      for (const cfg of grids[arm]) {
        const cand = await trainArm(seed, data, pre, arm, cfg);
        const v = lastVal(cand.r);
        const row = { arm, cfg, schedule: cand.r.schedule, valClean: v.clean, valRobust: v.robust };
        selection.push(row);
        log(
          `[adv] select ${arm} ${cand.r.schedule} lr=${cfg.lr}: val clean ${(100 * v.clean).toFixed(1)}%, robust ${(100 * v.robust).toFixed(1)}%`,
        );
        const better = !best || v.robust > best.v.robust || (v.robust === best.v.robust && v.clean > best.v.clean);
        if (better) {
          best?.run.model.dispose();
          best = { run: cand, v, row };
        } else cand.model.dispose();
        trimPool();
      }
      chosen[arm] = best.row;
      run = best.run;
    } else {
      // F, TRADES and Fast-AT reuse A's chosen peak LR (Fast-AT: twice it, as Wong's cyclic 0.2 vs piecewise 0.1)
      const cfg = chosen[arm]?.cfg ?? chosen.A.cfg;
      run = await trainArm(seed, data, pre, arm, cfg);
    }
    const { model, r, trainMs } = run;
    const ev = await evaluate(model, seed, arm);
    if (args['save-models']) await saveModel(model, path.join(args['save-models'], `${arm}-seed${seed}`));
    model.dispose();
    trimPool();
    const init = AFT_ARMS.includes(arm) ? 'pretrained' : 'scratch';
    const natural = init === 'pretrained' ? pre.passes.natural : 0;
    const rec = {
      arm,
      seed,
      init,
      schedule: r.schedule,
      ...ev,
      advPasses: r.passes.adversarial,
      totalPasses: r.passes.adversarial + natural,
      trainSeconds: trainMs / 1000,
      pretrainSeconds: init === 'pretrained' ? pre.ms / 1000 : 0,
      bestEpoch: r.bestEpoch,
      bestValRobust: r.bestRobust,
      lastValRobust: r.lastRobust,
      overfitGap: r.overfitGap,
      epochs: r.history.epochs.length,
    };
    curves[`${arm}-${seed}`] = r.valCurve;
    records.push(rec);
    log(
      `[adv] seed ${seed} ${arm}: clean ${(100 * ev.clean).toFixed(1)}%, FGSM ${(100 * ev.fgsm).toFixed(1)}%, ` +
        `PGD-20 ${(100 * ev.pgd20).toFixed(1)}%, robust ${(100 * ev.robust).toFixed(1)}%, adv passes ${rec.advPasses}, ` +
        `train ${rec.trainSeconds.toFixed(0)} s, eval ${(ev.evalMs / 1000).toFixed(0)} s, sanity ${ev.sanity.passed ? 'ok' : 'FAILED'}, ` +
        `rss ${(process.memoryUsage().rss / 2 ** 30).toFixed(1)} GiB`,
    );
  }
}
fs.rmSync(tmp, { recursive: true, force: true });
const totalMinutes = (performance.now() - tStart) / 60000;

// ---- tables -------------------------------------------------------------------------------------------------
const of = (arm, key) => records.filter((r) => r.arm === arm).map((r) => r[key]);
const mean = (arm, key) => meanStd(of(arm, key)).mean;
const pctMS = (arm, key) => formatMeanStd(of(arm, key), 1, { scale: 100 });
const LABEL = {
  A: 'A: PGD-AT from scratch, piecewise',
  B: 'B: pre-train + AFT, slow start, fast decay',
  C: 'C: pre-train + AFT, constant',
  D: 'D: pre-train + AFT, piecewise',
  E: 'E: pre-train + AFT, cyclic',
  F: "F: PGD-AT from scratch, B's budget",
  TRADES: 'TRADES (β = 6), piecewise',
  'Fast-AT': 'Fast-AT (FGSM-RS), cyclic',
};
const advA = mean('A', 'advPasses');
const rows = ARMS.map((arm) => ({
  arm: LABEL[arm],
  clean: pctMS(arm, 'clean'),
  fgsm: pctMS(arm, 'fgsm'),
  pgd20: pctMS(arm, 'pgd20'),
  pgd50: pctMS(arm, 'pgd50cum'),
  robust: pctMS(arm, 'robust'),
  adv: Math.round(mean(arm, 'advPasses')).toLocaleString('en-US'),
  total: Math.round(mean(arm, 'totalPasses')).toLocaleString('en-US'),
  ratio: (advA / mean(arm, 'advPasses')).toFixed(1),
  wall: formatMeanStd(of(arm, 'trainSeconds'), 0),
  gap: pctMS(arm, 'overfitGap'),
}));
const table = markdownTable(rows, [
  { key: 'arm', header: 'arm' },
  { key: 'clean', header: 'clean %', align: 'right' },
  { key: 'fgsm', header: 'FGSM %', align: 'right' },
  { key: 'pgd20', header: 'PGD-20 %', align: 'right' },
  { key: 'pgd50', header: '+ PGD-50×5 %', align: 'right' },
  { key: 'robust', header: 'robust % (worst case, + APGD-CE)', align: 'right' },
  { key: 'adv', header: 'adversarial passes', align: 'right' },
  { key: 'total', header: 'passes incl. pre-training', align: 'right' },
  { key: 'ratio', header: 'A / arm (adv. passes)', align: 'right' },
  { key: 'wall', header: 'train wall s', align: 'right' },
  { key: 'gap', header: 'overfit gap (val, best − last) pts', align: 'right' },
]);
const selTable = markdownTable(
  selection.map((s) => ({
    arm: s.arm,
    schedule: s.schedule,
    lr: s.cfg.lr,
    clean: (100 * s.valClean).toFixed(1),
    robust: (100 * s.valRobust).toFixed(1),
    chosen: chosen[s.arm] === s ? '**chosen**' : '',
  })),
  [
    { key: 'arm', header: 'arm' },
    { key: 'schedule', header: 'schedule' },
    { key: 'lr', header: 'peak LR', align: 'right' },
    { key: 'clean', header: 'val clean %', align: 'right' },
    { key: 'robust', header: 'val robust % (PGD-10)', align: 'right' },
    { key: 'chosen', header: '' },
  ],
);
process.stdout.write(`\n${table}\n\nSelection (validation split, seed ${selSeed}):\n\n${selTable}\n`);

// ---- verdict ------------------------------------------------------------------------------------------------
const TOL = 0.01; // "matches" = within 1 percentage point
const ratio = advA / mean('B', 'advPasses');
const bClean = mean('B', 'clean');
const bRob = mean('B', 'robust');
const aClean = mean('A', 'clean');
const aRob = mean('A', 'robust');
const matchesA = bClean >= aClean - TOL && bRob >= aRob - TOL;
const cheap = ratio >= 8;
const others = ['C', 'D', 'E'].map((a) => [a, mean(a, 'robust')]);
const beatsCDE = others.every(([, v]) => bRob > v);
const beatsF = bRob > mean('F', 'robust');
const holds = [matchesA && cheap, beatsCDE];
const verdict = holds.every(Boolean) ? 'reproduced' : holds.some(Boolean) ? 'partly' : 'not';
const pp = (v) => `${(100 * v).toFixed(1)}%`;
const sanityFails = records.filter((r) => !r.sanity.passed);
const cuts = [
  `model ${arch} (spec: smallCnn conv32-conv64-FC128) — about 2× fewer passes/s on ft-native for smallCnn`,
  `training subset ${trainSize} images per seed (spec: 10,000), validation ${valSize} (spec: 1,000), test ${testSize} fixed stratified images (spec: 2,000)`,
  `A: ${epochsA} epochs (spec: 20); B–E: ${epochsB} epoch(s) of AFT (spec: 2–3) after ${pretrainEpochs} natural epochs; F: ${epochsB} epoch(s); TRADES ${epochsTrades} epochs; Fast-AT ${epochsFast} epochs`,
  `peak LR chosen on validation instead of the spec's fixed 0.05 for A (in earlier full runs A collapsed to a constant predictor on validation at 0.05 and at 0.02): A ∈ {${aLrGrid.join(', ')}}, B–E ∈ {${lrGrid.join(', ')}}, and for B p ∈ {${pGrid.join(', ')}} × decay ∈ {${decayGrid.join(', ')}} (exp: to 1 % of the peak), all on seed ${selSeed}'s validation split and reused for every seed; F and TRADES use A's peak LR, Fast-AT twice it`,
  `gradient-masking checks on the first ${sanitySize} test images with PGD-10`,
];
if (quick && !process.argv.some((a) => a === '--out' || a.startsWith('--out='))) {
  process.stdout.write(
    `\nverdict (quick, ${seeds.length} seed): ${verdict}; A/B adversarial passes ${ratio.toFixed(1)}×; ` +
      `B clean ${pp(bClean)} robust ${pp(bRob)} vs A ${pp(aClean)} / ${pp(aRob)}; ` +
      `sanity failures: ${sanityFails.length}; ${totalMinutes.toFixed(1)} min\n` +
      '(the full benchmark: node benchmarks/adv-finetune/run.mjs — needs ft-native)\n',
  );
  process.exit(0);
}

// ---- results page -------------------------------------------------------------------------------------------
const outDir = path.join(args.out, 'adv-finetune');
fs.mkdirSync(outDir, { recursive: true });
fs.rmSync(path.join(outDir, 'records.jsonl'), { force: true });
await writeResults(
  path.join(outDir, 'records.jsonl'),
  records.map((r) =>
    resultRecord({
      method: 'adv-finetune',
      arm: r.arm,
      dataset: `fashion-mnist/train${trainSize}/test${testSize}`,
      seed: r.seed,
      metrics: {
        clean: r.clean,
        fgsm: r.fgsm,
        pgd20: r.pgd20,
        pgd50cum: r.pgd50cum,
        robust: r.robust,
        advPasses: r.advPasses,
        totalPasses: r.totalPasses,
        trainSeconds: r.trainSeconds,
        overfitGap: r.overfitGap,
      },
      backend,
      command,
      extra: {
        arch,
        eps,
        schedule: r.schedule,
        init: r.init,
        bestEpoch: r.bestEpoch,
        bestValRobust: r.bestValRobust,
        lastValRobust: r.lastValRobust,
        evalPasses: r.evalPasses,
        sanityPassed: r.sanity.passed,
        sanity: r.sanity.checks,
        valCurve: curves[`${r.arm}-${r.seed}`],
      },
    }),
  ),
);
await writeResultCharts(outDir, { arms: ARMS, seeds, eps, results: records, curves });
const selectionFile = {
  note: 'validation selection of the run (seed selSeed); the chosen configuration per arm and every candidate',
  selSeed,
  lrGrid,
  decayGrid,
  chosen: Object.fromEntries(Object.entries(chosen).map(([arm, row]) => [arm, row.cfg])),
  selection: selection.map(({ arm, cfg, schedule, valClean, valRobust }) => ({
    arm,
    cfg,
    schedule,
    valClean,
    valRobust,
  })),
};
fs.writeFileSync(path.join(outDir, 'selection.json'), `${JSON.stringify(selectionFile, null, 2)}\n`);
await writeSelectionCharts(outDir, SCHEDULES, selectionFile);

const evidence = [
  `Adversarial passes: A ${Math.round(advA).toLocaleString('en-US')} vs B ${Math.round(mean('B', 'advPasses')).toLocaleString('en-US')}, ratio ${ratio.toFixed(1)}× (claim: 8–10×); counting B's natural pre-training too, ${(advA / mean('B', 'totalPasses')).toFixed(1)}×.`,
  `Clean accuracy: B ${pctMS('B', 'clean')}% vs A ${pctMS('A', 'clean')}%; robust accuracy (worst case of PGD-20, PGD-50×5, APGD-CE): B ${pctMS('B', 'robust')}% vs A ${pctMS('A', 'robust')}% → B ${matchesA ? 'matches or beats' : 'does NOT match'} A on both (tolerance ${100 * TOL} point).`,
  `Schedules (same pre-trained models, same AFT budget, peak LR tuned per schedule on validation): B ${pp(bRob)} robust vs ${others.map(([a, v]) => `${a} ${pp(v)}`).join(', ')} → B ${beatsCDE ? 'beats' : 'does NOT beat'} C, D and E.`,
  `Pre-training matters: F (scratch with B's adversarial budget) ${pctMS('F', 'robust')}% robust, ${pctMS('F', 'clean')}% clean → B ${beatsF ? 'beats' : 'does not beat'} F.`,
  `Robust accuracy stays below clean and FGSM accuracy for every arm: ${records.every((r) => r.robust <= r.clean && r.robust <= r.fgsm) ? 'yes' : 'NO'}; gradient-masking checks ${sanityFails.length === 0 ? 'passed on every model' : `FAILED on ${sanityFails.map((r) => `${r.arm}/seed ${r.seed}`).join(', ')}`}.`,
  (() => {
    const best = ['B', 'C', 'D', 'E'].reduce((a, b) => (mean(b, 'robust') > mean(a, 'robust') ? b : a));
    return `Best AFT schedule on test: ${best} (${LABEL[best].split(': ')[1]}) with ${pctMS(best, 'robust')}% robust and ${pctMS(best, 'clean')}% clean vs A's ${pctMS('A', 'robust')}% / ${pctMS('A', 'clean')}% at ${(advA / mean(best, 'advPasses')).toFixed(1)}× fewer adversarial passes.`;
  })(),
  ...Object.entries(grids).flatMap(([arm, grid]) => {
    const lrs = [...new Set(grid.map((g) => g.lr))];
    const lr = chosen[arm].cfg.lr;
    if (lrs.length < 2 || (lr !== Math.min(...lrs) && lr !== Math.max(...lrs))) return [];
    return [
      `Caveat: ${arm}'s chosen peak LR ${lr} is at the ${lr === Math.min(...lrs) ? 'low' : 'high'} end of its grid {${lrs.join(', ')}}; values beyond it were not tried.`,
    ];
  }),
  `Sizes are cut to fit 2 shared CPU cores (see Setup); with ${trainSize} training images and ${testSize} test images per-arm differences of 1–2 points are within noise (std over seeds in the table).`,
];
const sanityRows = records.map((r) => ({
  arm: r.arm,
  seed: r.seed,
  passed: r.sanity.passed ? 'yes' : '**no**',
  failed:
    r.sanity.checks
      .filter((c) => !c.passed)
      .map((c) => `${c.name} (${c.detail})`)
      .join('; ') || '—',
  curve: r.sanity.curve.map((c) => `${+c.eps.toPrecision(3)}: ${(100 * c.accuracy).toFixed(0)}%`).join(', '),
}));
const page = resultsPage({
  title: 'Adversarial fine-tuning ("slow start, fast decay") on Fashion-MNIST',
  command,
  backend,
  machine: machineInfo(),
  date: new Date(),
  seeds,
  claim:
    'Jeddi, Shafiee, Wong, "A Simple Fine-tuning Is All You Need: Towards Robust Deep Learning Via Adversarial Fine-tuning", ' +
    'CVPR 2021 Workshop, arXiv 2012.13628: adversarially fine-tuning a naturally pre-trained model with a "slow start, fast decay" ' +
    'learning-rate schedule matches or beats PGD adversarial training from scratch in both clean and robust accuracy at 8–10× less ' +
    'compute, and the schedule matters (it beats the same fine-tuning with other schedules). The paper reports CIFAR-10/100 and ' +
    'ImageNet; its exact schedule numbers were not consulted (only the name is verified), so the schedule shape and p are the ' +
    'project resolution, chosen on validation here.',
  verdict,
  evidence,
  sections: [
    {
      title: `Results (test accuracy %, mean ± std over ${seeds.length} seeds; L∞ ε = ${eps})`,
      body: [
        table,
        '',
        '`FGSM` is FGSM alone. `PGD-20` is PGD-20 (α = 0.01, random start) alone; `+ PGD-50×5` is the per-example worst case of ' +
          "PGD-20 and PGD-50 with 5 restarts (α = 0.01); `robust` adds APGD-CE (100 iterations) — the package's strongest attack, " +
          'the per-example worst case over all three (AutoAttack convention: an example counts only if it is correct clean and ' +
          'under every attack and restart). Attacks run in cascade (each only on examples the previous ones did not break). ' +
          '`adversarial passes` are forward+backward passes over single examples spent on adversarial training (attack steps + ' +
          'updates, PassCounter); `passes incl. pre-training` adds the natural pre-training of B–E. `train wall s` is training ' +
          'time of the arm (B–E: fine-tuning only; pre-training took ' +
          `${formatMeanStd(
            records.filter((r) => r.arm === 'B').map((r) => r.pretrainSeconds),
            0,
          )} s). ` +
          '`overfit gap` = best − last validation robust accuracy (PGD-10), over epochs.',
      ].join('\n'),
      images: [{ path: 'adv-finetune/accuracy.svg', alt: 'clean and robust accuracy per arm' }],
    },
    {
      title: 'Choosing p and the peak learning rate (validation split, never test)',
      body: [
        `The peak LR of A and of every AFT schedule (and p and the decay shape for B) is chosen by last-epoch validation robust accuracy (PGD-10, α = ε/4, on ${valSize} ` +
          `held-out training images of seed ${selSeed}); the choice is then fixed for all seeds. The test set is not used for ` +
          'any choice.',
        '',
        selTable,
      ].join('\n'),
      images: [
        { path: 'adv-finetune/p-selection.svg', alt: 'validation robust accuracy against p' },
        { path: 'adv-finetune/schedules.svg', alt: 'learning-rate schedules' },
      ],
    },
    {
      title: 'Robust overfitting',
      body:
        'Validation robust accuracy after each epoch (mean ± std over seeds). The gap column of the results table is the ' +
        'best epoch minus the last one, per seed.',
      images: [{ path: 'adv-finetune/val-robust-curve.svg', alt: 'validation robust accuracy per epoch' }],
    },
    {
      title: 'Gradient-masking checks (every trained model)',
      body: markdownTable(sanityRows, [
        { key: 'arm', header: 'arm' },
        { key: 'seed', header: 'seed', align: 'right' },
        { key: 'passed', header: 'all passed' },
        { key: 'failed', header: 'failed checks' },
        { key: 'curve', header: 'PGD-10 accuracy vs ε' },
      ]),
    },
    {
      title: 'Setup',
      body: [
        `- Data: Fashion-MNIST (Debian dataset-fashion-mnist). Per seed, a stratified ${trainSize}-image training subset and a disjoint stratified ${valSize}-image validation split, both from the official train split; a fixed stratified ${testSize}-image subset of the official test split.`,
        `- Model: \`${arch}\` from @ft/core (conv3×3(32)-BN-ReLU-maxpool, conv3×3(64)-ReLU-maxpool, dense 10; inputs in [0, 1]), seeded per seed.`,
        `- Threat model: L∞ ε = ${eps}. Training attack PGD-${K}, α = ${alpha}, random start, BN in train mode (the reference code's model.train()); evaluation in BN inference mode.`,
        `- Optimiser: SGD, momentum 0.9, weight decay 5e-4 (all weights), batch ${batchSize}. A, F, TRADES: piecewise (÷10 at 50 %, ÷100 at 75 %), peak ${chosen.A.cfg.lr} (chosen for A on validation). Fast-AT: cyclic, peak ${2 * chosen.A.cfg.lr}, FGSM with random start α = 1.25ε. Natural pre-training: ${pretrainEpochs} epochs, piecewise, peak 0.05.`,
        `- B–E fine-tune the same pre-trained model of each seed for ${epochsB} epoch(s) with PGD-${K}; only the schedule (and its tuned peak LR) differs. F trains from scratch with B's adversarial budget.`,
        `- Cuts to fit 2 shared CPU cores: ${cuts.join('; ')}.`,
        `- Whole run: ${totalMinutes.toFixed(1)} min. Raw records: \`adv-finetune/records.jsonl\`.`,
      ].join('\n'),
    },
  ],
});
fs.writeFileSync(path.join(args.out, 'adv-finetune.md'), page);
log(`[adv] wrote ${path.join(args.out, 'adv-finetune.md')} (${totalMinutes.toFixed(1)} min)`);
