/**
 * FusedBatchNorm (tf.batchNorm: y = offset + (x - mean) * scale / sqrt(variance + eps)) on float32, with
 * tfjs-backend-cpu's parameter broadcasting (each parameter cycles through its own length).
 */
import { type TensorInfo, util } from '@tensorflow/tfjs-core';
import type { KernelArgs } from './override.js';

/**
 * Inference BatchNorm, optionally followed by ReLU in the same pass (`relu`: max(0, y), NaN kept as tfjs' Relu).
 * Returns null for unsupported inputs (the caller falls back).
 */
export function batchNormInference(args: KernelArgs, relu: boolean): TensorInfo | null {
  const { inputs, backend } = args;
  const x = inputs.x as TensorInfo;
  const mv = backend.f32(inputs.mean as TensorInfo);
  const vv = backend.f32(inputs.variance as TensorInfo);
  const n = util.sizeFromShape(x.shape);
  if (x.dtype !== 'float32' || !mv || !vv || n === 0 || mv.length === 0 || vv.length === 0) return null;
  const offset = inputs.offset as TensorInfo | undefined;
  const scale = inputs.scale as TensorInfo | undefined;
  const ov = offset ? backend.f32(offset) : null;
  const sv = scale ? backend.f32(scale) : null;
  if ((offset && (!ov || ov.length === 0)) || (scale && (!sv || sv.length === 0))) return null;
  const eps = (args.attrs as { varianceEpsilon?: number } | undefined)?.varianceEpsilon ?? 0.001;
  const C = Math.max(mv.length, vv.length, ov?.length ?? 1, sv?.length ?? 1);
  const perChannel = [mv, vv, ov, sv].every((p) => !p || p.length === 1 || p.length === C) && n % C === 0;
  // A bf16 convolution's output is read in bf16 where the kernel can (per-channel parameters), else widened.
  const xv = perChannel ? backend.f32OrBf16(x) : backend.f32(x);
  if (!xv || xv.length !== n) return null;
  const out = backend.alloc(n);
  if (relu && perChannel) {
    // BatchNorm + ReLU feeds a convolution: in bf16 mode its bf16 copy is written in the same pass.
    backend.fillWithBf16Copy(out, (ob) => backend.native.bnInfer(xv, mv, vv, ov, sv, out, eps, 1, ob));
  } else {
    backend.native.bnInfer(xv, mv, vv, ov, sv, out, eps, relu ? 1 : 0);
  }
  return backend.out(x.shape.slice(), out);
}

/** FusedBatchNorm. */
export function fusedBatchNorm(args: KernelArgs): TensorInfo | null {
  return batchNormInference(args, false);
}
