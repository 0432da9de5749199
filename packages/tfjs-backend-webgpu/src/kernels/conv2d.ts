/**
 * The forward `Conv2D` and `FusedConv2D` (bias and ReLU epilogue) as a tiled implicit GEMM.
 *
 * y[m, n] = Σ_k X̂[m, k] · W[k, n] (+ bias[n], then max(0, ·) for ReLU) with m = (b, oy, ox) (batch × output pixels),
 * n = co and k = (r, c, ci); X̂[m, k] = x[b, oy·sh − padTop + r·dh, ox·sw − padLeft + c·dw, ci] or 0 outside the
 * image (im2col, never materialised), and W[k, n] = w[r, c, ci, co], which is tfjs' filter layout read as a K × N
 * matrix. Each workgroup computes a TM × TN tile of y (4 × 4 outputs per thread), staging 32-wide slices of k of both
 * operands in workgroup memory; loads run along ci (contiguous in x) and co (contiguous in w). The tile is 32 × 32,
 * or 64 × 16 when there are at most 16 output channels (stock tfjs-webgpu's convolution is slowest at 16 channels,
 * where a 32-wide tile of n would idle half its threads).
 *
 * Falls back to the stock kernel for NCHW, non-float32 operands, activations other than linear and ReLU, PReLU
 * weights, a bias that is not one value per output channel, or more row tiles than one dispatch dimension allows.
 * Speed is unmeasured until a GPU run (`benchmarks/gpu/run.mjs`); `stockKernels: ['Conv2D', 'FusedConv2D']` restores
 * the stock kernels.
 */
import { backend_util, type KernelFunc, type TensorInfo } from '@tensorflow/tfjs-core';
import {
  type ConvGradAttrs,
  geometryKey,
  im2colConstants,
  im2colLoad,
  tileOuterProducts,
  type WebGpuBackendLike,
  type WebGpuProgram,
} from './program.js';

const TK = 32;

interface ConvAttrs extends ConvGradAttrs {
  dilations?: [number, number] | number;
  activation?: string;
  leakyreluAlpha?: number;
}

/** Tile shape for `n` output channels: [rows of m, columns of n]. */
function tileShape(n: number): [number, number] {
  return n <= 16 ? [64, 16] : [32, 32];
}

function program(ci: backend_util.Conv2DInfo, bias: boolean, relu: boolean): WebGpuProgram {
  const M = ci.batchSize * ci.outHeight * ci.outWidth;
  const N = ci.outChannels;
  const K = ci.filterHeight * ci.filterWidth * ci.inChannels;
  const [TM, TN] = tileShape(N);
  const WX = TN / 4;
  const WY = TM / 4;
  const threads = WX * WY;
  const key = `${geometryKey(ci)}_${ci.dilationHeight}_${ci.dilationWidth}_${bias}_${relu}`;
  const epilogue = `${bias ? 'v = v + bias[n];' : ''}${relu ? 'v = max(v, 0.0);' : ''}`;
  return {
    outputShape: [ci.batchSize, ci.outHeight, ci.outWidth, ci.outChannels],
    shaderKey: `ftConv2DGemm_${key}`,
    dispatchLayout: { x: [0], y: [1], z: [2] },
    dispatch: [Math.ceil(N / TN), Math.ceil(M / TM), 1],
    variableNames: bias ? ['x', 'w', 'bias'] : ['x', 'w'],
    workgroupSize: [WX, WY, 1],
    getUserCode: () => `
const M = ${M};
const N = ${N};
const K = ${K};
${im2colConstants(ci)}
var<workgroup> tileA : array<f32, ${TK * TM}>;
var<workgroup> tileB : array<f32, ${TK * TN}>;

fn main() {
  // The shapes are baked in as constants; touch the uniform block so 'auto' layout keeps the binding tfjs fills.
  _ = uniforms.NAN;
  let tx = i32(localId.x);
  let ty = i32(localId.y);
  let t = ty * ${WX} + tx;
  let n0 = i32(workgroupId.x) * ${TN};
  let m0 = i32(workgroupId.y) * ${TM};
  var acc : array<array<f32, 4>, 4>;
  for (var st = 0; st < ${Math.ceil(K / TK)}; st = st + 1) {
    let k0 = st * ${TK};
    // X̂[m0 + row, k0 + kk]: consecutive threads take consecutive k (along ci, contiguous in x).
    for (var i = 0; i < ${(TK * TM) / threads}; i = i + 1) {
      let e = t + i * ${threads};
      let kk = e % ${TK};
      let row = e / ${TK};
      let k = k0 + kk;
      let m = m0 + row;
${im2colLoad('m < M && k < K')}
      tileA[kk * ${TM} + row] = v;
    }
    // W[k0 + kk, n0 + col]: consecutive threads take consecutive n (along co, contiguous in w).
    for (var i = 0; i < ${(TK * TN) / threads}; i = i + 1) {
      let e = t + i * ${threads};
      let col = e % ${TN};
      let kk = e / ${TN};
      let k = k0 + kk;
      let n = n0 + col;
      var u = 0.0;
      if (n < N && k < K) {
        u = w[k * N + n];
      }
      tileB[kk * ${TN} + col] = u;
    }
    workgroupBarrier();
${tileOuterProducts({ a: 'tileA', b: 'tileB', depth: TK, aStride: TM, bStride: TN, wy: WY, wx: WX })}
    workgroupBarrier();
  }
  for (var i = 0; i < 4; i = i + 1) {
    let m = m0 + ty + i * ${WY};
    for (var j = 0; j < 4; j = j + 1) {
      let n = n0 + tx + j * ${WX};
      if (m < M && n < N) {
        var v = acc[i][j];
        ${epilogue}
        result[m * N + n] = v;
      }
    }
  }
}
`,
  };
}

/**
 * Builds the kernel function for `Conv2D` (`fused` false) or `FusedConv2D` (`fused` true); `fallback` is the stock
 * kernel, used for what the shader does not cover.
 */
export function makeConv2D(fused: boolean) {
  return (fallback: KernelFunc, counters: { fast: number; fallback: number }): KernelFunc =>
    (args) => {
      const { inputs, backend, attrs } = args as unknown as {
        inputs: { x: TensorInfo; filter: TensorInfo; bias?: TensorInfo; preluActivationWeights?: TensorInfo };
        backend: WebGpuBackendLike;
        attrs: ConvAttrs;
      };
      const { x, filter, bias } = inputs;
      const activation = fused ? (attrs.activation ?? 'linear') : 'linear';
      const covered =
        attrs.dataFormat !== 'NCHW' &&
        x.dtype === 'float32' &&
        filter.dtype === 'float32' &&
        (activation === 'linear' || activation === 'relu') &&
        !inputs.preluActivationWeights &&
        (!bias || (bias.dtype === 'float32' && bias.shape.length === 1 && bias.shape[0] === filter.shape[3]));
      if (!covered) {
        counters.fallback++;
        return fallback(args);
      }
      const ci = backend_util.computeConv2DInfo(
        x.shape as [number, number, number, number],
        filter.shape as [number, number, number, number],
        attrs.strides,
        attrs.dilations ?? 1,
        attrs.pad,
        attrs.dimRoundingMode,
        false,
        'channelsLast',
      );
      const rowTiles = Math.ceil((ci.batchSize * ci.outHeight * ci.outWidth) / tileShape(ci.outChannels)[0]);
      if (
        rowTiles > (backend.device.limits.maxComputeWorkgroupsPerDimension ?? 65535) ||
        rowTiles === 0 ||
        ci.outChannels === 0
      ) {
        counters.fallback++;
        return fallback(args);
      }
      counters.fast++;
      const operands = bias ? [x, filter, bias] : [x, filter];
      return backend.runWebGPUProgram(program(ci, Boolean(bias), activation === 'relu'), operands, 'float32');
    };
}
