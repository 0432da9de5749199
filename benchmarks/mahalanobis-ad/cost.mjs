#!/usr/bin/env node
// Unit costs of the issue 17 re-run (run.mjs) and the projected time of the full run, measured in a few minutes:
// one fine-tuning run of --epochs epochs at n = 1,000 (per-epoch cost read at every epoch end), --scorings test
// scorings on the full 10,000-image test set (refit + score), one frozen (class, seed) arm with raw pixels, and one
// epoch of the stronger source's training. Costs are CPU seconds of this process, which runs like one worker
// (FT_NATIVE_THREADS=1 unless set): on an idle core a single-threaded worker's wall time is about its CPU time,
// while on a loaded machine the wall time is not. Writes nothing.
//
//   FT_NATIVE_THREADS=1 node benchmarks/mahalanobis-ad/cost.mjs [--epochs 3] [--scorings 2] [--workers 2]
import { parseArgs } from 'node:util';
import {
  auroc,
  buildBackbone,
  createRng,
  initBackend,
  loadFashionMnist,
  loadMnist,
  loadZooModel,
  setBnMode,
  trainClassifier,
} from '@ft/core';
import * as mad from '@ft/mahalanobis-ad';
import { LR_GRID, projectSeconds, testEpochGrid } from './sweep.mjs';

process.env.FT_NATIVE_THREADS ??= '1';
const { values: args } = parseArgs({
  options: {
    epochs: { type: 'string', default: '3' },
    scorings: { type: 'string', default: '2' },
    workers: { type: 'string', default: '2' },
  },
});
const cpu = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};
const clock = () => performance.now() / 1000;
const log = (m) => process.stderr.write(`${m}\n`);
const backend = await initBackend();
log(`[cost] backend ${backend.name}, threads ${backend.threads ?? process.env.FT_NATIVE_THREADS}`);
const train = await loadFashionMnist({ split: 'train' });
const test = await loadFashionMnist({ split: 'test' });
const task = mad.oneClassTask(train, test, { normalClass: 0, trainSubsample: 1000, seed: 0 });

// fine-tuning epochs
const model = await loadZooModel('mnist-resnet8');
setBnMode(model, 'frozen');
const levels = mad.defaultLevels(model);
const marks = [];
let c0 = cpu();
let w0 = clock();
await mad.mahalanobisFinetune(model, {
  train: task.train,
  val: task.val,
  levels,
  epochs: Number(args.epochs),
  lr: 1e-3,
  patience: null,
  restoreBest: false,
  rng: createRng(0).fork('cost'),
  onEpoch: () => marks.push({ cpu: cpu(), wall: clock() }),
});
const per = marks.slice(1).map((m, i) => ({ cpu: m.cpu - marks[i].cpu, wall: m.wall - marks[i].wall }));
// the first trained epoch carries warm-up (kernel caches); the steady state is the median of the rest
const steady = (k) => {
  const v = per.map((p) => p[k]).slice(per.length > 1 ? 1 : 0);
  return v.sort((a, b) => a - b)[Math.floor(v.length / 2)];
};
const u = { epoch0: marks[0].cpu - c0, epoch: steady('cpu') };
log(
  `[cost] epoch 0 (refit + validation): ${u.epoch0.toFixed(2)} CPU s; trained epochs (CPU s): ${per.map((p) => p.cpu.toFixed(2)).join(', ')} (wall ${per.map((p) => p.wall.toFixed(2)).join(', ')})`,
);

// test scorings on the full test set
const taps = mad.tapModel(model, levels);
const sc = [];
for (let k = 0; k < Number(args.scorings); k++) {
  c0 = cpu();
  w0 = clock();
  const g = new mad.GaussianAD();
  for await (const b of mad.featureBatches(taps, levels, task.train, { batchSize: 128 })) g.partialFit(b.features);
  g.finalize();
  const s = new Float64Array(task.test.size);
  let off = 0;
  for await (const b of mad.featureBatches(taps, levels, task.test, { batchSize: 256 })) {
    const t = g.score(b.features).total;
    s.set(t, off);
    off += t.length;
  }
  auroc(task.testLabels, s);
  g.dispose();
  sc.push({ cpu: cpu() - c0, wall: clock() - w0 });
}
u.scoring = Math.min(...sc.map((x) => x.cpu));
log(
  `[cost] test scoring (refit 800 + ${task.test.size} images): ${sc.map((x) => `${x.cpu.toFixed(2)} CPU s / ${x.wall.toFixed(2)} wall s`).join(', ')}`,
);

// one frozen arm: the Gaussians of the features (already extracted in the run) and the raw-pixel Gaussian at 10,000
c0 = cpu();
const px = (ds) => {
  const per1 = 28 * 28;
  const data = new Float32Array(ds.size * per1);
  for (let i = 0; i < ds.size; i++) ds.copyInto(i, data, i * per1);
  return { rows: ds.size, cols: per1, data };
};
const raw = await new mad.GaussianAD().fit({ px: px(task.train) });
const rawScore = raw.score({ px: px(task.test) }).total;
auroc(task.testLabels, rawScore);
u.frozenArm = cpu() - c0 + 0.5; // + the feature Gaussians (LW, empirical, L2, SED on ≤ 64-dimensional levels)
c0 = cpu();
for await (const b of mad.featureBatches(taps, levels, task.test, { batchSize: 256 })) b.indices.length;
u.features = ((cpu() - c0) * 26000) / task.test.size; // 16,000 train + 10,000 test images per source
log(
  `[cost] frozen arm ≈ ${u.frozenArm.toFixed(2)} CPU s (raw pixels dominate); feature extraction ≈ ${u.features.toFixed(1)} CPU s per source`,
);

// one epoch of the stronger source's training
const mnist = await loadMnist({ split: 'train' });
const { model: src } = buildBackbone('resnet8', { inputShape: mnist.shape, numClasses: mnist.numClasses, seed: 0 });
c0 = cpu();
w0 = clock();
await trainClassifier(src, mnist, { epochs: 1, rng: createRng(0).fork('pretrain') });
u.pretrainEpoch = cpu() - c0;
log(
  `[cost] pretraining: one epoch on ${mnist.size} digits ${u.pretrainEpoch.toFixed(1)} CPU s / ${(clock() - w0).toFixed(1)} wall s`,
);
src.dispose();
model.dispose();

const grid = testEpochGrid(30);
const p = projectSeconds(u, {
  runs: 20 * LR_GRID.length,
  epochs: 30,
  scoringsPerRun: grid.length + 1, // + the early-stopped / best-validation checkpoints off the grid, about one a run
  strongRuns: 10,
  strongEpochs: 30,
  strongTrainedEpochs: 15, // the early stop ends the stronger source's runs (patience 5)
  frozenArms: 21, // 20 (class, seed) arms with raw pixels; the stronger source's 20 have none (≈ 0.5 s each)
  workers: Number(args.workers),
});
const min = (s) => (s / 60).toFixed(0);
process.stdout.write(
  `${JSON.stringify({ units: u, projection: p })}\n` +
    `projected full run on ${args.workers} idle cores: ${min(p.total)} min (sweep + stronger-source fine-tuning ${min(p.parallel)} min across ${args.workers} workers: ${p.sweepRun.toFixed(0)} s per sweep run; frozen arms, features and pretraining ${min(p.serial)} min)\n`,
);
