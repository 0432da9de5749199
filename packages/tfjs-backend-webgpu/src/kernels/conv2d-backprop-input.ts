/**
 * `Conv2DBackpropInput` as a tiled implicit GEMM.
 *
 * dx[m, n] = Σ_k dŶ[m, k] · W[k, n] with m = (b, iy, ix) (batch × input pixels), n = ci and k = (r, c, co);
 * dŶ[m, k] = dy[b, oy, ox, co] where oy·sh = iy + padTop − r and ox·sw = ix + padLeft − c (exact division, inside
 * the output), else 0; W[k, n] = w[r, c, ci, co]. Neither operand is materialised. Each 8 × 8-thread workgroup
 * computes a 32 × 32 tile of dx (4 × 4 per thread), staging 32-wide slices of k of both operands in workgroup memory;
 * m is long enough (batch × pixels) that no split of k is needed. Loads read along co, the contiguous axis of both
 * dy and w.
 *
 * Falls back to the stock kernel for NCHW, non-float32 inputs, or more row tiles than one dispatch dimension allows.
 */
import type { backend_util, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import {
  type ConvGradAttrs,
  convGeometry,
  gemmCovers,
  geometryKey,
  tileOuterProducts,
  type WebGpuBackendLike,
  type WebGpuProgram,
} from './program.js';

const T = 32;
const WG = 8;

function program(ci: backend_util.Conv2DInfo): WebGpuProgram {
  const M = ci.batchSize * ci.inHeight * ci.inWidth;
  const N = ci.inChannels;
  const K = ci.filterHeight * ci.filterWidth * ci.outChannels;
  const key = geometryKey(ci);
  const perThread = (T * T) / (WG * WG);
  return {
    outputShape: [ci.batchSize, ci.inHeight, ci.inWidth, ci.inChannels],
    shaderKey: `ftConv2DBackpropInputGemm_${key}`,
    dispatchLayout: { x: [0], y: [1], z: [2] },
    dispatch: [Math.ceil(N / T), Math.ceil(M / T), 1],
    variableNames: ['dy', 'w'],
    workgroupSize: [WG, WG, 1],
    getUserCode: () => `
const M = ${M};
const N = ${N};
const K = ${K};
const IHW = ${ci.inHeight * ci.inWidth};
const IW = ${ci.inWidth};
const OH = ${ci.outHeight};
const OW = ${ci.outWidth};
const COUT = ${ci.outChannels};
const FWCO = ${ci.filterWidth * ci.outChannels};
const SH = ${ci.strideHeight};
const SW = ${ci.strideWidth};
const PT = ${ci.padInfo.top};
const PL = ${ci.padInfo.left};
var<workgroup> tileA : array<f32, ${T * T}>;
var<workgroup> tileB : array<f32, ${T * T}>;

fn main() {
  // The shapes are baked in as constants; touch the uniform block so 'auto' layout keeps the binding tfjs fills.
  _ = uniforms.NAN;
  let tx = i32(localId.x);
  let ty = i32(localId.y);
  let t = ty * ${WG} + tx;
  let n0 = i32(workgroupId.x) * ${T};
  let m0 = i32(workgroupId.y) * ${T};
  var acc : array<array<f32, 4>, 4>;
  for (var st = 0; st < ${Math.ceil(K / T)}; st = st + 1) {
    let k0 = st * ${T};
    for (var i = 0; i < ${perThread}; i = i + 1) {
      let e = t + i * ${WG * WG};
      let kk = e % ${T};
      let row = e / ${T};
      let k = k0 + kk;
      // dŶ[m0 + row, k]
      var v = 0.0;
      let m = m0 + row;
      if (m < M && k < K) {
        let b = m / IHW;
        let p = m % IHW;
        let iy = p / IW;
        let ix = p % IW;
        let r = k / FWCO;
        let q = k % FWCO;
        let c = q / COUT;
        let co = q % COUT;
        let ty2 = iy + PT - r;
        let tx2 = ix + PL - c;
        if (ty2 >= 0 && tx2 >= 0 && ty2 % SH == 0 && tx2 % SW == 0) {
          let oy = ty2 / SH;
          let ox = tx2 / SW;
          if (oy < OH && ox < OW) {
            v = dy[((b * OH + oy) * OW + ox) * COUT + co];
          }
        }
      }
      tileA[kk * ${T} + row] = v;
      // W[k, n0 + row]
      let n = n0 + row;
      var u = 0.0;
      if (n < N && k < K) {
        let r = k / FWCO;
        let q = k % FWCO;
        let c = q / COUT;
        let co = q % COUT;
        u = w[((r * ${ci.filterWidth} + c) * N + n) * COUT + co];
      }
      tileB[kk * ${T} + row] = u;
    }
    workgroupBarrier();
${tileOuterProducts({ a: 'tileA', b: 'tileB', depth: T, aStride: T, bStride: T, wy: WG, wx: WG })}
    workgroupBarrier();
  }
  for (var i = 0; i < 4; i = i + 1) {
    let m = m0 + ty + i * ${WG};
    for (var j = 0; j < 4; j = j + 1) {
      let n = n0 + tx + j * ${WG};
      if (m < M && n < N) {
        result[m * N + n] = acc[i][j];
      }
    }
  }
}
`,
  };
}

/** Builds the kernel function; `fallback` is the stock kernel, used for layouts and dtypes it does not cover. */
export function makeConv2DBackpropInput(
  fallback: KernelFunc,
  counters: { fast: number; fallback: number },
): KernelFunc {
  return (args) => {
    const { inputs, backend, attrs } = args as unknown as {
      inputs: { dy: TensorInfo; filter: TensorInfo };
      backend: WebGpuBackendLike;
      attrs: ConvGradAttrs & { inputShape: [number, number, number, number] };
    };
    const { dy, filter } = inputs;
    if (!gemmCovers(attrs, dy, filter)) {
      counters.fallback++;
      return fallback(args);
    }
    const ci = convGeometry(attrs.inputShape, filter.shape, attrs);
    const rowTiles = Math.ceil((ci.batchSize * ci.inHeight * ci.inWidth) / T);
    if (rowTiles > (backend.device.limits.maxComputeWorkgroupsPerDimension ?? 65535)) {
      counters.fallback++;
      return fallback(args);
    }
    counters.fast++;
    return backend.runWebGPUProgram(program(ci), [dy, filter], 'float32');
  };
}
