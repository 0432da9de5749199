/**
 * Helpers of the bf16 tests: bf16 rounding in JS (the same round-to-nearest-even as native/bf16.cc) and the
 * tolerance of a bf16 dot product.
 *
 * Tolerance derivation. bf16 keeps 8 significant bits, so rounding a value to bf16 has relative error
 * |δ| ≤ u = 2^-8. A product of two rounded operands is exact in fp32 (8 + 8 bits), so with fp32 accumulation the
 * error of a K-term dot product s = Σ a_k b_k is Σ a_k b_k (δa_k + δb_k + δa_k δb_k), bounded by
 *   (2u + u²) · Σ |a_k b_k| ≤ 2.01 · K · u · max|a| · max|b|          (deterministic, always valid).
 * The δ are independent and roughly uniform on [−u, u] (variance u²/3), so the error's standard deviation is at
 * most √(2/3) · √K · u · max|a| · max|b|; 6 standard deviations (no false alarm over ~10^8 outputs for a Gaussian
 * tail) gives 4.9 · √K · u · max|a| · max|b|. The bound used is the smaller of the two, plus the kernel's fp32
 * tolerance for the accumulation order.
 */
import { maxAbs, type Tol } from './differential.js';

/** Unit roundoff of bf16 (8 significant bits, round to nearest). */
export const BF16_U = 2 ** -8;

/** Copy of `a` with every value rounded to bf16 (round to nearest even), still as float32. */
export function roundBf16(a: Float32Array): Float32Array {
  const out = Float32Array.from(a);
  const bits = new Uint32Array(out.buffer);
  for (let i = 0; i < bits.length; i++) {
    const u = bits[i];
    if ((u & 0x7fffffff) > 0x7f800000) continue; // NaN
    bits[i] = (((u + 0x7fff + ((u >>> 16) & 1)) >>> 16) << 16) >>> 0;
  }
  return out;
}

/**
 * Max allowed |bf16 result − exact result| of K-term dot products with operands bounded by maxA and maxB (see the
 * file comment), plus the fp32 tolerance `fp32` applied to `maxRef`.
 */
export function bf16DotTolerance(K: number, maxA: number, maxB: number, fp32: Tol, maxRef: number): number {
  const terms = Math.min(2.01 * K, 4.9 * Math.sqrt(K));
  return terms * BF16_U * maxA * maxB + fp32.atol + fp32.rtol * maxRef;
}

/** {@link bf16DotTolerance} for the operands' actual magnitudes. */
export function bf16Tol(K: number, a: ArrayLike<number>, b: ArrayLike<number>, fp32: Tol, ref: ArrayLike<number>) {
  return bf16DotTolerance(K, maxAbs(a), maxAbs(b), fp32, maxAbs(ref));
}

/** Whether every value of `a` is a bf16 value (its low 16 bits are zero, or it is NaN). */
export function allBf16(a: Float32Array): boolean {
  const bits = new Uint32Array(a.buffer, a.byteOffset, a.length);
  for (let i = 0; i < bits.length; i++) if ((bits[i] & 0xffff) !== 0 && !Number.isNaN(a[i])) return false;
  return true;
}

/**
 * The largest |got − ref| / (bound + u·|ref|) over the elements, for an output rounded to bf16 once from a float32
 * result within `bound` of `ref`: the rounding adds at most half a bf16 ulp, ≤ u·|value| (u = 2^-8), so every
 * element of a correct output gives at most 1 (the + u·bound slack covers the value moving by `bound`).
 */
export function bf16OutputRatio(got: ArrayLike<number>, ref: ArrayLike<number>, bound: number): number {
  let worst = 0;
  for (let i = 0; i < got.length; i++) {
    const r = Math.abs(got[i] - ref[i]) / (bound * (1 + BF16_U) + BF16_U * Math.abs(ref[i]));
    if (r > worst || Number.isNaN(r)) worst = r;
  }
  return worst;
}
