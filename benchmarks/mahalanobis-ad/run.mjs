#!/usr/bin/env node
// Issue 17, part 2: the fair-scale re-run of the Mahalanobis fine-tuning reproduction (Rippel, Chavan, Lei & Merhof,
// IMPROVE 2022; base method Rippel, Mertens & Merhof, ICPR 2020) on one-class Fashion-MNIST. Writes
// docs/results/mahalanobis-ad.md, its SVG plots and the raw records (mahalanobis-ad/records.jsonl); the cut run's
// records (mahalanobis-ad/records-cut.jsonl, 2026-11-28, commit 415da89) are read, never rewritten, for the "cut" rows.
//
//   node benchmarks/mahalanobis-ad/run.mjs [--seeds 0,1] [--classes 0,...,9] [--lrs 1e-4,1e-3,3e-3,1e-2]
//        [--epochs 30] [--patience 5] [--test-epochs 0,1,2,3,5,8,12,17,23,30] [--n 1000] [--test-size 0]
//        [--strong-epochs 30] [--strong-seeds 0] [--skip-strong] [--workers 2] [--out docs/results] [--from-records]
//        [--quick]
//
// Phases, each resumable (records are appended as runs finish; a re-run skips every run already recorded):
//  1. frozen arms (per level, summed; Ledoit-Wolf, empirical, L2, SED; raw pixels) of the source zoo:mnist-resnet8 and of
//     the stronger source (the same recipe trained --strong-epochs, cached with checksums in .cache/mahalanobis-ad);
//  2. the sweep: Adam at each --lrs for --epochs epochs, every class × seed, source zoo:mnist-resnet8. Every epoch
//     is refit and scored on validation (held-out normals vs VRM-augmented copies); the early stop (--patience, best
//     validation checkpoint restored) and the best validation epoch over all epochs are read off the validation
//     history, which is the same as stopping there (later epochs cannot change earlier ones). The test set (the full
//     10,000 images unless --test-size) is scored at the fixed --test-epochs and at those two checkpoints only;
//  3. the stronger source fine-tuned at the learning rate chosen on validation in phase 2, on --strong-seeds, with the
//     early stop actually stopping (only the early-stopped checkpoint is reported for it).
// Phases 2 and 3 run in --workers child processes (one ft-native thread each: a ResNet-8 step on 32 28×28 images is
// bound by per-op JavaScript overhead, which one process runs on one core), each taking every N-th run and appending
// to its own records.w<k>.jsonl; the parent merges them into records.jsonl in run order.
// Nothing selects on the test set: the learning rate is chosen per (class, seed) on the validation pseudo-AUROC of
// the early-stopped checkpoints.
// Tiny or partial configurations must write elsewhere (--out <tmp dir>): the page under docs/results is only written
// at the full configuration. --quick: seed 0, classes 0 and 1, two rates, 3 epochs, n = 250, a 1,000-image test
// subsample, a 1-epoch stronger source; writes under the OS temp folder. --from-records: the page from the records.
// --render-cut: redraws only the cut run's charts (arms.svg, curves-*.svg) from records-cut.jsonl into <out>.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import {
  auroc,
  createRng,
  initBackend,
  isSlowBackend,
  listZooModels,
  loadFashionMnist,
  loadZooModel,
  oneClassSplit,
  setBnMode,
  stratifiedSplit,
  subset,
} from '@ft/core';
import * as mad from '@ft/mahalanobis-ad';
import { resultRecord, writeResults } from '@ft/report';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { chartInputsFromRecords, writeCharts } from './charts.mjs';
import { writePage } from './page.mjs';
import { freshInRunOrder, readRecordsFile } from './records.mjs';
import { strongSource, strongSourceName, strongZooDir } from './source.mjs';
import { chooseLr, epochsToScore, LR_GRID, runKey, summarizeRun, testEpochGrid } from './sweep.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const docsOut = path.join(root, 'docs/results');
const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    seeds: { type: 'string' },
    classes: { type: 'string' },
    lrs: { type: 'string' },
    epochs: { type: 'string' },
    patience: { type: 'string', default: '5' },
    'test-epochs': { type: 'string' },
    n: { type: 'string' },
    'test-size': { type: 'string' },
    'strong-epochs': { type: 'string' },
    'strong-seeds': { type: 'string' },
    'skip-strong': { type: 'boolean', default: false },
    workers: { type: 'string', default: '2' },
    // internal: a child process of --workers (`k/N`), its phase and the stronger source's learning rate
    worker: { type: 'string' },
    phase: { type: 'string' },
    'strong-lr': { type: 'string' },
    out: { type: 'string' },
    cut: { type: 'string', default: path.join(docsOut, 'mahalanobis-ad/records-cut.jsonl') },
    'from-records': { type: 'boolean', default: false },
    'render-cut': { type: 'boolean', default: false },
  },
});
const quick = args.quick;
const nums = (s) => s.split(',').filter(Boolean).map(Number);
const C = {
  seeds: nums(args.seeds ?? (quick ? '0' : '0,1')),
  classes: nums(args.classes ?? (quick ? '0,1' : '0,1,2,3,4,5,6,7,8,9')),
  lrs: nums(args.lrs ?? (quick ? '1e-3,1e-2' : LR_GRID.join(','))),
  epochs: Number(args.epochs ?? (quick ? 3 : 30)),
  patience: Number(args.patience),
  n: Number(args.n ?? (quick ? 250 : 1000)),
  testSize: Number(args['test-size'] ?? (quick ? 1000 : 0)),
  strongEpochs: Number(args['strong-epochs'] ?? (quick ? 1 : 30)),
  strongSeeds: nums(args['strong-seeds'] ?? '0'),
  batch: 32,
};
C.grid = testEpochGrid(C.epochs, args['test-epochs'] ? nums(args['test-epochs']) : undefined);
C.strongSeeds = C.strongSeeds.filter((s) => C.seeds.includes(s));
const out = path.resolve(args.out ?? (quick ? path.join(os.tmpdir(), 'ft-mad-quick') : docsOut));
const log = (m) => process.stderr.write(`${m}\n`);

// The committed page is only ever written by the full configuration.
const full =
  !quick &&
  C.seeds.length >= 2 &&
  C.classes.length === 10 &&
  C.epochs === 30 &&
  C.n === 1000 &&
  C.testSize === 0 &&
  LR_GRID.every((lr) => C.lrs.includes(lr)) &&
  !args['skip-strong'];
if (out === docsOut && !full) {
  log(`[mahalanobis-ad] refusing to write ${docsOut}: this is not the full configuration; pass --out <tmp dir>`);
  process.exit(2);
}
const recordsPath = path.join(out, 'mahalanobis-ad/records.jsonl');
const workerOf = args.worker ? args.worker.split('/').map(Number) : null; // [k, N] in a child
const shardPath = (k) => path.join(out, `mahalanobis-ad/records.w${k}.jsonl`);
const shardFiles = () =>
  fs.existsSync(path.dirname(recordsPath))
    ? fs
        .readdirSync(path.dirname(recordsPath))
        .filter((f) => /^records\.w\d+\.jsonl$/.test(f))
        .map((f) => path.join(path.dirname(recordsPath), f))
    : [];
const WORKERS = Math.max(1, Number(args.workers) || 1);

const readRecords = (file, repair = true) => readRecordsFile(file, { repair, log });
if (args['render-cut']) {
  const cutOnly = readRecords(args.cut, false);
  await writeCharts({ out, ...chartInputsFromRecords(cutOnly) });
  log(`[mahalanobis-ad] redrew the cut run's charts under ${path.join(out, 'mahalanobis-ad')} from ${args.cut}`);
  process.exit(0);
}
const records = readRecords(recordsPath);
const cutRecords = readRecords(args.cut, false);
const have = new Map(records.map((r) => [runKey(r), r]));
/** Moves the children's records (this session's or an interrupted one's) into records.jsonl, in run order. */
async function mergeShards(order = []) {
  const fresh = freshInRunOrder(
    shardFiles().flatMap((f) => readRecords(f)),
    have,
    order,
  );
  if (fresh.length) await writeResults(recordsPath, fresh, { append: true });
  for (const r of fresh) {
    records.push(r);
    have.set(runKey(r), r);
  }
  for (const f of shardFiles()) fs.rmSync(f);
}
// the parent merges an interrupted session's worker records before anything runs; children start after that
if (!workerOf) await mergeShards();
const t00 = performance.now();

const backend = await initBackend();
log(
  `[mahalanobis-ad] backend ${backend.name}${backend.fallbackReason ? ` (fallback: ${backend.fallbackReason})` : ''}`,
);
if (isSlowBackend(backend) && !quick && !args['from-records']) {
  log('[mahalanobis-ad] the pure-JS cpu backend is far too slow for this benchmark; build @ft/tfjs-backend-native');
  process.exit(2);
}
// the user's command: a child's internal flags (--worker, --phase, --strong-lr and their values) left out
const userArgv = process.argv.slice(2).filter((a, i, all) => {
  const internal = (x) => /^--(worker|phase|strong-lr)(=|$)/.test(x);
  return !internal(a) && !(i > 0 && internal(all[i - 1]) && !all[i - 1].includes('='));
});
const command = `node benchmarks/mahalanobis-ad/run.mjs ${userArgv.join(' ')}`.trim();
log(
  `[mahalanobis-ad] ${records.length} records found in ${recordsPath}; config ${JSON.stringify({ ...C, out: path.relative(root, out) || out })}`,
);

/** Appends one record (validated) to the records file, then to memory. */
async function save(arm, dataset, seed, metrics, extra) {
  const rec = resultRecord({ method: 'mahalanobis-ad', arm, dataset, seed, metrics, backend, command, extra });
  await writeResults(workerOf ? shardPath(workerOf[0]) : recordsPath, [rec], { append: true });
  records.push(rec);
  have.set(runKey(rec), rec);
  return rec;
}
const elapsed = () => `${((performance.now() - t00) / 60000).toFixed(1)} min`;

const train = args['from-records'] ? null : await loadFashionMnist({ split: 'train' });
let test = args['from-records'] ? null : await loadFashionMnist({ split: 'test' });
const fullTest = test?.size ?? 10000;
if (test && C.testSize > 0 && C.testSize < test.size) {
  test = subset(test, stratifiedSplit(test.labels, { testSize: C.testSize, seed: 0 }).test);
}

/** A source: its model (BN frozen), the levels, and a factory of fresh in-memory copies. */
async function prepareSource(model) {
  setBnMode(model, 'frozen');
  const json = model.toJSON(null, false);
  const weights = model.getWeights().map((w) => w.clone());
  const fresh = async () => {
    const m = await tfl.models.modelFromJSON({ modelTopology: json });
    m.setWeights(weights);
    setBnMode(m, 'frozen');
    return m;
  };
  return { model, levels: mad.defaultLevels(model), fresh };
}

const sources = {};
const sourceInfo = {};
if (!args['from-records']) {
  const weakEntry = (await listZooModels()).find((e) => e.name === 'mnist-resnet8');
  if (!weakEntry) throw new Error('zoo model mnist-resnet8 is missing (install @ft/zoo)');
  sources.weak = await prepareSource(await loadZooModel('mnist-resnet8'));
  sourceInfo.weak = { ref: 'zoo:mnist-resnet8', entry: weakEntry };
  if (!args['skip-strong']) {
    const s = await strongSource({ root, epochs: C.strongEpochs, log, backend: backend.name });
    sources.strong = await prepareSource(s.model);
    sourceInfo.strong = {
      ref: `cache:${path.relative(root, strongZooDir(root))}/${s.entry.name}`,
      entry: s.entry,
      trainedNow: s.trainedNow,
    };
  }
}

// ---- host helpers --------------------------------------------------------------------------------------------------
/** Pooled features per level of every image of `ds`, as flat rows. */
async function extract(taps, levels, ds) {
  const rows = {};
  const dims = {};
  let off = 0;
  for await (const b of mad.featureBatches(taps, levels, ds, { batchSize: 256 })) {
    for (const l of levels) {
      const t = b.features[l];
      dims[l] = t.shape[1];
      rows[l] ??= new Float32Array(ds.size * dims[l]);
      rows[l].set(t.dataSync(), off * dims[l]);
    }
    off += b.indices.length;
  }
  return { rows, dims };
}
const take = (table, d, idx) => {
  const data = new Float32Array(idx.length * d);
  idx.forEach((r, i) => {
    data.set(table.subarray(r * d, (r + 1) * d), i * d);
  });
  return { rows: idx.length, cols: d, data };
};
const pixels = (ds, idx) => {
  const per = ds.shape[0] * ds.shape[1] * ds.shape[2];
  const data = new Float32Array(idx.length * per);
  idx.forEach((r, i) => {
    ds.copyInto(r, data, i * per);
  });
  return { rows: idx.length, cols: per, data };
};

// ---- phase 1: frozen arms ------------------------------------------------------------------------------------------
async function frozenArms(which) {
  const src = sources[which];
  const ref = sourceInfo[which].ref;
  const todo = [];
  for (const s of C.seeds) {
    for (const c of C.classes) {
      const key = runKey({ arm: 'frozen', dataset: `fashion-mnist/class-${c}`, seed: s, extra: { source: ref } });
      if (!have.has(key)) todo.push({ c, s });
    }
  }
  if (!todo.length) return;
  const t0 = performance.now();
  const splits = todo.map(({ c, s }) => ({
    c,
    s,
    split: oneClassSplit(train.labels, { normal: c, trainSubsample: C.n, valFraction: 0.2, seed: s }),
  }));
  const need = Int32Array.from([...new Set(splits.flatMap((x) => [...x.split.train]))].sort((a, b) => a - b));
  const pos = new Map(Array.from(need, (v, i) => [v, i]));
  const taps = mad.tapModel(src.model, src.levels);
  const trainFeats = await extract(taps, src.levels, subset(train, need));
  const testFeats = await extract(taps, src.levels, test);
  const testRec = Object.fromEntries(
    src.levels.map((l) => [l, { rows: test.size, cols: testFeats.dims[l], data: testFeats.rows[l] }]),
  );
  const testPixels =
    which === 'weak'
      ? pixels(
          test,
          Array.from({ length: test.size }, (_, i) => i),
        )
      : null;
  log(
    `[mahalanobis-ad] frozen ${ref}: features of ${need.length} train + ${test.size} test images in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
  );
  for (const { c, s, split } of splits) {
    const t1 = performance.now();
    const labels = Uint8Array.from(test.labels, (y) => (y === c ? 0 : 1));
    const idx = Array.from(split.train, (i) => pos.get(i));
    const fitRec = Object.fromEntries(src.levels.map((l) => [l, take(trainFeats.rows[l], trainFeats.dims[l], idx)]));
    const lw = await new mad.GaussianAD({ estimator: 'ledoitWolf' }).fit(fitRec);
    const sc = lw.score(testRec);
    const m = { sum: auroc(labels, sc.total) };
    for (const l of src.levels) m[l] = auroc(labels, sc.perLevel[l]);
    m.l2 = auroc(labels, lw.score(testRec, { distance: 'l2' }).total);
    m.sed = auroc(labels, lw.score(testRec, { distance: 'sed' }).total);
    try {
      m.empirical = auroc(
        labels,
        (await new mad.GaussianAD({ estimator: 'empirical' }).fit(fitRec)).score(testRec).total,
      );
    } catch (e) {
      m.empirical = Number.NaN;
      log(`[mahalanobis-ad] empirical covariance failed for class ${c} seed ${s}: ${e.message}`);
    }
    if (testPixels) {
      const raw = await new mad.GaussianAD().fit({ px: pixels(train, Array.from(split.train)) });
      m.raw = auroc(labels, raw.score({ px: testPixels }).total);
    }
    await save('frozen', `fashion-mnist/class-${c}`, s, m, {
      source: ref,
      n: split.train.length,
      testSize: test.size,
      seconds: (performance.now() - t1) / 1000,
    });
    log(
      `[mahalanobis-ad] frozen ${ref} class ${c} seed ${s}: sum ${m.sum.toFixed(4)}${m.raw !== undefined ? `, raw ${m.raw.toFixed(4)}` : ''} (${elapsed()})`,
    );
  }
}

// ---- phases 2 and 3: fine-tuning runs ------------------------------------------------------------------------------
/** Test AUROC of the model's current weights: Gaussians refit on the fit split, then the test set scored. */
async function testAuroc(taps, levels, task) {
  const g = new mad.GaussianAD({ estimator: 'ledoitWolf' });
  for await (const b of mad.featureBatches(taps, levels, task.train, { batchSize: 128 })) g.partialFit(b.features);
  g.finalize();
  const scores = new Float64Array(task.test.size);
  let off = 0;
  for await (const b of mad.featureBatches(taps, levels, task.test, { batchSize: 256 })) {
    const s = g.score(b.features).total;
    scores.set(s, off);
    off += s.length;
  }
  g.dispose();
  return auroc(task.testLabels, scores);
}

/** One fine-tuning run (or its stored record). `stop`: the early stop ends training (only its checkpoint is used). */
async function finetuneRun({ arm, which, c, s, lr, stop = false, note }) {
  const ref = sourceInfo[which]?.ref ?? which;
  const dataset = `fashion-mnist/class-${c}`;
  const key = runKey({ arm, dataset, seed: s, extra: { lr, source: ref } });
  if (have.has(key)) return have.get(key);
  const src = sources[which];
  const task = mad.oneClassTask(train, test, { normalClass: c, trainSubsample: C.n, seed: s });
  const model = await src.fresh();
  const snaps = [];
  const t0 = performance.now();
  const res = await mad.mahalanobisFinetune(model, {
    train: task.train,
    val: task.val,
    levels: src.levels,
    loss: 'mahalanobis',
    epochs: C.epochs,
    lr,
    batchSize: C.batch,
    // the sweep trains every epoch and reads the early stop off the validation history (sweep.mjs)
    patience: stop ? C.patience : null,
    restoreBest: false,
    // the same validation pseudo-anomalies for every learning rate of a (class, seed), so rates compare on one set
    rng: createRng(s).fork(`finetune-fashion-mnist-${c}`),
    onEpoch: () => {
      snaps.push(model.weights.map((w) => tf.keep(tf.clone(w.read()))));
    },
  });
  res.gaussian.dispose();
  const trainSeconds = (performance.now() - t0) / 1000;
  const history = res.history.map((h) => ({ epoch: h.epoch, loss: h.loss, valAUROC: h.valAUROC, seconds: h.seconds }));
  const lastEpoch = history[history.length - 1].epoch;
  const grid = stop ? testEpochGrid(lastEpoch, [0]) : C.grid;
  const { epochs: scoreAt } = epochsToScore(history, grid, C.patience);
  const t1 = performance.now();
  const taps = mad.tapModel(model, src.levels);
  const testAt = {};
  for (const e of scoreAt) {
    model.setWeights(snaps[e]);
    testAt[e] = await testAuroc(taps, src.levels, task);
  }
  const scoreSeconds = (performance.now() - t1) / 1000;
  for (const w of snaps) tf.dispose(w);
  model.dispose();
  const m = summarizeRun(history, testAt, { grid, patience: C.patience });
  const rec = await save(
    arm,
    dataset,
    s,
    { ...m, forgets: m.forgets ? 1 : 0 },
    {
      source: ref,
      lr,
      epochs: C.epochs,
      trainedEpochs: lastEpoch,
      stopped: stop,
      patience: C.patience,
      grid,
      n: task.train.size,
      nVal: task.val.size,
      testSize: task.test.size,
      history,
      testAt,
      trainSeconds,
      scoreSeconds,
      scoredEpochs: scoreAt.length,
      ...(note ? { note } : {}),
    },
  );
  log(
    `[mahalanobis-ad]${workerOf ? ` [w${workerOf[0]}]` : ''} ${arm} ${ref} lr ${lr} class ${c} seed ${s}: frozen ${m.frozen.toFixed(4)} → ES(ep ${m.esEpoch}) ${m.earlyStopped.toFixed(4)}, best-val(ep ${m.bestValEpoch}) ${m.bestVal.toFixed(4)}, last(ep ${lastEpoch}) ${m.last.toFixed(4)}, ρ ${m.rho.toFixed(2)}${m.forgets ? ', forgets' : ''} (train ${trainSeconds.toFixed(0)} s, ${scoreAt.length} test scorings ${scoreSeconds.toFixed(0)} s; ${elapsed()} this process)`,
  );
  return rec;
}

/** The learning rate chosen on validation over every recorded sweep run: the most frequent per-run choice. */
function globalLr() {
  const tally = new Map();
  for (const s of C.seeds) {
    for (const c of C.classes) {
      const runs = C.lrs
        .map((lr) => have.get(runKey(sweepJob(c, s, lr))))
        .filter(Boolean)
        .map((r) => ({ lr: r.extra.lr, valAtEs: r.metrics.valAtEs }));
      if (runs.length !== C.lrs.length) continue;
      const { lr } = chooseLr(runs, C.lrs);
      tally.set(lr, (tally.get(lr) ?? 0) + 1);
    }
  }
  // most chosen; ties to the smaller rate
  return [...tally.entries()].sort((a, b) => b[1] - a[1] || a[0] - b[0])[0]?.[0] ?? null;
}

const WEAK_REF = 'zoo:mnist-resnet8';
const strongRef = (epochs) => `cache:${path.relative(root, strongZooDir(root))}/${strongSourceName(epochs)}`;
/** A run as a job (the fields runKey reads, plus what finetuneRun needs). */
function sweepJob(c, s, lr) {
  return {
    arm: 'sweep',
    dataset: `fashion-mnist/class-${c}`,
    seed: s,
    extra: { lr, source: WEAK_REF },
    which: 'weak',
    c,
    s,
    lr,
  };
}
function strongJob(c, s, lr) {
  const job = { arm: 'strong-ft', dataset: `fashion-mnist/class-${c}`, seed: s, which: 'strong', c, s, lr, stop: true };
  return { ...job, extra: { lr, source: strongRef(C.strongEpochs) }, note: 'lr chosen on validation in the sweep' };
}
/** Every run of a phase, in run order (seed, class, learning rate: a finished seed is a complete sweep). */
function jobsOf(phase, strongLr) {
  if (phase === 'sweep') return C.seeds.flatMap((s) => C.classes.flatMap((c) => C.lrs.map((lr) => sweepJob(c, s, lr))));
  return C.strongSeeds.flatMap((s) => C.classes.map((c) => strongJob(c, s, strongLr)));
}

/**
 * Runs a phase's missing jobs: here when --workers is 1, else in N child processes (every N-th job each, one
 * ft-native thread each unless FT_NATIVE_THREADS is set), whose records are then merged in run order.
 */
async function runPhase(phase, strongLr) {
  const jobs = jobsOf(phase, strongLr);
  const todo = jobs.filter((j) => !have.has(runKey(j)));
  log(`[mahalanobis-ad] ${phase}: ${jobs.length - todo.length} of ${jobs.length} runs recorded, ${todo.length} to go`);
  if (!todo.length) return;
  if (WORKERS === 1 || todo.length === 1) {
    for (const [i, j] of todo.entries()) {
      log(`[mahalanobis-ad] ${phase} run ${i + 1}/${todo.length}: class ${j.c} seed ${j.s} lr ${j.lr}`);
      await finetuneRun(j);
    }
    return;
  }
  const n = Math.min(WORKERS, todo.length);
  const script = fileURLToPath(import.meta.url);
  const codes = await Promise.all(
    Array.from({ length: n }, (_, k) => {
      const argv = [script, ...userArgv, '--worker', `${k}/${n}`, '--phase', phase];
      if (strongLr !== undefined) argv.push('--strong-lr', String(strongLr));
      const env = { ...process.env, FT_NATIVE_THREADS: process.env.FT_NATIVE_THREADS ?? '1' };
      const child = spawn(process.execPath, argv, { stdio: ['ignore', 'inherit', 'inherit'], env });
      return new Promise((resolve) => child.on('exit', (code) => resolve(code)));
    }),
  );
  await mergeShards(jobs.map(runKey));
  if (codes.some((c) => c !== 0))
    throw new Error(`a ${phase} worker failed (exit codes ${codes.join(', ')}); re-run to resume`);
}

if (workerOf) {
  // child: this worker's share of the phase's missing jobs, then exit
  const [k, n] = workerOf;
  const jobs = jobsOf(args.phase, Number(args['strong-lr'])).filter((j) => !have.has(runKey(j)));
  const mine = jobs.filter((_, i) => i % n === k);
  for (const [i, j] of mine.entries()) {
    log(`[mahalanobis-ad] [w${k}] ${args.phase} run ${i + 1}/${mine.length}: class ${j.c} seed ${j.s} lr ${j.lr}`);
    await finetuneRun(j);
  }
  process.exit(0);
}

if (!args['from-records']) {
  await frozenArms('weak');
  if (sources.strong) await frozenArms('strong');
  // the children load the sources themselves
  for (const src of Object.values(sources)) src.model.dispose();
  await runPhase('sweep');
  if (sources.strong && C.strongSeeds.length) {
    const lr = globalLr();
    log(
      `[mahalanobis-ad] stronger source: fine-tuned at lr ${lr} (the rate chosen most often on validation in the sweep)`,
    );
    await runPhase('strong', lr);
  }
}

const minutes = (performance.now() - t00) / 60000;
// the committed page is rewritten only from a complete set of runs (never from a partial or empty records file)
if (out === docsOut) {
  const missing = jobsOf('sweep').filter((j) => !have.has(runKey(j))).length;
  const frozenMissing = C.seeds.length * C.classes.length * 2 - records.filter((r) => r.arm === 'frozen').length;
  const strongMissing = C.strongSeeds.length * C.classes.length - records.filter((r) => r.arm === 'strong-ft').length;
  if (missing > 0 || frozenMissing > 0 || strongMissing > 0) {
    log(
      `[mahalanobis-ad] not writing ${docsOut}/mahalanobis-ad.md: ${missing} sweep, ${Math.max(0, frozenMissing)} frozen and ${Math.max(0, strongMissing)} stronger-source runs are missing (run without --from-records to finish them, or pass --out <tmp dir> for a partial page)`,
    );
    process.exit(3);
  }
}
await writePage({
  out,
  records,
  cutRecords,
  config: { ...C, fullTest, quick, full, workers: WORKERS },
  backend,
  command: full ? 'node benchmarks/mahalanobis-ad/run.mjs' : command,
  minutes,
  sourceInfo,
  log,
});
log(`[mahalanobis-ad] wrote ${path.join(out, 'mahalanobis-ad.md')} (${minutes.toFixed(1)} min this session)`);
