/**
 * Symmetric eigendecomposition A = Q·diag(λ)·Qᵀ in Float64 on host data. **Constant for autodiff** (no gradient).
 */
import { InvalidArgumentError } from '../errors.js';
import { frobeniusNorm, type Matrix, type MatrixInput, matrix, toSquareMatrix } from './matrix.js';

/** Options of `symEig`. */
export interface SymEigOptions {
  /**
   * `'jacobi'`: cyclic Jacobi rotations (the core spec's method; high relative accuracy, ≈ 6n³ flops per sweep,
   * 6–10 sweeps). `'tridiagonal'`: Householder reduction + implicit QL (EISPACK tred2/tql2, ≈ 9n³ flops in
   * total; much faster for large n). `'auto'` (default): Jacobi for n ≤ 128, tridiagonal above.
   */
  method?: 'auto' | 'jacobi' | 'tridiagonal';
  /** Jacobi stops when ‖offdiag(A)‖_F ≤ tol·‖A‖_F (default 1e-12). */
  tol?: number;
  /** Jacobi sweep limit (default 100). */
  maxSweeps?: number;
}

/** Result of `symEig`. */
export interface SymEigResult {
  /** Eigenvalues in ascending order. */
  values: Float64Array;
  /** Orthonormal eigenvectors as columns (column j belongs to `values[j]`), n × n row-major. */
  vectors: Matrix;
}

/**
 * Eigenvalues (ascending) and orthonormal eigenvectors (columns) of a real symmetric matrix. Only the symmetric
 * part matters; the input is symmetrised as (A + Aᵀ)/2 first. Default method: cyclic Jacobi with tolerance 1e-12 on
 * the relative off-diagonal Frobenius norm (core spec §2) for n ≤ 128, Householder tridiagonalisation + implicit
 * QL (Wilkinson & Reinsch, Handbook for Automatic Computation II; EISPACK tred2/tql2) above. Float64, a constant
 * for autodiff.
 * @param A n × n symmetric matrix
 * @param opts method, tolerance and sweep limit (defaults `'auto'`, 1e-12, 100)
 */
export function symEig(A: MatrixInput, opts: SymEigOptions = {}): SymEigResult {
  const a = toSquareMatrix(A, 'symEig(A)');
  const n = a.rows;
  const d = a.data;
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      const v = 0.5 * (d[i * n + j] + d[j * n + i]);
      d[i * n + j] = v;
      d[j * n + i] = v;
    }
  }
  const method = opts.method ?? 'auto';
  if (method !== 'auto' && method !== 'jacobi' && method !== 'tridiagonal') {
    throw new InvalidArgumentError(`symEig: unknown method '${method}'`);
  }
  const useJacobi = method === 'jacobi' || (method === 'auto' && n <= 128);
  const res = useJacobi ? jacobi(a, opts.tol ?? 1e-12, opts.maxSweeps ?? 100) : tridiagonalQL(a);
  return sortAscending(res.values, res.vectorsT, n);
}

/** Sorts eigenpairs ascending; `vt` holds eigenvectors as rows; returns vectors as columns. */
function sortAscending(values: Float64Array, vt: Float64Array, n: number): SymEigResult {
  const idx = Array.from({ length: n }, (_, i) => i).sort((x, y) => values[x] - values[y]);
  const outV = new Float64Array(n);
  const q = new Float64Array(n * n);
  for (let c = 0; c < n; c++) {
    const src = idx[c];
    outV[c] = values[src];
    const o = src * n;
    for (let r = 0; r < n; r++) q[r * n + c] = vt[o + r];
  }
  return { values: outV, vectors: matrix(n, n, q) };
}

/**
 * Cyclic-by-row Jacobi (Golub & Van Loan, Matrix Computations, §8.5). Works on the full symmetric copy; rows p and
 * q are updated contiguously and mirrored into the columns. Eigenvectors accumulate as rows of `vt`.
 */
function jacobi(a: Matrix, tol: number, maxSweeps: number): { values: Float64Array; vectorsT: Float64Array } {
  const n = a.rows;
  const d = a.data;
  const vt = new Float64Array(n * n);
  for (let i = 0; i < n; i++) vt[i * n + i] = 1;
  const norm = frobeniusNorm(a);
  const target = tol * norm;
  for (let sweep = 0; sweep < maxSweeps; sweep++) {
    let off = 0;
    for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) off += d[i * n + j] * d[i * n + j];
    if (Math.sqrt(2 * off) <= target || norm === 0) break;
    for (let p = 0; p < n - 1; p++) {
      const op = p * n;
      for (let q = p + 1; q < n; q++) {
        const oq = q * n;
        const apq = d[op + q];
        if (apq === 0) continue;
        const app = d[op + p];
        const aqq = d[oq + q];
        // Skip rotations that cannot change the diagonal in floating point.
        if (Math.abs(apq) < 1e-300 || Math.abs(apq) <= 1e-18 * Math.sqrt(Math.abs(app * aqq))) {
          d[op + q] = 0;
          d[oq + p] = 0;
          continue;
        }
        const theta = (aqq - app) / (2 * apq);
        const t =
          Math.abs(theta) > 1e150
            ? 1 / (2 * theta)
            : (theta >= 0 ? 1 : -1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let k = 0; k < n; k++) {
          const akp = d[op + k];
          const akq = d[oq + k];
          d[op + k] = c * akp - s * akq;
          d[oq + k] = s * akp + c * akq;
        }
        for (let k = 0; k < n; k++) {
          d[k * n + p] = d[op + k];
          d[k * n + q] = d[oq + k];
        }
        d[op + p] = app - t * apq;
        d[oq + q] = aqq + t * apq;
        d[op + q] = 0;
        d[oq + p] = 0;
        for (let k = 0; k < n; k++) {
          const vp = vt[op + k];
          const vq = vt[oq + k];
          vt[op + k] = c * vp - s * vq;
          vt[oq + k] = s * vp + c * vq;
        }
      }
    }
  }
  const values = new Float64Array(n);
  for (let i = 0; i < n; i++) values[i] = d[i * n + i];
  return { values, vectorsT: vt };
}

/**
 * Householder tridiagonalisation + implicit QL with Wilkinson shifts (EISPACK tred2/tql2 as in JAMA). `V` is kept
 * column-major (V[r][c] at c·n + r) so the inner loops, which run down columns, are contiguous; the columns of V
 * are then exactly the rows of `vectorsT`.
 */
function tridiagonalQL(a: Matrix): { values: Float64Array; vectorsT: Float64Array } {
  const n = a.rows;
  const V = Float64Array.from(a.data); // symmetric: row-major = column-major
  const d = new Float64Array(n);
  const e = new Float64Array(n);
  const at = (r: number, c: number) => c * n + r;
  if (n === 0) return { values: d, vectorsT: V };
  // tred2
  for (let j = 0; j < n; j++) d[j] = V[at(n - 1, j)];
  for (let i = n - 1; i > 0; i--) {
    let scale = 0;
    let h = 0;
    for (let k = 0; k < i; k++) scale += Math.abs(d[k]);
    if (scale === 0) {
      e[i] = d[i - 1];
      for (let j = 0; j < i; j++) {
        d[j] = V[at(i - 1, j)];
        V[at(i, j)] = 0;
        V[at(j, i)] = 0;
      }
    } else {
      for (let k = 0; k < i; k++) {
        d[k] /= scale;
        h += d[k] * d[k];
      }
      let f = d[i - 1];
      let g = Math.sqrt(h);
      if (f > 0) g = -g;
      e[i] = scale * g;
      h -= f * g;
      d[i - 1] = f - g;
      for (let j = 0; j < i; j++) e[j] = 0;
      for (let j = 0; j < i; j++) {
        f = d[j];
        V[at(j, i)] = f;
        const cj = j * n;
        g = e[j] + V[cj + j] * f;
        for (let k = j + 1; k <= i - 1; k++) {
          const vkj = V[cj + k];
          g += vkj * d[k];
          e[k] += vkj * f;
        }
        e[j] = g;
      }
      f = 0;
      for (let j = 0; j < i; j++) {
        e[j] /= h;
        f += e[j] * d[j];
      }
      const hh = f / (h + h);
      for (let j = 0; j < i; j++) e[j] -= hh * d[j];
      for (let j = 0; j < i; j++) {
        f = d[j];
        g = e[j];
        const cj = j * n;
        for (let k = j; k <= i - 1; k++) V[cj + k] -= f * e[k] + g * d[k];
        d[j] = V[at(i - 1, j)];
        V[at(i, j)] = 0;
      }
    }
    d[i] = h;
  }
  for (let i = 0; i < n - 1; i++) {
    V[at(n - 1, i)] = V[at(i, i)];
    V[at(i, i)] = 1;
    const h = d[i + 1];
    const ci1 = (i + 1) * n;
    if (h !== 0) {
      for (let k = 0; k <= i; k++) d[k] = V[ci1 + k] / h;
      for (let j = 0; j <= i; j++) {
        const cj = j * n;
        let g = 0;
        for (let k = 0; k <= i; k++) g += V[ci1 + k] * V[cj + k];
        for (let k = 0; k <= i; k++) V[cj + k] -= g * d[k];
      }
    }
    for (let k = 0; k <= i; k++) V[ci1 + k] = 0;
  }
  for (let j = 0; j < n; j++) {
    d[j] = V[at(n - 1, j)];
    V[at(n - 1, j)] = 0;
  }
  V[at(n - 1, n - 1)] = 1;
  e[0] = 0;

  // tql2
  for (let i = 1; i < n; i++) e[i - 1] = e[i];
  e[n - 1] = 0;
  let f = 0;
  let tst1 = 0;
  const eps = 2 ** -52;
  for (let l = 0; l < n; l++) {
    tst1 = Math.max(tst1, Math.abs(d[l]) + Math.abs(e[l]));
    let m = l;
    while (m < n) {
      if (Math.abs(e[m]) <= eps * tst1) break;
      m++;
    }
    if (m > l) {
      let iter = 0;
      do {
        iter++;
        if (iter > 300) break;
        let g = d[l];
        let p = (d[l + 1] - g) / (2 * e[l]);
        let r = Math.hypot(p, 1);
        if (p < 0) r = -r;
        d[l] = e[l] / (p + r);
        d[l + 1] = e[l] * (p + r);
        const dl1 = d[l + 1];
        let h = g - d[l];
        for (let i = l + 2; i < n; i++) d[i] -= h;
        f += h;
        p = d[m];
        let c = 1;
        let c2 = c;
        let c3 = c;
        const el1 = e[l + 1];
        let s = 0;
        let s2 = 0;
        for (let i = m - 1; i >= l; i--) {
          c3 = c2;
          c2 = c;
          s2 = s;
          g = c * e[i];
          h = c * p;
          r = Math.hypot(p, e[i]);
          e[i + 1] = s * r;
          s = e[i] / r;
          c = p / r;
          p = c * d[i] - s * g;
          d[i + 1] = h + s * (c * g + s * d[i]);
          const ci = i * n;
          const ci1 = ci + n;
          for (let k = 0; k < n; k++) {
            const hv = V[ci1 + k];
            V[ci1 + k] = s * V[ci + k] + c * hv;
            V[ci + k] = c * V[ci + k] - s * hv;
          }
        }
        p = (-s * s2 * c3 * el1 * e[l]) / dl1;
        e[l] = s * p;
        d[l] = c * p;
      } while (Math.abs(e[l]) > eps * tst1);
    }
    d[l] += f;
    e[l] = 0;
  }
  return { values: d, vectorsT: V };
}

/**
 * Pseudo-inverse of a symmetric matrix through `symEig` (like `scipy.linalg.pinvh`, which sklearn uses for
 * `precision_`): eigenvalues with |λ| ≤ rtol·max|λ| are dropped. Float64, a constant for autodiff.
 * @param A n × n symmetric matrix
 * @param opts.rtol relative cutoff (default n·ε, SciPy's default)
 */
export function pinvh(A: MatrixInput, opts: { rtol?: number } & SymEigOptions = {}): Matrix {
  const { values, vectors } = symEig(A, opts);
  const n = values.length;
  let maxAbs = 0;
  for (let i = 0; i < n; i++) maxAbs = Math.max(maxAbs, Math.abs(values[i]));
  const cut = (opts.rtol ?? n * Number.EPSILON) * maxAbs;
  const q = vectors.data;
  const out = new Float64Array(n * n);
  const col = new Float64Array(n);
  for (let k = 0; k < n; k++) {
    const lam = values[k];
    if (!(Math.abs(lam) > cut)) continue;
    const inv = 1 / lam;
    for (let r = 0; r < n; r++) col[r] = q[r * n + k];
    for (let i = 0; i < n; i++) {
      const vi = col[i] * inv;
      if (vi === 0) continue;
      const oi = i * n;
      for (let j = i; j < n; j++) out[oi + j] += vi * col[j];
    }
  }
  for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) out[j * n + i] = out[i * n + j];
  return matrix(n, n, out);
}
