#!/usr/bin/env node
// Reproduction of Guo et al., "AdaFilter: Adaptive Filter Fine-tuning for Deep Transfer Learning" (AAAI 2020,
// arXiv 1911.09659) at small scale, with its baselines: MNIST digits → Fashion-MNIST at 10, 100 and 1,000 labels per
// class from zoo:mnist-resnet8, and Fashion-MNIST classes 0–4 → 5–9 at 10 and 100. Writes docs/results/adafilter.md,
// its SVG plots and the raw records (adafilter/records.jsonl).
//
//   node benchmarks/adafilter/run.mjs [--quick] [--seeds 0,1,2] [--pairs mnist-fmnist,fmnist04-fmnist59]
//                                     [--arms adafilter,finetune,...] [--from-records]
//
// Phases: 'select' picks the learning rate of fine-tuning, the linear probe and AdaFilter on VALIDATION accuracy, per
// pair and budget (that budget's validation images, seed 100; no test image is scored); 'main' runs every pair × budget ×
// seed × arm with the chosen rates and scores the test set once per run. Random gates run at the rate AdaFilter learned
// on the validation images of the same pair, budget and seed. Records are appended as runs finish, and a re-run skips
// the runs already recorded. --quick: 1 seed, 10 labels per class, 3 arms, 5 steps; prints a summary, writes nothing.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { initBackend } from '@ft/core';
import { readJsonl } from '../hparams/jsonl.mjs';
import { ARMS, armById } from './arms.mjs';
import { forwardCost } from './cost.mjs';
import { lrOf, writePage } from './page.mjs';
import { loadPair, PAIRS } from './pairs.mjs';
import { runArm, runKey, timeArm } from './runs.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    seeds: { type: 'string' },
    pairs: { type: 'string' },
    arms: { type: 'string' },
    'lr-grid': { type: 'string', default: '0.01,0.03,0.1,0.3' },
    out: { type: 'string', default: path.join(root, 'docs/results') },
    'from-records': { type: 'boolean', default: false },
  },
});
const log = (m) => process.stderr.write(`${m}\n`);
const nums = (s) => s.split(',').filter(Boolean).map(Number);
const quick = args.quick;
const seeds = nums(args.seeds ?? (quick ? '0' : '0,1,2'));
const pairIds = (args.pairs ?? (quick ? 'mnist-fmnist' : Object.keys(PAIRS).join(','))).split(',');
const budgetsOf = { 'mnist-fmnist': quick ? [10] : [10, 100, 1000], 'fmnist04-fmnist59': quick ? [10] : [10, 100] };
const arms = (args.arms ?? (quick ? 'adafilter,finetune,random-gates' : ARMS.map((a) => a.id).join(',')))
  .split(',')
  .map(armById);
const cfg = quick
  ? { epochs: 1, minSteps: 5, maxSteps: 5, batchSize: 64 }
  : { epochs: 30, minSteps: 200, maxSteps: 600, batchSize: 64 };
const lrGrid = nums(args['lr-grid']);
/** Seed of the selection splits (different from the evaluation seeds). */
const SELECT_SEED = 100;
const recordsPath = path.join(args.out, 'adafilter/records.jsonl');
const records = !quick ? readJsonl(recordsPath, { missingOk: true }) : [];
const costs = {};

const backend = await initBackend();
log(`[adafilter] backend ${backend.name}${backend.fallbackReason ? ` (fallback: ${backend.fallbackReason})` : ''}`);
if (backend.name === 'cpu') log('[adafilter] WARNING: the cpu backend is far slower; build ft-native first.');
const started = Date.now();
const loaded = {};
const pairOf = async (id) => {
  loaded[id] ??= await loadPair(id, { root, log });
  return loaded[id];
};

/** Appends a record (not under --quick). */
const save = (rec) => {
  rec.backend = backend.name;
  records.push(rec);
  if (!quick) {
    fs.mkdirSync(path.dirname(recordsPath), { recursive: true });
    fs.appendFileSync(recordsPath, `${JSON.stringify(rec)}\n`);
  }
};

/** Runs (or reuses) one configuration; appends its record. */
const run = async (spec) => {
  const key = runKey({ ...spec, arm: spec.arm.id, pair: spec.pairId });
  const have = records.find((r) => runKey(r) === key);
  if (have) return have;
  if (args['from-records']) return null;
  const pair = await pairOf(spec.pairId);
  const t0 = Date.now();
  const rec = await runArm({ ...spec, pair, cfg, log: () => {} });
  save(rec);
  const acc = rec.testAccuracy ?? rec.valAccuracy;
  log(
    `[adafilter] ${spec.phase} ${spec.pairId} ${spec.arm.id} K=${spec.budget} seed ${spec.seed} lr ${spec.lr}${rec.randomRate !== undefined ? ` rate ${rec.randomRate.toFixed(2)}` : ''}: ${rec.testAccuracy !== undefined ? 'test' : 'val'} ${(100 * acc).toFixed(1)}%${rec.gates ? `, fine-tuned ${(100 * rec.gates.fineTunedFraction).toFixed(0)}%` : ''} (${rec.steps} steps, ${((Date.now() - t0) / 1000).toFixed(0)} s; total ${((Date.now() - started) / 60000).toFixed(1)} min)`,
  );
  return rec;
};

/**
 * Learning rates chosen on validation accuracy for one pair and budget (the validation images of that budget's split,
 * seed 100, never a test image); null where runs are missing (--from-records).
 */
async function chooseLr(pairId, budget) {
  const best = async (armId) => {
    const scores = [];
    for (const lr of lrGrid) {
      const r = await run({ phase: 'select', pairId, arm: armById(armId), budget, seed: SELECT_SEED, lr });
      if (r) scores.push({ lr, val: r.valAccuracy });
    }
    // ties go to the smaller learning rate (listed first)
    return scores.length === lrGrid.length ? scores.reduce((a, b) => (b.val > a.val ? b : a)).lr : null;
  };
  return {
    finetune: await best('finetune'),
    linearProbe: await best('linear-probe'),
    adafilter: await best('adafilter'),
  };
}

/** chosen[`${pair}:${budget}`] = the learning rates of that cell, chosen right before its main runs. */
const chosen = {};
for (const pairId of pairIds) {
  for (const budget of budgetsOf[pairId]) {
    const cell = await chooseLr(pairId, budget);
    chosen[`${pairId}:${budget}`] = cell;
    log(`[adafilter] ${pairId} K=${budget}: chosen on validation ${JSON.stringify(cell)}`);
    if (!Object.values(cell).every((v) => v !== null)) continue;
    for (const seed of seeds) {
      for (const arm of arms) {
        const lr = lrOf(cell, arm);
        let randomRate;
        if (arm.id === 'random-gates') {
          const af = await run({ phase: 'main', pairId, arm: armById('adafilter'), budget, seed, lr });
          if (!af) continue;
          randomRate = Math.round(af.valFineTunedFraction * 1000) / 1000;
        }
        await run({
          phase: 'main',
          pairId,
          arm,
          budget,
          seed,
          lr,
          ...(randomRate !== undefined ? { randomRate } : {}),
        });
      }
    }
  }
}
// timing: fine-tuning and AdaFilter interleaved, same steps and load, repeated (the page reports median ratios)
const timing = quick ? { reps: 1, steps: 5, inferN: 256 } : { reps: 3, steps: 60, inferN: 2000 };
if (!args['from-records']) {
  for (let rep = 0; rep < timing.reps; rep++) {
    for (const id of ['finetune', 'adafilter']) {
      if (records.some((r) => r.phase === 'timing' && r.arm === id && r.seed === rep)) continue;
      const rec = await timeArm({
        pairId: 'mnist-fmnist',
        pair: await pairOf('mnist-fmnist'),
        arm: armById(id),
        rep,
        ...timing,
        cfg,
      });
      save(rec);
      log(
        `[adafilter] timing ${id} rep ${rep}: ${(rec.trainImages / rec.trainSeconds).toFixed(0)} train img/s, ${(rec.inferImages / rec.inferSeconds).toFixed(0)} inference img/s`,
      );
    }
  }
}
// compute cost per image of the ResNet-8 source (analytic)
const costPair = await pairOf('mnist-fmnist');
Object.assign(costs, forwardCost(costPair.source, PAIRS['mnist-fmnist'].numClasses));
for (const p of Object.values(loaded)) p.source.dispose();
log(`[adafilter] ${((Date.now() - started) / 60000).toFixed(1)} min`);

await writePage({
  records,
  quick,
  command: quick
    ? `node benchmarks/adafilter/run.mjs ${process.argv.slice(2).join(' ')}`.trim()
    : 'npx -y pnpm@10 run bench:adafilter',
  out: args.out,
  cfg,
  lrGrid,
  selectSeed: SELECT_SEED,
  chosen,
  seeds,
  pairIds,
  budgetsOf,
  arms,
  costs,
  backend,
  log,
});
