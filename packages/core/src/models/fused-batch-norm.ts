/**
 * Hook through which a native backend supplies a fused BatchNorm training op to {@link FtBatchNorm}.
 *
 * tfjs-core expresses the BatchNorm forward (moments + normalise) and its gradient as ~25 separate broadcasting ops
 * per layer; on the project's native backend these dominate a training step (perf.md §3, tier T5: a fused
 * forward/backward op gives 2.5–3× on ResNets). Overriding kernels cannot fuse a composition of ops, so the fused
 * path must be an op that the BN layer calls: `@ft/tfjs-backend-native` registers an implementation here (typically a
 * `tf.customGrad` around its `NativeBNTrain` / `NativeBNGrad` kernels) and every `FtBatchNorm` uses it when the
 * active backend is one it supports. With nothing registered (the default) FtBatchNorm runs the standard tfjs-layers
 * math, so results are identical to `tf.layers.batchNormalization`.
 */
import type * as tf from '@tensorflow/tfjs-core';
import { InvalidArgumentError } from '../errors.js';

/** Output of a fused BatchNorm training forward. */
export interface FusedBatchNormTrainResult {
  /** `gamma · (x − mean)/sqrt(variance + epsilon) + beta`, differentiable w.r.t. x, gamma and beta. */
  y: tf.Tensor;
  /** Batch mean over every axis except the last (channel) axis, shape [C]. */
  mean: tf.Tensor1D;
  /** Biased batch variance (divide by N, as `tf.moments`) over every axis except the last, shape [C]. */
  variance: tf.Tensor1D;
}

/**
 * A fused BatchNorm implementation (channels-last only). FtBatchNorm keeps ownership of the moving statistics: it
 * updates them from the returned batch `mean`/`variance` with the tfjs rule `m ← m − (m − v)(1 − momentum)`.
 */
export interface FusedBatchNormImpl {
  /** Name for logs, e.g. `'ft-native'`. */
  name: string;
  /** Backend names on which the implementation may run (compared with `tf.getBackend()`); all if omitted. */
  backends?: readonly string[];
  /**
   * Training forward with batch statistics over all axes but the last. Must record its own gradient for x, gamma
   * and beta (e.g. with `tf.customGrad`). `gamma`/`beta` are null when the layer has `scale`/`center` off.
   */
  train(x: tf.Tensor, gamma: tf.Tensor1D | null, beta: tf.Tensor1D | null, epsilon: number): FusedBatchNormTrainResult;
  /** Optional inference forward with the given (moving) statistics; the standard tfjs op is used when absent. */
  infer?(
    x: tf.Tensor,
    mean: tf.Tensor1D,
    variance: tf.Tensor1D,
    gamma: tf.Tensor1D | null,
    beta: tf.Tensor1D | null,
    epsilon: number,
  ): tf.Tensor;
}

let current: FusedBatchNormImpl | null = null;

/**
 * Installs (or with `null` removes) the process-wide fused BatchNorm implementation used by every
 * {@link FtBatchNorm}. Returns the previously registered implementation so callers (and tests) can restore it.
 * @param impl the implementation, or `null` for the default standard tfjs math.
 */
export function registerFusedBatchNorm(impl: FusedBatchNormImpl | null): FusedBatchNormImpl | null {
  if (impl !== null && (typeof impl !== 'object' || typeof impl.train !== 'function')) {
    throw new InvalidArgumentError('registerFusedBatchNorm(impl): impl must have a train(x, gamma, beta, eps) method');
  }
  const previous = current;
  current = impl;
  return previous;
}

/**
 * The fused implementation to use on `backendName`, or null for the standard tfjs math.
 * @param backendName the active backend (`tf.getBackend()`).
 */
export function getFusedBatchNorm(backendName: string): FusedBatchNormImpl | null {
  if (current === null) return null;
  if (current.backends && !current.backends.includes(backendName)) return null;
  return current;
}
