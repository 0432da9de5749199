/**
 * mixup (Zhang et al. 2018, arXiv:1710.09412): convex combinations of image pairs and of their labels.
 */
import * as tf from '@tensorflow/tfjs-core';
import { InvalidArgumentError, ShapeError } from '../errors.js';
import type { Rng } from '../rng.js';
import { checkLabelShape } from '../validate.js';
import { checkBatch } from './per-image.js';
import type { MixAugment, MixResult } from './types.js';

/** Soft targets [B, K] from int labels [B] (one-hot, needs numClasses) or soft targets [B, K] (cast to float). */
export function toSoftTargets(
  y: tf.Tensor1D | tf.Tensor2D,
  numClasses: number | undefined,
  where: string,
): tf.Tensor2D {
  if (y.rank === 2) return tf.cast(y, 'float32') as tf.Tensor2D;
  if (numClasses === undefined) {
    throw new InvalidArgumentError(`${where}: integer labels need opts.numClasses (or pass soft targets [B, K])`);
  }
  return tf.oneHot(tf.cast(y, 'int32') as tf.Tensor1D, numClasses, 1, 0, 'float32') as tf.Tensor2D;
}

/** Mixes targets: λ_i·y_i + (1 − λ_i)·y_{index_i}. */
export function mixTargets(y: tf.Tensor2D, lam: Float32Array, index: Int32Array): tf.Tensor2D {
  return tf.tidy(() => {
    const l = tf.tensor2d(lam, [lam.length, 1]);
    const other = tf.gather(y, tf.tensor1d(index, 'int32'));
    return tf.add(tf.mul(l, y), tf.mul(tf.sub(1, l), other)) as tf.Tensor2D;
  });
}

/**
 * Deterministic core of {@link mixup}: x'_i = λ_i·x_i + (1 − λ_i)·x_{index_i}, same for the targets.
 */
export function mixupWith(
  x: tf.Tensor4D,
  y: tf.Tensor1D | tf.Tensor2D | null,
  lam: Float32Array,
  index: Int32Array,
  numClasses?: number,
): MixResult {
  checkBatch(x, 'mixup');
  if (y) checkLabelShape(y, x.shape[0], 'labels', 'mixup', { soft: true });
  const b = x.shape[0];
  if (lam.length !== b || index.length !== b) {
    throw new ShapeError(`mixup: lam/index need ${b} entries, got ${lam.length}/${index.length}`);
  }
  const xm = tf.tidy(() => {
    const l = tf.tensor4d(lam, [b, 1, 1, 1]);
    const other = tf.gather(x, tf.tensor1d(index, 'int32'));
    return tf.add(tf.mul(l, x), tf.mul(tf.sub(1, l), other)) as tf.Tensor4D;
  });
  const ym = y ? tf.tidy(() => mixTargets(toSoftTargets(y, numClasses, 'mixup'), lam, index)) : null;
  return { x: xm, y: ym, lam, index };
}

/** Options of {@link mixup}. */
export interface MixupOptions {
  /** λ ~ Beta(α, α); α ≤ 0 disables mixing (λ = 1). Default 1. */
  alpha?: number;
  /** Number of classes, required for integer labels. */
  numClasses?: number;
  /** One λ for the whole batch (as the mixup paper and ICT) instead of one per image (default false). */
  perBatch?: boolean;
  /** Use λ' = max(λ, 1 − λ) so each image dominates its own mix (MixMatch). Default false. */
  maxLam?: boolean;
}

/**
 * mixup with a random partner permutation: λ ~ Beta(α, α) per image (or per batch), partner = rng.permutation(B).
 * Returns mixed images, mixed soft targets, λ and the partner indices.
 */
export function mixup(opts: MixupOptions = {}): MixAugment {
  const alpha = opts.alpha ?? 1;
  return (x, y, rng: Rng) => {
    checkBatch(x, 'mixup');
    const b = x.shape[0];
    const draw = () => {
      if (!(alpha > 0)) return 1;
      const l = rng.beta(alpha, alpha);
      return opts.maxLam ? Math.max(l, 1 - l) : l;
    };
    const lam = new Float32Array(b);
    if (opts.perBatch) lam.fill(draw());
    else for (let i = 0; i < b; i++) lam[i] = draw();
    const index = rng.permutation(b);
    return mixupWith(x, y, lam, index, opts.numClasses);
  };
}
