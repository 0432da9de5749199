import * as tf from '@tensorflow/tfjs-core';
import { InvalidArgumentError } from '../errors.js';

/**
 * Global-norm gradient clipping (Pascanu et al., ICML 2013; PyTorch `clip_grad_norm_`):
 * ‖g‖ = √(Σᵢ ‖gᵢ‖²), gᵢ ← gᵢ · min(1, maxNorm / (‖g‖ + 1e-6)).
 * Call inside `tf.tidy`. Returns the clipped gradients and the norm before clipping.
 * @param grads gradients of all parameters.
 * @param maxNorm the largest allowed global L2 norm (> 0).
 */
export function clipByGlobalNorm(grads: tf.Tensor[], maxNorm: number): { grads: tf.Tensor[]; norm: tf.Scalar } {
  if (!(maxNorm > 0) || !Number.isFinite(maxNorm)) {
    throw new InvalidArgumentError(`clipByGlobalNorm: maxNorm must be a finite number > 0, got ${maxNorm}`);
  }
  const norm = globalNorm(grads);
  const coef = tf.minimum(tf.div(maxNorm, tf.add(norm, 1e-6)), 1);
  return { grads: grads.map((g) => tf.mul(g, coef)), norm };
}

/** The global L2 norm √(Σᵢ ‖gᵢ‖²) of a list of tensors. Call inside `tf.tidy`. */
export function globalNorm(tensors: tf.Tensor[]): tf.Scalar {
  return tf.sqrt(tf.addN(tensors.map((g) => tf.sum(tf.square(g))))) as tf.Scalar;
}

/**
 * Element-wise gradient clipping to [−clipValue, clipValue] (PyTorch `clip_grad_value_`). Call inside `tf.tidy`.
 */
export function clipByValue(grads: tf.Tensor[], clipValue: number): tf.Tensor[] {
  if (!(clipValue > 0) || !Number.isFinite(clipValue)) {
    throw new InvalidArgumentError(`clipByValue: clipValue must be a finite number > 0, got ${clipValue}`);
  }
  return grads.map((g) => tf.clipByValue(g, -clipValue, clipValue));
}
