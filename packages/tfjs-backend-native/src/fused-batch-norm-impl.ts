/**
 * The fused BatchNorm in the shape of @ft/core's `FusedBatchNormImpl`, for its `registerFusedBatchNorm(impl)`
 * hook (structurally typed: this package does not depend on @ft/core).
 */
import type * as tf from '@tensorflow/tfjs-core';
import { type BatchNormTrainResult, batchNormTrain, fusedBatchNormBackends } from './batch-norm-train.js';

/** An object satisfying @ft/core's `FusedBatchNormImpl`. */
export interface FusedBatchNormProvider {
  /** `'ft-native'`. */
  readonly name: string;
  /** Backends on which the fused kernels are registered (empty until `registerNativeBackend()` succeeds). */
  readonly backends: readonly string[];
  /** Training forward with batch statistics over all axes but the last; see {@link batchNormTrain}. */
  train(x: tf.Tensor, gamma: tf.Tensor1D | null, beta: tf.Tensor1D | null, epsilon: number): BatchNormTrainResult;
}

/**
 * Pass to @ft/core: `registerFusedBatchNorm(fusedBatchNorm)` after `registerNativeBackend()` succeeded. Every
 * `FtBatchNorm` then trains through `NativeBNTrain` / `NativeBNGrad` while `ft-native` is active.
 */
export const fusedBatchNorm: FusedBatchNormProvider = {
  name: 'ft-native',
  get backends() {
    return fusedBatchNormBackends();
  },
  train: (x, gamma, beta, epsilon) => batchNormTrain(x, gamma, beta, epsilon),
};
