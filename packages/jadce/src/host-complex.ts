/**
 * Float64 complex matrices on the host, for the iterative JADCE solvers (AMP, FISTA, ADMM, SBL, covariance ML).
 *
 * The solvers work on one realisation at a time with matrices of at most a few hundred rows, where plain
 * JavaScript loops over `Float64Array`s are faster and exact compared with creating float32 tfjs tensors every
 * iteration. Hermitian solves go through core's Float64 Cholesky on the realified matrix
 * [[Re A, −Im A], [Im A, Re A]] (`spdSolve`); `complex-solve.ts` exposes the same solves for tensor inputs.
 *
 * Layout: row-major, element (i, j) at `i·cols + j` in both `re` and `im`.
 */
import { InvalidArgumentError, type Matrix, matrix, ShapeError, solve, spdSolve } from '@ft/core';

/** A dense complex matrix: value (i, j) = re[i·cols + j] + i·im[i·cols + j]. */
export interface CMat {
  rows: number;
  cols: number;
  re: Float64Array;
  im: Float64Array;
}

/** A dense complex array of any rank (row-major), e.g. a batch `Y` of shape [count, L, M]. */
export interface CArray {
  shape: number[];
  re: Float64Array;
  im: Float64Array;
}

/** A zero `rows × cols` complex matrix (or one wrapping the given parts). */
export function cmat(rows: number, cols: number, re?: Float64Array, im?: Float64Array): CMat {
  const n = rows * cols;
  if ((re && re.length !== n) || (im && im.length !== n)) {
    throw new ShapeError(`cmat: parts have ${re?.length}/${im?.length} entries, shape [${rows}, ${cols}] needs ${n}`);
  }
  return { rows, cols, re: re ?? new Float64Array(n), im: im ?? new Float64Array(n) };
}

/** A deep copy. */
export function cclone(a: CMat): CMat {
  return { rows: a.rows, cols: a.cols, re: Float64Array.from(a.re), im: Float64Array.from(a.im) };
}

/** Matrix `index` of a batch `[count, rows, cols]`, as a view (no copy). */
export function batchItem(a: CArray, index: number): CMat {
  if (a.shape.length !== 3) throw new ShapeError(`batchItem: expected a [count, rows, cols] array, got [${a.shape}]`);
  const [, rows, cols] = a.shape;
  const n = rows * cols;
  return {
    rows,
    cols,
    re: a.re.subarray(index * n, (index + 1) * n),
    im: a.im.subarray(index * n, (index + 1) * n),
  };
}

/** A zero complex array of the given shape. */
export function carray(shape: number[]): CArray {
  const n = shape.reduce((p, d) => p * d, 1);
  return { shape: [...shape], re: new Float64Array(n), im: new Float64Array(n) };
}

/** C = A·B. */
export function cmatmul(a: CMat, b: CMat, out?: CMat): CMat {
  if (a.cols !== b.rows) throw new ShapeError(`cmatmul: [${a.rows}, ${a.cols}] · [${b.rows}, ${b.cols}]`);
  const m = a.rows;
  const k = a.cols;
  const n = b.cols;
  const c = out ?? cmat(m, n);
  c.re.fill(0);
  c.im.fill(0);
  for (let i = 0; i < m; i++) {
    const ci = i * n;
    for (let p = 0; p < k; p++) {
      const ar = a.re[i * k + p];
      const ai = a.im[i * k + p];
      if (ar === 0 && ai === 0) continue;
      const bp = p * n;
      for (let j = 0; j < n; j++) {
        const br = b.re[bp + j];
        const bi = b.im[bp + j];
        c.re[ci + j] += ar * br - ai * bi;
        c.im[ci + j] += ar * bi + ai * br;
      }
    }
  }
  return c;
}

/**
 * C = A·B when only the rows `rows[0..count)` of B (ascending) can be non-zero: the other rows are skipped. The sums
 * run in the same order as `cmatmul` and the skipped terms are exact zeros, so the result is bit-identical to it.
 */
export function cmatmulRows(a: CMat, b: CMat, rows: Int32Array, count: number, out?: CMat): CMat {
  if (a.cols !== b.rows) throw new ShapeError(`cmatmulRows: [${a.rows}, ${a.cols}] · [${b.rows}, ${b.cols}]`);
  const m = a.rows;
  const k = a.cols;
  const n = b.cols;
  const c = out ?? cmat(m, n);
  c.re.fill(0);
  c.im.fill(0);
  for (let i = 0; i < m; i++) {
    const ci = i * n;
    for (let q = 0; q < count; q++) {
      const p = rows[q];
      const ar = a.re[i * k + p];
      const ai = a.im[i * k + p];
      if (ar === 0 && ai === 0) continue;
      const bp = p * n;
      for (let j = 0; j < n; j++) {
        const br = b.re[bp + j];
        const bi = b.im[bp + j];
        c.re[ci + j] += ar * br - ai * bi;
        c.im[ci + j] += ar * bi + ai * br;
      }
    }
  }
  return c;
}

/** C = Aᴴ·B (conjugate transpose of A times B) without forming Aᴴ. */
export function cmatmulAH(a: CMat, b: CMat, out?: CMat): CMat {
  if (a.rows !== b.rows) throw new ShapeError(`cmatmulAH: [${a.rows}, ${a.cols}]ᴴ · [${b.rows}, ${b.cols}]`);
  const k = a.rows;
  const m = a.cols;
  const n = b.cols;
  const c = out ?? cmat(m, n);
  c.re.fill(0);
  c.im.fill(0);
  for (let p = 0; p < k; p++) {
    const bp = p * n;
    for (let i = 0; i < m; i++) {
      const ar = a.re[p * m + i];
      const ai = -a.im[p * m + i];
      const ci = i * n;
      for (let j = 0; j < n; j++) {
        const br = b.re[bp + j];
        const bi = b.im[bp + j];
        c.re[ci + j] += ar * br - ai * bi;
        c.im[ci + j] += ar * bi + ai * br;
      }
    }
  }
  return c;
}

/** C = A·Bᴴ. */
export function cmatmulBH(a: CMat, b: CMat, out?: CMat): CMat {
  if (a.cols !== b.cols) throw new ShapeError(`cmatmulBH: [${a.rows}, ${a.cols}] · [${b.rows}, ${b.cols}]ᴴ`);
  const m = a.rows;
  const k = a.cols;
  const n = b.rows;
  const c = out ?? cmat(m, n);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let sr = 0;
      let si = 0;
      for (let p = 0; p < k; p++) {
        const ar = a.re[i * k + p];
        const ai = a.im[i * k + p];
        const br = b.re[j * k + p];
        const bi = -b.im[j * k + p];
        sr += ar * br - ai * bi;
        si += ar * bi + ai * br;
      }
      c.re[i * n + j] = sr;
      c.im[i * n + j] = si;
    }
  }
  return c;
}

/** Aᴴ (conjugate transpose). */
export function cconjT(a: CMat): CMat {
  const c = cmat(a.cols, a.rows);
  for (let i = 0; i < a.rows; i++) {
    for (let j = 0; j < a.cols; j++) {
      c.re[j * a.rows + i] = a.re[i * a.cols + j];
      c.im[j * a.rows + i] = -a.im[i * a.cols + j];
    }
  }
  return c;
}

/** ‖A‖²_F. */
export function cfrob2(a: { re: Float64Array; im: Float64Array }): number {
  let s = 0;
  for (let i = 0; i < a.re.length; i++) s += a.re[i] * a.re[i] + a.im[i] * a.im[i];
  return s;
}

/** Squared row norms ‖a_i‖² (length `rows`). */
export function crowNorms2(a: CMat): Float64Array {
  const out = new Float64Array(a.rows);
  for (let i = 0; i < a.rows; i++) {
    let s = 0;
    for (let j = 0; j < a.cols; j++) {
      const k = i * a.cols + j;
      s += a.re[k] * a.re[k] + a.im[k] * a.im[k];
    }
    out[i] = s;
  }
  return out;
}

/** Squared column norms ‖a_j‖² (length `cols`). */
export function ccolNorms2(a: CMat): Float64Array {
  const out = new Float64Array(a.cols);
  for (let i = 0; i < a.rows; i++) {
    for (let j = 0; j < a.cols; j++) {
      const k = i * a.cols + j;
      out[j] += a.re[k] * a.re[k] + a.im[k] * a.im[k];
    }
  }
  return out;
}

/** The columns `idx` of A (a copy). */
export function cselectCols(a: CMat, idx: ArrayLike<number>): CMat {
  const c = cmat(a.rows, idx.length);
  for (let i = 0; i < a.rows; i++) {
    for (let k = 0; k < idx.length; k++) {
      c.re[i * idx.length + k] = a.re[i * a.cols + idx[k]];
      c.im[i * idx.length + k] = a.im[i * a.cols + idx[k]];
    }
  }
  return c;
}

/** Realified Float64 matrix [[Re A, −Im A], [Im A, Re A]] as a core `Matrix`. */
export function realify64(a: CMat): Matrix {
  const m = a.rows;
  const n = a.cols;
  const out = matrix(2 * m, 2 * n);
  const w = 2 * n;
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      const r = a.re[i * n + j];
      const c = a.im[i * n + j];
      out.data[i * w + j] = r;
      out.data[i * w + n + j] = -c;
      out.data[(m + i) * w + j] = c;
      out.data[(m + i) * w + n + j] = r;
    }
  }
  return out;
}

/** Solves realify(A)·stack(X) = stack(B) with a real solver for the realified system; X is n × m. */
function realifiedSolve(a: CMat, b: CMat, who: string, solver: (A: Matrix, B: Matrix) => Matrix): CMat {
  if (a.rows !== a.cols || a.rows !== b.rows) {
    throw new ShapeError(`${who}: A is [${a.rows}, ${a.cols}], B is [${b.rows}, ${b.cols}]`);
  }
  const n = a.rows;
  const m = b.cols;
  const rhs = matrix(2 * n, m);
  rhs.data.set(b.re, 0);
  rhs.data.set(b.im, n * m);
  const x = solver(realify64(a), rhs);
  return cmat(n, m, x.data.slice(0, n * m), x.data.slice(n * m));
}

/**
 * Solves A·X = B for Hermitian positive definite A (n × n) in Float64 through core's Cholesky of realify(A)
 * (`spdSolve`: jitter retry, then `NotPositiveDefiniteError`). Only the lower triangle of realify(A) is read.
 */
export function chermSolve(a: CMat, b: CMat): CMat {
  return realifiedSolve(a, b, 'chermSolve', spdSolve);
}

/**
 * Solves A·X = B for a general square complex A in Float64 through core's LU with partial pivoting of realify(A)
 * (`solve`: `SingularMatrixError` when singular).
 */
export function csolve(a: CMat, b: CMat): CMat {
  return realifiedSolve(a, b, 'csolve', solve);
}

/**
 * Largest squared singular value ‖A‖²₂ by power iteration on AᴴA (deterministic start vector of ones).
 * @param iters iterations (default 100; stops early at relative change < 1e-10)
 */
export function cspectralNorm2(a: CMat, iters = 100): number {
  let v = cmat(a.cols, 1);
  v.re.fill(1 / Math.sqrt(a.cols));
  let lambda = 0;
  for (let t = 0; t < iters; t++) {
    const w = cmatmulAH(a, cmatmul(a, v));
    const norm = Math.sqrt(cfrob2(w));
    if (norm === 0) return 0;
    for (let i = 0; i < w.re.length; i++) {
      w.re[i] /= norm;
      w.im[i] /= norm;
    }
    const prev = lambda;
    lambda = norm;
    v = w;
    if (Math.abs(lambda - prev) <= 1e-10 * lambda) break;
  }
  return lambda;
}

/** Throws `InvalidArgumentError` naming `name` and the first non-finite entry. */
export function checkFiniteC(a: { re: Float64Array; im: Float64Array }, name: string): void {
  for (let i = 0; i < a.re.length; i++) {
    if (!Number.isFinite(a.re[i]) || !Number.isFinite(a.im[i])) {
      throw new InvalidArgumentError(`${name}: entry ${i} is not finite (${a.re[i]} + ${a.im[i]}i)`, {
        parameter: name,
        index: i,
      });
    }
  }
}
