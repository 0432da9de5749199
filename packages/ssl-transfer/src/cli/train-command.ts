/**
 * `ft ssl train` and `ft ssl eval`: semi-supervised transfer from a zoo or saved model to a dataset the CLI can load
 * (Fashion-MNIST, MNIST, an image folder), with the labelled budget, validation hold-out and unlabelled set of
 * `sslSplit`. The test split is scored once at the end and never used for selection.
 */
import fs from 'node:fs';
import path from 'node:path';
import {
  assertModelFitsData,
  datasetHasTestSplit,
  datasetSpec,
  defineCommand,
  EVAL_COMMAND_OPTIONS,
  evaluateClassifier,
  FEW_LABEL_TRAIN_OPTIONS,
  firstImages,
  fitProgress,
  InvalidArgumentError,
  listBackbones,
  loadDatasetSpec,
  loadModelRef,
  saveModel,
} from '@ft/core';
import { SSL_ALGORITHMS, type SslAlgorithm } from '../train/objective.js';
import { sslSplit } from '../train/split.js';
import { SSL_COEF_DEFAULTS, SSL_TRANSFER_DEFAULTS, trainSslTransfer } from '../train/train.js';

const D = SSL_TRANSFER_DEFAULTS;

/** `ft ssl train`. */
export const trainCommand = defineCommand({
  group: 'ssl',
  name: 'train',
  description:
    'Semi-supervised transfer: fine-tune a pre-trained model with few labels and many unlabelled images (supervised, Pseudo-Label, FixMatch, Mean Teacher, ICT; optional AKC and ARC) → { testAccuracy, valAccuracy, … }',
  examples: [
    'ft ssl train --source zoo:mnist-resnet8 --dataset fashion-mnist --labels-per-class 4 --alg fixmatch --akc --arc --iterations 1500 --seed 0 --out runs/fm',
    'ft ssl train --source zoo:mnist-resnet8 --dataset fashion-mnist --labels-per-class 10 --alg supervised --iterations 500 --json',
  ],
  options: {
    ...FEW_LABEL_TRAIN_OPTIONS,
    alg: { type: 'string', description: 'SSL algorithm', choices: SSL_ALGORITHMS, default: 'fixmatch' },
    akc: {
      type: 'boolean',
      description: 'Add AKC (adaptive knowledge consistency with the frozen source)',
      default: false,
    },
    arc: {
      type: 'boolean',
      description: 'Add ARC (adaptive representation consistency, MMD of feature queues)',
      default: false,
    },
    'lambda-kc': { type: 'number', description: 'λ_KC', default: D.akcLambda, min: 0 },
    'lambda-rc': { type: 'number', description: 'λ_RC', default: D.arcLambda, min: 0 },
    ungated: { type: 'boolean', description: 'Ablation: AKC and ARC keep every example (ε = ∞)', default: false },
    init: {
      type: 'string',
      description: 'Start from the source weights or from scratch',
      choices: ['pretrained', 'scratch'],
      default: 'pretrained',
    },
    arch: { type: 'string', description: 'Backbone for --init scratch', choices: listBackbones() },
    iterations: { type: 'number', description: 'Optimizer steps', default: 1000, integer: true, min: 1 },
    'eval-every': { type: 'number', description: 'Validate every N iterations (default T/20)', integer: true, min: 1 },
    'batch-labeled': { type: 'number', description: 'Labelled batch', default: D.batch.labeled, integer: true, min: 1 },
    'batch-unlabeled': {
      type: 'number',
      description: 'Unlabelled batch',
      default: D.batch.unlabeled,
      integer: true,
      min: 1,
    },
    lr: { type: 'number', description: 'Peak learning rate (7/16-cosine decay)', default: D.lr, exclusiveMin: 0 },
    'weight-decay': {
      type: 'number',
      description: 'Weight decay (not on BN or biases)',
      default: D.weightDecay,
      min: 0,
    },
    threshold: {
      type: 'number',
      description: 'Confidence threshold τ (FixMatch, Pseudo-Label)',
      default: D.threshold,
      exclusiveMin: 0,
      max: 1,
    },
    'ssl-coef': {
      type: 'number',
      description: `Weight of the SSL loss (default per alg: ${Object.entries(SSL_COEF_DEFAULTS)
        .map(([k, v]) => `${k} ${v.coef}`)
        .join(', ')})`,
      min: 0,
    },
    ema: {
      type: 'string',
      description: 'EMA teacher for evaluation (auto: on except for supervised)',
      choices: ['auto', 'on', 'off'],
      default: 'auto',
    },
    'unlabeled-limit': {
      type: 'number',
      description: 'Use at most N unlabelled images (0 = all)',
      default: 0,
      integer: true,
      min: 0,
    },
    out: {
      type: 'string',
      description: 'Save the selected model and run.json (curves, gate ratios) here',
      output: 'dir',
    },
  },
  async run(ctx) {
    const a = ctx.args;
    const spec = datasetSpec(String(a.dataset));
    const train = await loadDatasetSpec(spec, { split: 'train' });
    const source = await loadModelRef(String(a.source));
    try {
      assertModelFitsData(source, train.shape, `${a.dataset} (train)`);
      const k = Number(a['labels-per-class']);
      const split = sslSplit(train, {
        labelsPerClass: k,
        seed: ctx.seed,
        ...(a['val-per-class'] !== undefined ? { valPerClass: Number(a['val-per-class']) } : {}),
      });
      const unlabeled = firstImages(split.unlabeled, Number(a['unlabeled-limit']));
      const test = datasetHasTestSplit(spec)
        ? firstImages(await loadDatasetSpec(spec, { split: 'test' }), Number(a['test-limit']))
        : undefined;
      if (!test) ctx.log(`ssl train: ${a.dataset} has no test/ split; reporting validation accuracy only`);
      const alg = String(a.alg) as SslAlgorithm;
      const iterations = Number(a.iterations);
      const ungated = Boolean(a.ungated);
      if (a.init === 'scratch' && !a.arch) throw new InvalidArgumentError('ssl train: --init scratch needs --arch');
      ctx.log(
        `ssl train: ${alg}${a.akc ? '+AKC' : ''}${a.arc ? '+ARC' : ''} on ${a.dataset}: ${split.labeled.size} labelled, ${split.validation.size} validation, ${unlabeled.size} unlabelled, ${iterations} iterations (backend ${ctx.backend.name})`,
      );
      const progress = fitProgress(ctx, iterations, 'ssl train');
      const checkpointDir = a['checkpoint-dir'] ? path.resolve(String(a['checkpoint-dir'])) : undefined;
      const ema = String(a.ema);
      const r = await trainSslTransfer({
        source,
        labeled: split.labeled,
        unlabeled,
        validation: split.validation,
        ...(test ? { test } : {}),
        alg,
        akc: a.akc ? { lambda: Number(a['lambda-kc']), ungated } : false,
        arc: a.arc ? { lambda: Number(a['lambda-rc']), ungated } : false,
        init: a.init === 'scratch' ? 'scratch' : 'pretrained',
        ...(a.arch ? { arch: String(a.arch) } : {}),
        iterations,
        ...(a['eval-every'] !== undefined ? { evalEvery: Number(a['eval-every']) } : {}),
        batch: { labeled: Number(a['batch-labeled']), unlabeled: Number(a['batch-unlabeled']) },
        lr: Number(a.lr),
        weightDecay: Number(a['weight-decay']),
        threshold: Number(a.threshold),
        ...(a['ssl-coef'] !== undefined ? { sslCoef: Number(a['ssl-coef']) } : {}),
        ...(ema === 'auto' ? {} : { ema: ema === 'on' }),
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
        const summary = {
          alg,
          akc: Boolean(a.akc),
          arc: Boolean(a.arc),
          ungated,
          testAccuracy: r.testAccuracy ?? null,
          valAccuracy: r.valAccuracy,
          lastValAccuracy: r.lastValAccuracy,
          selectedStep: r.selectedStep,
          iterations: r.iterations,
          ...(r.akcRatio !== undefined ? { akcRatio: r.akcRatio } : {}),
          ...(r.arcRatio !== undefined ? { arcRatio: r.arcRatio, arcRatioLabeled: r.arcRatioLabeled } : {}),
          ...(r.maskRate !== undefined ? { maskRate: r.maskRate } : {}),
          labeled: split.labeled.size,
          validation: split.validation.size,
          unlabeled: unlabeled.size,
          seconds: Math.round(r.ms / 100) / 10,
          backend: ctx.backend.name,
          seed: ctx.seed,
        };
        let out: string | undefined;
        if (a.out) {
          out = path.resolve(String(a.out));
          await saveModel(r.model, out);
          const nan = (xs: number[]) => xs.map((x) => (Number.isNaN(x) ? null : x));
          const series = Object.fromEntries(Object.entries(r.series).map(([key, xs]) => [key, nan(xs)]));
          fs.writeFileSync(path.join(out, 'run.json'), `${JSON.stringify({ ...summary, curve: r.curve, series })}\n`);
        }
        return { ...summary, ...(out ? { out } : {}) };
      } finally {
        r.dispose();
      }
    } finally {
      source.dispose();
    }
  },
});

/** `ft ssl eval`. */
export const evalCommand = defineCommand({
  group: 'ssl',
  name: 'eval',
  description:
    'Test accuracy of a saved classifier (e.g. the --out of ft ssl train) → { testAccuracy, n, perClassAccuracy }',
  examples: ['ft ssl eval --model runs/fm --dataset fashion-mnist --json'],
  options: {
    ...EVAL_COMMAND_OPTIONS,
  },
  async run(ctx) {
    const spec = datasetSpec(String(ctx.args.dataset));
    const test = firstImages(await loadDatasetSpec(spec, { split: 'test' }), Number(ctx.args.limit));
    const model = await loadModelRef(String(ctx.args.model));
    try {
      assertModelFitsData(model, test.shape, `${ctx.args.dataset} (test)`);
      const e = await evaluateClassifier(model, test, { signal: ctx.signal });
      return { testAccuracy: e.accuracy, n: e.n, perClassAccuracy: e.perClassAccuracy };
    } finally {
      model.dispose();
    }
  },
});
