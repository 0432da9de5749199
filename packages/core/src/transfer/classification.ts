/**
 * Supervised image classification on top of `fit`: the sparse cross-entropy loss, an accuracy metric, a
 * `DataFn` over an `ImageDataset`, and `trainClassifier` / `evaluateClassifier` with sensible defaults
 * (SGD + Nesterov momentum, cosine schedule, coupled weight decay, pad-crop augmentation).
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Augment } from '../augment/types.js';
import { padCrop } from '../augment/weak.js';
import { batches } from '../data/batches.js';
import type { ImageDataset } from '../data/dataset.js';
import { sequential, shuffled } from '../data/samplers.js';
import { EmptyDatasetError, InvalidArgumentError } from '../errors.js';
import { perClassAccuracy } from '../metrics/index.js';
import { isLayersModel, type Trainable } from '../models/module.js';
import { noDecayGroups } from '../models/param-groups.js';
import type { Rng } from '../rng.js';
import type { DataFn, LossFn, MetricFn } from '../train/batch.js';
import type { Callback, History } from '../train/callback.js';
import { evaluate, predict } from '../train/evaluate.js';
import { type CheckpointOptions, fit } from '../train/fit.js';
import type { ParamGroup } from '../train/optimizer.js';
import { cosineAnnealing, linearWarmup } from '../train/schedules.js';
import { sgd } from '../train/sgd.js';

/**
 * Mean softmax cross-entropy from logits and integer labels: L = mean_i [logsumexp(z_i) − z_{i,y_i}].
 * @param yTrue int32 labels [N]; @param logits [N, C].
 */
export const sparseCrossEntropy: LossFn = (yTrue, logits) =>
  tf.tidy(() => {
    const numClasses = logits.shape[logits.shape.length - 1];
    return tf.losses.softmaxCrossEntropy(
      tf.oneHot(tf.cast(yTrue, 'int32') as tf.Tensor1D, numClasses),
      logits,
    ) as tf.Scalar;
  });

/** Fraction of rows whose argmax equals the integer label (a `MetricFn` for `fit`/`evaluate`). */
export const sparseAccuracy: MetricFn = (yTrue, logits) =>
  tf.tidy(() => tf.mean(tf.cast(tf.equal(tf.argMax(logits, -1), tf.cast(yTrue, 'int32')), 'float32')) as tf.Scalar);

/** Options of {@link imageDataFn}. */
export interface ImageDataFnOptions {
  batchSize: number;
  /** Shuffle every epoch (default true). */
  shuffle?: boolean;
  /** Augmentation applied to each batch (default none). */
  augment?: Augment;
  /** Drop a last partial batch (default false). */
  dropLast?: boolean;
}

/** A `fit` data function over an image dataset: shuffled, optionally augmented NHWC batches, deterministic in the RNG. */
export function imageDataFn(ds: ImageDataset, opts: ImageDataFnOptions): DataFn {
  if (ds.size === 0) throw new EmptyDatasetError('imageDataFn: the training dataset is empty');
  return (_epoch, rng) =>
    batches(ds, {
      batchSize: opts.batchSize,
      sampler: opts.shuffle === false ? sequential() : shuffled(),
      rng,
      dropLast: opts.dropLast ?? false,
      ...(opts.augment ? { transform: opts.augment } : {}),
    });
}

/**
 * Defaults of {@link trainClassifier}, defined once here: the CLI shows them in `--help` and callers that do not set
 * an option pass `undefined` through.
 */
export const TRAIN_CLASSIFIER_DEFAULTS = Object.freeze({
  /** Epochs over the training set. */
  epochs: 10,
  /** Batch size (capped at the dataset size). */
  batchSize: 128,
  /** Peak learning rate of SGD. */
  lr: 0.05,
  /** SGD momentum (Nesterov). */
  momentum: 0.9,
  /** Coupled L2 weight decay on kernels. */
  weightDecay: 5e-4,
});

/** Options of {@link trainClassifier}. */
export interface TrainClassifierOptions {
  /** Total optimizer steps (overrides `epochs`). */
  steps?: number;
  /** Epochs over the training set (default 10). */
  epochs?: number;
  /** Batch size (default 128, capped at the dataset size). */
  batchSize?: number;
  /** Peak learning rate of SGD (default 0.05). */
  lr?: number;
  /** SGD momentum, Nesterov when > 0 (default 0.9; 0 is plain SGD). */
  momentum?: number;
  /** Coupled L2 weight decay on kernels; none on BN and biases (default 5e-4). */
  weightDecay?: number;
  /** Linear warm-up steps before the cosine decay (default 5% of the steps). */
  warmupSteps?: number;
  /** Augmentation (default pad-crop by 2 pixels; `null` for none). */
  augment?: Augment | null;
  rng: Rng;
  signal?: AbortSignal;
  callbacks?: Callback[];
  /**
   * Checkpoints of the `fit` run. Its run fingerprint (`config`) always includes the settings above (train size,
   * batch size, steps, lr, momentum, weight decay, warm-up, augmentation), merged under the caller's `config`.
   */
  checkpoint?: CheckpointOptions;
  log?: (msg: string) => void;
  /**
   * Parameter groups (per-group lr multiplier / weight decay), e.g. AdaFilter's filters, gate and head. Default for
   * a LayersModel: BN and biases without weight decay; for a `Module`: every trainable variable with the optimizer's
   * settings.
   */
  groups?: ParamGroup[];
  /** Extra loss term added to the cross-entropy, e.g. an L2-SP regulariser: `(model) => scalar`. */
  extraLoss?: (model: Trainable) => tf.Scalar;
}

/**
 * Trains a classifier (logits output) with SGD + Nesterov momentum and a warm-up + cosine schedule
 * (lr_t = lr · (1 + cos(π t/T))/2 after warm-up).
 * Only trainable weights move: freeze layers beforehand for linear probing. Trains a tfjs-layers model or a custom
 * `Module` (whose `apply` gets the step's RNG).
 * @returns the `fit` history.
 */
export async function trainClassifier(
  model: Trainable,
  train: ImageDataset,
  opts: TrainClassifierOptions,
): Promise<History> {
  if (train.size === 0) throw new EmptyDatasetError('trainClassifier: the training dataset is empty');
  const D = TRAIN_CLASSIFIER_DEFAULTS;
  const batchSize = Math.min(opts.batchSize ?? D.batchSize, train.size);
  const stepsPerEpoch = Math.ceil(train.size / batchSize);
  const steps = opts.steps ?? (opts.epochs ?? D.epochs) * stepsPerEpoch;
  if (!(steps > 0)) throw new InvalidArgumentError(`trainClassifier: steps must be > 0, got ${steps}`);
  const lr = opts.lr ?? D.lr;
  const warmup = opts.warmupSteps ?? Math.floor(0.05 * steps);
  const schedule =
    warmup > 0
      ? linearWarmup(cosineAnnealing({ lr, T: steps }), { warmupSteps: warmup })
      : cosineAnnealing({ lr, T: steps });
  const groups = opts.groups ?? (isLayersModel(model) ? noDecayGroups(model) : []);
  const momentum = opts.momentum ?? D.momentum;
  const weightDecay = opts.weightDecay ?? D.weightDecay;
  // Nesterov needs momentum: at momentum 0 the update is plain SGD (what Nesterov with m = 0 would be).
  const optimizer = sgd({ lr, momentum, nesterov: momentum > 0, weightDecay });
  const augment = opts.augment === undefined ? padCrop({ pad: 2 }) : (opts.augment ?? undefined);
  try {
    return await fit(model, {
      data: imageDataFn(train, { batchSize, ...(augment ? { augment } : {}) }),
      loss: sparseCrossEntropy,
      optimizer,
      ...(groups.length > 0 ? { groups } : {}),
      ...(opts.extraLoss ? { extraLoss: opts.extraLoss } : {}),
      schedule,
      steps,
      epochs: Math.ceil(steps / stepsPerEpoch),
      rng: opts.rng,
      metrics: { acc: sparseAccuracy },
      ...(opts.signal ? { signal: opts.signal } : {}),
      ...(opts.callbacks ? { callbacks: opts.callbacks } : {}),
      ...(opts.checkpoint
        ? {
            checkpoint: {
              ...opts.checkpoint,
              // the settings trainClassifier knows define the run too; the caller's keys (dataset, seed…) win
              config: {
                trainSize: train.size,
                batchSize,
                steps,
                lr,
                momentum,
                weightDecay,
                warmupSteps: warmup,
                augment: opts.augment === undefined ? 'padCrop(2)' : opts.augment ? 'custom' : 'none',
                ...(opts.checkpoint.config ?? {}),
              },
            },
          }
        : {}),
      ...(opts.log ? { log: opts.log } : {}),
    });
  } finally {
    optimizer.dispose();
  }
}

/** Result of {@link evaluateClassifier}. */
export interface ClassifierEvaluation {
  accuracy: number;
  loss: number;
  n: number;
  perClassAccuracy: number[];
}

/**
 * Test accuracy, mean cross-entropy and per-class accuracy of a logits classifier on `ds` (inference mode).
 * Throws `NonFiniteValueError` when the logits or the loss are NaN/±Inf (see `evaluate`), and the signal's reason
 * when `signal` is aborted (checked between batches).
 */
export async function evaluateClassifier(
  model: Trainable,
  ds: ImageDataset,
  opts: { batchSize?: number; signal?: AbortSignal } = {},
): Promise<ClassifierEvaluation> {
  if (ds.size === 0) throw new EmptyDatasetError('evaluateClassifier: the evaluation dataset is empty');
  const batchSize = opts.batchSize ?? 256;
  const source = () => batches(ds, { batchSize, sampler: sequential() });
  const m = await evaluate(
    model,
    source,
    { loss: sparseCrossEntropy, accuracy: sparseAccuracy },
    opts.signal ? { signal: opts.signal } : {},
  );
  const logits = await predict(model, source, opts.signal ? { signal: opts.signal } : {});
  const pred = tf.tidy(() => tf.argMax(logits, -1));
  const yHat = Array.from(await pred.data());
  pred.dispose();
  logits.dispose();
  return {
    accuracy: m.accuracy,
    loss: m.loss,
    n: ds.size,
    perClassAccuracy: Array.from(perClassAccuracy(ds.labels, yHat)),
  };
}
