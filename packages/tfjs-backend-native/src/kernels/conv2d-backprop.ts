/**
 * Conv2DBackpropInput (oneDNN backward-data) and Conv2DBackpropFilter (oneDNN backward-weights, reordered back to
 * tfjs' HWIO filter layout) on NHWC float32. Conv2DBackpropFilter is the kernel that makes tfjs-backend-cpu train
 * at ~1.6 img/s (90–94 % of a step, perf.md §2). In bf16 mode (precision.ts) the regular convolutions' two
 * gradients read dy, x and the filter as bf16 and write float32; dx is written in bf16 instead when a BatchNorm's
 * backward reads it first (NativeBackend.bf16Bits).
 */
import { backend_util, type TensorInfo, util } from '@tensorflow/tfjs-core';
import { isBf16 } from '../precision.js';
import { convParams, convSupported, isChannelsLast } from './conv-util.js';
import type { KernelArgs } from './override.js';

type BackpropAttrs = {
  strides: number | [number, number];
  pad: 'valid' | 'same' | number | backend_util.ExplicitPadding;
  dataFormat?: 'NHWC' | 'NCHW';
  dilations?: number | [number, number];
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
  inputShape?: number[];
  filterShape?: number[];
};

/** dx of a (depthwise) convolution. */
export function convBackpropInput(args: KernelArgs, depthwise: boolean): TensorInfo | null {
  const { inputs, backend } = args;
  const attrs = args.attrs as unknown as BackpropAttrs;
  const dy = inputs.dy as TensorInfo;
  const filter = inputs.filter as TensorInfo;
  const inputShape = attrs.inputShape;
  if (!isChannelsLast(attrs.dataFormat) || !inputShape || inputShape.length !== 4 || dy.shape.length !== 4) {
    return null;
  }
  const dyv = backend.f32(dy);
  const wv = backend.f32(filter);
  if (!dyv || !wv) return null;
  const ci = backend_util.computeConv2DInfo(
    inputShape as [number, number, number, number],
    filter.shape as [number, number, number, number],
    attrs.strides,
    attrs.dilations ?? 1,
    attrs.pad,
    attrs.dimRoundingMode,
    depthwise,
    'channelsLast',
  );
  if (!convSupported(ci) || !util.arraysEqual(ci.outShape, dy.shape)) return null;
  // Deferred: the input gradient of a network's first convolution is computed by tfjs but never read.
  const params = convParams(ci, depthwise ? ci.inChannels : 1);
  if (isBf16() && !depthwise) {
    const run = (out: Float32Array | Uint16Array) => {
      const dyb = backend.bf16(dyv);
      try {
        backend.native.convBackwardDataBf16(dyb.bits, wv, out, params);
      } finally {
        dyb.done();
      }
    };
    // Read first by a BatchNorm's backward (the gradient of a BatchNorm + ReLU output), dx is computed in bf16.
    return backend.lazyOut(inputShape.slice(), [dyv, wv], run, run);
  }
  return backend.lazyOut(inputShape.slice(), [dyv, wv], (out) => backend.native.convBackwardData(dyv, wv, out, params));
}

/** Fewest input channels for which bf16 mode computes a convolution's weight gradient in bf16 (see below). */
export const BF16_WEIGHTS_GRADIENT_MIN_CHANNELS = 8;

/**
 * Whether bf16 mode computes this convolution's weight gradient in bf16. oneDNN 2.6's bf16 backward-weights kernels
 * lose to its fp32 one on three kinds of shape, which stay fp32 (also the more accurate of the two). Measured
 * (batch 128, 2 threads, cache flushed before each call, median of 11, `jit:avx512_core_amx_bf16` against
 * `jit:avx512_core`):
 * - strided with a kernel larger than 1×1: no brgconv kernel, the fallback `jit_bf16:avx512_core_bf16` is 9–15×
 *   slower (3×3 stride 2, 16→32 channels at 32×32: 10.5 ms fp32 against 100–157 ms bf16);
 * - strided 1×1 (ResNet shortcuts): 1.05 against 0.73 ms (16→32 at 32×32), 0.97 against 0.50 ms (32→64 at 16×16),
 *   2.72 against 1.11 ms (64→128 at 16×16);
 * - fewer than {@link BF16_WEIGHTS_GRADIENT_MIN_CHANNELS} input channels (a network's first convolution on RGB or
 *   grey images): 1.35 against 0.73 ms (3→16, 3×3 at 32×32); at 8 channels the two tie (1.40 against 1.32 ms), at
 *   16 bf16 wins 1.54 against 2.36 ms.
 */
export function bf16WeightsGradient(ci: backend_util.Conv2DInfo): boolean {
  const strided = ci.strideHeight > 1 || ci.strideWidth > 1;
  return !strided && ci.inChannels >= BF16_WEIGHTS_GRADIENT_MIN_CHANNELS;
}

/** dFilter of a (depthwise) convolution, in the tfjs filter layout. */
export function convBackpropFilter(args: KernelArgs, depthwise: boolean): TensorInfo | null {
  const { inputs, backend } = args;
  const attrs = args.attrs as unknown as BackpropAttrs;
  const x = inputs.x as TensorInfo;
  const dy = inputs.dy as TensorInfo;
  const filterShape = attrs.filterShape;
  if (!isChannelsLast(attrs.dataFormat) || !filterShape || filterShape.length !== 4 || x.shape.length !== 4) {
    return null;
  }
  const xv = backend.f32(x);
  const dyv = backend.f32(dy);
  if (!xv || !dyv) return null;
  const ci = backend_util.computeConv2DInfo(
    x.shape as [number, number, number, number],
    filterShape as [number, number, number, number],
    attrs.strides,
    attrs.dilations ?? 1,
    attrs.pad,
    attrs.dimRoundingMode,
    depthwise,
    'channelsLast',
  );
  if (!convSupported(ci) || !util.arraysEqual(ci.outShape, dy.shape)) return null;
  const out = backend.alloc(util.sizeFromShape(filterShape));
  if (isBf16() && !depthwise && bf16WeightsGradient(ci)) {
    const xb = backend.bf16(xv);
    const dyb = backend.bf16(dyv);
    try {
      backend.native.convBackwardWeightsBf16(xb.bits, dyb.bits, out, convParams(ci, 1));
    } finally {
      xb.done();
      dyb.done();
    }
    return backend.out(filterShape.slice(), out);
  }
  backend.native.convBackwardWeights(xv, dyv, out, convParams(ci, depthwise ? ci.inChannels : 1));
  return backend.out(filterShape.slice(), out);
}

/** Conv2DBackpropInput. */
export function conv2DBackpropInput(args: KernelArgs): TensorInfo | null {
  return convBackpropInput(args, false);
}

/** Conv2DBackpropFilter. */
export function conv2DBackpropFilter(args: KernelArgs): TensorInfo | null {
  return convBackpropFilter(args, false);
}
