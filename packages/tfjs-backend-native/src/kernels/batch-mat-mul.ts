/**
 * BatchMatMul and _FusedMatMul (bias + activation epilogue) through oneDNN's sgemm. Batch dimensions broadcast
 * when one side has batch 1 or both are equal; other broadcasts, other dtypes and prelu fall back.
 * In bf16 mode (precision.ts) a and b are read as bf16 (oneDNN's matmul primitive), the output is float32.
 */
import { broadcast_util, type TensorInfo, util } from '@tensorflow/tfjs-core';
import { isBf16 } from '../precision.js';
import { activationCode } from './conv-util.js';
import type { KernelArgs } from './override.js';

type MatMulAttrs = { transposeA?: boolean; transposeB?: boolean; activation?: string; leakyreluAlpha?: number };

function matMul(args: KernelArgs, fused: boolean): TensorInfo | null {
  const { inputs, backend } = args;
  const attrs = (args.attrs ?? {}) as unknown as MatMulAttrs;
  const a = inputs.a as TensorInfo;
  const b = inputs.b as TensorInfo;
  const av = backend.f32(a);
  const bv = backend.f32(b);
  if (!av || !bv || a.shape.length < 2 || b.shape.length < 2) return null;
  const tA = Boolean(attrs.transposeA);
  const tB = Boolean(attrs.transposeB);
  const ra = a.shape.length;
  const rb = b.shape.length;
  const m = tA ? a.shape[ra - 1] : a.shape[ra - 2];
  const k = tA ? a.shape[ra - 2] : a.shape[ra - 1];
  const kb = tB ? b.shape[rb - 1] : b.shape[rb - 2];
  const n = tB ? b.shape[rb - 2] : b.shape[rb - 1];
  if (k !== kb) return null; // let the JS kernel raise its error
  const outerA = a.shape.slice(0, -2);
  const outerB = b.shape.slice(0, -2);
  const batchA = util.sizeFromShape(outerA);
  const batchB = util.sizeFromShape(outerB);
  const outer = broadcast_util.assertAndGetBroadcastShape(outerA, outerB);
  const batch = util.sizeFromShape(outer);
  if (!(batchA === batchB || batchA === 1 || batchB === 1) || batch !== Math.max(batchA, batchB)) return null;
  if (m === 0 || n === 0 || batch === 0) return null;
  let act = 0;
  let biasV: Float32Array | null = null;
  if (fused) {
    if (inputs.preluActivationWeights) return null;
    const code = activationCode(attrs.activation);
    if (code === null) return null;
    act = code;
    const bias = inputs.bias as TensorInfo | undefined;
    if (bias) {
      biasV = backend.f32(bias);
      if (!biasV) return null;
      const size = biasV.length;
      const perColumn = size === n && bias.shape[bias.shape.length - 1] === n;
      if (!(perColumn || size === 1) || bias.shape.length > outer.length + 2) return null;
    }
  }
  const outShape = [...outer, m, n];
  const out = backend.alloc(batch * m * n);
  if (isBf16()) {
    const ab = backend.bf16(av);
    const bb = backend.bf16(bv);
    try {
      backend.native.matmulBf16(
        ab.bits,
        bb.bits,
        out,
        batchA,
        batchB,
        m,
        n,
        k,
        tA ? 1 : 0,
        tB ? 1 : 0,
        biasV,
        act,
        attrs.leakyreluAlpha ?? 0.2,
      );
    } finally {
      ab.done();
      bb.done();
    }
    return backend.out(outShape, out);
  }
  backend.native.matmul(
    av,
    bv,
    out,
    batchA,
    batchB,
    m,
    n,
    k,
    tA ? 1 : 0,
    tB ? 1 : 0,
    biasV,
    act,
    attrs.leakyreluAlpha ?? 0.2,
  );
  return backend.out(outShape, out);
}

/** BatchMatMul. */
export function batchMatMul(args: KernelArgs): TensorInfo | null {
  return matMul(args, false);
}

/** _FusedMatMul. */
export function fusedMatMul(args: KernelArgs): TensorInfo | null {
  return matMul(args, true);
}
