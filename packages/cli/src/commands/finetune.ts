import path from 'node:path';
import {
  assertModelFitsData,
  DEFAULT_TRANSFER_LR,
  defineCommand,
  labelBudgetSplit,
  listBackbones,
  loadDatasetSpec,
  loadModelRef,
  saveModel,
  subset,
  TRANSFER_DEFAULTS,
  TRANSFER_METHODS,
  type TransferMethod,
  transferRun,
} from '@ft/core';
import { BATCH_SIZE_OPTION, cliCallbacks, disposeModels, pct } from './shared.js';

/** `ft finetune`: adapts a source model to a labelled target dataset by linear probing, full fine-tuning or from scratch. */
export const finetuneCommand = defineCommand({
  name: 'finetune',
  description: 'Fine-tune a source model on a target dataset (linear-probe | full | scratch) and report test accuracy',
  examples: [
    'ft finetune --method linear-probe --source zoo:mnist-resnet8 --dataset fashion-mnist --labels-per-class 10',
    'ft finetune --method full --labels-per-class 0 --out models/fmnist-full --json',
  ],
  options: {
    method: { type: 'string', description: 'Transfer method', choices: TRANSFER_METHODS, required: true },
    source: {
      type: 'string',
      description: 'Source model: zoo:<name>, a directory, model.json or URL (unused by scratch)',
      default: 'zoo:mnist-resnet8',
    },
    arch: { type: 'string', description: 'Backbone for scratch', default: 'resnet8', choices: listBackbones() },
    dataset: { type: 'string', description: 'Target dataset', default: 'fashion-mnist' },
    'labels-per-class': {
      type: 'number',
      description: 'Class-balanced label budget per class (0 = the full training split)',
      default: 10,
      integer: true,
      min: 0,
    },
    epochs: {
      type: 'number',
      description: 'Epochs over the labelled set',
      default: TRANSFER_DEFAULTS.epochs,
      integer: true,
      min: 1,
    },
    'min-steps': {
      type: 'number',
      description: 'At least this many optimizer steps',
      default: TRANSFER_DEFAULTS.minSteps,
      integer: true,
      min: 0,
    },
    'max-steps': {
      type: 'number',
      description: 'At most this many optimizer steps (0 = no cap)',
      default: 0,
      integer: true,
      min: 0,
    },
    'batch-size': BATCH_SIZE_OPTION,
    lr: {
      type: 'number',
      description: `Peak learning rate (default: ${TRANSFER_METHODS.map((m) => `${DEFAULT_TRANSFER_LR[m]} ${m}`).join(', ')})`,
      exclusiveMin: 0,
    },
    'test-limit': {
      type: 'number',
      description: 'Evaluate on the first N test images only (0 = all)',
      default: 0,
      integer: true,
      min: 0,
    },
    out: { type: 'string', description: 'Save the fine-tuned model to this directory', output: 'dir' },
  },
  async run(ctx) {
    const method = ctx.args.method as TransferMethod;
    const dataset = String(ctx.args.dataset);
    const full = await loadDatasetSpec(dataset, { split: 'train' });
    let test = await loadDatasetSpec(dataset, { split: 'test' });
    const testLimit = Number(ctx.args['test-limit']);
    if (testLimit > 0 && testLimit < test.size)
      test = subset(
        test,
        Array.from({ length: testLimit }, (_, i) => i),
      );
    const perClass = Number(ctx.args['labels-per-class']);
    const train =
      perClass > 0 ? subset(full, labelBudgetSplit(full.labels, { perClass, seed: ctx.seed }).labelled) : full;
    const source = method === 'scratch' ? null : await loadModelRef(String(ctx.args.source));
    let model: Awaited<ReturnType<typeof transferRun>>['model'] | undefined;
    try {
      if (source) assertModelFitsData(source, train.shape, dataset);
      ctx.log(`finetune ${method} on ${dataset}: ${train.size} labelled images, backend ${ctx.backend.name}`);
      const maxSteps = Number(ctx.args['max-steps']);
      const r = await transferRun({
        method,
        source,
        arch: String(ctx.args.arch),
        train,
        test,
        epochs: Number(ctx.args.epochs),
        minSteps: Number(ctx.args['min-steps']),
        ...(maxSteps > 0 ? { maxSteps } : {}),
        batchSize: Number(ctx.args['batch-size']),
        ...(ctx.args.lr !== undefined ? { lr: Number(ctx.args.lr) } : {}),
        rng: ctx.rng,
        signal: ctx.signal,
        callbacks: cliCallbacks(ctx),
      });
      model = r.model;
      let out: string | undefined;
      if (ctx.args.out) {
        // transferRun's fit has checked the weights after the last step: diverged weights never reach this save
        out = path.resolve(String(ctx.args.out));
        await saveModel(r.model, out);
      }
      return {
        method,
        dataset,
        labelsPerClass: perClass > 0 ? perClass : 'all',
        trainSize: r.trainSize,
        testSize: r.test.n,
        steps: r.steps,
        testAccuracy: r.test.accuracy,
        testAccuracyPct: pct(r.test.accuracy),
        seconds: Math.round(r.ms / 100) / 10,
        backend: ctx.backend.name,
        seed: ctx.seed,
        ...(out ? { out } : {}),
      };
    } finally {
      disposeModels(source, model);
    }
  },
});
