/**
 * Elementwise unary ops on float32: Relu, Step, Exp, Log, Sqrt, Rsqrt, Square, Neg, Abs, Sigmoid, Tanh, plus Relu6,
 * Elu and LeakyRelu. Transcendentals are evaluated in double like the JS kernels' Math.* calls.
 */
import { getKernel, type TensorInfo } from '@tensorflow/tfjs-core';
import type { KernelArgs, NativeKernel } from './override.js';

/** Op codes of native/eltwise.cc. */
export const UNARY_OPS = {
  Relu: 0,
  Step: 1,
  Exp: 2,
  Log: 3,
  Sqrt: 4,
  Rsqrt: 5,
  Square: 6,
  Neg: 7,
  Abs: 8,
  Sigmoid: 9,
  Tanh: 10,
  Relu6: 11,
  Elu: 12,
  LeakyRelu: 13,
} as const;

/**
 * A native override for one unary kernel.
 * @param op the kernel name (a key of {@link UNARY_OPS}).
 */
export function unaryKernel(op: keyof typeof UNARY_OPS): NativeKernel {
  const code = UNARY_OPS[op];
  return (args: KernelArgs): TensorInfo | null => {
    const { inputs, backend } = args;
    const x = inputs.x as TensorInfo;
    const xv = backend.f32(x);
    if (!xv) return null;
    const alpha = Number((args.attrs as { alpha?: number } | undefined)?.alpha ?? 0);
    const out = backend.alloc(xv.length);
    if (xv.length > 0) backend.native.unary(code, xv, out, alpha);
    return backend.out(x.shape.slice(), out);
  };
}

/**
 * Relu: tfjs' Identity kernel (a new tensor sharing the values) on the output of an op with a ReLU fused in (BatchNorm
 * + ReLU, Add + ReLU), which is already rectified; else the native pass.
 */
export function reluKernel(): NativeKernel {
  const relu = unaryKernel('Relu');
  return (args: KernelArgs) => {
    const x = args.inputs.x as TensorInfo;
    if (!args.backend.isRectified(x)) return relu(args);
    return getKernel('Identity', 'cpu').kernelFunc({ inputs: { x }, backend: args.backend }) as TensorInfo;
  };
}
