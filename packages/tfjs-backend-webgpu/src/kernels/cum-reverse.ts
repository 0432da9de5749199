/**
 * `Cumsum` and `Cumprod` with `reverse: true`, corrected.
 *
 * tfjs-backend-webgpu 4.22 writes the axis length into the reverse shader's code (`end + pow2 < length`, or
 * `end != length - 1` when exclusive) but leaves it out of the shader's cache key (`cum_<op>_<exclusive>_<reverse>`).
 * The first reverse cumulative op of a process compiles the shader for its length, and every later one reuses it:
 * a reverse cumsum over 15 elements after one over 8 returns wrong sums from the 9th element on. The forward shaders
 * embed no length, so they are right. This kernel computes the reverse op as
 * `reverse(cum(reverse(x, axis), axis, exclusive, reverse = false), axis)` with the stock kernels.
 */

import type { KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import * as tf from '@tensorflow/tfjs-core';
import type { WebGpuBackendLike } from './program.js';

/** The attributes of tfjs' Cumsum / Cumprod kernels. */
interface CumAttrs {
  axis: number;
  exclusive: boolean;
  reverse: boolean;
}

/**
 * Wraps the stock `Cumsum` or `Cumprod` kernel: forward calls go to it unchanged (`counters.fallback`), reverse
 * calls are computed through two `Reverse`s around a forward call (`counters.fast`).
 */
export function makeCumReverse(stock: KernelFunc, counters: { fast: number; fallback: number }): KernelFunc {
  return (args) => {
    const attrs = args.attrs as unknown as CumAttrs;
    const x = (args.inputs as { x: TensorInfo }).x;
    // tfjs' cumsum op passes the axis as given; Reverse needs it non-negative.
    const axis = attrs.axis < 0 ? attrs.axis + x.shape.length : attrs.axis;
    if (!attrs.reverse) {
      counters.fallback++;
      return stock(args);
    }
    counters.fast++;
    const backend = args.backend as unknown as WebGpuBackendLike;
    const reverseKernel = tf.getKernel('Reverse', 'webgpu');
    if (!reverseKernel) throw new Error('ft-webgpu: tfjs-backend-webgpu has no Reverse kernel');
    const flip = (t: TensorInfo) =>
      reverseKernel.kernelFunc({
        inputs: { x: t },
        backend: args.backend,
        attrs: { dims: [axis] },
      }) as TensorInfo;
    const flipped = flip(x);
    const summed = stock({ ...args, inputs: { x: flipped }, attrs: { ...attrs, axis, reverse: false } }) as TensorInfo;
    const out = flip(summed);
    backend.disposeData(flipped.dataId);
    backend.disposeData(summed.dataId);
    return out;
  };
}
