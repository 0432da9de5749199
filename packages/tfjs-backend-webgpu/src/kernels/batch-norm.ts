/**
 * Fused BatchNorm training on `ft-webgpu`: the `FtBatchNormTrain` and `FtBatchNormGrad` kernels of
 * `@ft/tfjs-fused-training` (its `batch-norm.ts` comment is the contract), which its patch of tfjs-layers'
 * `BatchNormalization` and its `batchNormTrain` op call. tfjs composes a training BatchNorm and its gradient from
 * `tf.moments` + `tf.batchNorm` and ~25 broadcasting ops per layer, each a dispatch; here the forward is 3 dispatches
 * (mean, variance, normalise) and the backward 3 (Σdy, Σdy·x̂, dx), over x laid out as [N, C] (channels last):
 *
 *   mean_c = Σ_n x_nc / N,  var_c = Σ_n (x_nc − mean_c)² / N (biased, as tf.moments; two passes, not E[x²] − mean²),
 *   y = γ (x − mean) / √(var + ε) + β;
 *   dβ = Σ_n dy,  dγ = Σ_n dy · x̂ with x̂ = (x − mean) / √(var + ε),
 *   dx = γ / (N √(var + ε)) · (N·dy − dβ − x̂·dγ)       (Ioffe & Szegedy 2015, arXiv:1502.03167, §3).
 *
 * Each per-channel sum is one 256-thread workgroup per channel (a tree reduction in workgroup memory), so a layer
 * with few channels occupies few of a large GPU's cores; whether a split over rows pays is for a GPU profile to say.
 * The ReLU variants (`FtBatchNormReluTrain/Infer`) are not registered here, so a following ReLU runs as its own
 * kernel. A `y` input to the gradient (the ReLU-masked form of the contract) is honoured by masking dy first.
 */
import type { KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import * as tf from '@tensorflow/tfjs-core';
import { elementwiseProgram, type WebGpuBackendLike, type WebGpuProgram } from './program.js';

const RED = 256;

/** Rows (all axes but the last) and channels of x. */
function rowsAndChannels(x: TensorInfo): { n: number; c: number } {
  const c = x.shape[x.shape.length - 1];
  return { n: c === 0 ? 0 : tf.util.sizeFromShape(x.shape) / c, c };
}

/**
 * A per-channel sum: one workgroup of 256 threads per channel c, each thread accumulating `term` (an f32 expression
 * of row r and channel c) over rows r ≡ thread (mod 256), then a tree reduction; writes `scale · Σ` to result[c].
 * Every name in `variableNames` must be read by `term` (tfjs' 'auto' bind-group layout drops unread bindings).
 */
function channelSum(key: string, n: number, c: number, variableNames: string[], term: string, scale: number) {
  const program: WebGpuProgram = {
    outputShape: [c],
    shaderKey: `ftBatchNorm_${key}_${n}_${c}_${scale}`,
    dispatchLayout: { x: [0] },
    dispatch: [c, 1, 1],
    variableNames,
    workgroupSize: [RED, 1, 1],
    getUserCode: () => `
const N = ${n};
const C = ${c};
var<workgroup> part : array<f32, ${RED}>;

fn main(index : i32) {
  _ = uniforms.NAN;
  let c = i32(workgroupId.x);
  let t = i32(localId.x);
  var s = 0.0;
  for (var r = t; r < N; r = r + ${RED}) {
    s = s + (${term});
  }
  part[t] = s;
  workgroupBarrier();
  for (var k = ${RED / 2}; k > 0; k = k >> 1u) {
    if (t < k) {
      part[t] = part[t] + part[t + k];
    }
    workgroupBarrier();
  }
  if (t == 0) {
    result[c] = part[0] * ${scale.toPrecision(9)};
  }
}
`,
  };
  return program;
}

/**
 * An elementwise program over x's [N, C] layout (see {@link elementwiseProgram}): `body` sets `value` for flat index
 * `index`, with its channel in `c`. Constants the body bakes in besides C (dx bakes N) are part of `key`.
 */
const perElement = (key: string, shape: number[], c: number, variableNames: string[], body: string, uniforms = '') =>
  elementwiseProgram(`ftBatchNorm_${key}_${c}`, shape, variableNames, `    let c = index % ${c};\n${body}`, uniforms);

type Args = { inputs: Record<string, TensorInfo>; backend: WebGpuBackendLike; attrs?: Record<string, unknown> };

function checkInputs(kernel: string, x: TensorInfo, perChannel: TensorInfo[]): { n: number; c: number } {
  const { n, c } = rowsAndChannels(x);
  const ok =
    x.shape.length >= 2 &&
    n > 0 &&
    [x, ...perChannel].every((t) => t.dtype === 'float32') &&
    perChannel.every((t) => tf.util.sizeFromShape(t.shape) === c);
  if (!ok) {
    throw new Error(
      `${kernel}: expected float32 x of rank >= 2 with rows, and float32 per-channel inputs of size ${c} (x ${x.dtype} [${x.shape}])`,
    );
  }
  return { n, c };
}

const EPS_UNIFORM = 'epsilon : f32,';

/** `FtBatchNormTrain`: [y, mean, variance]. */
function train({ inputs, backend, attrs }: Args): TensorInfo[] {
  const { x, gamma, beta } = inputs;
  const { n, c } = checkInputs('FtBatchNormTrain', x, [gamma, beta]);
  const eps = [{ type: 'float32' as const, data: [Number(attrs?.epsilon ?? 1e-3)] }];
  const mean = backend.runWebGPUProgram(channelSum('mean', n, c, ['x'], 'x[r * C + c]', 1 / n), [x], 'float32');
  const d = 'x[r * C + c] - mean[c]';
  const variance = backend.runWebGPUProgram(
    channelSum('variance', n, c, ['x', 'mean'], `(${d}) * (${d})`, 1 / n),
    [x, mean],
    'float32',
  );
  const y = backend.runWebGPUProgram(
    perElement(
      'normalise',
      x.shape,
      c,
      ['x', 'mean', 'variance', 'gamma', 'beta'],
      '    let value = gamma[c] * (x[index] - mean[c]) * inverseSqrt(variance[c] + uniforms.epsilon) + beta[c];',
      EPS_UNIFORM,
    ),
    [x, mean, variance, gamma, beta],
    'float32',
    eps,
  );
  return [y, mean, variance];
}

/** `FtBatchNormGrad`: [dx, dgamma, dbeta]. */
function grad({ inputs, backend, attrs }: Args): TensorInfo[] {
  const { x, gamma, mean, variance } = inputs;
  const { n, c } = checkInputs('FtBatchNormGrad', x, [gamma, mean, variance]);
  const eps = [{ type: 'float32' as const, data: [Number(attrs?.epsilon ?? 1e-3)] }];
  let dy = inputs.dy;
  const masked = inputs.y !== undefined;
  if (masked) {
    dy = backend.runWebGPUProgram(
      perElement('reluMask', x.shape, c, ['dy', 'y'], '    let value = select(0.0, dy[index], y[index] > 0.0);'),
      [inputs.dy, inputs.y],
      'float32',
    );
  }
  const dbeta = backend.runWebGPUProgram(channelSum('dbeta', n, c, ['dy'], 'dy[r * C + c]', 1), [dy], 'float32');
  const xhat = '(x[r * C + c] - mean[c]) * inverseSqrt(variance[c] + uniforms.epsilon)';
  const dgammaProgram = channelSum('dgamma', n, c, ['dy', 'x', 'mean', 'variance'], `dy[r * C + c] * ${xhat}`, 1);
  dgammaProgram.uniforms = EPS_UNIFORM;
  const dgamma = backend.runWebGPUProgram(dgammaProgram, [dy, x, mean, variance], 'float32', eps);
  const dx = backend.runWebGPUProgram(
    perElement(
      `dx_${n}`,
      x.shape,
      c,
      ['dy', 'x', 'gamma', 'mean', 'variance', 'dbeta', 'dgamma'],
      `    let rstd = inverseSqrt(variance[c] + uniforms.epsilon);
    let xh = (x[index] - mean[c]) * rstd;
    let value = gamma[c] * rstd / ${n}.0 * (${n}.0 * dy[index] - dbeta[c] - xh * dgamma[c]);`,
      EPS_UNIFORM,
    ),
    [dy, x, gamma, mean, variance, dbeta, dgamma],
    'float32',
    eps,
  );
  if (masked) backend.disposeData(dy.dataId);
  return [dx, dgamma, dbeta];
}

/** The two kernels, by their role in `@ft/tfjs-fused-training`'s `FUSED_BATCH_NORM_KERNELS`. */
export const BATCH_NORM_KERNELS: Record<'train' | 'grad', KernelFunc> = {
  train: train as unknown as KernelFunc,
  grad: grad as unknown as KernelFunc,
};
