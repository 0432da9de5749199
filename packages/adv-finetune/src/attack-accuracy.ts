/**
 * `attackAccuracy`: clean accuracy, robust accuracy per attack and the per-example worst case over attacks
 * (AutoAttack's convention: an example counts as robust only if it is classified correctly clean and under every
 * attack and every restart). `evaluateRobustness` adds the gradient-masking sanity checks on top.
 *
 * Robust accuracy of an attack = (1/n) Σ_i 1[f(x_i) = y_i] · 1[f(x'_i) = y_i]: examples misclassified clean are
 * not attacked and count as non-robust (Croce & Hein 2020; RobustBench), so robust ≤ clean always holds. BatchNorm
 * runs in inference mode for every accuracy (the attacks use their own `bnMode`, 'eval' by default).
 */

import {
  batches,
  createRng,
  EmptyDatasetError,
  type ImageDataset,
  InvalidArgumentError,
  isLayersModel,
  NonFiniteValueError,
  type Rng,
  ShapeError,
  sequential,
  subset,
  type Trainable,
  yieldToEventLoop,
} from '@ft/core';
import { checkPositiveInt } from '@ft/core/internal';
import * as tf from '@tensorflow/tfjs-core';
import type { Attack } from './attack.js';
import { correctMask } from './losses.js';
import { logitsOf, resolveOutputKind } from './model-output.js';
import type { PassCounter } from './pass-counter.js';
import { checkClassLabelsAsync, checkImagesAsync, numClassesOf } from './validate.js';

/** Evaluation data: an image dataset (from @ft/core) or tensors `{x: [N, H, W, C] in [0, 1], y: [N] int32}`. */
export type RobustnessData = ImageDataset | { x: tf.Tensor4D; y: tf.Tensor1D };

/** Options of {@link attackAccuracy}. */
export interface AttackAccuracyOptions {
  /** Attacks to run (each on the examples that are correct clean). */
  attacks: readonly Attack[];
  /** Batch size. [256] */
  batchSize?: number;
  /** Random stream (each batch and attack gets its own fork). [createRng(0)] */
  rng?: Rng;
  /** Evaluate on the first `limit` examples only. [all] */
  limit?: number;
  /**
   * `'full'` (default): every attack runs on every clean-correct example, so each per-attack accuracy is exact.
   * `'cascade'`: each attack runs only on examples that survived the previous ones (AutoAttack's shortcut): the
   * worst case is the same, per-attack numbers after the first become upper bounds, and it is cheaper.
   */
  mode?: 'full' | 'cascade';
  /** Counts the attack passes (booked as `evalAttack`). */
  counter?: PassCounter;
  /** Stops between batches when aborted. */
  signal?: AbortSignal;
  /** Progress callback after each batch: (examples done, total). */
  onBatch?: (done: number, total: number) => void;
}

/** Result of {@link attackAccuracy}; accuracies in [0, 1]. */
export interface AttackAccuracyResult {
  /** Clean accuracy. */
  clean: number;
  /** Robust accuracy per attack name (duplicate names get `#2`, `#3`). */
  perAttack: Record<string, number>;
  /** Fraction correct clean and under every attack (per-example worst case). */
  worstCase: number;
  /** Number of examples. */
  n: number;
  /** Forward+backward attack passes spent. */
  passes: number;
  /** Wall time in milliseconds. */
  ms: number;
}

/** One evaluation batch. */
interface EvalBatch {
  x: tf.Tensor4D;
  y: tf.Tensor1D;
  owned: boolean;
}

/** Iterates the data in batches of `batchSize` (first `limit` examples). */
export async function* evalBatches(data: RobustnessData, batchSize: number, limit?: number): AsyncGenerator<EvalBatch> {
  if ('x' in data && data.x instanceof tf.Tensor) {
    const { x, y } = data;
    if (x.rank !== 4) throw new ShapeError(`evaluateRobustness: x must be [N, H, W, C], got [${x.shape}]`);
    if (y.rank !== 1 || y.shape[0] !== x.shape[0]) {
      throw new ShapeError(
        `evaluateRobustness: y has shape [${y.shape}] but x has ${x.shape[0]} examples (mismatched label counts)`,
      );
    }
    const n = Math.min(x.shape[0], limit ?? x.shape[0]);
    for (let i = 0; i < n; i += batchSize) {
      const b = Math.min(batchSize, n - i);
      yield { x: tf.slice(x, i, b), y: tf.slice(y, i, b), owned: true };
    }
    return;
  }
  const ds = data as ImageDataset;
  const n = Math.min(ds.size, limit ?? ds.size);
  const src =
    n < ds.size
      ? subset(
          ds,
          Int32Array.from({ length: n }, (_, i) => i),
        )
      : ds;
  for await (const b of batches(src, { batchSize, sampler: sequential() })) {
    yield { x: b.x, y: b.y, owned: true };
  }
}

/** Number of examples in the data (after `limit`). */
export function dataSize(data: RobustnessData, limit?: number): number {
  const n = 'x' in data && data.x instanceof tf.Tensor ? data.x.shape[0] : (data as ImageDataset).size;
  return Math.min(n, limit ?? n);
}

/**
 * Clean and robust accuracy of `model` under `attacks` (see the file header for the definitions).
 * @param model the classifier (LayersModel or Module) taking [0, 1] inputs.
 * @param data an `ImageDataset` or `{x, y}` tensors.
 * @param opts attacks, batchSize, rng, limit, mode, counter, signal, onBatch.
 * @throws EmptyDatasetError for no examples; ShapeError / InvalidArgumentError for bad inputs, mismatched label
 *   counts, or a dataset whose class count differs from the model's outputs; NonFiniteValueError when the clean
 *   model output of a batch holds NaN/±Inf (a model with non-finite weights has no accuracy). Between batches it
 *   yields to the event loop and checks `signal` (throws its reason).
 */
export async function attackAccuracy(
  model: Trainable,
  data: RobustnessData,
  opts: AttackAccuracyOptions,
): Promise<AttackAccuracyResult> {
  const t0 = performance.now();
  const attacks = opts.attacks ?? [];
  if (!Array.isArray(attacks)) throw new InvalidArgumentError('evaluateRobustness: attacks must be an array');
  const batchSize = checkPositiveInt(opts.batchSize ?? 256, 'batchSize', 'evaluateRobustness');
  if (opts.limit !== undefined) checkPositiveInt(opts.limit, 'limit', 'evaluateRobustness');
  const mode = opts.mode ?? 'full';
  if (mode !== 'full' && mode !== 'cascade') {
    throw new InvalidArgumentError(`evaluateRobustness: mode must be 'full' or 'cascade', got ${String(mode)}`);
  }
  const n = dataSize(data, opts.limit);
  if (n === 0) throw new EmptyDatasetError('evaluateRobustness: the evaluation data has no examples');
  const kind = resolveOutputKind(model, attacks[0]?.output ?? 'auto');
  const classes = tf.tidy(() => {
    if (isLayersModel(model)) return numClassesOf(model);
    const ds = data as ImageDataset;
    const sample = 'x' in data && data.x instanceof tf.Tensor ? data.x : tf.tensor4d(ds.get(0).x, [1, ...ds.shape]);
    return numClassesOf(model, sample);
  });
  const dsClasses = (data as ImageDataset).numClasses;
  if (typeof dsClasses === 'number' && dsClasses !== classes) {
    throw new ShapeError(
      `evaluateRobustness: the dataset has ${dsClasses} classes but the model outputs ${classes}; the outputs must be logits or probabilities over the dataset's labels`,
      { datasetClasses: dsClasses, modelClasses: classes },
    );
  }
  const names = uniqueNames(attacks.map((a) => a.name));
  const rng = opts.rng ?? createRng(0);
  const passes0 = opts.counter ? opts.counter.evalAttack : 0;
  let localPasses = 0;
  let cleanCount = 0;
  let worstCount = 0;
  const attackCounts = new Float64Array(attacks.length);
  let done = 0;
  let batchIndex = 0;
  for await (const batch of evalBatches(data, batchSize, opts.limit)) {
    try {
      await yieldToEventLoop(); // lets a SIGINT handler abort `signal` between batches
      opts.signal?.throwIfAborted();
      const where = 'evaluateRobustness';
      await checkImagesAsync(batch.x, 'x', where);
      const yv = await checkClassLabelsAsync(batch.y, 'y', where, batch.x.shape[0], classes);
      const bs = yv.length;
      const [clean, finite] = tf.tidy(() => {
        const z = logitsOf(model, batch.x, kind, false);
        return [correctMask(z, batch.y), tf.all(tf.isFinite(z))];
      });
      let cleanV: Float32Array;
      let outputFinite: number;
      try {
        cleanV = (await clean.data()) as Float32Array;
        outputFinite = (await finite.data())[0];
      } finally {
        tf.dispose([clean, finite]);
      }
      if (!outputFinite) {
        throw new NonFiniteValueError(
          `${where}: the model output for batch ${batchIndex} (examples ${done}..${done + bs - 1}) contains NaN or ±Inf; the model's weights are probably non-finite (diverged training or a corrupt weights file)`,
          { batch: batchIndex },
        );
      }
      const robust = Float32Array.from(cleanV);
      for (let i = 0; i < bs; i++) cleanCount += cleanV[i];
      for (let a = 0; a < attacks.length; a++) {
        const pool = mode === 'full' ? cleanV : robust;
        const idx: number[] = [];
        for (let i = 0; i < bs; i++) if (pool[i] > 0) idx.push(i);
        if (idx.length === 0) continue;
        const idxT = tf.tensor1d(idx, 'int32');
        const xs = tf.gather(batch.x, idxT) as tf.Tensor4D;
        const ys = tf.gather(batch.y, idxT) as tf.Tensor1D;
        idxT.dispose();
        try {
          const atk = attacks[a];
          const adv = await atk.runAsync(xs, ys, {
            rng: rng.fork(`batch-${batchIndex}-attack-${a}`),
            ...(opts.counter ? { counter: opts.counter } : {}),
            countAs: 'evalAttack',
          });
          localPasses += idx.length * atk.passesPerExample();
          const ok = tf.tidy(() => correctMask(logitsOf(model, adv, kind, false), ys));
          adv.dispose();
          let okV: Float32Array;
          try {
            okV = (await ok.data()) as Float32Array;
          } finally {
            ok.dispose();
          }
          opts.counter?.add('forwardOnly', idx.length);
          idx.forEach((i, k) => {
            attackCounts[a] += okV[k];
            if (okV[k] === 0) robust[i] = 0;
          });
        } finally {
          tf.dispose([xs, ys]);
        }
      }
      for (let i = 0; i < bs; i++) worstCount += robust[i];
      done += bs;
      batchIndex++;
      opts.onBatch?.(done, n);
    } finally {
      if (batch.owned) tf.dispose([batch.x, batch.y]);
    }
  }
  const perAttack: Record<string, number> = {};
  names.forEach((name, a) => {
    perAttack[name] = attackCounts[a] / n;
  });
  return {
    clean: cleanCount / n,
    perAttack,
    worstCase: worstCount / n,
    n,
    passes: opts.counter ? opts.counter.evalAttack - passes0 : localPasses,
    ms: performance.now() - t0,
  };
}

/** Makes names unique by appending `#2`, `#3`, … to repeats. */
function uniqueNames(names: string[]): string[] {
  const seen = new Map<string, number>();
  return names.map((nm) => {
    const k = (seen.get(nm) ?? 0) + 1;
    seen.set(nm, k);
    return k === 1 ? nm : `${nm} #${k}`;
  });
}
