/**
 * Thin singular value decomposition by one-sided Jacobi, Float64 on host data. **Constant for autodiff**.
 */
import { type Matrix, type MatrixInput, matrix, toMatrix, transposeMatrix } from './matrix.js';

/** Result of `svdSmall`: A = U·diag(s)·Vᵀ with k = min(m, n). */
export interface SvdResult {
  /** m × k, orthonormal columns. */
  U: Matrix;
  /** k singular values, descending, ≥ 0. */
  s: Float64Array;
  /** n × k, orthonormal columns. */
  V: Matrix;
}

/** Options of `svdSmall`. */
export interface SvdOptions {
  /** A pair of columns is rotated while |w_pᵀw_q| > tol·‖w_p‖‖w_q‖ (default 1e-15). */
  tol?: number;
  /** Sweep limit (default 60). */
  maxSweeps?: number;
}

/**
 * Thin SVD A = U·diag(s)·Vᵀ by one-sided (Hestenes) Jacobi: plane rotations orthogonalise the columns of A
 * (accumulated into V) until every pair is orthogonal to `tol`; s are the column norms, U the normalised columns
 * (completed to an orthonormal set by Gram-Schmidt where s = 0). High relative accuracy (Demmel & Veselić 1992).
 * For wide A (m < n) the SVD of Aᵀ is used. Meant for small/medium matrices (d ≤ ~512: ≈ 5·m·n² flops per sweep,
 * 6–10 sweeps). Float64, a constant for autodiff.
 * @param A m × n matrix
 * @param opts tolerance and sweep limit (defaults 1e-15, 60)
 */
export function svdSmall(A: MatrixInput, opts: SvdOptions = {}): SvdResult {
  const a = toMatrix(A, 'svdSmall(A)');
  if (a.rows < a.cols) {
    const r = tallSvd(transposeMatrix(a), opts);
    return { U: r.V, s: r.s, V: r.U };
  }
  return tallSvd(a, opts);
}

function tallSvd(a: Matrix, opts: SvdOptions): SvdResult {
  const m = a.rows;
  const n = a.cols;
  const tol = opts.tol ?? 1e-15;
  const maxSweeps = opts.maxSweeps ?? 60;
  // W = Aᵀ (n rows of length m): the columns of A are contiguous rows of W. Vt: rows are the columns of V.
  const w = transposeMatrix(a).data;
  const vt = new Float64Array(n * n);
  for (let i = 0; i < n; i++) vt[i * n + i] = 1;
  const norms = new Float64Array(n);
  for (let j = 0; j < n; j++) {
    let s = 0;
    const o = j * m;
    for (let i = 0; i < m; i++) s += w[o + i] * w[o + i];
    norms[j] = s;
  }
  for (let sweep = 0; sweep < maxSweeps; sweep++) {
    let rotated = false;
    for (let p = 0; p < n - 1; p++) {
      const op = p * m;
      for (let q = p + 1; q < n; q++) {
        const alpha = norms[p];
        const beta = norms[q];
        if (alpha === 0 || beta === 0) continue;
        const oq = q * m;
        let gamma = 0;
        for (let i = 0; i < m; i++) gamma += w[op + i] * w[oq + i];
        if (Math.abs(gamma) <= tol * Math.sqrt(alpha * beta)) continue;
        rotated = true;
        const zeta = (beta - alpha) / (2 * gamma);
        const t = (zeta >= 0 ? 1 : -1) / (Math.abs(zeta) + Math.sqrt(1 + zeta * zeta));
        const c = 1 / Math.sqrt(1 + t * t);
        const s = c * t;
        let na = 0;
        let nb = 0;
        for (let i = 0; i < m; i++) {
          const x = w[op + i];
          const y = w[oq + i];
          const xn = c * x - s * y;
          const yn = s * x + c * y;
          w[op + i] = xn;
          w[oq + i] = yn;
          na += xn * xn;
          nb += yn * yn;
        }
        norms[p] = na;
        norms[q] = nb;
        const vp = p * n;
        const vq = q * n;
        for (let i = 0; i < n; i++) {
          const x = vt[vp + i];
          const y = vt[vq + i];
          vt[vp + i] = c * x - s * y;
          vt[vq + i] = s * x + c * y;
        }
      }
    }
    if (!rotated) break;
  }
  // Sort by singular value, descending.
  const sv = new Float64Array(n);
  for (let j = 0; j < n; j++) sv[j] = Math.sqrt(norms[j]);
  const order = Array.from({ length: n }, (_, i) => i).sort((x, y) => sv[y] - sv[x]);
  const s = new Float64Array(n);
  const U = new Float64Array(m * n);
  const V = new Float64Array(n * n);
  const smax = n > 0 ? sv[order[0]] : 0;
  const zeroCut = Math.max(m, n) * Number.EPSILON * smax;
  const missing: number[] = [];
  for (let c = 0; c < n; c++) {
    const j = order[c];
    s[c] = sv[j];
    for (let i = 0; i < n; i++) V[i * n + c] = vt[j * n + i];
    if (sv[j] > zeroCut && sv[j] > 0) {
      const inv = 1 / sv[j];
      for (let i = 0; i < m; i++) U[i * n + c] = w[j * m + i] * inv;
    } else {
      missing.push(c);
    }
  }
  if (missing.length > 0) completeOrthonormal(U, m, n, missing);
  return { U: matrix(m, n, U), s, V: matrix(n, n, V) };
}

/** Fills columns `missing` of U (m × n, row-major) with unit vectors orthogonal to all other columns (MGS twice). */
function completeOrthonormal(U: Float64Array, m: number, n: number, missing: number[]): void {
  const filled = new Set<number>();
  for (let c = 0; c < n; c++) if (!missing.includes(c)) filled.add(c);
  const v = new Float64Array(m);
  let basis = 0;
  for (const c of missing) {
    for (; basis < m; basis++) {
      v.fill(0);
      v[basis] = 1;
      for (let pass = 0; pass < 2; pass++) {
        for (const f of filled) {
          let dot = 0;
          for (let i = 0; i < m; i++) dot += U[i * n + f] * v[i];
          for (let i = 0; i < m; i++) v[i] -= dot * U[i * n + f];
        }
      }
      let nrm = 0;
      for (let i = 0; i < m; i++) nrm += v[i] * v[i];
      nrm = Math.sqrt(nrm);
      if (nrm > 1e-8) {
        for (let i = 0; i < m; i++) U[i * n + c] = v[i] / nrm;
        filled.add(c);
        basis++;
        break;
      }
    }
  }
}
