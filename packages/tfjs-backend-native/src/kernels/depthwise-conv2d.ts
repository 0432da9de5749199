/**
 * DepthwiseConv2dNative (and FusedDepthwiseConv2D) with its two backprops, as oneDNN grouped convolutions with
 * groups = input channels: tfjs' depthwise filter [KH, KW, C, M] (output channel c*M + m) is oneDNN's
 * (G=C, O=M, I=1, KH, KW) weights described with explicit strides, so no layout conversion happens in JS.
 */
import type { TensorInfo } from '@tensorflow/tfjs-core';
import { convForward } from './conv2d.js';
import { convBackpropFilter, convBackpropInput } from './conv2d-backprop.js';
import type { KernelArgs } from './override.js';

/** DepthwiseConv2dNative. */
export function depthwiseConv2dNative(args: KernelArgs): TensorInfo | null {
  return convForward(args, true);
}

/** FusedDepthwiseConv2D (bias + activation post-op). */
export function fusedDepthwiseConv2D(args: KernelArgs): TensorInfo | null {
  if (args.inputs.preluActivationWeights) return null;
  return convForward(args, true);
}

/** DepthwiseConv2dNativeBackpropInput. */
export function depthwiseConv2dNativeBackpropInput(args: KernelArgs): TensorInfo | null {
  return convBackpropInput(args, true);
}

/** DepthwiseConv2dNativeBackpropFilter. */
export function depthwiseConv2dNativeBackpropFilter(args: KernelArgs): TensorInfo | null {
  return convBackpropFilter(args, true);
}
