/**
 * Fill, ZerosLike and OnesLike for float32 from the buffer pool (gradients create large ones-tensors, e.g. the
 * gradient of Mean), filled natively.
 */
import { type TensorInfo, util } from '@tensorflow/tfjs-core';
import type { KernelArgs } from './override.js';

function filled(args: KernelArgs, shape: number[], value: number): TensorInfo {
  const out = args.backend.alloc(util.sizeFromShape(shape));
  if (out.length > 0) args.backend.native.fill(out, value);
  return args.backend.out(shape.slice(), out);
}

/** Fill (float32 only). */
export function fill(args: KernelArgs): TensorInfo | null {
  const { shape, value, dtype } = args.attrs as unknown as { shape: number[]; value: number; dtype?: string };
  if ((dtype ?? 'float32') !== 'float32' || typeof value !== 'number') return null;
  return filled(args, shape, value);
}

/** ZerosLike (float32 only). */
export function zerosLike(args: KernelArgs): TensorInfo | null {
  const x = args.inputs.x as TensorInfo;
  return x.dtype === 'float32' ? filled(args, x.shape, 0) : null;
}

/** OnesLike (float32 only). */
export function onesLike(args: KernelArgs): TensorInfo | null {
  const x = args.inputs.x as TensorInfo;
  return x.dtype === 'float32' ? filled(args, x.shape, 1) : null;
}
