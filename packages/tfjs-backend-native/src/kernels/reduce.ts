/**
 * Sum, Mean, Max and ArgMax over any axes of a float32 tensor. The reduced axes are coalesced into one block of an
 * [outer, reduced, inner] view (no data movement when they are contiguous, e.g. the per-channel sums of an NHWC
 * tensor); otherwise the tensor is first transposed natively into a pooled temporary. tfjs-backend-cpu always
 * transposes and then sums in JS.
 */
import { backend_util, type TensorInfo, util } from '@tensorflow/tfjs-core';
import type { NativeBackend } from '../backend.js';
import type { KernelArgs } from './override.js';

const OP = { sum: 0, mean: 1, max: 2 } as const;

/** How to reduce: a direct [outer, red, inner] view, or after transposing with `perm`. */
export interface ReducePlan {
  outer: number;
  red: number;
  inner: number;
  /** Set when the reduced axes must first be moved innermost. */
  perm?: number[];
}

/**
 * Plans a reduction of `shape` over `axes`.
 * @param shape input shape.
 * @param axes normalised, distinct axes.
 */
export function planReduce(shape: number[], axes: number[]): ReducePlan {
  const reduced = new Set(axes);
  // Runs of kept (K) / reduced (R) dims, ignoring size-1 dims.
  const runs: { r: boolean; size: number }[] = [];
  for (let d = 0; d < shape.length; d++) {
    if (shape[d] === 1) continue;
    const r = reduced.has(d);
    const last = runs[runs.length - 1];
    if (last && last.r === r) last.size *= shape[d];
    else runs.push({ r, size: shape[d] });
  }
  const rIdx = runs.map((x, i) => (x.r ? i : -1)).filter((i) => i >= 0);
  if (rIdx.length === 0) return { outer: util.sizeFromShape(shape), red: 1, inner: 1 };
  if (rIdx.length === 1) {
    const i = rIdx[0];
    const outer = runs.slice(0, i).reduce((p, x) => p * x.size, 1);
    const inner = runs.slice(i + 1).reduce((p, x) => p * x.size, 1);
    return { outer, red: runs[i].size, inner };
  }
  const kept = shape.map((_, d) => d).filter((d) => !reduced.has(d));
  const perm = [...kept, ...[...axes].sort((p, q) => p - q)];
  const outer = kept.reduce((p, d) => p * shape[d], 1);
  return { outer, red: util.sizeFromShape(shape) / Math.max(outer, 1), inner: 1, perm };
}

/** Applies a plan's transpose if any; returns the values to reduce and a cleanup. */
function arrange(backend: NativeBackend, x: TensorInfo, xv: Float32Array, plan: ReducePlan): Float32Array {
  if (!plan.perm) return xv;
  const tmp = backend.alloc(xv.length);
  backend.native.transpose(xv, Int32Array.from(x.shape), Int32Array.from(plan.perm), tmp);
  return tmp;
}

function reduceKernel(args: KernelArgs, op: number, axisAttr: number | number[], keepDims: boolean): TensorInfo | null {
  const { inputs, backend } = args;
  const x = inputs.x as TensorInfo;
  const xv = backend.f32(x);
  if (!xv || x.shape.length > 8) return null;
  const axes = util.parseAxisParam(axisAttr, x.shape);
  const [outShape0] = backend_util.computeOutAndReduceShapes(x.shape, axes);
  const outSize = util.sizeFromShape(outShape0);
  if (xv.length === 0) return null;
  const plan = planReduce(x.shape, axes);
  const src = arrange(backend, x, xv, plan);
  const out = backend.alloc(outSize);
  backend.native.reduce(op, src, out, plan.outer, plan.red, plan.inner);
  if (src !== xv) backend.pool.free(src);
  const outShape = keepDims ? backend_util.expandShapeToKeepDim(outShape0, axes) : outShape0;
  return backend.out(outShape, out);
}

/** Sum (float32 only: tfjs sums int32/bool to int32 in JS). */
export function sum(args: KernelArgs): TensorInfo | null {
  const { axis, keepDims } = args.attrs as unknown as { axis: number | number[]; keepDims: boolean };
  return reduceKernel(args, OP.sum, axis, keepDims);
}

/** Mean. */
export function mean(args: KernelArgs): TensorInfo | null {
  const { axis, keepDims } = args.attrs as unknown as { axis: number | number[]; keepDims: boolean };
  return reduceKernel(args, OP.mean, axis, keepDims);
}

/** Max (NaN propagates, as in tfjs-backend-cpu). */
export function max(args: KernelArgs): TensorInfo | null {
  const { reductionIndices, keepDims } = args.attrs as unknown as {
    reductionIndices: number | number[];
    keepDims: boolean;
  };
  return reduceKernel(args, OP.max, reductionIndices, keepDims);
}

/** ArgMax over one axis (first strict maximum), int32 output. */
export function argMax(args: KernelArgs): TensorInfo | null {
  const { inputs, backend } = args;
  const x = inputs.x as TensorInfo;
  const xv = backend.f32(x);
  if (!xv || xv.length === 0) return null;
  const { axis } = args.attrs as unknown as { axis: number | number[] };
  const axes = util.parseAxisParam(axis, x.shape);
  if (axes.length !== 1) return null;
  const ax = axes[0];
  const outer = x.shape.slice(0, ax).reduce((p, s) => p * s, 1);
  const inner = x.shape.slice(ax + 1).reduce((p, s) => p * s, 1);
  const outShape = x.shape.filter((_, d) => d !== ax);
  const out = new Int32Array(outer * inner);
  backend.native.argMax(xv, out, outer, x.shape[ax], inner);
  return backend.makeTensorInfo(outShape, 'int32', out);
}
