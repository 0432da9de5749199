/**
 * The shape of a tfjs-backend-webgpu program (`WebGPUProgram` in its sources, not exported by the package) and the
 * backend calls the kernels make. Our programs are plain objects: the backend generates the bindings (`result`, one
 * `array<f32>` per input named in `variableNames`, `uniforms`) and calls our `main`.
 */
import { backend_util, type TensorInfo, util } from '@tensorflow/tfjs-core';

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

/**
 * WGSL for one stage of a register-tiled GEMM: for each of `depth` rows kk of the staged tiles, every thread
 * (tx, ty) adds the outer product of 4 values of tile `a` (columns ty + i·wy) and 4 of tile `b` (columns tx + j·wx)
 * into its `acc : array<array<f32, 4>, 4>`. Tile `a` has row stride `aStride`, tile `b` `bStride`.
 */
export function tileOuterProducts(o: {
  a: string;
  b: string;
  depth: number;
  aStride: number;
  bStride: number;
  wy: number;
  wx: number;
}): string {
  return `    for (var kk = 0; kk < ${o.depth}; kk = kk + 1) {
      var a : array<f32, 4>;
      var bb : array<f32, 4>;
      for (var i = 0; i < 4; i = i + 1) {
        a[i] = ${o.a}[kk * ${o.aStride} + ty + i * ${o.wy}];
        bb[i] = ${o.b}[kk * ${o.bStride} + tx + i * ${o.wx}];
      }
      for (var i = 0; i < 4; i = i + 1) {
        for (var j = 0; j < 4; j = j + 1) {
          acc[i][j] = acc[i][j] + a[i] * bb[j];
        }
      }
    }`;
}

/**
 * WGSL constants of a convolution's im2col view (see {@link im2colLoad}): output pixels per image and per row,
 * input size, channels, filter row length, strides, dilations and padding.
 */
export function im2colConstants(ci: backend_util.Conv2DInfo): string {
  return `const OHW = ${ci.outHeight * ci.outWidth};
const OW = ${ci.outWidth};
const IH = ${ci.inHeight};
const IW = ${ci.inWidth};
const CIN = ${ci.inChannels};
const FWCI = ${ci.filterWidth * ci.inChannels};
const SH = ${ci.strideHeight};
const SW = ${ci.strideWidth};
const DH = ${ci.dilationHeight};
const DW = ${ci.dilationWidth};
const PT = ${ci.padInfo.top};
const PL = ${ci.padInfo.left};`;
}

/**
 * WGSL setting `v` to X̂[m, k] = x[b, oy·SH − PT + r·DH, ox·SW − PL + c·DW, cin] for m = (b, oy, ox) and
 * k = (r, c, cin), or leaving it 0 outside the image; `inRange` guards m and k (needs {@link im2colConstants}).
 */
export function im2colLoad(inRange: string): string {
  return `      var v = 0.0;
      if (${inRange}) {
        let b = m / OHW;
        let p = m % OHW;
        let oy = p / OW;
        let ox = p % OW;
        let r = k / FWCI;
        let q = k % FWCI;
        let c = q / CIN;
        let cin = q % CIN;
        let iy = oy * SH - PT + r * DH;
        let ix = ox * SW - PL + c * DW;
        if (iy >= 0 && iy < IH && ix >= 0 && ix < IW) {
          v = x[((b * IH + iy) * IW + ix) * CIN + cin];
        }
      }`;
}

/**
 * An elementwise program over `shape` (64 threads per workgroup, one output per thread): `body` is WGSL that sets
 * `value` for the flat output index `index`. The body must read every input in `variableNames` (tfjs compiles with an
 * 'auto' bind-group layout, which drops unread bindings and then rejects the bind group). `shaderKey` must name every
 * constant the body bakes in.
 */
export function elementwiseProgram(
  shaderKey: string,
  shape: number[],
  variableNames: string[],
  body: string,
  uniforms = '',
): WebGpuProgram {
  return {
    outputShape: shape,
    shaderKey,
    dispatchLayout: { x: shape.map((_, i) => i) },
    dispatch: [Math.ceil(util.sizeFromShape(shape) / 64), 1, 1],
    variableNames,
    workgroupSize: [64, 1, 1],
    size: true,
    ...(uniforms ? { uniforms } : {}),
    getUserCode: () => `
fn main(index : i32) {
  if (index < uniforms.size) {
${body}
    result[index] = value;
  }
}
`,
  };
}
