/**
 * Cholesky factorisation and triangular solves in Float64 on host data. All functions are **constants for
 * autodiff** (inputs are read with `dataSync()`; no gradient flows through them).
 */
import { InvalidArgumentError, NotPositiveDefiniteError, ShapeError, SingularMatrixError } from '../errors.js';
import { type Matrix, type MatrixInput, matrix, toMatrix, toSquareMatrix } from './matrix.js';

/** Options of `cholesky` and the functions built on it. */
export interface CholeskyOptions {
  /**
   * Retry with diagonal jitter when the plain factorisation fails: A + j·mean(diag A)·I for
   * j = 1e-10, 1e-9, …, 1e-4 (×10 each). Default `true`; `false` throws at the first failure.
   */
  jitter?: boolean;
  /** Smallest relative jitter tried (default 1e-10). */
  minJitter?: number;
  /** Largest relative jitter tried (default 1e-4). */
  maxJitter?: number;
}

/** Result of `choleskyFactor`: the factor and the relative jitter that was needed (0 when none). */
export interface CholeskyFactor {
  /** Lower-triangular L with L·Lᵀ = A + jitter·mean(diag A)·I (upper triangle is zero). */
  L: Matrix;
  /** Relative jitter j that was added (0 when A factorised as given). */
  jitter: number;
  /** Absolute diagonal shift j·mean(diag A) that was added. */
  shift: number;
}

/**
 * In-place Cholesky–Banachiewicz on the lower triangle of `a` (row-major, n × n), adding `shift` to the diagonal.
 * Returns -1 on success, else the index of the first non-positive pivot (`a` is then garbage).
 * Inner loops are contiguous dot products of rows of L, so the cost is n³/3 multiply-adds.
 */
function factorInPlace(a: Float64Array, src: Float64Array, n: number, shift: number): { pivot: number; value: number } {
  for (let i = 0; i < n; i++) {
    const oi = i * n;
    for (let j = 0; j <= i; j++) {
      const oj = j * n;
      let s = src[oi + j];
      if (i === j) s += shift;
      // s -= Σ_{k<j} L_ik L_jk  (unrolled by 4)
      let k = 0;
      let acc0 = 0;
      let acc1 = 0;
      let acc2 = 0;
      let acc3 = 0;
      for (; k + 3 < j; k += 4) {
        acc0 += a[oi + k] * a[oj + k];
        acc1 += a[oi + k + 1] * a[oj + k + 1];
        acc2 += a[oi + k + 2] * a[oj + k + 2];
        acc3 += a[oi + k + 3] * a[oj + k + 3];
      }
      for (; k < j; k++) acc0 += a[oi + k] * a[oj + k];
      s -= acc0 + acc1 + acc2 + acc3;
      if (i === j) {
        if (!(s > 0)) return { pivot: i, value: s };
        a[oi + i] = Math.sqrt(s);
      } else {
        a[oi + j] = s / a[oj + j];
      }
    }
    for (let j = i + 1; j < n; j++) a[oi + j] = 0;
  }
  return { pivot: -1, value: 0 };
}

/**
 * Cholesky factorisation A = L·Lᵀ of a symmetric positive definite matrix, with the jitter retry of the core spec:
 * when a pivot is not positive, retry with A + j·mean(diag A)·I for j = 1e-10, 1e-9, …, 1e-4, then throw
 * `NotPositiveDefiniteError` naming the size and the failing pivot. Only the **lower triangle** of A is read.
 * Float64, n³/3 flops; a constant for autodiff (no gradient).
 * @param A n × n SPD matrix (tensor, Matrix, number[][] or flat Float64Array of n² entries)
 * @param opts see `CholeskyOptions` (default: jitter on, 1e-10…1e-4)
 * @returns the factor and the jitter that was needed
 */
export function choleskyFactor(A: MatrixInput, opts: CholeskyOptions = {}): CholeskyFactor {
  const a = toSquareMatrix(A, 'cholesky(A)');
  const n = a.rows;
  const src = a.data;
  const out = new Float64Array(n * n);
  let res = factorInPlace(out, src, n, 0);
  if (res.pivot < 0) return { L: matrix(n, n, out), jitter: 0, shift: 0 };
  const first = res;
  const useJitter = opts.jitter ?? true;
  const minJ = opts.minJitter ?? 1e-10;
  const maxJ = opts.maxJitter ?? 1e-4;
  if (!(minJ > 0) || !(maxJ >= minJ)) {
    throw new InvalidArgumentError(`cholesky: need 0 < minJitter <= maxJitter, got ${minJ}, ${maxJ}`);
  }
  let meanDiag = 0;
  for (let i = 0; i < n; i++) meanDiag += Math.abs(src[i * n + i]);
  meanDiag = n > 0 ? meanDiag / n : 0;
  if (meanDiag === 0) meanDiag = 1;
  let lastJ = 0;
  if (useJitter) {
    for (let step = 0; ; step++) {
      // minJ·10^step, rounded so the ladder reads 1e-10, 1e-9, … exactly
      const j = Number((minJ * 10 ** step).toPrecision(12));
      if (j > maxJ * (1 + 1e-9)) break;
      lastJ = j;
      res = factorInPlace(out, src, n, j * meanDiag);
      if (res.pivot < 0) return { L: matrix(n, n, out), jitter: j, shift: j * meanDiag };
    }
  }
  throw new NotPositiveDefiniteError(
    `cholesky: ${n}×${n} matrix is not positive definite: pivot ${first.pivot} (0-based) is ${first.value.toExponential(3)}` +
      (useJitter
        ? `; still failing at pivot ${res.pivot} after jitter ${lastJ.toExponential(0)}·mean(diag)`
        : ' (jitter disabled)'),
    { size: n, pivot: first.pivot, value: first.value, jitter: useJitter ? lastJ : 0 },
  );
}

/**
 * Lower Cholesky factor L of an SPD matrix (A = L·Lᵀ), retrying with jitter as in `choleskyFactor`.
 * Float64 host computation, a constant for autodiff (no gradient).
 * @param A n × n SPD matrix; only the lower triangle is read
 * @param opts jitter options (default jitter on, 1e-10…1e-4 × mean(diag))
 */
export function cholesky(A: MatrixInput, opts: CholeskyOptions = {}): Matrix {
  return choleskyFactor(A, opts).L;
}

/** Options of `solveTriangular`. */
export interface TriangularOptions {
  /** L is lower triangular (default true); otherwise upper. Only that triangle is read. */
  lower?: boolean;
  /** Solve with the transpose: Lᵀ·X = B (default false). */
  transpose?: boolean;
  /** Assume a unit diagonal (default false). */
  unitDiagonal?: boolean;
}

/**
 * Solves T·X = B (or Tᵀ·X = B with `transpose`) for triangular T by forward/back substitution, row-oriented so
 * inner loops run over the contiguous right-hand-side rows. O(n²·m). Float64, a constant for autodiff.
 * Throws `SingularMatrixError` on a zero diagonal entry.
 * @param T n × n triangular matrix
 * @param B n × m right-hand side (a flat array or rank-1 tensor is a column vector)
 * @param opts `{lower = true, transpose = false, unitDiagonal = false}`
 */
export function solveTriangular(T: MatrixInput, B: MatrixInput, opts: TriangularOptions = {}): Matrix {
  const t = toSquareMatrix(T, 'solveTriangular(T)');
  const x = toMatrix(B, 'solveTriangular(B)');
  triangularSolveInPlace(t, x, opts);
  return x;
}

/** In-place triangular solve on already converted matrices (x is overwritten with the solution). */
export function triangularSolveInPlace(t: Matrix, x: Matrix, opts: TriangularOptions = {}): void {
  const n = t.rows;
  if (x.rows !== n) {
    throw new ShapeError(`solveTriangular: T is ${n}×${n} but B has ${x.rows} rows`);
  }
  const lower = opts.lower ?? true;
  const trans = opts.transpose ?? false;
  const unit = opts.unitDiagonal ?? false;
  const m = x.cols;
  const td = t.data;
  const xd = x.data;
  const diag = (i: number) => {
    const v = td[i * n + i];
    if (v === 0) throw new SingularMatrixError(`solveTriangular: ${n}×${n} matrix has a zero diagonal at ${i}`);
    return v;
  };
  // Effective system: forward (lower, no transpose / upper, transpose) or backward.
  const forward = lower !== trans;
  if (!trans) {
    // Row-oriented: X_i = (B_i − Σ_k T_ik X_k) / T_ii, reading row i of T.
    if (forward) {
      for (let i = 0; i < n; i++) {
        const oi = i * m;
        for (let k = 0; k < i; k++) {
          const tik = td[i * n + k];
          if (tik === 0) continue;
          const ok = k * m;
          for (let j = 0; j < m; j++) xd[oi + j] -= tik * xd[ok + j];
        }
        if (!unit) {
          const inv = 1 / diag(i);
          for (let j = 0; j < m; j++) xd[oi + j] *= inv;
        }
      }
    } else {
      for (let i = n - 1; i >= 0; i--) {
        const oi = i * m;
        for (let k = i + 1; k < n; k++) {
          const tik = td[i * n + k];
          if (tik === 0) continue;
          const ok = k * m;
          for (let j = 0; j < m; j++) xd[oi + j] -= tik * xd[ok + j];
        }
        if (!unit) {
          const inv = 1 / diag(i);
          for (let j = 0; j < m; j++) xd[oi + j] *= inv;
        }
      }
    }
  } else if (forward) {
    // Tᵀ lower (T upper): column-oriented with row i of T: finish X_i, then X_k −= T_ik X_i for k > i.
    for (let i = 0; i < n; i++) {
      const oi = i * m;
      if (!unit) {
        const inv = 1 / diag(i);
        for (let j = 0; j < m; j++) xd[oi + j] *= inv;
      }
      for (let k = i + 1; k < n; k++) {
        const tik = td[i * n + k];
        if (tik === 0) continue;
        const ok = k * m;
        for (let j = 0; j < m; j++) xd[ok + j] -= tik * xd[oi + j];
      }
    }
  } else {
    // Tᵀ upper (T lower): finish X_i from the bottom, then X_k −= T_ik X_i for k < i.
    for (let i = n - 1; i >= 0; i--) {
      const oi = i * m;
      if (!unit) {
        const inv = 1 / diag(i);
        for (let j = 0; j < m; j++) xd[oi + j] *= inv;
      }
      const ti = i * n;
      for (let k = 0; k < i; k++) {
        const tik = td[ti + k];
        if (tik === 0) continue;
        const ok = k * m;
        for (let j = 0; j < m; j++) xd[ok + j] -= tik * xd[oi + j];
      }
    }
  }
}

/**
 * Solves A·X = B given the Cholesky factor L of A (A = L·Lᵀ): L·Y = B, then Lᵀ·X = Y. O(n²·m).
 * Float64, a constant for autodiff.
 * @param L lower Cholesky factor (from `cholesky`)
 * @param B n × m right-hand side (flat array / rank-1 tensor = column vector)
 */
export function choleskySolve(L: MatrixInput, B: MatrixInput): Matrix {
  const l = toSquareMatrix(L, 'choleskySolve(L)');
  const x = toMatrix(B, 'choleskySolve(B)');
  triangularSolveInPlace(l, x, { lower: true });
  triangularSolveInPlace(l, x, { lower: true, transpose: true });
  return x;
}

/**
 * Solves A·X = B for symmetric positive definite A through its Cholesky factor (with the jitter retry of
 * `cholesky`). Float64, a constant for autodiff.
 * @param A n × n SPD matrix (lower triangle read)
 * @param B n × m right-hand side
 * @param opts jitter options of `cholesky`
 */
export function spdSolve(A: MatrixInput, B: MatrixInput, opts: CholeskyOptions = {}): Matrix {
  return choleskySolve(cholesky(A, opts), B);
}

/** Inverse of a lower-triangular matrix (lower triangular), by forward substitution on the identity. n³/6 flops. */
export function lowerTriangularInverse(L: Matrix): Matrix {
  const n = L.rows;
  const ld = L.data;
  const out = new Float64Array(n * n);
  // Row i of L⁻¹: (e_i − Σ_{k<i} L_ik · row_k(L⁻¹)) / L_ii; row k has nonzeros in 0..k only.
  for (let i = 0; i < n; i++) {
    const oi = i * n;
    out[oi + i] = 1;
    for (let k = 0; k < i; k++) {
      const lik = ld[oi + k];
      if (lik === 0) continue;
      const ok = k * n;
      for (let j = 0; j <= k; j++) out[oi + j] -= lik * out[ok + j];
    }
    const d = ld[oi + i];
    if (d === 0) throw new SingularMatrixError(`lowerTriangularInverse: ${n}×${n} matrix has a zero diagonal at ${i}`);
    const inv = 1 / d;
    for (let j = 0; j <= i; j++) out[oi + j] *= inv;
  }
  return matrix(n, n, out);
}

/**
 * Inverse of a symmetric positive definite matrix through its Cholesky factor: A⁻¹ = L⁻ᵀ·L⁻¹, accumulated as
 * Σ_k r_k r_kᵀ over the rows r_k of L⁻¹ on the upper triangle and mirrored, so the result is exactly symmetric
 * (the (P + Pᵀ)/2 of the spec holds by construction). About n³/2 flops. Uses the jitter retry of `cholesky`.
 * Float64, a constant for autodiff.
 * @param A n × n SPD matrix (lower triangle read)
 * @param opts jitter options of `cholesky`
 */
export function spdInverse(A: MatrixInput, opts: CholeskyOptions = {}): Matrix {
  const L = cholesky(A, opts);
  return inverseFromCholesky(L);
}

/** A⁻¹ = L⁻ᵀ·L⁻¹ from a lower Cholesky factor L (exactly symmetric). */
export function inverseFromCholesky(L: Matrix): Matrix {
  const n = L.rows;
  const li = lowerTriangularInverse(L).data;
  const p = new Float64Array(n * n);
  for (let k = 0; k < n; k++) {
    const ok = k * n;
    for (let i = 0; i <= k; i++) {
      const v = li[ok + i];
      if (v === 0) continue;
      const oi = i * n;
      for (let j = i; j <= k; j++) p[oi + j] += v * li[ok + j];
    }
  }
  for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) p[j * n + i] = p[i * n + j];
  return matrix(n, n, p);
}

/**
 * log det A = 2·Σ log L_ii for symmetric positive definite A (Cholesky; the jitter retry applies, so a
 * jittered result is log det(A + shift·I)). Float64, a constant for autodiff.
 * @param A n × n SPD matrix (lower triangle read)
 * @param opts jitter options of `cholesky` (pass `{jitter: false}` to refuse non-PD input)
 */
export function logdet(A: MatrixInput, opts: CholeskyOptions = {}): number {
  const L = cholesky(A, opts);
  return logdetFromCholesky(L);
}

/** 2·Σ log L_ii for a Cholesky factor L. */
export function logdetFromCholesky(L: Matrix): number {
  const n = L.rows;
  let s = 0;
  for (let i = 0; i < n; i++) s += Math.log(L.data[i * n + i]);
  return 2 * s;
}
