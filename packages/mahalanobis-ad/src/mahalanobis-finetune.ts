/**
 * Mahalanobis fine-tuning of the backbone with an augmentation-validated early stop.
 *
 * Paper: O. Rippel, A. Chavan, C. Lei, D. Merhof, "Transfer Learning Gaussian Anomaly Detection by Fine-tuning
 * Representations", IMPROVE 2022, arXiv 2108.04116. Certain from the abstract: a multivariate Gaussian is induced
 * for the normal class, the Mahalanobis distance of normal images is the training objective, and VRM augmentations
 * drive a validation scheme that detects the onset of catastrophic forgetting. The full text was not consulted; the
 * reconstruction below is the project's (spec `mahalanobis-ad.md` §Algorithm 7):
 *
 *   L(θ) = (1/B) Σ_i Σ_l M_l(f_l(x_i; θ); μ_l, P_l)          (`loss: 'mahalanobis'`; `'mahalanobis2'` uses M²)
 *
 * with μ_l, P_l **constants** within an epoch and re-fitted (no gradient, Ledoit-Wolf) on the whole training split
 * after every epoch. Re-estimating them inside the batch would make the loss constant: for the 1/n sample
 * covariance the mean M² over that batch equals d (trace identity). BatchNorm keeps its moving statistics (core
 * `setBnMode(model, 'frozen')`: one-class batches would corrupt them); Adam (lr 1e-4) is the default optimiser.
 *
 * Validation: held-out normal images against VRM-augmented copies of them (`pseudoAnomalySet`); after each refit the
 * pseudo-AUROC is measured, epoch 0 being the frozen backbone. The weights with the highest pseudo-AUROC are kept
 * (earliest on ties) and restored at the end: that is the checkpoint before forgetting. With `patience` p, training
 * stops once p epochs pass without improvement. An optional `monitor` set (e.g. the test split) is scored each epoch
 * for curves only; it never influences the selection.
 *
 * Ablations: `'euclidean'` (‖f_l − μ_l‖, i.e. Σ = I, μ refit every epoch) and `'deepsvdd'` (‖f_l − c_l‖² to the
 * centre c_l fixed at the frozen features' mean, Ruff et al., ICML 2018).
 */
import {
  type Augment,
  adam,
  allVariablesOf,
  assertFiniteVariables,
  auroc,
  type Callback,
  EmptyDatasetError,
  fit,
  freeze,
  type ImageDataset,
  InvalidArgumentError,
  type Optimizer,
  type Rng,
  setBnMode,
  shuffled,
  subset,
  type TrainBatch,
  batches as toBatches,
} from '@ft/core';
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import {
  checkImageShape,
  defaultLevels,
  featureBatches,
  gap,
  type InputNorm,
  identityNorm,
  modelInputShape,
  normalizeInput,
  tapModel,
  tapOutputs,
} from './features.js';
import { type CovarianceEstimator, GaussianAD, hostFeatures } from './gaussian-ad.js';
import { pseudoAnomalySetAsync, VAL_AUGMENTS, type ValAugmentName } from './val-augment.js';

/** Training objective of {@link mahalanobisFinetune}. */
export type FinetuneLoss = 'mahalanobis' | 'mahalanobis2' | 'euclidean' | 'deepsvdd';

/** Options of {@link mahalanobisFinetune}. */
export interface MahalanobisFinetuneOptions {
  /** Normal training images: every step's batch and every refit use this whole split. */
  train: ImageDataset;
  /** Held-out normal images for the pseudo-AUROC validation (≥ 2). */
  val: ImageDataset;
  /** Feature levels. Default {@link defaultLevels}. */
  levels?: string[];
  /** Covariance estimator of the refits. Default `'ledoitWolf'`. */
  estimator?: CovarianceEstimator;
  /** Input normalisation. Default identity. */
  inputNorm?: InputNorm;
  /** Objective. Default `'mahalanobis'`. */
  loss?: FinetuneLoss;
  /** Epochs. Default 20. */
  epochs?: number;
  /** Batch size. Default 32. */
  batchSize?: number;
  /** Adam learning rate (when no `optimizer` is given). Default 1e-4. */
  lr?: number;
  /** Optimiser. Default `adam({lr})`. */
  optimizer?: Optimizer;
  /** Validation pseudo-anomaly families or a custom augmentation. Default all of {@link VAL_AUGMENTS}. */
  valAugment?: readonly ValAugmentName[] | Augment;
  /** Stop after this many epochs without a better pseudo-AUROC; `null` trains all epochs. Default 3 (spec). */
  patience?: number | null;
  /** Keep layers up to and including this one frozen (core `freeze({upTo})`). Default none. */
  freezeUpTo?: string;
  /** Restore the best-validation weights at the end. Default true. */
  restoreBest?: boolean;
  /**
   * Further pseudo-anomaly sets scored every epoch for analysis only (e.g. one augmentation family each); their
   * AUROCs go to `FinetuneEpoch.extraValAUROC` and never influence the selection.
   */
  extraValidation?: Record<string, readonly ValAugmentName[] | Augment>;
  /** Scored every epoch for curves only (never used for selection). */
  monitor?: { images: ImageDataset; labels: ArrayLike<number> };
  /** Images per forward pass in refits and scoring. Default 128. */
  evalBatchSize?: number;
  /** Randomness (batch order, pseudo-anomalies). */
  rng: Rng;
  signal?: AbortSignal;
  /** Extra `fit` callbacks (e.g. core `memoryGuard`). */
  callbacks?: Callback[];
  /** Called after every evaluated epoch (epoch 0 = before training). */
  onEpoch?: (e: FinetuneEpoch) => void;
}

/** One evaluated epoch (0 = the frozen backbone). */
export interface FinetuneEpoch {
  epoch: number;
  /** Mean training loss of the epoch (null for epoch 0). */
  loss: number | null;
  /** Pseudo-AUROC: clean vs augmented held-out normals. */
  valAUROC: number;
  /** Pseudo-AUROCs of the `extraValidation` sets (analysis only). */
  extraValAUROC?: Record<string, number>;
  /** AUROC on the monitor set, when given. */
  monitorAUROC?: number;
  /** Wall time of the epoch (training + refit + evaluation) in seconds. */
  seconds: number;
}

/** Result of {@link mahalanobisFinetune}. */
export interface FinetuneResult {
  history: FinetuneEpoch[];
  /** Epoch with the highest pseudo-AUROC (0 = no fine-tuning helped). */
  bestEpoch: number;
  bestValAUROC: number;
  /** Last trained epoch. */
  lastEpoch: number;
  stoppedEarly: boolean;
  /** Gaussians refit on the training split at the returned weights (best, or last without `restoreBest`). */
  gaussian: GaussianAD;
  /** Levels used. */
  levels: string[];
}

async function refit(
  taps: tfl.LayersModel,
  levels: string[],
  ds: ImageDataset,
  estimator: CovarianceEstimator,
  norm: InputNorm,
  batchSize: number,
  signal?: AbortSignal,
): Promise<GaussianAD> {
  const g = new GaussianAD({ estimator });
  for await (const b of featureBatches(taps, levels, ds, { batchSize, inputNorm: norm, signal })) {
    g.partialFit(await hostFeatures(b.features));
  }
  return g.finalize();
}

async function totals(
  taps: tfl.LayersModel,
  levels: string[],
  g: GaussianAD,
  ds: ImageDataset,
  norm: InputNorm,
  batchSize: number,
): Promise<Float64Array> {
  const out = new Float64Array(ds.size);
  let off = 0;
  for await (const b of featureBatches(taps, levels, ds, { batchSize, inputNorm: norm })) {
    const s = g.score(await hostFeatures(b.features)).total;
    out.set(s, off);
    off += s.length;
  }
  return out;
}

/** Clones of every weight of `m` (kept outside any tidy; the caller disposes). */
function snapshot(m: tfl.LayersModel): tf.Tensor[] {
  return m.weights.map((w) => tf.keep(tf.clone(w.read())));
}

/**
 * Fine-tunes `model` in place (see module docs) and returns the per-epoch history, the selected epoch and the
 * Gaussians refit at the returned weights. BatchNorm layers are left frozen. Non-finite weights or features throw
 * `NonFiniteValueError` (checked by `fit` at every epoch end, by the feature stream on every batch, and on the
 * returned weights); `signal` is seen between training steps and feature batches.
 */
export async function mahalanobisFinetune(
  model: tfl.LayersModel,
  opts: MahalanobisFinetuneOptions,
): Promise<FinetuneResult> {
  const { train, val, rng } = opts;
  if (!train || train.size === 0) throw new EmptyDatasetError('mahalanobisFinetune: the normal training set is empty');
  if (train.size < 2) throw new InvalidArgumentError('mahalanobisFinetune: needs at least 2 normal training images');
  if (!val || val.size < 2)
    throw new InvalidArgumentError('mahalanobisFinetune: needs at least 2 held-out normal images');
  const shape = modelInputShape(model);
  checkImageShape(train.shape, shape, 'mahalanobisFinetune(train)');
  checkImageShape(val.shape, shape, 'mahalanobisFinetune(val)');
  if (opts.monitor) checkImageShape(opts.monitor.images.shape, shape, 'mahalanobisFinetune(monitor)');
  const levels = opts.levels ? [...opts.levels] : defaultLevels(model);
  const estimator = opts.estimator ?? 'ledoitWolf';
  const lossKind = opts.loss ?? 'mahalanobis';
  if (!['mahalanobis', 'mahalanobis2', 'euclidean', 'deepsvdd'].includes(lossKind)) {
    throw new InvalidArgumentError(`mahalanobisFinetune: unknown loss '${lossKind}'`);
  }
  const epochs = opts.epochs ?? 20;
  const batchSize = opts.batchSize ?? 32;
  const evalBs = opts.evalBatchSize ?? 128;
  const patience = opts.patience === undefined ? 3 : opts.patience;
  if (!(Number.isInteger(epochs) && epochs >= 0))
    throw new InvalidArgumentError(`mahalanobisFinetune: epochs ${epochs}`);
  if (!(Number.isInteger(batchSize) && batchSize > 0)) {
    throw new InvalidArgumentError(`mahalanobisFinetune: batchSize must be a positive integer, got ${batchSize}`);
  }
  if (patience !== null && !(Number.isInteger(patience) && patience >= 1)) {
    throw new InvalidArgumentError(`mahalanobisFinetune: patience must be a positive integer or null, got ${patience}`);
  }
  const norm = opts.inputNorm ?? identityNorm(shape[2]);
  const restoreBest = opts.restoreBest ?? true;

  setBnMode(model, 'frozen');
  if (opts.freezeUpTo) freeze(model, { upTo: opts.freezeUpTo });
  const taps = tapModel(model, levels);
  // Pseudo-anomaly sets are [clean val; augmented val]: the clean half is shared, so it is scored once per epoch.
  const augmentedHalf = async (fam: readonly ValAugmentName[] | Augment, label: string) => {
    const set = await pseudoAnomalySetAsync(val, fam, rng.fork(label));
    return subset(
      set.images,
      Int32Array.from({ length: val.size }, (_, i) => val.size + i),
    );
  };
  const valAug = await augmentedHalf(opts.valAugment ?? VAL_AUGMENTS, 'val-augment');
  const extraSets: (readonly [string, ImageDataset])[] = [];
  for (const [name, fam] of Object.entries(opts.extraValidation ?? {})) {
    extraSets.push([name, await augmentedHalf(fam, `val-augment-${name}`)]);
  }
  const valLabels = new Uint8Array(2 * val.size).fill(1, val.size);
  const pseudoAuroc = (clean: Float64Array, aug: Float64Array) => {
    const all = new Float64Array(clean.length + aug.length);
    all.set(clean, 0);
    all.set(aug, clean.length);
    return auroc(valLabels, all);
  };

  const history: FinetuneEpoch[] = [];
  let current = await refit(taps, levels, train, estimator, norm, evalBs, opts.signal);
  const centre = lossKind === 'deepsvdd' ? GaussianAD.fromJSON(current.toJSON()) : null;
  let best = {
    epoch: 0,
    val: Number.NEGATIVE_INFINITY,
    weights: [] as tf.Tensor[],
    gaussian: null as GaussianAD | null,
  };
  const evaluate = async (epoch: number, loss: number | null, t0: number) => {
    const clean = await totals(taps, levels, current, val, norm, evalBs);
    const v = pseudoAuroc(clean, await totals(taps, levels, current, valAug, norm, evalBs));
    const rec: FinetuneEpoch = { epoch, loss, valAUROC: v, seconds: 0 };
    if (extraSets.length > 0) {
      rec.extraValAUROC = {};
      for (const [name, set] of extraSets) {
        rec.extraValAUROC[name] = pseudoAuroc(clean, await totals(taps, levels, current, set, norm, evalBs));
      }
    }
    if (opts.monitor) {
      rec.monitorAUROC = auroc(
        opts.monitor.labels,
        await totals(taps, levels, current, opts.monitor.images, norm, evalBs),
      );
    }
    rec.seconds = (performance.now() - t0) / 1000;
    history.push(rec);
    if (v > best.val) {
      tf.dispose(best.weights);
      best = { epoch, val: v, weights: restoreBest ? snapshot(taps) : [], gaussian: current };
    }
    opts.onEpoch?.(rec);
    return rec;
  };
  let t0 = performance.now();
  await evaluate(0, null, t0);

  const kind =
    lossKind === 'mahalanobis2'
      ? 'mahalanobis2'
      : lossKind === 'mahalanobis'
        ? 'mahalanobis'
        : lossKind === 'euclidean'
          ? 'euclidean'
          : 'euclidean2';
  let stoppedEarly = false;
  let lastEpoch = 0;
  if (epochs > 0) {
    const refitCallback: Callback = {
      name: 'mahalanobis-refit',
      onEpochBegin: () => {
        t0 = performance.now();
      },
      onEpochEnd: async (epoch, logs, ctx) => {
        const next = await refit(taps, levels, train, estimator, norm, evalBs, opts.signal);
        // dispose() only releases the tf constants used by the loss; the Float64 Gaussian stays usable.
        current.dispose();
        current = next;
        lastEpoch = epoch + 1;
        await evaluate(epoch + 1, logs.loss, t0);
        if (patience !== null && epoch + 1 - best.epoch >= patience) {
          ctx.stopTraining = true;
          stoppedEarly = epoch + 1 < epochs;
        }
      },
    };
    const optimizer = opts.optimizer ?? adam({ lr: opts.lr ?? 1e-4 });
    try {
      await fit(taps, {
        data: (_epoch: number, r: Rng) => toBatches(train, { batchSize, sampler: shuffled(), rng: r }),
        loss: (_y: tf.Tensor, pred: tf.Tensor) => tf.mean(pred) as tf.Scalar,
        // fit runs this inside tf.tidy / tf.variableGrads; μ and P enter as constants.
        forward: (_m, batch: TrainBatch) => {
          const outs = tapOutputs(taps, normalizeInput(batch.x as tf.Tensor4D, norm), true);
          const target = centre ?? current;
          const ds = levels.map((l, i) => target.distanceTensor(l, gap(outs[i]), kind));
          return ds.length === 1 ? ds[0] : tf.addN(ds);
        },
        optimizer,
        epochs,
        rng: rng.fork('finetune'),
        signal: opts.signal,
        callbacks: [refitCallback, ...(opts.callbacks ?? [])],
        log: () => {},
      });
    } finally {
      // Our own Adam's slots go; a caller's optimizer is the caller's.
      if (!opts.optimizer) optimizer.dispose();
    }
  }
  centre?.dispose();
  let gaussian = current;
  if (restoreBest && best.weights.length > 0 && best.epoch !== lastEpoch) {
    taps.setWeights(best.weights);
    gaussian = best.gaussian as GaussianAD;
  }
  tf.dispose(best.weights);
  current.dispose();
  gaussian.dispose();
  // fit checks the weights at every epoch end; this covers the restored snapshot and an epochs = 0 run too
  await assertFiniteVariables(allVariablesOf(taps), {
    where: 'mahalanobisFinetune',
    step: lastEpoch,
    hint: 'lower the learning rate',
  });
  return {
    history,
    bestEpoch: best.epoch,
    bestValAUROC: best.val,
    lastEpoch,
    stoppedEarly,
    gaussian,
    levels,
  };
}

/**
 * The epoch an early stop with `patience` would select from a full history (the best pseudo-AUROC among the epochs
 * seen until `patience` epochs passed without improvement). Lets one full run report both "last epoch" and
 * "early-stopped" numbers.
 */
export function earlyStopEpoch(history: readonly FinetuneEpoch[], patience: number | null): number {
  let best = -1;
  let bestVal = Number.NEGATIVE_INFINITY;
  for (const h of history) {
    if (h.valAUROC > bestVal) {
      bestVal = h.valAUROC;
      best = h.epoch;
    } else if (patience !== null && h.epoch - best >= patience) break;
  }
  return best;
}
