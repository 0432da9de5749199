import path from 'node:path';
import {
  buildBackbone,
  defineCommand,
  evaluateClassifier,
  InvalidArgumentError,
  listBackbones,
  loadDatasetSpec,
  resolveZooDir,
  saveModel,
  stratifiedSplit,
  subset,
  TRAIN_CLASSIFIER_DEFAULTS,
  trainClassifier,
  writeZooEntry,
  ZOO_NAME_PATTERN,
} from '@ft/core';
import { checkOutputPath } from '../run-cli.js';
import { BATCH_SIZE_OPTION, cliCallbacks, disposeModels, pct } from './shared.js';

/** `ft pretrain`: trains a source classifier (e.g. ResNet-8 on MNIST digits), saves it, optionally into the zoo. */
export const pretrainCommand = defineCommand({
  name: 'pretrain',
  description: 'Train a source classifier on a dataset and save it (optionally as a zoo entry)',
  examples: [
    'ft pretrain --dataset mnist --arch resnet8 --epochs 10 --out models/mnist-resnet8',
    'ft pretrain --dataset mnist --zoo-name mnist-resnet8 --checkpoint-dir ckpt/ --json',
  ],
  options: {
    dataset: { type: 'string', description: 'fashion-mnist | mnist | folder:<dir>', default: 'mnist' },
    arch: { type: 'string', description: 'Backbone name', default: 'resnet8', choices: listBackbones() },
    width: { type: 'number', description: 'Channel-width multiplier', default: 1, exclusiveMin: 0 },
    epochs: {
      type: 'number',
      description: 'Epochs over the training split',
      default: TRAIN_CLASSIFIER_DEFAULTS.epochs,
      integer: true,
      min: 1,
    },
    'batch-size': BATCH_SIZE_OPTION,
    lr: {
      type: 'number',
      description: 'Peak SGD learning rate (warm-up + cosine)',
      default: TRAIN_CLASSIFIER_DEFAULTS.lr,
      exclusiveMin: 0,
    },
    'weight-decay': {
      type: 'number',
      description: 'L2 weight decay on kernels',
      default: TRAIN_CLASSIFIER_DEFAULTS.weightDecay,
      min: 0,
    },
    limit: {
      type: 'number',
      description: 'Use only the first N training images (0 = all)',
      default: 0,
      integer: true,
      min: 0,
    },
    out: { type: 'string', description: 'Directory to save the model to (optional with --zoo-name)', output: 'dir' },
    'zoo-name': {
      type: 'string',
      description: 'Also record the model in the zoo under this name',
      pattern: ZOO_NAME_PATTERN,
      patternHint: 'letters, digits, . _ - (not starting with . _ -)',
    },
    'checkpoint-dir': {
      type: 'string',
      description: 'Write resumable checkpoints here (resumes automatically)',
      output: 'dir',
    },
    'force-resume': {
      type: 'boolean',
      description: 'Resume from --checkpoint-dir even if its run used other settings (dataset, seed, lr, …)',
      default: false,
    },
  },
  async run(ctx) {
    if (!ctx.args.out && !ctx.args['zoo-name'])
      throw new InvalidArgumentError('give --out <dir>, --zoo-name <name>, or both');
    // the zoo folder must be writable before training starts, not after it ends
    if (ctx.args['zoo-name']) checkOutputPath('--zoo-name (zoo folder)', resolveZooDir(), 'dir');
    const dataset = String(ctx.args.dataset);
    const arch = String(ctx.args.arch);
    if (!listBackbones().includes(arch))
      throw new InvalidArgumentError(`unknown --arch "${arch}"; available: ${listBackbones().join(', ')}`);
    let train = await loadDatasetSpec(dataset, { split: 'train' });
    const test = await loadDatasetSpec(dataset, { split: 'test' });
    const limit = Number(ctx.args.limit);
    if (limit > 0 && limit < train.size) {
      // A class-stratified subsample of `limit` images.
      train = subset(train, stratifiedSplit(train.labels, { testSize: limit, seed: ctx.seed }).test);
    }
    const { model } = buildBackbone(arch, {
      inputShape: train.shape,
      numClasses: train.numClasses,
      width: Number(ctx.args.width),
      seed: ctx.seed,
    });
    try {
      ctx.log(`pretrain ${arch} on ${dataset} (${train.size} images) with backend ${ctx.backend.name}`);
      const t0 = performance.now();
      const ckpt = ctx.args['checkpoint-dir'];
      const history = await trainClassifier(model, train, {
        epochs: Number(ctx.args.epochs),
        batchSize: Number(ctx.args['batch-size']),
        lr: Number(ctx.args.lr),
        weightDecay: Number(ctx.args['weight-decay']),
        rng: ctx.rng.fork('pretrain'),
        signal: ctx.signal,
        callbacks: cliCallbacks(ctx),
        ...(ckpt
          ? {
              checkpoint: {
                dir: String(ckpt),
                resume: 'auto' as const,
                forceResume: Boolean(ctx.args['force-resume']),
                // the run fingerprint: resuming with other settings throws ResumeMismatchError
                config: {
                  command: 'pretrain',
                  dataset,
                  arch,
                  width: Number(ctx.args.width),
                  limit,
                  trainSize: train.size,
                  seed: ctx.seed,
                  epochs: Number(ctx.args.epochs),
                  batchSize: Number(ctx.args['batch-size']),
                  lr: Number(ctx.args.lr),
                  weightDecay: Number(ctx.args['weight-decay']),
                },
              },
            }
          : {}),
      });
      const trainSeconds = (performance.now() - t0) / 1000;
      const ev = await evaluateClassifier(model, test, { signal: ctx.signal });
      const out = ctx.args.out ? path.resolve(String(ctx.args.out)) : undefined;
      if (out) await saveModel(model, out);
      const command = `ft pretrain ${process.argv.slice(3).join(' ')}`.trim();
      const zooName = ctx.args['zoo-name'];
      if (zooName) {
        await writeZooEntry({
          model,
          name: String(zooName),
          arch,
          inputShape: train.shape,
          numClasses: train.numClasses,
          trainingData: `${dataset} train split (${train.size} images), seed ${ctx.seed}, ${ctx.args.epochs} epochs`,
          accuracy: ev.accuracy,
          command,
          backend: ctx.backend.name,
        });
      }
      const last = history.epochs[history.epochs.length - 1];
      return {
        dataset,
        arch,
        trainSize: train.size,
        epochs: history.epochs.length,
        trainLoss: last?.loss,
        testAccuracy: ev.accuracy,
        testAccuracyPct: pct(ev.accuracy),
        trainSeconds: Math.round(trainSeconds * 10) / 10,
        ...(out ? { out } : {}),
        ...(zooName ? { zoo: String(zooName) } : {}),
        backend: ctx.backend.name,
        seed: ctx.seed,
      };
    } finally {
      disposeModels(model);
    }
  },
});
