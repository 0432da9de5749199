/**
 * The shape of a tfjs-backend-webgpu program (`WebGPUProgram` in its sources, not exported by the package) and the
 * backend calls the kernels make. Our programs are plain objects: the backend generates the bindings (`result`, one
 * `array<f32>` per input named in `variableNames`, `uniforms`) and calls our `main`.
 */
import { backend_util, type TensorInfo } from '@tensorflow/tfjs-core';

export interface WebGpuProgram {
  outputShape: number[];
  shaderKey: string;
  dispatchLayout: { x: number[]; y?: number[]; z?: number[] };
  dispatch: [number, number, number];
  variableNames: string[];
  workgroupSize: [number, number, number];
  size?: boolean;
  uniforms?: string;
  getUserCode(): string;
}

/** The WebGPUBackend methods our kernels call. */
export interface WebGpuBackendLike {
  runWebGPUProgram(
    program: WebGpuProgram,
    inputs: TensorInfo[],
    dtype: 'float32',
    uniforms?: { type: 'int32' | 'float32' | 'uint32'; data: number[] }[],
  ): TensorInfo;
  disposeData(dataId: object, force?: boolean): boolean;
  device: { limits: Readonly<Record<string, number>> };
}

/** The attributes both convolution gradients share. */
export interface ConvGradAttrs {
  strides: [number, number] | number;
  pad: 'valid' | 'same' | number | backend_util.ExplicitPadding;
  dataFormat: 'NHWC' | 'NCHW';
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
}

/** Whether our shaders cover the call: NHWC float32 operands (the stock kernel runs the rest). */
export function gemmCovers(attrs: ConvGradAttrs, ...operands: TensorInfo[]): boolean {
  return attrs.dataFormat !== 'NCHW' && operands.every((t) => t.dtype === 'float32');
}

/** The convolution's geometry, channels last (tfjs' conv gradients carry no dilation). */
export function convGeometry(xShape: number[], filterShape: number[], attrs: ConvGradAttrs): backend_util.Conv2DInfo {
  return backend_util.computeConv2DInfo(
    xShape as [number, number, number, number],
    filterShape as [number, number, number, number],
    attrs.strides,
    1,
    attrs.pad,
    attrs.dimRoundingMode,
    false,
    'channelsLast',
  );
}

/** The part of a shader key that fixes the geometry baked into the shader as constants. */
export function geometryKey(ci: backend_util.Conv2DInfo): string {
  return [
    ci.batchSize,
    ci.inHeight,
    ci.inWidth,
    ci.inChannels,
    ci.outHeight,
    ci.outWidth,
    ci.outChannels,
    ci.filterHeight,
    ci.filterWidth,
    ci.strideHeight,
    ci.strideWidth,
    ci.padInfo.top,
    ci.padInfo.left,
  ].join('_');
}
