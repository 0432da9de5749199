/**
 * MaxPool, AvgPool and their gradients on NHWC float32, with tfjs-backend-cpu's window, NaN and tie semantics
 * (see native/pool.cc). tfjs-backend-cpu's MaxPoolGrad reads every element through TensorBuffer.get and was
 * 22 % of a TinyCNN step once the convolutions were native (perf.md §3).
 */
import { backend_util, type TensorInfo, util } from '@tensorflow/tfjs-core';
import type { KernelArgs } from './override.js';

type PoolAttrs = {
  filterSize: number | [number, number];
  strides: number | [number, number];
  pad: 'valid' | 'same' | number | backend_util.ExplicitPadding;
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
};

function poolInfo(args: KernelArgs, shape: number[]): { ci: backend_util.Conv2DInfo; params: Int32Array } | null {
  if (shape.length !== 4) return null;
  const a = args.attrs as unknown as PoolAttrs;
  const ci = backend_util.computePool2DInfo(
    shape as [number, number, number, number],
    a.filterSize,
    a.strides,
    1,
    a.pad,
    a.dimRoundingMode,
  );
  if (
    util.sizeFromShape(ci.inShape) === 0 ||
    util.sizeFromShape(ci.outShape) === 0 ||
    ci.padInfo.top < 0 ||
    ci.padInfo.left < 0
  ) {
    return null;
  }
  const params = Int32Array.from([
    ci.batchSize,
    ci.inHeight,
    ci.inWidth,
    ci.inChannels,
    ci.effectiveFilterHeight,
    ci.effectiveFilterWidth,
    ci.strideHeight,
    ci.strideWidth,
    ci.padInfo.top,
    ci.padInfo.left,
    ci.outHeight,
    ci.outWidth,
  ]);
  return { ci, params };
}

/** MaxPool. */
export function maxPool(args: KernelArgs): TensorInfo | null {
  const x = args.inputs.x as TensorInfo;
  const xv = args.backend.f32(x);
  const info = xv && poolInfo(args, x.shape);
  if (!xv || !info) return null;
  const out = args.backend.alloc(util.sizeFromShape(info.ci.outShape));
  args.backend.native.maxPool(xv, out, info.params);
  return args.backend.out(info.ci.outShape, out);
}

/** AvgPool (divides by the in-bounds window size). */
export function avgPool(args: KernelArgs): TensorInfo | null {
  const x = args.inputs.x as TensorInfo;
  const xv = args.backend.f32(x);
  const info = xv && poolInfo(args, x.shape);
  if (!xv || !info) return null;
  const out = args.backend.alloc(util.sizeFromShape(info.ci.outShape));
  args.backend.native.avgPool(xv, out, info.params);
  return args.backend.out(info.ci.outShape, out);
}

/** MaxPoolGrad: dy routed to each window's first maximum of the input. */
export function maxPoolGrad(args: KernelArgs): TensorInfo | null {
  const dy = args.inputs.dy as TensorInfo;
  const x = args.inputs.input as TensorInfo;
  const dyv = args.backend.f32(dy);
  const xv = args.backend.f32(x);
  const info = xv && dyv && poolInfo(args, x.shape);
  if (!xv || !dyv || !info || !util.arraysEqual(info.ci.outShape, dy.shape)) return null;
  const out = args.backend.alloc(xv.length);
  args.backend.native.maxPoolGrad(dyv, xv, out, info.params);
  return args.backend.out(x.shape.slice(), out);
}

/** AvgPoolGrad (tfjs-backend-cpu semantics: dy / (KH*KW) spread over in-bounds window pixels). */
export function avgPoolGrad(args: KernelArgs): TensorInfo | null {
  const dy = args.inputs.dy as TensorInfo;
  const x = args.inputs.input as TensorInfo;
  const dyv = args.backend.f32(dy);
  const info = dyv && x.dtype === 'float32' ? poolInfo(args, x.shape) : null;
  if (!dyv || !info || !util.arraysEqual(info.ci.outShape, dy.shape)) return null;
  const out = args.backend.alloc(util.sizeFromShape(x.shape));
  args.backend.native.avgPoolGrad(dyv, out, info.params);
  return args.backend.out(x.shape.slice(), out);
}
