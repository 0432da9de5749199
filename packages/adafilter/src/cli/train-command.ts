/**
 * `ft adafilter train` and `ft adafilter eval`: AdaFilter and its baselines from a zoo or saved model on a dataset the
 * CLI can load (Fashion-MNIST, MNIST, an image folder), with K labels per class of which a part validates (core
 * `budgetSplit`). The test split is scored once at the end and never used for selection.
 */
import fs from 'node:fs';
import path from 'node:path';
import {
  assertModelFitsData,
  budgetSplit,
  datasetHasTestSplit,
  datasetSpec,
  defineCommand,
  EVAL_COMMAND_OPTIONS,
  evaluateClassifier,
  FEW_LABEL_TRAIN_OPTIONS,
  firstImages,
  fitProgress,
  type ImageDataset,
  isLayersModel,
  loadDatasetSpec,
  loadModelRef,
  perClassAccuracy,
  saveModel,
  type Trainable,
} from '@ft/core';
import { AdaFilterNet } from '../net/adafilter-net.js';
import { loadAdaFilter, saveAdaFilter } from '../net/save-load.js';
import { gateStats } from '../train/gate-stats.js';
import { ADAFILTER_METHODS, ADAFILTER_TRAIN_DEFAULTS, type AdaFilterMethod, trainAdaFilter } from '../train/train.js';

const D = ADAFILTER_TRAIN_DEFAULTS;
const round = (x: number, d = 4) => Math.round(x * 10 ** d) / 10 ** d;

/** Accuracy (and, for an AdaFilter network, gate statistics) of `model` on `ds`. */
async function score(model: Trainable, ds: ImageDataset, signal: AbortSignal) {
  if (!(model instanceof AdaFilterNet)) {
    const e = await evaluateClassifier(model, ds, { signal });
    return { accuracy: e.accuracy, perClassAccuracy: e.perClassAccuracy };
  }
  // one evaluation pass gives both the predictions and the gates
  const g = await gateStats(model, ds, { signal });
  return {
    accuracy: g.accuracy,
    perClassAccuracy: Array.from(perClassAccuracy(ds.labels, g.predictions)),
    fineTunedFraction: round(g.fineTunedFraction),
    gates: Object.fromEntries(g.layers.map((l, i) => [l, round(g.perLayerMean[i] as number)])),
    gateClassVariance: Object.fromEntries(g.layers.map((l, i) => [l, round(g.perLayerClassVariance[i] as number, 6)])),
  };
}

/** `ft adafilter train`. */
export const trainCommand = defineCommand({
  group: 'adafilter',
  name: 'train',
  description:
    'Fine-tune a pre-trained CNN with AdaFilter (per-example filter gates) or a baseline → { testAccuracy, valAccuracy, fineTunedFraction, … }',
  examples: [
    'ft adafilter train --source zoo:mnist-resnet8 --dataset fashion-mnist --labels-per-class 100 --method adafilter --epochs 30 --seed 0 --out runs/af',
    'ft adafilter train --source zoo:mnist-resnet8 --dataset fashion-mnist --labels-per-class 10 --method finetune --epochs 30 --json',
  ],
  options: {
    ...FEW_LABEL_TRAIN_OPTIONS,
    method: { type: 'string', description: 'Method', choices: ADAFILTER_METHODS, default: 'adafilter' },
    epochs: {
      type: 'number',
      description: 'Epochs over the labelled images',
      default: D.epochs,
      integer: true,
      min: 1,
    },
    'batch-size': { type: 'number', description: 'Batch size', default: D.batchSize, integer: true, min: 1 },
    lr: { type: 'number', description: 'Peak learning rate (warm-up + cosine)', default: D.lr, exclusiveMin: 0 },
    'gate-lr-mult': {
      type: 'number',
      description: 'Learning-rate multiplier of the gate',
      default: 1,
      exclusiveMin: 0,
    },
    'weight-decay': {
      type: 'number',
      description: 'Weight decay on kernels (not BN or biases; none for l2sp)',
      default: D.weightDecay,
      min: 0,
    },
    tau: { type: 'number', description: 'Gumbel-Softmax temperature τ', default: 5, exclusiveMin: 0 },
    'random-rate': {
      type: 'number',
      description: 'P(fine-tuned filter) of random-gates (e.g. the learned rate of an AdaFilter run)',
      default: D.randomRate,
      min: 0,
      max: 1,
    },
    'l2sp-alpha': { type: 'number', description: 'α of l2sp (pull towards the source)', default: D.l2sp.alpha, min: 0 },
    'l2sp-beta': { type: 'number', description: 'β of l2sp (L2 on the head)', default: D.l2sp.beta, min: 0 },
    out: { type: 'string', description: 'Save the trained model and run.json here', output: 'dir' },
  },
  async run(ctx) {
    const a = ctx.args;
    const spec = datasetSpec(String(a.dataset));
    const full = await loadDatasetSpec(spec, { split: 'train' });
    const source = await loadModelRef(String(a.source));
    try {
      assertModelFitsData(source, full.shape, `${a.dataset} (train)`);
      const split = budgetSplit(
        full,
        {
          labelsPerClass: Number(a['labels-per-class']),
          seed: ctx.seed,
          ...(a['val-per-class'] !== undefined ? { valPerClass: Number(a['val-per-class']) } : {}),
        },
        'adafilter train',
      );
      const test = datasetHasTestSplit(spec)
        ? firstImages(await loadDatasetSpec(spec, { split: 'test' }), Number(a['test-limit']))
        : undefined;
      if (!test) ctx.log(`adafilter train: ${a.dataset} has no test/ split; reporting validation accuracy only`);
      const method = String(a.method) as AdaFilterMethod;
      const epochs = Number(a.epochs);
      const batchSize = Math.min(Number(a['batch-size']), split.labeled.size);
      ctx.log(
        `adafilter train: ${method} on ${a.dataset}: ${split.labeled.size} labelled, ${split.validation.size} validation, ${epochs} epochs (backend ${ctx.backend.name})`,
      );
      const progress = fitProgress(ctx, epochs * Math.ceil(split.labeled.size / batchSize), `adafilter ${method}`);
      const checkpointDir = a['checkpoint-dir'] ? path.resolve(String(a['checkpoint-dir'])) : undefined;
      const r = await trainAdaFilter({
        method,
        source,
        numClasses: full.numClasses,
        train: split.labeled,
        probe: split.validation,
        epochs,
        batchSize,
        lr: Number(a.lr),
        lrMult: { gate: Number(a['gate-lr-mult']) },
        weightDecay: Number(a['weight-decay']),
        randomRate: Number(a['random-rate']),
        l2sp: { alpha: Number(a['l2sp-alpha']), beta: Number(a['l2sp-beta']) },
        adafilter: { gate: { tau: Number(a.tau) } },
        seed: ctx.seed,
        signal: ctx.signal,
        callbacks: [progress],
        log: (m) => ctx.log(m),
        ...(checkpointDir
          ? { checkpoint: { dir: checkpointDir, every: 'epoch' as const, resume: 'auto' as const } }
          : {}),
      });
      progress.finish();
      try {
        const val = await score(r.model, split.validation, ctx.signal);
        const tst = test ? await score(r.model, test, ctx.signal) : undefined;
        const trainAcc = (await evaluateClassifier(r.model, split.labeled)).accuracy;
        const summary = {
          method,
          testAccuracy: tst?.accuracy ?? null,
          valAccuracy: val.accuracy,
          trainAccuracy: trainAcc,
          ...(tst && 'fineTunedFraction' in tst
            ? { fineTunedFraction: tst.fineTunedFraction, gates: tst.gates, gateClassVariance: tst.gateClassVariance }
            : 'fineTunedFraction' in val
              ? { fineTunedFraction: val.fineTunedFraction, gates: val.gates }
              : {}),
          epochs,
          labeled: split.labeled.size,
          validation: split.validation.size,
          seconds: round(r.trainSeconds, 1),
          backend: ctx.backend.name,
          seed: ctx.seed,
        };
        let out: string | undefined;
        if (a.out) {
          out = path.resolve(String(a.out));
          if (r.model instanceof AdaFilterNet) await saveAdaFilter(r.model, out);
          else if (isLayersModel(r.model)) await saveModel(r.model, out);
          fs.writeFileSync(
            path.join(out, 'run.json'),
            `${JSON.stringify({ ...summary, history: r.history.epochs.map((e) => ({ epoch: e.epoch, loss: e.loss })), gateTrace: r.gateTrace ?? null })}\n`,
          );
        }
        return { ...summary, ...(out ? { out } : {}) };
      } finally {
        r.model.dispose();
      }
    } finally {
      source.dispose();
    }
  },
});

/** True when `dir` holds an AdaFilter network written by `saveAdaFilter`. */
function isAdaFilterDir(dir: string): boolean {
  const f = path.join(dir, 'weights.json');
  if (!fs.existsSync(f) || fs.statSync(f).size > 64 * 1024 * 1024) return false;
  try {
    return JSON.parse(fs.readFileSync(f, 'utf8'))?.meta?.adafilter?.format === 'ft-adafilter';
  } catch {
    return false;
  }
}

/** `ft adafilter eval`. */
export const evalCommand = defineCommand({
  group: 'adafilter',
  name: 'eval',
  description:
    'Test accuracy of a saved model (the --out of ft adafilter train) and, for AdaFilter, its gate statistics → { testAccuracy, fineTunedFraction, gates, … }',
  examples: ['ft adafilter eval --model runs/af --dataset fashion-mnist --json'],
  options: {
    ...EVAL_COMMAND_OPTIONS,
    model: {
      type: 'string',
      description: 'An AdaFilter directory, or zoo:<name> / a model directory / model.json',
      required: true,
    },
  },
  async run(ctx) {
    const spec = datasetSpec(String(ctx.args.dataset));
    const test = firstImages(await loadDatasetSpec(spec, { split: 'test' }), Number(ctx.args.limit));
    const ref = String(ctx.args.model);
    const model: Trainable = isAdaFilterDir(ref) ? await loadAdaFilter(ref) : await loadModelRef(ref);
    try {
      if (isLayersModel(model)) assertModelFitsData(model, test.shape, `${ctx.args.dataset} (test)`);
      const s = await score(model, test, ctx.signal);
      const { accuracy, ...rest } = s;
      return { testAccuracy: accuracy, n: test.size, ...rest };
    } finally {
      (model as { dispose(): void }).dispose();
    }
  },
});
