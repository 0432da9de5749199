/**
 * The three standard ways to reuse a pre-trained source classifier on a new labelled target task, as
 * compared throughout the transfer-learning literature (e.g. Kornblith et al., "Do Better ImageNet Models
 * Transfer Better?", CVPR 2019):
 * - `linear-probe`: freeze the whole backbone (weights and BatchNorm statistics) and train a new linear head
 *   on its penultimate features;
 * - `full`: replace the head and fine-tune every layer from the source weights, with a smaller learning rate;
 * - `scratch`: the same architecture, randomly initialised, trained on the target data only.
 */
import type * as tfl from '@tensorflow/tfjs-layers';
import type { ImageDataset } from '../data/dataset.js';
import { InvalidArgumentError } from '../errors.js';
import { freeze, setBnMode } from '../models/freeze.js';
import { buildBackbone } from '../models/registry.js';
import { replaceHead } from '../models/replace-head.js';
import { createRng, type Rng, rngSeed } from '../rng.js';
import type { Callback, History } from '../train/callback.js';
import {
  type ClassifierEvaluation,
  evaluateClassifier,
  TRAIN_CLASSIFIER_DEFAULTS,
  trainClassifier,
} from './classification.js';

/** How the source model is reused. */
export type TransferMethod = 'linear-probe' | 'full' | 'scratch';

/** Every transfer method, in table order. */
export const TRANSFER_METHODS: readonly TransferMethod[] = ['linear-probe', 'full', 'scratch'];

/** Default peak learning rates per method (SGD, Nesterov momentum 0.9, batch 128). */
export const DEFAULT_TRANSFER_LR: Readonly<Record<TransferMethod, number>> = {
  'linear-probe': 0.1,
  full: 0.01,
  scratch: 0.05,
};

/**
 * Step-budget defaults of {@link transferRun} / {@link transferSteps}, defined once here (the batch size and the
 * optimizer settings are {@link TRAIN_CLASSIFIER_DEFAULTS}).
 */
export const TRANSFER_DEFAULTS = Object.freeze({
  /** Epochs over the labelled set. */
  epochs: 30,
  /** Lower bound on optimizer steps (for tiny label budgets). */
  minSteps: 200,
});

/** Options of {@link prepareTransferModel}. */
export interface PrepareTransferOptions {
  method: TransferMethod;
  numClasses: number;
  /** Backbone registry name, required for `scratch`. */
  arch?: string;
  /** Input shape for `scratch` (default: the source model's). */
  inputShape?: [number, number, number];
  /** Seed of the new head / the scratch initialisation (a number, or a stream name from `rngSeed`). */
  seed: number | string;
}

/**
 * Builds the model a transfer method trains: a new `logits` head on the source's `penultimate` tap (frozen
 * backbone and BN statistics for `linear-probe`), or a fresh backbone for `scratch`.
 * @param source the pre-trained classifier (its layers are shared, not copied: do not reuse it afterwards).
 */
export function prepareTransferModel(source: tfl.LayersModel | null, opts: PrepareTransferOptions): tfl.LayersModel {
  if (opts.method === 'scratch') {
    const inputShape =
      opts.inputShape ?? (source ? (source.inputs[0].shape.slice(1) as [number, number, number]) : undefined);
    if (!opts.arch)
      throw new InvalidArgumentError('transfer method "scratch" needs `arch` (a registered backbone name)');
    return buildBackbone(opts.arch, {
      numClasses: opts.numClasses,
      seed: opts.seed,
      ...(inputShape ? { inputShape } : {}),
    }).model;
  }
  if (!source) throw new InvalidArgumentError(`transfer method "${opts.method}" needs a source model`);
  const model = replaceHead(source, { numClasses: opts.numClasses, seed: opts.seed });
  if (opts.method === 'linear-probe') {
    freeze(model, { predicate: (l) => l.name !== 'logits' });
    setBnMode(model, 'frozen');
  } else if (opts.method === 'full') {
    setBnMode(model, 'train');
  } else {
    throw new InvalidArgumentError(`unknown transfer method "${opts.method}"; expected linear-probe, full or scratch`);
  }
  return model;
}

/** Options of {@link transferRun}. */
export interface TransferRunOptions {
  method: TransferMethod;
  /** Source model (ignored by `scratch` except for its input shape). */
  source: tfl.LayersModel | null;
  /** Backbone name used for `scratch`. */
  arch: string;
  train: ImageDataset;
  test: ImageDataset;
  /** Optimizer steps (default: `epochs` passes, at least `minSteps`). */
  steps?: number;
  /** Epochs over the labelled set (default {@link TRANSFER_DEFAULTS}: 30). */
  epochs?: number;
  /** Lower bound on steps for tiny label budgets (default {@link TRANSFER_DEFAULTS}: 200). */
  minSteps?: number;
  /** Upper bound on steps (default unlimited). */
  maxSteps?: number;
  /** Batch size (default {@link TRAIN_CLASSIFIER_DEFAULTS}: 128). */
  batchSize?: number;
  /** Peak learning rate (default {@link DEFAULT_TRANSFER_LR}). */
  lr?: number;
  /** SGD (Nesterov) momentum (default {@link TRAIN_CLASSIFIER_DEFAULTS}`.momentum`, 0.9). */
  momentum?: number;
  /** Coupled L2 weight decay on kernels (default {@link TRAIN_CLASSIFIER_DEFAULTS}`.weightDecay`, 5e-4). */
  weightDecay?: number;
  /** Seed of the run: give `seed` or `rng`, not both. `seed: s` is the same run as `rng: createRng(s)`. */
  seed?: number;
  /**
   * The run's random stream (instead of `seed`). The new head / scratch model is initialised from its name
   * (`rngSeed(rng)`, so `createRng(s)` initialises as seed `s`), and training draws from `rng.fork('finetune-<method>')`.
   */
  rng?: Rng;
  signal?: AbortSignal;
  callbacks?: Callback[];
  log?: (msg: string) => void;
}

/** Result of {@link transferRun}. */
export interface TransferRunResult {
  method: TransferMethod;
  model: tfl.LayersModel;
  history: History;
  test: ClassifierEvaluation;
  steps: number;
  trainSize: number;
  ms: number;
  /**
   * Frees the run's tensors: the trained model, and for `full` and `linear-probe` also the source's layers the model
   * did not take over (its old head). The model shares the source's other layers, so disposing the source itself
   * afterwards fails; after `dispose()` neither model can be used. A `scratch` run leaves the source alone.
   */
  dispose(): void;
}

/** Frees `model` and the layers of `source` that `model` does not share (see {@link TransferRunResult.dispose}). */
function disposeTransferModel(model: tfl.LayersModel, source: tfl.LayersModel | null): void {
  const kept = new Set(model.layers);
  model.dispose();
  for (const layer of source?.layers ?? []) if (!kept.has(layer)) layer.dispose();
}

/** Number of optimizer steps a transfer run takes for `n` labelled samples. */
export function transferSteps(
  n: number,
  opts: { batchSize?: number; epochs?: number; minSteps?: number; maxSteps?: number; steps?: number },
): number {
  if (opts.steps !== undefined) return opts.steps;
  const bs = Math.min(opts.batchSize ?? TRAIN_CLASSIFIER_DEFAULTS.batchSize, n);
  const steps = Math.max(
    opts.minSteps ?? TRANSFER_DEFAULTS.minSteps,
    (opts.epochs ?? TRANSFER_DEFAULTS.epochs) * Math.ceil(n / bs),
  );
  return Math.min(steps, opts.maxSteps ?? Number.POSITIVE_INFINITY);
}

/** The run stream of {@link transferRun}: `rng`, or `createRng(seed)`; exactly one must be given. */
function runRng(opts: Pick<TransferRunOptions, 'seed' | 'rng'>): Rng {
  if ((opts.seed === undefined) === (opts.rng === undefined)) {
    throw new InvalidArgumentError('transferRun: give either seed (a number) or rng (an Rng), not both or neither');
  }
  return opts.rng ?? createRng(opts.seed as number);
}

/**
 * Prepares the model for `method`, trains it on `train` and reports test accuracy. Randomness comes from one
 * stream (`seed` or `rng`): the model initialisation from its name, the training batches and augmentation from
 * `fork('finetune-<method>')`.
 */
export async function transferRun(opts: TransferRunOptions): Promise<TransferRunResult> {
  const t0 = performance.now();
  const rng = runRng(opts);
  const model = prepareTransferModel(opts.source, {
    method: opts.method,
    numClasses: opts.test.numClasses,
    arch: opts.arch,
    inputShape: opts.train.shape,
    seed: rngSeed(rng),
  });
  const steps = transferSteps(opts.train.size, opts);
  const shared = opts.method === 'scratch' ? null : opts.source;
  let history: History;
  let test: ClassifierEvaluation;
  try {
    history = await trainClassifier(model, opts.train, {
      steps,
      ...(opts.batchSize ? { batchSize: opts.batchSize } : {}),
      lr: opts.lr ?? DEFAULT_TRANSFER_LR[opts.method],
      ...(opts.momentum !== undefined ? { momentum: opts.momentum } : {}),
      ...(opts.weightDecay !== undefined ? { weightDecay: opts.weightDecay } : {}),
      rng: rng.fork(`finetune-${opts.method}`),
      ...(opts.signal ? { signal: opts.signal } : {}),
      ...(opts.callbacks ? { callbacks: opts.callbacks } : {}),
      ...(opts.log ? { log: opts.log } : {}),
    });
    test = await evaluateClassifier(model, opts.test, opts.signal ? { signal: opts.signal } : {});
  } catch (e) {
    // The caller never sees the model: free it (and the source's old head) before the error goes up.
    disposeTransferModel(model, shared);
    throw e;
  }
  let disposed = false;
  return {
    method: opts.method,
    model,
    history,
    test,
    steps,
    trainSize: opts.train.size,
    ms: performance.now() - t0,
    dispose() {
      if (disposed) return;
      disposed = true;
      disposeTransferModel(model, shared);
    },
  };
}
