/**
 * Fused BatchNorm for training, for any backend that registers the kernels below.
 *
 * tfjs-layers trains BatchNormalization as `tf.moments` + `tf.batchNorm`, whose gradients tfjs-core composes from
 * about 25 broadcasting ops per layer. A kernel override cannot fuse a composition of ops, so the fused path is a
 * pair of kernels, tied together by a gradient registered for the training kernel (gradients are global by kernel
 * name, and these names are ours, so no other op is affected):
 * - `FtBatchNormTrain` (inputs x, gamma, beta; attr epsilon) → [y, batchMean, batchVariance] where
 *   y = gamma (x − mean) / sqrt(var + ε) + beta over all axes but the last, var biased (÷N, as tf.moments);
 * - `FtBatchNormGrad` (inputs dy, x, gamma, mean, variance, optional y; attr epsilon) → [dx, dgamma, dbeta]
 *   (Ioffe & Szegedy 2015, arXiv:1502.03167, §3); with `y` given, dy is first masked where y ≤ 0 (the gradient of
 *   relu(batchnorm(x))).
 * Optional, for backends that can fuse the following ReLU: `FtBatchNormReluTrain` (as `FtBatchNormTrain`, output
 * max(0, y)) and `FtBatchNormReluInfer` (max(0, tf.batchNorm(...)) with moving statistics, no gradient).
 * The gradients through the batchMean / batchVariance outputs are not propagated: they only feed the non-trainable
 * moving averages.
 */
import * as tf from '@tensorflow/tfjs-core';

/** Kernel names of the fused BatchNorm (the contract is in this module's comment). */
export const FUSED_BATCH_NORM_KERNELS = {
  train: 'FtBatchNormTrain',
  grad: 'FtBatchNormGrad',
  reluTrain: 'FtBatchNormReluTrain',
  reluInfer: 'FtBatchNormReluInfer',
} as const;

/** Result of {@link batchNormTrain}. */
export interface BatchNormTrainResult {
  /** The normalised output, differentiable w.r.t. x, gamma and beta. */
  y: tf.Tensor;
  /** Batch mean per channel, shape [C]. */
  mean: tf.Tensor1D;
  /** Biased batch variance per channel (÷N as `tf.moments`), shape [C]. */
  variance: tf.Tensor1D;
}

const GRADIENTS_KEY = Symbol.for('@ft/tfjs-fused-training:batch-norm-gradients');

function bnGradients(dys: tf.Tensor | tf.Tensor[], saved: tf.NamedTensorMap, attrs: tf.NamedAttrMap) {
  const dy = (Array.isArray(dys) ? dys[0] : dys) as tf.Tensor;
  // Computed once, eagerly: the three results are tracked by the surrounding backward scope, which keeps the ones
  // that become gradients and disposes the rest.
  const [dx, dgamma, dbeta] = tf
    .engine()
    .runKernel(FUSED_BATCH_NORM_KERNELS.grad, { dy, ...saved }, attrs) as tf.Tensor[];
  return { x: () => dx, gamma: () => dgamma, beta: () => dbeta };
}

/**
 * Registers the gradients of `FtBatchNormTrain` and `FtBatchNormReluTrain` (once per process, whichever copy of
 * this package runs first). A backend calls this when it registers the fused BatchNorm kernels.
 */
export function registerBatchNormGradients(): void {
  const g = globalThis as { [GRADIENTS_KEY]?: boolean };
  if (g[GRADIENTS_KEY]) return;
  tf.registerGradient({
    kernelName: FUSED_BATCH_NORM_KERNELS.train,
    inputsToSave: ['x', 'gamma'],
    outputsToSave: [false, true, true],
    gradFunc: (dys, saved, attrs) => {
      const [x, gamma, mean, variance] = saved;
      return bnGradients(dys, { x, gamma, mean, variance }, attrs);
    },
  });
  tf.registerGradient({
    kernelName: FUSED_BATCH_NORM_KERNELS.reluTrain,
    inputsToSave: ['x', 'gamma'],
    outputsToSave: [true, true, true],
    gradFunc: (dys, saved, attrs) => {
      // The gradient of relu(batchnorm(x)): the kernel masks dy where the output y <= 0.
      const [x, gamma, y, mean, variance] = saved;
      return bnGradients(dys, { x, gamma, mean, variance, y }, attrs);
    },
  });
  g[GRADIENTS_KEY] = true;
}

/** Whether the current backend registers `kernel` (one of {@link FUSED_BATCH_NORM_KERNELS}). */
export function backendHasKernel(kernel: string): boolean {
  return tf.getKernel(kernel, tf.getBackend()) !== undefined;
}

/** True when the active backend has the fused BatchNorm training kernels (`FtBatchNormTrain` and its gradient). */
export function fusedBatchNormActive(): boolean {
  return backendHasKernel(FUSED_BATCH_NORM_KERNELS.train) && backendHasKernel(FUSED_BATCH_NORM_KERNELS.grad);
}

/**
 * Training-mode BatchNorm over every axis but the last: batch statistics, normalisation, and, on a backend with the
 * fused kernels, one forward and one backward kernel. Elsewhere it computes the same thing with standard tfjs ops
 * (`tf.moments` + `tf.batchNorm`), as tfjs-layers' `BatchNormalization` does.
 *
 * y = gamma · (x − mean) / sqrt(variance + epsilon) + beta, with mean and biased variance over axes 0..rank−2.
 *
 * @param x input, float32, rank ≥ 2, channels last.
 * @param gamma scale [C] or null (1).
 * @param beta offset [C] or null (0).
 * @param epsilon variance epsilon (default 1e-3, the tfjs-layers default).
 * @param options `relu: true` returns max(0, y) instead, in the same pass where the backend has
 *   `FtBatchNormReluTrain` (and its gradient is that of relu(batchnorm(x))).
 * @returns `{y, mean, variance}`; update moving statistics from mean/variance yourself.
 */
export function batchNormTrain(
  x: tf.Tensor,
  gamma: tf.Tensor1D | null,
  beta: tf.Tensor1D | null,
  epsilon = 1e-3,
  options: { relu?: boolean } = {},
): BatchNormTrainResult {
  const relu = options.relu === true;
  const C = x.shape[x.rank - 1];
  return tf.tidy(() => {
    const g = gamma ?? tf.ones([C]);
    const b = beta ?? tf.zeros([C]);
    if (fusedBatchNormActive() && x.dtype === 'float32' && x.rank >= 2 && x.size > 0) {
      const fuseRelu = relu && backendHasKernel(FUSED_BATCH_NORM_KERNELS.reluTrain);
      const kernel = fuseRelu ? FUSED_BATCH_NORM_KERNELS.reluTrain : FUSED_BATCH_NORM_KERNELS.train;
      const [y, mean, variance] = tf.engine().runKernel(kernel, { x, gamma: g, beta: b }, { epsilon }) as [
        tf.Tensor,
        tf.Tensor1D,
        tf.Tensor1D,
      ];
      return { y: relu && !fuseRelu ? tf.relu(y) : y, mean, variance };
    }
    const axes = [...Array(x.rank - 1).keys()];
    const { mean, variance } = tf.moments(x, axes);
    const normalised = tf.batchNorm(x, mean, variance, b, g, epsilon);
    const y = relu ? tf.relu(normalised) : normalised;
    return { y, mean: mean as tf.Tensor1D, variance: variance as tf.Tensor1D };
  });
}
