#!/usr/bin/env node
/**
 * bf16 against fp32 on `ft-native` (issue 20 part 2), side by side in one run: training and inference images/s on
 * the four benchmark models, the transfer table's accuracies and one Mahalanobis-AD class's AUROC. Writes
 * docs/results/backend-bf16.md (+ .json and a chart of the bf16 ÷ fp32 ratios).
 *
 * Usage (from the repo root; `npx -y pnpm@10 run bench:bf16` builds first and runs the full benchmark):
 *   node benchmarks/backend/bf16.mjs                       # full run, ~40 min on 2 idle cores
 *   node benchmarks/backend/bf16.mjs --quick               # smoke test into a temporary folder (~2 min)
 *   node benchmarks/backend/bf16.mjs --resume              # continue an interrupted run from its .json
 *   node benchmarks/backend/bf16.mjs --render docs/results/backend-bf16.json   # re-render only
 * Flags: --models tiny,resnet8,resnet20,resnet20g  --rounds 3  --batch 128  --reps 5  --steps 3  --warmup-s 3
 *        --seeds 0,1,2 (transfer and AD)  --budgets 10,100  --transfer-test-size 0 (all 10,000)
 *        --ad-class 0  --ad-n 1000  --ad-test-size 2000  --ad-epochs 20
 *        --skip throughput,transfer,ad  --out docs/results/backend-bf16.md
 * Every measurement is its own child process, one at a time: run.mjs's worker with `--precision` for images/s,
 * bf16-worker.mjs with FT_NATIVE_PRECISION for accuracy. Throughput: per round and model, the fp32 and the bf16 child
 * back to back (the order swapped every other round), so the ratio is taken within a round. Accuracy: per seed, the
 * fp32 and the bf16 child back to back on the same data and seed; differences are paired by seed. The results file
 * is written after every child, so an interrupted run can be resumed.
 */
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseResults } from '@ft/report';
import { parseFlags } from '../flags.mjs';
import { runChild } from './children.mjs';
import { MODELS } from './models.mjs';
import { DEFAULT_WARMUP_S, warmupSeconds } from './warmup.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..', '..');

/** Rough seconds per child on 2 idle cores, for the first time-left estimate (replaced by measured means). */
export const UNIT_SECONDS_GUESS = { throughput: 18, transfer: 240, ad: 100 };
/** The same for `--quick`. */
export const QUICK_SECONDS_GUESS = { throughput: 2, transfer: 25, ad: 12 };

const list = (s) =>
  String(s)
    .split(',')
    .map((x) => x.trim())
    .filter(Boolean);

function intList(flag, value) {
  const xs = list(value).map(Number);
  if (!xs.length || xs.some((x) => !Number.isInteger(x) || x < 0))
    throw new Error(`--${flag} must be a comma-separated list of non-negative integers, got "${value}"`);
  return xs;
}

/** The run's configuration from the flags (`--quick`: 1 round, TinyCNN only, 1 seed, 1 budget, short runs). */
export function bf16Config(args) {
  const quick = Boolean(args.quick);
  const int = (key, dflt, min = 1) => {
    const v = Number(args[key] ?? dflt);
    if (!Number.isInteger(v) || v < min) throw new Error(`--${key} must be an integer ≥ ${min}, got ${args[key]}`);
    return v;
  };
  const models = list(args.models ?? (quick ? 'tiny' : 'tiny,resnet8,resnet20,resnet20g'));
  for (const m of models)
    if (!MODELS[m]) throw new Error(`unknown model ${m}; expected ${Object.keys(MODELS).join(', ')}`);
  const skip = list(args.skip ?? '');
  for (const s of skip)
    if (!['throughput', 'transfer', 'ad'].includes(s)) throw new Error(`--skip: throughput, transfer or ad, got ${s}`);
  const seeds = intList('seeds', args.seeds ?? (quick ? '0' : '0,1,2'));
  return {
    quick,
    skip,
    throughput: {
      models,
      rounds: int('rounds', quick ? 1 : 3),
      batch: int('batch', quick ? 32 : 128),
      reps: int('reps', quick ? 2 : 5),
      steps: int('steps', quick ? 1 : 3),
      warmupS: warmupSeconds(args['warmup-s'], quick ? 0 : DEFAULT_WARMUP_S),
    },
    transfer: {
      seeds,
      budgets: intList('budgets', args.budgets ?? (quick ? '10' : '10,100')),
      methods: ['linear-probe', 'full', 'scratch'],
      epochs: 30,
      minSteps: 200,
      maxSteps: quick ? 20 : undefined,
      testSize: int('transfer-test-size', quick ? 500 : 0, 0),
    },
    ad: {
      seeds,
      normalClass: int('ad-class', 0, 0),
      n: int('ad-n', quick ? 200 : 1000),
      testSize: int('ad-test-size', quick ? 500 : 2000, 0),
      epochs: int('ad-epochs', quick ? 2 : 20),
      lr: 1e-4,
      batch: 32,
    },
  };
}

/** Every child of a run, in order: [{ key, kind, label, cmd, argv, env }]. */
export function plan(cfg) {
  const units = [];
  const node = process.execPath;
  if (!cfg.skip.includes('throughput')) {
    const t = cfg.throughput;
    for (let r = 0; r < t.rounds; r++) {
      for (const m of t.models) {
        const order = r % 2 === 0 ? ['fp32', 'bf16'] : ['bf16', 'fp32'];
        for (const p of order) {
          units.push({
            key: `throughput/${m}/${r}/${p}`,
            kind: 'throughput',
            label: `${p} ${m} bs ${t.batch} round ${r + 1}/${t.rounds}`,
            cmd: node,
            argv: [
              path.join(here, 'run.mjs'),
              '--worker',
              `--model=${m}`,
              '--backend=ft-native',
              `--precision=${p}`,
              `--batch=${t.batch}`,
              `--reps=${t.reps}`,
              `--steps=${t.steps}`,
              `--warmup-s=${t.warmupS ?? 0}`,
              // where the step's time goes, after the timed reps (it does not change them)
              ...(m === 'resnet20' ? ['--profile-native'] : []),
            ],
            env: {},
          });
        }
      }
    }
  }
  for (const kind of ['transfer', 'ad']) {
    if (cfg.skip.includes(kind)) continue;
    const c = cfg[kind];
    const extra =
      kind === 'transfer'
        ? [
            `--budgets=${c.budgets.join(',')}`,
            `--test-size=${c.testSize}`,
            `--epochs=${c.epochs}`,
            `--min-steps=${c.minSteps}`,
            ...(c.maxSteps ? [`--max-steps=${c.maxSteps}`] : []),
          ]
        : [
            `--normal-class=${c.normalClass}`,
            `--n=${c.n}`,
            `--test-size=${c.testSize}`,
            `--epochs=${c.epochs}`,
            `--lr=${c.lr}`,
            `--batch=${c.batch}`,
          ];
    for (const seed of c.seeds) {
      for (const p of ['fp32', 'bf16']) {
        units.push({
          key: `${kind}/${seed}/${p}`,
          kind,
          label: `${kind} seed ${seed} ${p}`,
          cmd: node,
          argv: [path.join(here, 'bf16-worker.mjs'), `--task=${kind}`, `--seed=${seed}`, ...extra],
          env: { FT_BACKEND: 'ft-native', FT_NATIVE_PRECISION: p },
        });
      }
    }
  }
  return units;
}

/**
 * Seconds left: measured mean per kind for the kinds seen so far, else {@link UNIT_SECONDS_GUESS} scaled by how
 * the measured kinds compared with their guesses.
 */
export function secondsLeft(remaining, spent, guess = UNIT_SECONDS_GUESS) {
  const mean = {};
  let scale = [];
  for (const [kind, xs] of Object.entries(spent)) {
    if (!xs.length) continue;
    mean[kind] = xs.reduce((a, b) => a + b, 0) / xs.length;
    scale.push(mean[kind] / guess[kind]);
  }
  scale = scale.length ? scale.reduce((a, b) => a + b, 0) / scale.length : 1;
  return remaining.reduce((a, u) => a + (mean[u.kind] ?? guess[u.kind] * scale), 0);
}

const cutsOf = (cfg) => {
  const cuts = [
    'The transfer table\'s "all labels" budget is left out: one run there takes ≈ 5 min on 2 cores (≈ 1.5 h for 3 methods × 3 seeds × 2 precisions).',
    'Transfer: the fixed a-priori peak LRs only; the tuned-LR arms of the transfer page are left out.',
    `Mahalanobis AD: one class (${cfg.ad.normalClass}) of ten, ${cfg.ad.testSize ? `a ${cfg.ad.testSize}-image stratified test subsample` : 'the full test set'}, and fine-tuning without the pseudo-anomaly family analysis of the AD page.`,
  ];
  if (cfg.quick)
    cuts.unshift(
      '`--quick` smoke run: 1 round, small batch, few steps, 1 seed, 1 budget, short runs; not a measurement.',
    );
  for (const k of cfg.skip) cuts.push(`\`--skip ${k}\`: not measured in this run.`);
  return cuts;
};

/**
 * fp32 figures of the other pages at the same settings, for the page to set this run's fp32 beside: ft-native's
 * images/s on the backend page (docs/results/backend.json, when its batch matches) and the fixed-LR transfer
 * accuracies (docs/results/transfer/records.jsonl) of this run's seeds, budgets and methods. Missing files: null.
 */
export function readReferences(cfg, dir = path.join(root, 'docs/results')) {
  const ref = { backend: null, transfer: null };
  try {
    const b = JSON.parse(readFileSync(path.join(dir, 'backend.json'), 'utf8'));
    if (b.batch === cfg.throughput.batch) {
      const models = {};
      for (const m of cfg.throughput.models) {
        const s = b.runs?.[m]?.summary;
        if (s) models[m] = { train: s.train?.native, infer: s.infer?.native };
      }
      ref.backend = { date: b.date, batch: b.batch, machine: b.machine ?? null, models };
    }
  } catch {
    // no backend page yet
  }
  try {
    const file = path.join(dir, 'transfer/records.jsonl');
    const cells = {};
    for (const r of parseResults(readFileSync(file, 'utf8'), file)) {
      const budget = Number(r.extra?.budget);
      if (!cfg.transfer.methods.includes(r.arm) || !cfg.transfer.budgets.includes(budget)) continue;
      if (!cfg.transfer.seeds.includes(r.seed) || Number(r.extra?.testSize) !== (cfg.transfer.testSize || 10000))
        continue;
      const k = `${budget}/${r.arm}`;
      cells[k] = [...(cells[k] ?? []), { seed: r.seed, value: r.metrics.accuracy }];
    }
    ref.transfer = Object.keys(cells).length ? { cells } : null;
  } catch {
    // no transfer records
  }
  return ref;
}

async function write(results, out) {
  const { renderBf16Markdown, renderBf16Svg } = await import('./bf16-report.mjs');
  const base = out.replace(/\.md$/, '');
  mkdirSync(path.dirname(out), { recursive: true });
  writeFileSync(`${base}.json`, `${JSON.stringify(results, null, 2)}\n`);
  writeFileSync(`${base}.svg`, await renderBf16Svg(results));
  writeFileSync(out, renderBf16Markdown(results, `${path.basename(base)}.svg`));
}

async function measure(args, out) {
  const { machineInfo } = await import('@ft/report');
  const cfg = bf16Config(args);
  const jsonPath = out.replace(/\.md$/, '.json');
  const command = `node benchmarks/backend/bf16.mjs${process.argv.length > 2 ? ` ${process.argv.slice(2).join(' ')}` : ''}`;
  const { resume, ...cfgArgs } = args;
  let results;
  if (resume) {
    results = JSON.parse(readFileSync(jsonPath, 'utf8'));
    if (JSON.stringify(results.config) !== JSON.stringify(cfg))
      throw new Error(`--resume: ${path.relative(root, jsonPath)} was made with other settings; pass the same flags`);
  } else {
    const native = await import('@ft/tfjs-backend-native');
    const info = native.nativeInfo();
    results = {
      command: command.replace(/ --resume\b/, ''),
      machine: machineInfo(),
      date: new Date().toISOString(),
      loadavg: { start: os.loadavg()[0] },
      config: cfg,
      flags: cfgArgs,
      native: { onednn: info.onednn, isa: info.isa, threads: info.threads, version: info.version },
      bf16Support: info.bf16Support ?? { supported: false, reason: info.reason ?? 'addon unavailable' },
      reference: readReferences(cfg),
      cuts: cutsOf(cfg),
      units: {},
      unitSeconds: {},
      complete: false,
    };
  }
  const all = plan(cfg);
  const guess = cfg.quick ? QUICK_SECONDS_GUESS : UNIT_SECONDS_GUESS;
  const bf16Off = results.bf16Support?.supported === false;
  const todo = all.filter((u) => !results.units[u.key] || results.units[u.key].error);
  const spent = {};
  const addSpent = (kind, secs) => {
    spent[kind] = [...(spent[kind] ?? []), secs];
  };
  for (const [k, s] of Object.entries(results.unitSeconds)) addSpent(k.split('/')[0], s);
  if (bf16Off)
    process.stderr.write(`[bf16] bf16 unavailable here: ${results.bf16Support.reason}; only the page is written\n`);
  else
    process.stderr.write(
      `[bf16] ${todo.length} of ${all.length} children to run, ~${(secondsLeft(todo, spent, guess) / 60).toFixed(0)} min (estimate)\n`,
    );
  if (!bf16Off) {
    for (let i = 0; i < todo.length; i++) {
      const u = todo[i];
      const t0 = Date.now();
      const r = runChild(u.cmd, u.argv, `[${i + 1}/${todo.length}] ${u.label}`, u.env);
      const secs = (Date.now() - t0) / 1000;
      results.units[u.key] = r;
      results.unitSeconds[u.key] = secs;
      addSpent(u.kind, secs);
      writeFileSync(jsonPath, `${JSON.stringify(results, null, 2)}\n`);
      if (r.unavailable) {
        process.stderr.write(`[bf16] bf16 unavailable: ${r.unavailable.reason ?? r.unavailable}; stopping\n`);
        break;
      }
      const left = secondsLeft(todo.slice(i + 1), spent, guess);
      process.stderr.write(`[bf16] ${i + 1}/${todo.length} done, ~${(left / 60).toFixed(1)} min left\n`);
    }
  }
  results.loadavg.end = os.loadavg()[0];
  results.complete = all.every((u) => results.units[u.key] && !results.units[u.key].error);
  return results;
}

async function main() {
  const args = parseFlags(process.argv.slice(2));
  if (typeof args.render === 'string') {
    const file = path.resolve(root, args.render);
    await write(JSON.parse(readFileSync(file, 'utf8')), file.replace(/\.json$/, '.md'));
    process.stderr.write(`[bf16] re-rendered ${path.relative(root, file.replace(/\.json$/, '.md'))}\n`);
    return;
  }
  const out = args.quick
    ? path.join(mkdtempSync(path.join(os.tmpdir(), 'ft-bf16-')), 'backend-bf16.md')
    : path.resolve(root, String(args.out ?? 'docs/results/backend-bf16.md'));
  if (args.quick && args.resume) throw new Error('--quick writes into a fresh temporary folder: nothing to resume');
  mkdirSync(path.dirname(out), { recursive: true });
  const results = await measure(args, out);
  await write(results, out);
  process.stderr.write(`[bf16] wrote ${out} (+ .json, .svg)\n`);
  if (!args.quick) {
    const { bf16Verdict } = await import('./bf16-report.mjs');
    process.stderr.write(
      `[bf16] verdict: ${bf16Verdict(results).verdict}; docs/results/README.md needs a row for backend-bf16.md with this verdict word (scripts/results-index.test.mjs checks it)\n`,
    );
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  main().catch((e) => {
    console.error(e);
    process.exit(1);
  });
}
