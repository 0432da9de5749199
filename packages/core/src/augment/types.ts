/**
 * Augmentation types. Every augmentation maps an NHWC float batch (values in [0, 1]) to a new batch of the same
 * shape, runs inside `tf.tidy`, draws per-image random parameters only from the given {@link Rng}, and never
 * disposes its input.
 */
import type * as tf from '@tensorflow/tfjs-core';
import type { Rng } from '../rng.js';

/** A batch augmentation `(x, rng) → x'` (NHWC, same shape, a new tensor). */
export type Augment = (x: tf.Tensor4D, rng: Rng) => tf.Tensor4D;

/** Result of a mixing augmentation (mixup, CutMix). */
export interface MixResult {
  /** Mixed images x' = λ·x + (1 − λ)·x[index] (mixup) or the pasted composite (CutMix). */
  x: tf.Tensor4D;
  /**
   * Mixed soft targets λ·y + (1 − λ)·y[index] (shape [B, numClasses]), or null when no labels were given. Integer
   * labels are one-hot encoded first.
   */
  y: tf.Tensor2D | null;
  /** Per-image weight λ of the image's own content (for CutMix, 1 − pasted-area fraction). */
  lam: Float32Array;
  /** Per-image partner: image i was mixed with image index[i] (a permutation of the batch). For a two-term loss
   * use λ·L(ŷ, y) + (1 − λ)·L(ŷ, y[index]). */
  index: Int32Array;
}

/** A mixing augmentation `(x, y, rng) → {x, y, lam, index}`; `y` is int labels [B], soft targets [B, K] or null. */
export type MixAugment = (x: tf.Tensor4D, y: tf.Tensor1D | tf.Tensor2D | null, rng: Rng) => MixResult;
