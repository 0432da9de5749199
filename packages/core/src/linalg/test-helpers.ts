/** Helpers for the linalg tests (not exported from the package). */
import type { Rng } from '../rng.js';
import { frobeniusNorm, type Matrix, matrix } from './matrix.js';

/** m × n matrix of N(0, 1) entries. */
export function randn(rows: number, cols: number, rng: Rng): Matrix {
  const m = matrix(rows, cols);
  for (let i = 0; i < m.data.length; i++) m.data[i] = rng.normal();
  return m;
}

/** Random n × n orthogonal matrix (modified Gram-Schmidt, twice, on a Gaussian matrix). */
export function randomOrthogonal(n: number, rng: Rng): Matrix {
  const g = randn(n, n, rng).data;
  // Orthonormalise columns of g.
  for (let j = 0; j < n; j++) {
    for (let pass = 0; pass < 2; pass++) {
      for (let k = 0; k < j; k++) {
        let dot = 0;
        for (let i = 0; i < n; i++) dot += g[i * n + k] * g[i * n + j];
        for (let i = 0; i < n; i++) g[i * n + j] -= dot * g[i * n + k];
      }
    }
    let nrm = 0;
    for (let i = 0; i < n; i++) nrm += g[i * n + j] ** 2;
    nrm = Math.sqrt(nrm);
    for (let i = 0; i < n; i++) g[i * n + j] /= nrm;
  }
  return matrix(n, n, g);
}

/** Q·diag(lambda)·Qᵀ (exactly symmetric). */
export function fromSpectrum(q: Matrix, lambda: ArrayLike<number>): Matrix {
  const n = q.rows;
  const out = matrix(n, n);
  for (let i = 0; i < n; i++) {
    for (let j = i; j < n; j++) {
      let s = 0;
      for (let k = 0; k < n; k++) s += q.data[i * n + k] * lambda[k] * q.data[j * n + k];
      out.data[i * n + j] = s;
      out.data[j * n + i] = s;
    }
  }
  return out;
}

/** Random SPD matrix G·Gᵀ/k + ridge·I with G n × k (cost n²k). */
export function randomSpd(n: number, rng: Rng, k = n, ridge = 1e-2): Matrix {
  const g = randn(n, k, rng).data;
  const a = matrix(n, n);
  for (let i = 0; i < n; i++) {
    const oi = i * k;
    for (let j = 0; j <= i; j++) {
      const oj = j * k;
      let s = 0;
      for (let p = 0; p < k; p++) s += g[oi + p] * g[oj + p];
      s /= k;
      a.data[i * n + j] = s;
      a.data[j * n + i] = s;
    }
    a.data[i * n + i] += ridge;
  }
  return a;
}

/** ‖A − B‖_F / ‖B‖_F. */
export function relErr(a: Matrix | Float64Array, b: Matrix | Float64Array): number {
  const ad = a instanceof Float64Array ? a : a.data;
  const bd = b instanceof Float64Array ? b : b.data;
  if (ad.length !== bd.length) throw new Error(`relErr: sizes differ ${ad.length} vs ${bd.length}`);
  const diff = new Float64Array(ad.length);
  for (let i = 0; i < ad.length; i++) diff[i] = ad[i] - bd[i];
  const nb = frobeniusNorm(bd);
  return frobeniusNorm(diff) / (nb === 0 ? 1 : nb);
}

/** Flattens number[][] to Float64Array. */
export function flat(rows: number[][]): Float64Array {
  return Float64Array.from(rows.flat());
}
