/**
 * Fused BatchNorm kernels on `ft-native`: one native forward (batch statistics + normalise) and one native backward,
 * under the names of `@ft/tfjs-fused-training` (`FUSED_BATCH_NORM_KERNELS`, whose module comment is the contract),
 * which holds the op, its gradient and the tfjs-layers `BatchNormalization` patch that call them. Even with every
 * kernel of tfjs' composition native, that composition is ~70 % of a ResNet step (perf.md §3, T3b).
 * The ReLU variants mark their output rectified, so the following ReLU is the identity on this backend.
 */
import { FUSED_BATCH_NORM_KERNELS, registerBatchNormGradients } from '@ft/tfjs-fused-training';
import * as tf from '@tensorflow/tfjs-core';
import type { NativeBackend } from './backend.js';
import { batchNormInference } from './kernels/fused-batch-norm.js';
import { withFallback } from './kernels/override.js';

/** Kernel name of the fused BatchNorm training forward. */
export const BN_TRAIN_KERNEL = FUSED_BATCH_NORM_KERNELS.train;
/** Kernel name of the fused BatchNorm followed by ReLU (same kernel, rectified output, masked gradient). */
export const BN_RELU_TRAIN_KERNEL = FUSED_BATCH_NORM_KERNELS.reluTrain;
/** Kernel name of inference BatchNorm followed by ReLU (moving statistics; no gradient). */
export const BN_RELU_INFER_KERNEL = FUSED_BATCH_NORM_KERNELS.reluInfer;
/** Kernel name of the fused BatchNorm backward. */
export const BN_GRAD_KERNEL = FUSED_BATCH_NORM_KERNELS.grad;

const backendsWithBN = new Set<string>();

type Info = tf.TensorInfo;

type KernelArgs = { inputs: tf.NamedTensorInfoMap; backend: NativeBackend; attrs?: tf.NamedAttrMap };

/** `FtBatchNormTrain` (relu false) and `FtBatchNormReluTrain` (relu true: max(0, y), output marked rectified). */
function bnTrainKernel(args: KernelArgs, relu: boolean) {
  const { inputs, backend } = args;
  const eps = Number(args.attrs?.epsilon ?? 1e-3);
  const x = inputs.x as Info;
  // bf16 mode: a convolution's output is computed in bf16 for this first reader (see NativeBackend.bf16Bits).
  const xv = backend.f32OrBf16(x);
  const gv = backend.f32(inputs.gamma as Info);
  const bv = backend.f32(inputs.beta as Info);
  const C = x.shape[x.shape.length - 1];
  if (!xv || !gv || !bv || x.shape.length < 2 || xv.length === 0 || gv.length !== C || bv.length !== C) {
    throw new Error(`${BN_TRAIN_KERNEL}: expected float32 x of rank >= 2 and gamma/beta of shape [${C}]`);
  }
  const y = backend.alloc(xv.length);
  const mean = new Float32Array(C);
  const variance = new Float32Array(C);
  // bf16 mode: the output of BatchNorm + ReLU is (nearly always) a convolution's input, so its bf16 copy is written
  // in the same pass; a plain BatchNorm's output usually goes to a residual Add, and a copy would be wasted.
  if (relu) backend.fillWithBf16Copy(y, (yb) => backend.native.bnTrain(xv, gv, bv, y, mean, variance, eps, C, 1, yb));
  else backend.native.bnTrain(xv, gv, bv, y, mean, variance, eps, C, 0);
  const yInfo = backend.out(x.shape.slice(), y);
  if (relu) backend.markRectified(yInfo);
  return [yInfo, backend.out([C], mean), backend.out([C], variance)];
}

/** `FtBatchNormReluInfer`: max(0, tf.batchNorm(x, mean, variance, offset, scale, ε)), output marked rectified. */
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
  // bf16 mode: dy (a convolution's input gradient, computed on first read) and x (a convolution's output) are read
  // as bf16 where they can be.
  const dyv = backend.f32OrBf16(inputs.dy as Info);
  const xv = backend.f32OrBf16(x);
  const gv = backend.f32(inputs.gamma as Info);
  const mv = backend.f32(inputs.mean as Info);
  const vv = backend.f32(inputs.variance as Info);
  const y32 = inputs.y ? backend.f32(inputs.y as Info) : null;
  // The ReLU mask from y's bf16 copy where bf16 mode wrote one (half the bytes; same signs, see bnGrad in
  // native/batchnorm.cc).
  const yv = y32 ? (backend.cachedBf16(y32) ?? y32) : null;
  if (!dyv || !xv || !gv || !mv || !vv || (inputs.y && !yv)) {
    throw new Error(`${BN_GRAD_KERNEL}: expected float32 inputs`);
  }
  const dx = backend.alloc(xv.length);
  const dgamma = new Float32Array(C);
  const dbeta = new Float32Array(C);
  // bf16 mode: dx is (nearly always) the output gradient of the convolution before this BatchNorm, which both its
  // backward passes read in bf16; the copy is written in the same pass.
  backend.fillWithBf16Copy(dx, (dxb) => backend.native.bnGrad(dyv, xv, gv, mv, vv, eps, C, dx, dgamma, dbeta, yv, dxb));
  return [backend.out(x.shape.slice(), dx), backend.out([C], dgamma), backend.out([C], dbeta)];
}

/**
 * Registers the fused BatchNorm kernels on `backendName` (once) and their gradients (once per process, through
 * `@ft/tfjs-fused-training`).
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
  registerBatchNormGradients();
}

/** Backend names on which the fused BatchNorm runs. */
export function fusedBatchNormBackends(): string[] {
  return [...backendsWithBN];
}

export { type BatchNormTrainResult, batchNormTrain } from '@ft/tfjs-fused-training';
