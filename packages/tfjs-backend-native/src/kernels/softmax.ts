/** Softmax over the last axis of a float32 tensor (the only axis tfjs-backend-cpu supports). */
import type { TensorInfo } from '@tensorflow/tfjs-core';
import type { KernelArgs } from './override.js';

/** Softmax. */
export function softmax(args: KernelArgs): TensorInfo | null {
  const logits = args.inputs.logits as TensorInfo;
  const xv = args.backend.f32(logits);
  const rank = logits.shape.length;
  const { dim } = args.attrs as unknown as { dim: number };
  if (!xv || rank === 0 || xv.length === 0 || (dim !== -1 && dim !== rank - 1)) return null;
  const cols = logits.shape[rank - 1];
  const out = args.backend.alloc(xv.length);
  args.backend.native.softmax(xv, out, xv.length / cols, cols);
  return args.backend.out(logits.shape.slice(), out);
}
