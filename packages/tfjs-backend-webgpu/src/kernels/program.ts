/**
 * The shape of a tfjs-backend-webgpu program (`WebGPUProgram` in its sources, not exported by the package) and the
 * backend calls the kernels make. Our programs are plain objects: the backend generates the bindings (`result`, one
 * `array<f32>` per input named in `variableNames`, `uniforms`) and calls our `main`.
 */
import type { TensorInfo } from '@tensorflow/tfjs-core';

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
