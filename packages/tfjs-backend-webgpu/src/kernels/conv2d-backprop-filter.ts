/**
 * `Conv2DBackpropFilter` as a tiled implicit GEMM with split-K over the batch-and-pixels axis.
 *
 * dW[k, n] = Σ_m X̂[m, k] · dY[m, n] with k = (r, c, ci) (the filter's [fh, fw, inC] flattened, tfjs' layout),
 * n = co and m = (b, oy, ox); X̂[m, k] = x[b, oy·sh − padTop + r, ox·sw − padLeft + c, ci] or 0 outside the image
 * (the im2col matrix, never materialised). The reduction axis m (batch × output pixels) is long and the output
 * (K × N) is small, so the stock kernel (one thread per filter weight, each looping over all of m) has only K·N
 * threads: ~2,300 for a 3×3×16×16 filter. Here each workgroup computes a 32 × 32 tile of dW over one slice of m,
 * staging 32 rows of X̂ and dY in workgroup memory; the slices' partial sums go to a [S, K·N] buffer that a second
 * pass adds up (S = 1 writes dW directly). There are no float atomics in WGSL, hence the two passes.
 *
 * Falls back to the stock kernel for NCHW or non-float32 inputs. tfjs' conv gradients have no dilation attribute
 * (tfjs-core rejects gradients of dilated convolutions before any kernel runs).
 */
import type { backend_util, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import {
  type ConvGradAttrs,
  convGeometry,
  gemmCovers,
  geometryKey,
  im2colConstants,
  im2colLoad,
  tileOuterProducts,
  type WebGpuBackendLike,
  type WebGpuProgram,
} from './program.js';

/** Tile sizes: a workgroup of 8 × 8 threads, each accumulating 4 × 4 outputs; 32 rows of m per stage. */
const TK = 32;
const TN = 32;
const TM = 32;
const WG = 8;
/** Aim for at least this many workgroups in the first pass (split m until reached). */
const TARGET_WORKGROUPS = 1024;
/** Fewest m rows a slice gets (a slice that short costs more in the second pass than it saves). */
const MIN_SLICE = 4 * TM;

/** The geometry both passes need. */
export interface FilterGemmPlan {
  K: number;
  N: number;
  M: number;
  slices: number;
  sliceLen: number;
  tilesK: number;
  tilesN: number;
}

/** Chooses the number of m slices (split-K) for a K × N output over M rows. */
export function planFilterGemm(K: number, N: number, M: number, maxPerDim = 65535): FilterGemmPlan {
  const tilesK = Math.ceil(K / TK);
  const tilesN = Math.ceil(N / TN);
  const stages = Math.ceil(M / TM);
  const want = Math.max(1, Math.ceil(TARGET_WORKGROUPS / (tilesK * tilesN)));
  let slices = Math.min(want, Math.max(1, Math.floor(M / MIN_SLICE)), maxPerDim);
  const sliceLen = Math.max(1, Math.ceil(stages / slices)) * TM;
  slices = Math.max(1, Math.ceil(M / sliceLen));
  return { K, N, M, slices, sliceLen, tilesK, tilesN };
}

function tiledProgram(ci: backend_util.Conv2DInfo, plan: FilterGemmPlan): WebGpuProgram {
  const { K, N, M, slices, sliceLen } = plan;
  const key = `${geometryKey(ci)}_${slices}_${sliceLen}`;
  const perThread = (TM * TK) / (WG * WG);
  return {
    outputShape: slices === 1 ? [ci.filterHeight, ci.filterWidth, ci.inChannels, ci.outChannels] : [slices, K * N],
    shaderKey: `ftConv2DBackpropFilterGemm_${key}`,
    dispatchLayout: { x: [0], y: [1], z: [2] },
    dispatch: [plan.tilesN, plan.tilesK, slices],
    variableNames: ['x', 'dy'],
    workgroupSize: [WG, WG, 1],
    getUserCode: () => `
const K = ${K};
const N = ${N};
const M = ${M};
const SLICE = ${sliceLen};
${im2colConstants(ci)}
var<workgroup> xs : array<f32, ${TM * TK}>;
var<workgroup> ds : array<f32, ${TM * TN}>;

fn main() {
  // The shapes are baked in as constants; touch the uniform block so 'auto' layout keeps the binding tfjs fills.
  _ = uniforms.NAN;
  let tx = i32(localId.x);
  let ty = i32(localId.y);
  let t = ty * ${WG} + tx;
  let n0 = i32(workgroupId.x) * ${TN};
  let k0 = i32(workgroupId.y) * ${TK};
  let s = i32(workgroupId.z);
  let mBegin = s * SLICE;
  let mEnd = min(mBegin + SLICE, M);
  var acc : array<array<f32, 4>, 4>;
  // A constant trip count keeps the barriers in uniform control flow.
  for (var st = 0; st < ${sliceLen / TM}; st = st + 1) {
    let m0 = mBegin + st * ${TM};
    for (var i = 0; i < ${perThread}; i = i + 1) {
      let e = t + i * ${WG * WG};
      let mm = e / ${TK};
      let kk = e % ${TK};
      let m = m0 + mm;
      let k = k0 + kk;
${im2colLoad('m < mEnd && k < K')}
      xs[e] = v;
      let nn = e % ${TN};
      let md = m0 + e / ${TN};
      let n = n0 + nn;
      var w = 0.0;
      if (md < mEnd && n < N) {
        w = dy[md * N + n];
      }
      ds[e] = w;
    }
    workgroupBarrier();
${tileOuterProducts({ a: 'xs', b: 'ds', depth: TM, aStride: TK, bStride: TN, wy: WG, wx: WG })}
    workgroupBarrier();
  }
  for (var i = 0; i < 4; i = i + 1) {
    let k = k0 + ty + i * ${WG};
    for (var j = 0; j < 4; j = j + 1) {
      let n = n0 + tx + j * ${WG};
      if (k < K && n < N) {
        result[s * K * N + k * N + n] = acc[i][j];
      }
    }
  }
}
`,
  };
}

/** Second pass: dW[i] = Σ_s partial[s, i]. */
function sumSlicesProgram(filterShape: number[], slices: number, kn: number): WebGpuProgram {
  const wg = 64;
  return {
    outputShape: filterShape,
    shaderKey: `ftSumSlices_${slices}_${kn}`,
    dispatchLayout: { x: [0, 1, 2, 3] },
    dispatch: [Math.ceil(kn / wg), 1, 1],
    variableNames: ['partial'],
    workgroupSize: [wg, 1, 1],
    size: true,
    getUserCode: () => `
fn main(index : i32) {
  if (index < uniforms.size) {
    var acc = 0.0;
    for (var s = 0; s < ${slices}; s = s + 1) {
      acc = acc + partial[s * ${kn} + index];
    }
    result[index] = acc;
  }
}
`,
  };
}

/** Builds the kernel function; `fallback` is the stock kernel, used for layouts and dtypes it does not cover. */
export function makeConv2DBackpropFilter(
  fallback: KernelFunc,
  counters: { fast: number; fallback: number },
): KernelFunc {
  return (args) => {
    const { inputs, backend, attrs } = args as unknown as {
      inputs: { x: TensorInfo; dy: TensorInfo };
      backend: WebGpuBackendLike;
      attrs: ConvGradAttrs & { filterShape: [number, number, number, number] };
    };
    const { x, dy } = inputs;
    if (!gemmCovers(attrs, x, dy)) {
      counters.fallback++;
      return fallback(args);
    }
    const ci = convGeometry(x.shape, attrs.filterShape, attrs);
    const K = ci.filterHeight * ci.filterWidth * ci.inChannels;
    const N = ci.outChannels;
    const M = ci.batchSize * ci.outHeight * ci.outWidth;
    const plan = planFilterGemm(K, N, M, backend.device.limits.maxComputeWorkgroupsPerDimension ?? 65535);
    counters.fast++;
    const first = backend.runWebGPUProgram(tiledProgram(ci, plan), [x, dy], 'float32');
    if (plan.slices === 1) return first;
    const out = backend.runWebGPUProgram(sumSlicesProgram(attrs.filterShape, plan.slices, K * N), [first], 'float32');
    backend.disposeData(first.dataId);
    return out;
  };
}
