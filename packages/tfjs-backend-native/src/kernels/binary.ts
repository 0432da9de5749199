/**
 * Broadcasting binary ops on float32 (any rank up to 8; the addon coalesces dimensions): Add, Sub, Multiply,
 * RealDiv, SquaredDifference, Maximum, Minimum, Pow. tfjs-backend-cpu's broadcasting path does index arithmetic
 * per element; these were ≈40 % of a training step after the convolutions went native (perf.md §3, T1).
 */
import { broadcast_util, type TensorInfo, util } from '@tensorflow/tfjs-core';
import type { KernelArgs, NativeKernel } from './override.js';

/** Op codes of native/eltwise.cc. */
export const BINARY_OPS = {
  Add: 0,
  Sub: 1,
  Multiply: 2,
  RealDiv: 3,
  SquaredDifference: 4,
  Maximum: 5,
  Minimum: 6,
  Pow: 7,
  /** dy · step(x): the Relu gradient in one pass (inputs `dy`, `x`); see relu-grad.ts. */
  NativeReluGrad: 8,
  /** max(0, a + b): a residual Add and the ReLU after it in one pass (see layers-add-relu.ts). */
  NativeAddRelu: 9,
} as const;

const MAX_RANK = 8;

/**
 * A native override for one binary kernel.
 * @param op the kernel name (a key of {@link BINARY_OPS}).
 */
export function binaryKernel(op: keyof typeof BINARY_OPS): NativeKernel {
  const code = BINARY_OPS[op];
  return (args: KernelArgs): TensorInfo | null => {
    const { inputs, backend } = args;
    const a = (inputs.a ?? inputs.dy) as TensorInfo;
    const b = (inputs.b ?? inputs.x) as TensorInfo;
    const av = backend.f32(a);
    const bv = backend.f32(b);
    if (!av || !bv) return null;
    const outShape = broadcast_util.assertAndGetBroadcastShape(a.shape, b.shape);
    if (outShape.length > MAX_RANK) return null;
    const size = util.sizeFromShape(outShape);
    const out = backend.alloc(size);
    if (size > 0) {
      backend.native.binary(
        code,
        av,
        Int32Array.from(a.shape),
        bv,
        Int32Array.from(b.shape),
        out,
        Int32Array.from(outShape),
      );
    }
    return backend.out(outShape, out);
  };
}
