/**
 * Fused BatchNorm for training: one native forward (batch statistics + normalise) and one native backward.
 *
 * tfjs-layers trains BatchNormalization as `tf.moments` + `tf.batchNorm`, whose gradients tfjs-core composes from
 * about 25 broadcasting ops per layer; even with every one of those kernels native, that is ~70 % of a ResNet step
 * (perf.md §3, T3b). A kernel override cannot fuse a composition of ops, so the fused path is a pair of custom
 * kernels that exist only on this backend:
 * - `NativeBNTrain` (inputs x, gamma, beta; attr epsilon) → [y, batchMean, batchVariance] where
 *   y = gamma (x − mean) / sqrt(var + ε) + beta over all axes but the last, var biased (÷N, as tf.moments);
 * - `NativeBNGrad` → [dx, dgamma, dbeta] (Ioffe & Szegedy 2015, arXiv:1502.03167, §3),
 * tied together by a gradient registered for `NativeBNTrain` (kernel gradients are global by kernel name, and
 * this name is ours, so no other backend or op is affected). The gradients through the batchMean /
 * batchVariance outputs are not propagated: they only feed the non-trainable moving averages.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { NativeBackend } from './backend.js';
import { batchNormInference } from './kernels/fused-batch-norm.js';
import { withFallback } from './kernels/override.js';

/** Kernel names of the fused BatchNorm. */
export const BN_TRAIN_KERNEL = 'NativeBNTrain';
/** Kernel name of the fused BatchNorm followed by ReLU (same kernel, rectified output, masked gradient). */
export const BN_RELU_TRAIN_KERNEL = 'NativeBNReluTrain';
/** Kernel name of inference BatchNorm followed by ReLU (moving statistics; no gradient). */
export const BN_RELU_INFER_KERNEL = 'NativeBNReluInfer';
/** Kernel name of the fused BatchNorm backward. */
export const BN_GRAD_KERNEL = 'NativeBNGrad';

const backendsWithBN = new Set<string>();

/** Result of {@link batchNormTrain}. */
export interface BatchNormTrainResult {
  /** The normalised output, differentiable w.r.t. x, gamma and beta. */
  y: tf.Tensor;
  /** Batch mean per channel, shape [C]. */
  mean: tf.Tensor1D;
  /** Biased batch variance per channel (÷N as `tf.moments`), shape [C]. */
  variance: tf.Tensor1D;
}

type Info = tf.TensorInfo;

type KernelArgs = { inputs: tf.NamedTensorInfoMap; backend: NativeBackend; attrs?: tf.NamedAttrMap };

/** `NativeBNTrain` (relu false) and `NativeBNReluTrain` (relu true: max(0, y), output marked rectified). */
function bnTrainKernel(args: KernelArgs, relu: boolean) {
  const { inputs, backend } = args;
  const eps = Number(args.attrs?.epsilon ?? 1e-3);
  const x = inputs.x as Info;
  const xv = backend.f32(x);
  const gv = backend.f32(inputs.gamma as Info);
  const bv = backend.f32(inputs.beta as Info);
  const C = x.shape[x.shape.length - 1];
  if (!xv || !gv || !bv || x.shape.length < 2 || xv.length === 0 || gv.length !== C || bv.length !== C) {
    throw new Error(`${BN_TRAIN_KERNEL}: expected float32 x of rank >= 2 and gamma/beta of shape [${C}]`);
  }
  const y = backend.alloc(xv.length);
  const mean = new Float32Array(C);
  const variance = new Float32Array(C);
  backend.native.bnTrain(xv, gv, bv, y, mean, variance, eps, C, relu ? 1 : 0);
  const yInfo = backend.out(x.shape.slice(), y);
  if (relu) backend.markRectified(yInfo);
  return [yInfo, backend.out([C], mean), backend.out([C], variance)];
}

/** `NativeBNReluInfer`: max(0, tf.batchNorm(x, mean, variance, offset, scale, ε)), output marked rectified. */
function bnReluInferKernel(args: KernelArgs) {
  const out = batchNormInference(args, true);
  if (out) args.backend.markRectified(out);
  return out;
}

function bnGradKernel(args: KernelArgs) {
  const { inputs, backend } = args;
  const eps = Number(args.attrs?.epsilon ?? 1e-3);
  const x = inputs.x as Info;
  const C = x.shape[x.shape.length - 1];
  const dyv = backend.f32(inputs.dy as Info);
  const xv = backend.f32(x);
  const gv = backend.f32(inputs.gamma as Info);
  const mv = backend.f32(inputs.mean as Info);
  const vv = backend.f32(inputs.variance as Info);
  const yv = inputs.y ? backend.f32(inputs.y as Info) : null;
  if (!dyv || !xv || !gv || !mv || !vv || (inputs.y && !yv)) {
    throw new Error(`${BN_GRAD_KERNEL}: expected float32 inputs`);
  }
  const dx = backend.alloc(xv.length);
  const dgamma = new Float32Array(C);
  const dbeta = new Float32Array(C);
  backend.native.bnGrad(dyv, xv, gv, mv, vv, eps, C, dx, dgamma, dbeta, yv);
  return [backend.out(x.shape.slice(), dx), backend.out([C], dgamma), backend.out([C], dbeta)];
}

let gradientRegistered = false;

function bnGradients(dys: tf.Tensor | tf.Tensor[], saved: tf.NamedTensorMap, attrs: tf.NamedAttrMap) {
  const dy = (Array.isArray(dys) ? dys[0] : dys) as tf.Tensor;
  // Computed once, eagerly: the three results are tracked by the surrounding backward scope, which keeps the ones
  // that become gradients and disposes the rest.
  const [dx, dgamma, dbeta] = tf.engine().runKernel(BN_GRAD_KERNEL, { dy, ...saved }, attrs) as tf.Tensor[];
  return { x: () => dx, gamma: () => dgamma, beta: () => dbeta };
}

/**
 * Registers the two kernels on `backendName` (once) and the gradient of `NativeBNTrain` (once per process).
 * @param backendName the native backend's name.
 */
export function registerBatchNormKernels(backendName: string): void {
  if (!backendsWithBN.has(backendName)) {
    const fail = (): never => {
      throw new Error('fused BatchNorm kernels need float32 inputs');
    };
    tf.registerKernel({
      kernelName: BN_TRAIN_KERNEL,
      backendName,
      kernelFunc: withFallback(BN_TRAIN_KERNEL, ((a: KernelArgs) => bnTrainKernel(a, false)) as never, fail as never),
    });
    tf.registerKernel({
      kernelName: BN_RELU_TRAIN_KERNEL,
      backendName,
      kernelFunc: withFallback(
        BN_RELU_TRAIN_KERNEL,
        ((a: KernelArgs) => bnTrainKernel(a, true)) as never,
        fail as never,
      ),
    });
    tf.registerKernel({
      kernelName: BN_RELU_INFER_KERNEL,
      backendName,
      kernelFunc: withFallback(BN_RELU_INFER_KERNEL, bnReluInferKernel as never, fail as never),
    });
    tf.registerKernel({
      kernelName: BN_GRAD_KERNEL,
      backendName,
      kernelFunc: withFallback(BN_GRAD_KERNEL, bnGradKernel as never, fail as never),
    });
    backendsWithBN.add(backendName);
  }
  if (!gradientRegistered) {
    tf.registerGradient({
      kernelName: BN_TRAIN_KERNEL,
      inputsToSave: ['x', 'gamma'],
      outputsToSave: [false, true, true],
      gradFunc: (dys, saved, attrs) => {
        const [x, gamma, mean, variance] = saved;
        return bnGradients(dys, { x, gamma, mean, variance }, attrs);
      },
    });
    tf.registerGradient({
      kernelName: BN_RELU_TRAIN_KERNEL,
      inputsToSave: ['x', 'gamma'],
      outputsToSave: [true, true, true],
      gradFunc: (dys, saved, attrs) => {
        // The gradient of relu(batchnorm(x)): the kernel masks dy where the output y <= 0.
        const [x, gamma, y, mean, variance] = saved;
        return bnGradients(dys, { x, gamma, mean, variance, y }, attrs);
      },
    });
    gradientRegistered = true;
  }
}

/** True when the active backend has the fused BatchNorm kernels. */
export function fusedBatchNormActive(): boolean {
  return backendsWithBN.has(tf.getBackend());
}

/** Backend names on which the fused BatchNorm runs. */
export function fusedBatchNormBackends(): string[] {
  return [...backendsWithBN];
}

/**
 * Training-mode BatchNorm over every axis but the last: batch statistics, normalisation, and (on `ft-native`) a
 * fused native gradient for x, gamma and beta. Elsewhere it computes the same thing with standard tfjs ops
 * (`tf.moments` + `tf.batchNorm`), as tfjs-layers' `BatchNormalization` does.
 *
 * y = gamma · (x − mean) / sqrt(variance + epsilon) + beta, with mean and biased variance over axes 0..rank−2.
 *
 * @param x input, float32, rank ≥ 2, channels last.
 * @param gamma scale [C] or null (1).
 * @param beta offset [C] or null (0).
 * @param epsilon variance epsilon (default 1e-3, the tfjs-layers default).
 * @param options `relu: true` returns max(0, y) instead, in the same pass on `ft-native` (and its gradient is that
 *   of relu(batchnorm(x))).
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
      const kernel = relu ? BN_RELU_TRAIN_KERNEL : BN_TRAIN_KERNEL;
      const [y, mean, variance] = tf.engine().runKernel(kernel, { x, gamma: g, beta: b }, { epsilon }) as [
        tf.Tensor,
        tf.Tensor1D,
        tf.Tensor1D,
      ];
      return { y, mean, variance };
    }
    const axes = [...Array(x.rank - 1).keys()];
    const { mean, variance } = tf.moments(x, axes);
    const normalised = tf.batchNorm(x, mean, variance, b, g, epsilon);
    const y = relu ? tf.relu(normalised) : normalised;
    return { y, mean: mean as tf.Tensor1D, variance: variance as tf.Tensor1D };
  });
}
