#!/usr/bin/env node
// Reproduction of Abuduweili et al., "Adaptive Consistency Regularization for Semi-Supervised Transfer Learning"
// (CVPR 2021) at small scale: source zoo:mnist-resnet8 (MNIST digits) → Fashion-MNIST at 4, 10 and 25 labels per
// class. Writes docs/results/ssl-transfer.md, its SVG plots, and the raw records (ssl-transfer/records.jsonl).
//
//   node benchmarks/ssl-transfer/run.mjs [--quick] [--seeds 0,1,2] [--budgets 4,10,25] [--arms sup,fm,...]
//                                        [--iterations 500] [--from-records]
//
// Phases: 'select' picks the learning rate (supervised, FixMatch, FixMatch from scratch) and (λ_KC, λ_RC) (supervised
// + AKC + ARC) on VALIDATION accuracy only (budget --select-budget, seeds 100 and 101; the test set is not loaded
// for it); 'main' runs every arm × budget × seed with the chosen values and scores the test set once per run.
// Records are appended as runs finish, and a re-run skips the runs already recorded, so an interrupted benchmark
// continues where it stopped. --quick: 1 seed, budget 4, 3 arms, 60 iterations; prints a summary, writes nothing.
// --from-records: rebuild the page from the records without training.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { initBackend, loadFashionMnist, loadModelRef } from '@ft/core';
import { readJsonl } from '../hparams/jsonl.mjs';
import { ARMS, armById } from './arms.mjs';
import { writePage } from './page.mjs';
import { runArm, runKey } from './runs.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    seeds: { type: 'string' },
    budgets: { type: 'string' },
    arms: { type: 'string' },
    iterations: { type: 'string' },
    'select-budget': { type: 'string', default: '10' },
    'lr-grid': { type: 'string', default: '0.01,0.03,0.1' },
    'lambda-kc-grid': { type: 'string', default: '10,100' },
    'lambda-rc-grid': { type: 'string', default: '10,50' },
    out: { type: 'string', default: path.join(root, 'docs/results') },
    'from-records': { type: 'boolean', default: false },
  },
});
const log = (m) => process.stderr.write(`${m}\n`);
const nums = (s) => s.split(',').filter(Boolean).map(Number);
const quick = args.quick;
const fromRecords = args['from-records'];
const seeds = nums(args.seeds ?? (quick ? '0' : '0,1,2'));
const budgets = nums(args.budgets ?? (quick ? '4' : '4,10,25'));
const arms = (args.arms ?? (quick ? 'sup,fm,fm-akc-arc' : ARMS.map((a) => a.id).join(','))).split(',').map(armById);
const cfg = {
  arch: 'resnet8',
  iterations: Number(args.iterations ?? (quick ? 60 : 500)),
  batch: { labeled: 32, unlabeled: 64 },
  thin: quick ? 1 : 5,
};
cfg.evalEvery = Math.max(1, Math.round(cfg.iterations / 20));
const lrGrid = nums(args['lr-grid']);
const kcGrid = nums(args['lambda-kc-grid']);
const rcGrid = nums(args['lambda-rc-grid']);
const selectBudget = Number(args['select-budget']);
const selectSeeds = quick ? [100] : [100, 101];
const recordsPath = path.join(args.out, 'ssl-transfer/records.jsonl');
const command = `node benchmarks/ssl-transfer/run.mjs ${process.argv.slice(2).join(' ')}`.trim();

const records = !quick ? readJsonl(recordsPath, { missingOk: true }) : [];
const done = new Set(records.map(runKey));

if (!fromRecords) {
  const backend = await initBackend();
  log(
    `[ssl-transfer] backend ${backend.name}${backend.fallbackReason ? ` (fallback: ${backend.fallbackReason})` : ''}`,
  );
  if (backend.name === 'cpu') log('[ssl-transfer] WARNING: the cpu backend is ~1,000x slower; build ft-native first.');
  const train = await loadFashionMnist({ split: 'train' });
  const source = await loadModelRef(`zoo:mnist-${cfg.arch}`);
  const started = Date.now();
  let test = null;
  /** Runs (or reuses) one configuration; appends its record. */
  const run = async (spec) => {
    const key = runKey({ ...spec, arm: spec.arm.id, iterations: cfg.iterations });
    const have = records.find((r) => runKey(r) === key);
    if (have) return have;
    if (spec.phase === 'main' && !test) test = await loadFashionMnist({ split: 'test' });
    const t0 = Date.now();
    const rec = await runArm({ ...spec, data: { train, test }, source, cfg, log: () => {} });
    rec.backend = backend.name;
    records.push(rec);
    done.add(key);
    if (!quick) {
      fs.mkdirSync(path.dirname(recordsPath), { recursive: true });
      fs.appendFileSync(recordsPath, `${JSON.stringify(rec)}\n`);
    }
    const acc = rec.testAccuracy ?? rec.valAccuracy;
    log(
      `[ssl-transfer] ${spec.phase} ${spec.arm.id} K=${spec.budget} seed ${spec.seed} lr ${spec.lr}${spec.lambdaKc !== undefined ? ` λKC ${spec.lambdaKc}` : ''}${spec.lambdaRc !== undefined ? ` λRC ${spec.lambdaRc}` : ''}: ${rec.testAccuracy !== undefined ? 'test' : 'val'} ${(100 * acc).toFixed(1)}% (${((Date.now() - t0) / 1000).toFixed(0)} s; total ${((Date.now() - started) / 60000).toFixed(1)} min)`,
    );
    return rec;
  };
  const choice = await select(run);
  log(`[ssl-transfer] chosen on validation: ${JSON.stringify(choice)}`);
  for (const budget of budgets) {
    for (const seed of seeds) {
      for (const arm of arms) {
        if (arm.budgets && !arm.budgets.includes(budget)) continue;
        const lr =
          arm.init === 'scratch' ? choice.lr.scratch : arm.alg === 'supervised' ? choice.lr.sup : choice.lr.ssl;
        await run({
          phase: 'main',
          arm,
          budget,
          seed,
          lr,
          ...(arm.akc ? { lambdaKc: choice.lambdaKc } : {}),
          ...(arm.arc ? { lambdaRc: choice.lambdaRc } : {}),
        });
      }
    }
  }
  source.dispose();
  log(`[ssl-transfer] ${((Date.now() - started) / 60000).toFixed(1)} min`);
}

/** Hyperparameter selection on validation accuracy (mean over the selection seeds). */
async function select(run) {
  const meanVal = async (arm, extra) => {
    let s = 0;
    for (const seed of selectSeeds)
      s += (await run({ phase: 'select', arm, budget: selectBudget, seed, ...extra })).valAccuracy;
    return s / selectSeeds.length;
  };
  const best = async (arm, grid, extra) => {
    const scores = [];
    for (const g of grid) scores.push({ ...g, val: await meanVal(arm, { ...extra, ...g }) });
    return scores.reduce((a, b) => (b.val > a.val ? b : a));
  };
  const lrs = lrGrid.map((lr) => ({ lr }));
  const sup = await best(armById('sup'), lrs, {});
  const ssl = await best(armById('fm'), lrs, {});
  const scratch = await best(armById('fm-scratch'), lrs, {});
  const lam = [];
  for (const lambdaKc of kcGrid) for (const lambdaRc of rcGrid) lam.push({ lambdaKc, lambdaRc });
  const reg = await best(armById('sup-akc-arc'), lam, { lr: sup.lr });
  return { lr: { sup: sup.lr, ssl: ssl.lr, scratch: scratch.lr }, lambdaKc: reg.lambdaKc, lambdaRc: reg.lambdaRc };
}

await writePage({
  records,
  quick,
  command: quick ? command : 'npx -y pnpm@10 run bench:ssl-transfer',
  out: args.out,
  cfg,
  grids: { lr: lrGrid, lambdaKc: kcGrid, lambdaRc: rcGrid, selectBudget, selectSeeds },
  seeds,
  budgets,
  arms,
  log,
});
