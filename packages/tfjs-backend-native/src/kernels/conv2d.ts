/**
 * Conv2D and FusedConv2D (bias + linear/relu/relu6/elu/leakyrelu/sigmoid as a oneDNN post-op) on NHWC float32.
 * Falls back for NCHW, other dtypes, prelu, and biases that are not one value per output channel.
 * In bf16 mode (precision.ts) regular convolutions read x and the filter as bf16; the output is computed when first
 * read, in bf16 if that reader is a BatchNorm and in float32 otherwise.
 */
import { backend_util, type TensorInfo, util } from '@tensorflow/tfjs-core';
import { isBf16 } from '../precision.js';
import { activationCode, convParams, convSupported, isChannelsLast } from './conv-util.js';
import type { KernelArgs } from './override.js';

type Conv2DAttrs = {
  strides: number | [number, number];
  pad: 'valid' | 'same' | number | backend_util.ExplicitPadding;
  dataFormat?: 'NHWC' | 'NCHW';
  dilations?: number | [number, number];
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
  activation?: string;
  leakyreluAlpha?: number;
};

/** Shared forward for Conv2D / FusedConv2D / (Fused)DepthwiseConv2dNative. */
export function convForward(args: KernelArgs, depthwise: boolean): TensorInfo | null {
  const { inputs, backend } = args;
  const attrs = args.attrs as unknown as Conv2DAttrs;
  const x = inputs.x as TensorInfo;
  const filter = inputs.filter as TensorInfo;
  const bias = inputs.bias as TensorInfo | undefined;
  if (!isChannelsLast(attrs.dataFormat) || x.shape.length !== 4 || filter.shape.length !== 4) return null;
  const act = activationCode(attrs.activation);
  if (act === null) return null;
  const xv = backend.f32(x);
  const wv = backend.f32(filter);
  if (!xv || !wv) return null;
  const ci = backend_util.computeConv2DInfo(
    x.shape as [number, number, number, number],
    filter.shape as [number, number, number, number],
    attrs.strides,
    attrs.dilations ?? 1,
    attrs.pad,
    attrs.dimRoundingMode,
    depthwise,
    'channelsLast',
  );
  if (!convSupported(ci)) return null;
  let bv: Float32Array | null = null;
  if (bias) {
    bv = backend.f32(bias);
    // Only a per-output-channel bias maps onto oneDNN's bias; scalars and full-size biases use the JS path.
    if (!bv || bv.length !== ci.outChannels || bias.shape[bias.shape.length - 1] !== ci.outChannels) return null;
    if (bias.shape.length > 4) return null;
  }
  if (isBf16() && !depthwise) {
    const params = convParams(ci, 1);
    const alpha = attrs.leakyreluAlpha ?? 0.2;
    const run = (out: Float32Array | Uint16Array) => {
      const xb = backend.bf16(xv);
      try {
        backend.native.convForwardBf16(xb.bits, wv, bv, out, params, act, alpha);
      } finally {
        xb.done();
      }
    };
    // Deferred to the first read: a BatchNorm reading it first gets it written in bf16 (half the memory traffic
    // between the two; NativeBackend.bf16Bits), any other reader in float32.
    return backend.lazyOut(ci.outShape, bv ? [xv, wv, bv] : [xv, wv], run, run);
  }
  const out = backend.alloc(util.sizeFromShape(ci.outShape));
  backend.native.convForward(
    xv,
    wv,
    bv,
    out,
    convParams(ci, depthwise ? ci.inChannels : 1),
    act,
    attrs.leakyreluAlpha ?? 0.2,
  );
  return backend.out(ci.outShape, out);
}

/** Conv2D. */
export function conv2D(args: KernelArgs): TensorInfo | null {
  return convForward(args, false);
}

/** FusedConv2D: conv + bias + activation in one oneDNN primitive. */
export function fusedConv2D(args: KernelArgs): TensorInfo | null {
  if (args.inputs.preluActivationWeights) return null;
  return convForward(args, false);
}
