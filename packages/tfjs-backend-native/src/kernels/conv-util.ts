/**
 * Shared pieces of the convolution overrides: tfjs' Conv2DInfo to the addon's geometry vector, and the
 * fused-activation codes (same numbering as native/common.h `ActCode`).
 */
import type { backend_util } from '@tensorflow/tfjs-core';

/**
 * Geometry vector for native/conv.cc:
 * `[N, H, W, C, OC, KH, KW, SH, SW, DH, DW, padTop, padLeft, OH, OW, groups]`. The addon derives the bottom/right
 * padding from the output size (oneDNN 2.x needs it explicit).
 * @param ci tfjs convolution info (channels-last).
 * @param groups 1 for a regular convolution, C for a depthwise one.
 */
export function convParams(ci: backend_util.Conv2DInfo, groups: number): Int32Array {
  return Int32Array.from([
    ci.batchSize,
    ci.inHeight,
    ci.inWidth,
    ci.inChannels,
    ci.outChannels,
    ci.filterHeight,
    ci.filterWidth,
    ci.strideHeight,
    ci.strideWidth,
    ci.dilationHeight,
    ci.dilationWidth,
    ci.padInfo.top,
    ci.padInfo.left,
    ci.outHeight,
    ci.outWidth,
    groups,
  ]);
}

/** True when every dimension of the convolution is non-empty and the padding is non-negative. */
export function convSupported(ci: backend_util.Conv2DInfo): boolean {
  return (
    ci.batchSize > 0 &&
    ci.inHeight > 0 &&
    ci.inWidth > 0 &&
    ci.inChannels > 0 &&
    ci.outChannels > 0 &&
    ci.outHeight > 0 &&
    ci.outWidth > 0 &&
    ci.padInfo.top >= 0 &&
    ci.padInfo.left >= 0 &&
    ci.padInfo.bottom >= 0 &&
    ci.padInfo.right >= 0
  );
}

/** True for NHWC (the only layout served natively; NCHW falls back to the JS kernel). */
export function isChannelsLast(dataFormat: unknown): boolean {
  return dataFormat === undefined || dataFormat === null || dataFormat === 'NHWC';
}

/** Fused activation codes of the addon. */
export const ACT = { linear: 0, relu: 1, relu6: 2, elu: 3, leakyrelu: 4, sigmoid: 5 } as const;

/**
 * The addon's code for a tfjs fused activation, or null when it is not supported natively (prelu).
 * @param activation tfjs activation name (`undefined` means linear).
 */
export function activationCode(activation: unknown): number | null {
  if (activation === undefined || activation === null || activation === 'linear') return ACT.linear;
  if (typeof activation === 'string' && activation in ACT) return ACT[activation as keyof typeof ACT];
  return null;
}
