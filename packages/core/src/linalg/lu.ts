/**
 * LU factorisation with partial pivoting and general linear solves, Float64 on host data. **Constants for
 * autodiff** (no gradient).
 */
import { ShapeError, SingularMatrixError } from '../errors.js';
import { type Matrix, type MatrixInput, matrix, toMatrix, toSquareMatrix } from './matrix.js';

/** Result of `luFactor`: P·A = L·U packed in one matrix. */
export interface LUFactor {
  /** Unit-lower L below the diagonal and U on and above it, row-major n × n. */
  LU: Matrix;
  /** Row permutation: row i of P·A is row `perm[i]` of A. */
  perm: Int32Array;
  /** Sign of the permutation (+1 / −1), for determinants. */
  sign: number;
}

/**
 * LU factorisation with partial (row) pivoting, P·A = L·U (Doolittle, right-looking with contiguous row updates).
 * Throws `SingularMatrixError` naming the pivot when |pivot| ≤ n·ε·max|a_ij| (singular to working precision).
 * 2n³/3 flops, Float64, a constant for autodiff.
 * @param A n × n matrix
 */
export function luFactor(A: MatrixInput): LUFactor {
  const lu = toSquareMatrix(A, 'luFactor(A)');
  const n = lu.rows;
  const a = lu.data;
  const perm = new Int32Array(n);
  for (let i = 0; i < n; i++) perm[i] = i;
  let maxAbs = 0;
  for (let i = 0; i < a.length; i++) maxAbs = Math.max(maxAbs, Math.abs(a[i]));
  const tol = n * Number.EPSILON * maxAbs;
  let sign = 1;
  for (let k = 0; k < n; k++) {
    let p = k;
    let best = Math.abs(a[k * n + k]);
    for (let i = k + 1; i < n; i++) {
      const v = Math.abs(a[i * n + k]);
      if (v > best) {
        best = v;
        p = i;
      }
    }
    if (!(best > tol)) {
      throw new SingularMatrixError(
        `luFactor: ${n}×${n} matrix is singular to working precision: pivot ${k} has |value| ${best.toExponential(3)} ≤ ${tol.toExponential(3)}`,
        { size: n, pivot: k, value: best },
      );
    }
    if (p !== k) {
      const ok = k * n;
      const op = p * n;
      for (let j = 0; j < n; j++) {
        const t = a[ok + j];
        a[ok + j] = a[op + j];
        a[op + j] = t;
      }
      const t = perm[k];
      perm[k] = perm[p];
      perm[p] = t;
      sign = -sign;
    }
    const ok = k * n;
    const inv = 1 / a[ok + k];
    for (let i = k + 1; i < n; i++) {
      const oi = i * n;
      const l = a[oi + k] * inv;
      a[oi + k] = l;
      if (l === 0) continue;
      for (let j = k + 1; j < n; j++) a[oi + j] -= l * a[ok + j];
    }
  }
  return { LU: lu, perm, sign };
}

/**
 * Solves A·X = B from `luFactor(A)`: permute B, forward substitution with unit L, back substitution with U.
 * Float64, a constant for autodiff.
 * @param f the factorisation
 * @param B n × m right-hand side (flat array / rank-1 tensor = column vector)
 */
export function luSolve(f: LUFactor, B: MatrixInput): Matrix {
  const b = toMatrix(B, 'luSolve(B)');
  const n = f.LU.rows;
  if (b.rows !== n) throw new ShapeError(`luSolve: A is ${n}×${n} but B has ${b.rows} rows`);
  const m = b.cols;
  const x = new Float64Array(n * m);
  for (let i = 0; i < n; i++) x.set(b.data.subarray(f.perm[i] * m, f.perm[i] * m + m), i * m);
  const a = f.LU.data;
  for (let i = 0; i < n; i++) {
    const oi = i * m;
    for (let k = 0; k < i; k++) {
      const l = a[i * n + k];
      if (l === 0) continue;
      const ok = k * m;
      for (let j = 0; j < m; j++) x[oi + j] -= l * x[ok + j];
    }
  }
  for (let i = n - 1; i >= 0; i--) {
    const oi = i * m;
    for (let k = i + 1; k < n; k++) {
      const u = a[i * n + k];
      if (u === 0) continue;
      const ok = k * m;
      for (let j = 0; j < m; j++) x[oi + j] -= u * x[ok + j];
    }
    const inv = 1 / a[i * n + i];
    for (let j = 0; j < m; j++) x[oi + j] *= inv;
  }
  return matrix(n, m, x);
}

/**
 * Solves the general square system A·X = B by LU with partial pivoting (`SingularMatrixError` when A is singular to
 * working precision). Float64, a constant for autodiff. For SPD A prefer `spdSolve` (half the flops).
 * @param A n × n matrix
 * @param B n × m right-hand side (flat array / rank-1 tensor = column vector)
 */
export function solve(A: MatrixInput, B: MatrixInput): Matrix {
  return luSolve(luFactor(A), B);
}

/** Determinant by LU (0 when A is singular to working precision). Float64, a constant for autodiff. */
export function det(A: MatrixInput): number {
  let f: LUFactor;
  try {
    f = luFactor(A);
  } catch (e) {
    if (e instanceof SingularMatrixError) return 0;
    throw e;
  }
  const n = f.LU.rows;
  let d = f.sign;
  for (let i = 0; i < n; i++) d *= f.LU.data[i * n + i];
  return d;
}
