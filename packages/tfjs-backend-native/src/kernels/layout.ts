/**
 * Transpose and Tile for float32 and int32 tensors (pure data movement, bit-identical to tfjs-backend-cpu, whose
 * versions do per-element index arithmetic).
 */
import type { TensorInfo } from '@tensorflow/tfjs-core';
import type { KernelArgs } from './override.js';

function values4(args: KernelArgs, x: TensorInfo): Float32Array | Int32Array | null {
  if (x.dtype !== 'float32' && x.dtype !== 'int32') return null;
  const v = args.backend.data.get(x.dataId)?.values;
  return v instanceof Float32Array || v instanceof Int32Array ? v : null;
}

function output(args: KernelArgs, x: TensorInfo, size: number): Float32Array | Int32Array {
  return x.dtype === 'float32' ? args.backend.alloc(size) : new Int32Array(size);
}

/** Transpose. */
export function transpose(args: KernelArgs): TensorInfo | null {
  const x = args.inputs.x as TensorInfo;
  const { perm } = args.attrs as unknown as { perm: number[] };
  const xv = values4(args, x);
  if (!xv || x.shape.length > 8 || x.shape.length === 0) return null;
  const outShape = perm.map((p) => x.shape[p]);
  const out = output(args, x, xv.length);
  if (xv.length > 0) args.backend.native.transpose(xv, Int32Array.from(x.shape), Int32Array.from(perm), out);
  return args.backend.makeTensorInfo(outShape, x.dtype, out);
}

/** Tile. */
export function tile(args: KernelArgs): TensorInfo | null {
  const x = args.inputs.x as TensorInfo;
  const { reps } = args.attrs as unknown as { reps: number[] };
  const xv = values4(args, x);
  if (!xv || x.shape.length > 8 || x.shape.length === 0 || reps.length !== x.shape.length) return null;
  const outShape = x.shape.map((s, i) => s * reps[i]);
  const size = outShape.reduce((p, s) => p * s, 1);
  const out = output(args, x, size);
  if (size > 0) args.backend.native.tile(xv, Int32Array.from(x.shape), Int32Array.from(reps), out);
  return args.backend.makeTensorInfo(outShape, x.dtype, out);
}
