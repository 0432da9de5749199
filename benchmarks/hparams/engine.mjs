#!/usr/bin/env node
// Part 2 of the @ft/hparams benchmarks, the engine: Random, TPE, TPE + Median and TPE + SuccessiveHalving searching
// the peak learning rate and the epochs of full fine-tuning (the @ft/core transfer run: MNIST-digit zoo source →
// Fashion-MNIST, 100 labels per class), minimising the error on a validation split carved from the labelled budget.
// The objective reports the validation error after every epoch so that the pruners can act.
//
//   node benchmarks/hparams/engine.mjs [--quick] [--seeds 0,1,2] [--trials 20]
//
// Standalone it writes docs/results/hparams/engine.jsonl and the SVG plots (not with --quick) and prints the markdown;
// benchmarks/hparams/run.mjs assembles it into docs/results/hparams.md through runEngine/engineSection.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { initBackend, isSlowBackend } from '@ft/core';
import { createStudy, MedianPruner, NopPruner, RandomSampler, SuccessiveHalvingPruner, TPESampler } from '@ft/hparams';
import { formatMeanStd, lineChartSvg, markdownTable, writeSvg } from '@ft/report';
import { readJsonl, writeJsonl } from './jsonl.mjs';
import {
  carveValidation,
  evaluateSnapshot,
  labelledBudget,
  loadSource,
  loadTarget,
  transferObjective,
} from './transfer-objective.mjs';

/** The four arms, in table order. */
export const ENGINE_ARMS = [
  { arm: 'random', label: 'Random' },
  { arm: 'tpe', label: 'TPE' },
  { arm: 'tpe-median', label: 'TPE + Median' },
  { arm: 'tpe-sha', label: 'TPE + SuccessiveHalving' },
];

/** The benchmark's settings (full run, and the --quick smoke run). */
export function engineConfig(quick) {
  return quick
    ? {
        perClass: 100,
        valFraction: 0.3,
        method: 'full',
        trials: 4,
        tpeStartup: 2,
        space: { lr: [1e-3, 1], epochs: [2, 3], minSteps: 0 },
        testSize: 500,
      }
    : {
        perClass: 100,
        valFraction: 0.3,
        method: 'full',
        trials: 20,
        tpeStartup: 5,
        space: { lr: [1e-3, 1], epochs: [3, 12], minSteps: 0 },
        testSize: 0,
      };
}

function makeArm(arm, seed, cfg) {
  const tpe = () => new TPESampler({ seed, nStartupTrials: cfg.tpeStartup });
  switch (arm) {
    case 'random':
      return { sampler: new RandomSampler({ seed }), pruner: new NopPruner() };
    case 'tpe':
      return { sampler: tpe(), pruner: new NopPruner() };
    case 'tpe-median':
      return { sampler: tpe(), pruner: new MedianPruner() };
    case 'tpe-sha':
      return { sampler: tpe(), pruner: new SuccessiveHalvingPruner() };
    default:
      throw new Error(`unknown arm ${arm}`);
  }
}

/**
 * Runs every arm for every seed; returns one plain JSON record per (arm, seed): the trials in order (state, value,
 * params, epochs trained), the best trial and its test error, and the wall time.
 * @param {{ quick?: boolean, seeds?: number[], log?: (m: string) => void, root: string, backend?: object, trials?: number }} ctx
 */
export async function runEngine(ctx) {
  const log = ctx.log ?? (() => {});
  const cfg = engineConfig(!!ctx.quick);
  if (ctx.trials) cfg.trials = ctx.trials;
  const seeds = ctx.seeds ?? (ctx.quick ? [0] : [0, 1, 2]);
  const backend = ctx.backend ?? (await initBackend());
  const slow = isSlowBackend(backend);
  const { freshSource, zooName } = await loadSource({ backend, slow, log });
  const { train, test, fullTestSize } = await loadTarget({ testSize: cfg.testSize });
  const records = [];
  for (const seed of seeds) {
    const labelled = labelledBudget(train, cfg.perClass, seed);
    const { fit, val } = carveValidation(labelled, { valFraction: cfg.valFraction, seed });
    for (const { arm, label } of ENGINE_ARMS) {
      log(`[engine] seed ${seed} ${label}: ${cfg.trials} trials`);
      const { sampler, pruner } = makeArm(arm, seed, cfg);
      const study = await createStudy({ studyName: `engine-${arm}-${seed}`, direction: 'minimize', sampler, pruner });
      let bestSnapshot = null;
      const t0 = performance.now();
      await study.optimize(
        transferObjective({
          method: cfg.method,
          freshSource,
          fit,
          val,
          seed,
          space: cfg.space,
          perEpoch: true,
          keepBest: true,
          onComplete: (info) => {
            if (info.snapshot) bestSnapshot = info.snapshot;
          },
          log,
        }),
        { nTrials: cfg.trials },
      );
      const seconds = (performance.now() - t0) / 1000;
      const trials = study.trials.map((t) => ({
        number: t.number,
        state: t.state,
        value: t.value ?? null,
        lr: t.params.lr,
        epochsParam: t.params.epochs,
        epochs: t.userAttrs.epochs ?? 0,
        diverged: t.userAttrs.diverged === true,
      }));
      const best = study.bestTrial;
      const ev = bestSnapshot ? await evaluateSnapshot(bestSnapshot, test) : null;
      log(
        `[engine] seed ${seed} ${label}: best val error ${(100 * best.value).toFixed(1)}% (trial ${best.number}, lr ${best.params.lr.toPrecision(3)}, ${best.params.epochs} epochs), test error ${ev ? (100 * (1 - ev.accuracy)).toFixed(1) : '?'}%, ${trials.reduce((a, t) => a + t.epochs, 0)} epochs, ${seconds.toFixed(0)} s`,
      );
      records.push({
        part: 'engine',
        arm,
        seed,
        date: new Date().toISOString(),
        backend: { name: backend.name, ...(backend.fallbackReason ? { fallbackReason: backend.fallbackReason } : {}) },
        config: {
          ...cfg,
          source: `zoo:${zooName}`,
          fitSize: fit.size,
          valSize: val.size,
          testSize: test.size,
          fullTestSize,
          sampler: arm === 'random' ? 'RandomSampler' : `TPESampler(nStartupTrials=${cfg.tpeStartup})`,
          pruner: arm === 'tpe-median' ? 'MedianPruner()' : arm === 'tpe-sha' ? 'SuccessiveHalvingPruner()' : 'none',
        },
        trials,
        best: { number: best.number, value: best.value, lr: best.params.lr, epochs: best.params.epochs },
        testError: ev ? 1 - ev.accuracy : null,
        seconds,
      });
    }
  }
  if (!ctx.quick) await writeEnginePlots(records, path.join(ctx.root, 'docs/results/hparams'));
  return records;
}

// ---- analysis -----------------------------------------------------------------------------------------------------

const mean = (v) => v.reduce((a, x) => a + x, 0) / v.length;
const std = (v) => {
  if (v.length < 2) return 0;
  const m = mean(v);
  return Math.sqrt(v.reduce((a, x) => a + (x - m) ** 2, 0) / (v.length - 1));
};

/** Best completed validation error after each trial (null until a trial completes). */
export function bestByTrial(rec) {
  let best = null;
  return rec.trials.map((t) => {
    if (t.state === 'complete' && t.value !== null && (best === null || t.value < best)) best = t.value;
    return best;
  });
}

/** [cumulative epochs after trial i, best so far after trial i], pruned trials' epochs included. */
export function bestByEpochs(rec) {
  const byTrial = bestByTrial(rec);
  let total = 0;
  return rec.trials.map((t, i) => {
    total += t.epochs;
    return [total, byTrial[i]];
  });
}

/** The best-so-far error at `e` epochs consumed (the last trial finished by then), or null. */
function bestAtEpochs(steps, e) {
  let v = null;
  for (const [x, b] of steps) if (x <= e) v = b;
  return v;
}

function armRecords(records, arm) {
  return records.filter((r) => r.arm === arm).sort((a, b) => a.seed - b.seed);
}

/** Mean ± std over seeds of the best-so-far error against trials, one series per arm (x where every seed has one). */
function trialSeries(records) {
  return ENGINE_ARMS.map(({ arm, label }) => {
    const recs = armRecords(records, arm);
    const curves = recs.map(bestByTrial);
    const n = Math.min(...curves.map((c) => c.length));
    const points = [];
    for (let i = 0; i < n; i++) {
      const v = curves.map((c) => c[i]);
      if (v.some((x) => x === null)) continue;
      points.push({ x: i + 1, y: 100 * mean(v), ...(v.length > 1 ? { yErr: 100 * std(v) } : {}) });
    }
    return { name: label, points };
  }).filter((s) => s.points.length);
}

/** The same against epochs consumed, on a common grid up to the smallest total over the arm's seeds. */
function epochSeries(records) {
  return ENGINE_ARMS.map(({ arm, label }) => {
    const recs = armRecords(records, arm);
    const steps = recs.map(bestByEpochs);
    const maxE = Math.min(...steps.map((s) => s.at(-1)?.[0] ?? 0));
    const grid = Math.max(1, Math.round(maxE / 40));
    const points = [];
    for (let e = grid; e <= maxE; e += grid) {
      const v = steps.map((s) => bestAtEpochs(s, e));
      if (v.some((x) => x === null)) continue;
      points.push({ x: e, y: 100 * mean(v), ...(v.length > 1 ? { yErr: 100 * std(v) } : {}) });
    }
    return { name: label, points };
  }).filter((s) => s.points.length);
}

/** Writes engine-trials.svg and engine-epochs.svg into `dir`. */
export async function writeEnginePlots(records, dir) {
  fs.mkdirSync(dir, { recursive: true });
  const ts = trialSeries(records);
  if (ts.length) {
    await writeSvg(
      path.join(dir, 'engine-trials.svg'),
      await lineChartSvg({
        title: 'Best validation error against trials (mean ± std over seeds)',
        series: ts,
        xLabel: 'trials',
        yLabel: 'best validation error (%)',
      }),
    );
  }
  const es = epochSeries(records);
  if (es.length) {
    await writeSvg(
      path.join(dir, 'engine-epochs.svg'),
      await lineChartSvg({
        title: 'Best validation error against epochs consumed (pruned trials included)',
        series: es,
        xLabel: 'epochs consumed',
        yLabel: 'best validation error (%)',
      }),
    );
  }
}

/** Epochs an arm needs (mean over seeds) before its best-so-far error reaches `target`, or null if a seed never does. */
function epochsToReach(recs, target) {
  const need = recs.map((r) => bestByEpochs(r).find(([, b]) => b !== null && b <= target)?.[0] ?? null);
  return need.some((x) => x === null) ? null : mean(need);
}

const pct = (v, d = 1) => formatMeanStd(v, d, { scale: 100 });

/**
 * The markdown sections, verdict lines, cuts and setup lines of the engine part.
 * @returns {{ markdown: string, verdict: string[], cuts: string[], setup: string[] }}
 */
export function engineSection(records) {
  const recs = records.filter((r) => r.part === 'engine');
  if (!recs.length) return { markdown: '', verdict: [], cuts: [], setup: [] };
  const cfg = recs[0].config;
  const seeds = [...new Set(recs.map((r) => r.seed))].sort((a, b) => a - b);
  const byArm = Object.fromEntries(ENGINE_ARMS.map(({ arm }) => [arm, armRecords(recs, arm)]));
  const present = ENGINE_ARMS.filter(({ arm }) => byArm[arm].length);
  const rows = present.map(({ arm, label }) => {
    const rs = byArm[arm];
    const half = Math.floor(cfg.trials / 2);
    return {
      arm: label,
      half: pct(rs.map((r) => bestByTrial(r)[half - 1] ?? 1)),
      best: pct(rs.map((r) => r.best.value)),
      test: rs.every((r) => r.testError !== null) ? pct(rs.map((r) => r.testError)) : 'n/a',
      lr: rs.map((r) => `${r.best.lr.toPrecision(2)}/${r.best.epochs}`).join(', '),
      epochs: formatMeanStd(
        rs.map((r) => r.trials.reduce((a, t) => a + t.epochs, 0)),
        0,
      ),
      pruned: formatMeanStd(
        rs.map((r) => r.trials.filter((t) => t.state === 'pruned').length),
        1,
      ),
      secs: formatMeanStd(
        rs.map((r) => r.seconds),
        0,
      ),
    };
  });
  const half = Math.floor(cfg.trials / 2);
  const table = markdownTable(rows, [
    { key: 'arm', header: 'arm' },
    { key: 'half', header: `best val error after ${half} trials (%)`, align: 'right' },
    { key: 'best', header: `best val error after ${cfg.trials} trials (%)`, align: 'right' },
    { key: 'test', header: "best trial's test error (%)", align: 'right' },
    { key: 'lr', header: 'best lr / epochs, per seed' },
    { key: 'epochs', header: 'epochs consumed', align: 'right' },
    { key: 'pruned', header: 'trials pruned', align: 'right' },
    { key: 'secs', header: 'wall time (s)', align: 'right' },
  ]);

  // verdict lines, from the numbers
  const verdict = [];
  const meanBest = (arm) => mean(byArm[arm].map((r) => r.best.value));
  const meanEpochs = (arm) => mean(byArm[arm].map((r) => r.trials.reduce((a, t) => a + t.epochs, 0)));
  const sdBest = (arm) => std(byArm[arm].map((r) => r.best.value));
  if (byArm.random.length && byArm.tpe.length) {
    const d = meanBest('random') - meanBest('tpe');
    const noise = Math.max(sdBest('random'), sdBest('tpe'));
    verdict.push(
      `after ${cfg.trials} trials TPE's best validation error is ${(100 * meanBest('tpe')).toFixed(1)}% against Random's ${(100 * meanBest('random')).toFixed(1)}% ` +
        (Math.abs(d) <= noise
          ? `(${d >= 0 ? 'TPE' : 'Random'} lower by ${(100 * Math.abs(d)).toFixed(1)} points, within one seed std of ${(100 * noise).toFixed(1)}: no clear difference at this budget).`
          : d > 0
            ? `(TPE better by ${(100 * d).toFixed(1)} points, more than one seed std of ${(100 * noise).toFixed(1)}).`
            : `(Random better by ${(100 * -d).toFixed(1)} points, more than one seed std of ${(100 * noise).toFixed(1)}).`),
    );
  }
  for (const arm of ['tpe-median', 'tpe-sha']) {
    if (!byArm[arm].length || !byArm.tpe.length) continue;
    const label = ENGINE_ARMS.find((a) => a.arm === arm).label;
    const saved = 1 - meanEpochs(arm) / meanEpochs('tpe');
    const d = meanBest(arm) - meanBest('tpe');
    const noise = Math.max(sdBest(arm), sdBest('tpe'));
    const tpeTarget = meanBest('tpe');
    const reach = epochsToReach(byArm[arm], tpeTarget + noise);
    verdict.push(
      `${label} used ${(100 * saved).toFixed(0)}% fewer epochs than TPE alone (${meanEpochs(arm).toFixed(0)} against ${meanEpochs('tpe').toFixed(0)}) ` +
        `for a best validation error ${Math.abs(d) <= noise ? 'within one seed std of' : d < 0 ? 'below' : 'above'} TPE's ` +
        `(${(100 * meanBest(arm)).toFixed(1)}% against ${(100 * meanBest('tpe')).toFixed(1)}%)` +
        (reach !== null
          ? `; it was within one std of TPE's final best after ${reach.toFixed(0)} epochs on average.`
          : '; not every seed got within one std of TPE’s final best.'),
    );
  }
  // Equal cost: every arm's best after as many epochs as the cheapest study consumed in all.
  const eqE = Math.min(...recs.map((r) => r.trials.reduce((a, t) => a + t.epochs, 0)));
  const atEq = present.map(({ arm, label }) => {
    const v = byArm[arm].map((r) => bestAtEpochs(bestByEpochs(r), eqE));
    return v.some((x) => x === null)
      ? `${label} n/a (a seed had no completed trial yet)`
      : `${label} ${(100 * mean(v)).toFixed(1)}%`;
  });
  if (present.length > 1)
    verdict.push(`at equal cost (${eqE} epochs, the smallest total of any study): ${atEq.join(', ')}.`);
  // What the pruners stopped: learning rate and schedule length of pruned against completed trials.
  const geo = (v) => Math.exp(mean(v.map(Math.log)));
  for (const arm of ['tpe-median', 'tpe-sha']) {
    const ts = byArm[arm].flatMap((r) => r.trials);
    const pr = ts.filter((t) => t.state === 'pruned');
    const co = ts.filter((t) => t.state === 'complete');
    if (!pr.length || !co.length) continue;
    const label = ENGINE_ARMS.find((a) => a.arm === arm).label;
    verdict.push(
      `${label}: pruned trials had a geometric-mean LR of ${geo(pr.map((t) => t.lr)).toPrecision(2)} and ${mean(pr.map((t) => t.epochsParam)).toFixed(1)} scheduled epochs, completed ones ${geo(co.map((t) => t.lr)).toPrecision(2)} and ${mean(co.map((t) => t.epochsParam)).toFixed(1)}` +
        (geo(pr.map((t) => t.lr)) > 1.5 * geo(co.map((t) => t.lr))
          ? ' — consistent with the short-horizon bias of early stopping: a high-LR trial looks worse after a few epochs, before its cosine schedule decays.'
          : '.'),
    );
  }
  const testRange = present
    .filter(({ arm }) => byArm[arm].every((r) => r.testError !== null))
    .map(({ arm, label }) => `${label} ${(100 * mean(byArm[arm].map((r) => r.testError))).toFixed(1)}%`);
  if (testRange.length)
    verdict.push(
      `test error of each arm's best trial (trained on the ${cfg.fitSize} fitting images): ${testRange.join(', ')}.`,
    );

  const cuts = [
    `engine: ${cfg.trials} trials per arm and seed, epochs searched in [${cfg.space.epochs.join(', ')}] (the transfer page trains 30), TPE's random startup cut from Optuna's 10 trials to ${cfg.tpeStartup}, sized from one trial's measured cost (about 0.6 s per epoch) for about 20 minutes alone on 2 cores; the run took ${(recs.reduce((a, r) => a + r.seconds, 0) / 60).toFixed(0)} minutes of study time on cores shared with other jobs`,
    ...(cfg.testSize < cfg.fullTestSize ? [`engine: test set cut to a stratified ${cfg.testSize} images`] : []),
  ];
  const setup = [
    `Engine: full fine-tuning of \`${cfg.source}\` on Fashion-MNIST at ${cfg.perClass} labels per class (\`labelBudgetSplit\`, per seed); ` +
      `a stratified ${Math.round(100 * cfg.valFraction)}% of the labelled budget (${cfg.valSize} images) is the validation split, the trials train on the other ${cfg.fitSize}; the test set (${cfg.testSize} images) only scores each arm's best trial.`,
    `Engine search space: peak LR log-uniform in [${cfg.space.lr.join(', ')}], epochs an integer in [${cfg.space.epochs.join(', ')}] (the cosine schedule spans the trial's epochs); SGD Nesterov 0.9, batch 128, weight decay 5e-4 as in \`transferRun\`, training seed fixed per study.`,
    `Engine arms: RandomSampler; TPESampler (nStartupTrials ${cfg.tpeStartup}, other settings Optuna's defaults); TPE + MedianPruner (Optuna's defaults: 5 startup trials, no warm-up); TPE + SuccessiveHalvingPruner (Optuna's defaults: minResource auto, η = 4). The objective reports the validation error after every epoch (step = epochs done); a pruned trial's epochs count as consumed. Seeds ${seeds.join(', ')} (budget draw, validation carve, training and sampler).`,
  ];
  const markdown = [
    `## The engine: Random, TPE, TPE + Median, TPE + SuccessiveHalving on full fine-tuning (${cfg.perClass} labels/class)`,
    '',
    `Validation error (%) of the best completed trial, mean ± std over ${seeds.length} seed${seeds.length === 1 ? '' : 's'} (${seeds.join(', ')}); epochs consumed count every trial's trained epochs, pruned ones included.`,
    '',
    table,
    '',
    '![best validation error against trials](hparams/engine-trials.svg)',
    '',
    '![best validation error against epochs consumed](hparams/engine-epochs.svg)',
    '',
    ...verdict.map((v) => `- ${v.charAt(0).toUpperCase()}${v.slice(1)}`),
  ].join('\n');
  return { markdown, verdict, cuts, setup };
}

// ---- standalone ---------------------------------------------------------------------------------------------------
if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
  const { values: args } = parseArgs({
    options: {
      quick: { type: 'boolean', default: false },
      seeds: { type: 'string' },
      trials: { type: 'string' },
      'from-records': { type: 'boolean', default: false },
    },
  });
  const log = (m) => process.stderr.write(`${m}\n`);
  const recordsPath = path.join(root, 'docs/results/hparams/engine.jsonl');
  let records;
  if (args['from-records']) {
    records = readJsonl(recordsPath);
    await writeEnginePlots(records, path.dirname(recordsPath));
  } else {
    const backend = await initBackend();
    log(`[engine] backend ${backend.name}${backend.fallbackReason ? ` (${backend.fallbackReason})` : ''}`);
    const started = Date.now();
    records = await runEngine({
      quick: args.quick,
      seeds: args.seeds ? args.seeds.split(',').map(Number) : undefined,
      log,
      root,
      backend,
      ...(args.trials ? { trials: Number(args.trials) } : {}),
    });
    log(`[engine] ${records.length} studies in ${((Date.now() - started) / 60000).toFixed(1)} min`);
    if (!args.quick) {
      writeJsonl(recordsPath, records);
      log(`[engine] wrote ${path.relative(root, recordsPath)} and the SVGs`);
    }
  }
  const s = engineSection(records);
  process.stdout.write(
    `${s.markdown}\n\nCuts:\n${s.cuts.map((c) => `- ${c}`).join('\n')}\n\nSetup:\n${s.setup.map((c) => `- ${c}`).join('\n')}\n`,
  );
}
