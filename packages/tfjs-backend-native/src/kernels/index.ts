/**
 * The native overrides, by tfjs kernel name. Every other tfjs-backend-cpu kernel is re-registered unchanged.
 */
import { batchMatMul, fusedMatMul } from './batch-mat-mul.js';
import { binaryKernel } from './binary.js';
import { conv2D, fusedConv2D } from './conv2d.js';
import { conv2DBackpropFilter, conv2DBackpropInput } from './conv2d-backprop.js';
import {
  depthwiseConv2dNative,
  depthwiseConv2dNativeBackpropFilter,
  depthwiseConv2dNativeBackpropInput,
  fusedDepthwiseConv2D,
} from './depthwise-conv2d.js';
import { fill, onesLike, zerosLike } from './fill.js';
import { fusedBatchNorm } from './fused-batch-norm.js';
import { tile, transpose } from './layout.js';
import type { NativeKernel } from './override.js';
import { avgPool, avgPoolGrad, maxPool, maxPoolGrad } from './pool.js';
import { argMax, max, mean, sum } from './reduce.js';
import { softmax } from './softmax.js';
import { reluKernel, unaryKernel } from './unary.js';

/** Kernel name → native override. */
export const NATIVE_KERNELS: Readonly<Record<string, NativeKernel>> = {
  Conv2D: conv2D,
  FusedConv2D: fusedConv2D,
  Conv2DBackpropInput: conv2DBackpropInput,
  Conv2DBackpropFilter: conv2DBackpropFilter,
  DepthwiseConv2dNative: depthwiseConv2dNative,
  FusedDepthwiseConv2D: fusedDepthwiseConv2D,
  DepthwiseConv2dNativeBackpropInput: depthwiseConv2dNativeBackpropInput,
  DepthwiseConv2dNativeBackpropFilter: depthwiseConv2dNativeBackpropFilter,
  BatchMatMul: batchMatMul,
  _FusedMatMul: fusedMatMul,
  Add: binaryKernel('Add'),
  Sub: binaryKernel('Sub'),
  Multiply: binaryKernel('Multiply'),
  RealDiv: binaryKernel('RealDiv'),
  SquaredDifference: binaryKernel('SquaredDifference'),
  Maximum: binaryKernel('Maximum'),
  Minimum: binaryKernel('Minimum'),
  Pow: binaryKernel('Pow'),
  Relu: reluKernel(),
  Step: unaryKernel('Step'),
  Exp: unaryKernel('Exp'),
  Log: unaryKernel('Log'),
  Sqrt: unaryKernel('Sqrt'),
  Rsqrt: unaryKernel('Rsqrt'),
  Square: unaryKernel('Square'),
  Neg: unaryKernel('Neg'),
  Abs: unaryKernel('Abs'),
  Sigmoid: unaryKernel('Sigmoid'),
  Tanh: unaryKernel('Tanh'),
  Relu6: unaryKernel('Relu6'),
  Elu: unaryKernel('Elu'),
  LeakyRelu: unaryKernel('LeakyRelu'),
  Sum: sum,
  Mean: mean,
  Max: max,
  ArgMax: argMax,
  Tile: tile,
  Transpose: transpose,
  MaxPool: maxPool,
  MaxPoolGrad: maxPoolGrad,
  AvgPool: avgPool,
  AvgPoolGrad: avgPoolGrad,
  Softmax: softmax,
  FusedBatchNorm: fusedBatchNorm,
  Fill: fill,
  ZerosLike: zerosLike,
  OnesLike: onesLike,
};
