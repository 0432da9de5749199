/**
 * Dense Float64 host matrices used by the @ft linear algebra (tfjs has no Cholesky, solve, eig or SVD:
 * tfjs#8173, #110, #1516, #467). Everything in `linalg/` runs in plain JavaScript on `Float64Array`s and is a
 * **constant for autodiff**: reading a tensor calls `dataSync()`, so no gradient flows through these functions.
 */
import * as tf from '@tensorflow/tfjs-core';
import { DTypeError, InvalidArgumentError, ShapeError } from '../errors.js';
import { indexOfNonFinite } from '../validate.js';

/** A dense row-major Float64 matrix: element (i, j) is `data[i * cols + j]`. */
export interface Matrix {
  rows: number;
  cols: number;
  data: Float64Array;
}

/**
 * Anything the linalg functions accept as a matrix: a `Matrix`, a rank-2 tf tensor (read with `dataSync()`,
 * float32 values widened to float64), nested arrays `number[][]`, or a flat row-major `Float64Array` /
 * `Float32Array` / `number[]` (square when the function needs a square matrix, otherwise a column vector).
 * A rank-1 tensor or flat array given as a right-hand side is a column vector.
 */
export type MatrixInput = Matrix | tf.Tensor | number[][] | readonly number[] | Float64Array | Float32Array;

/** True when `x` is a `Matrix` (`{rows, cols, data}` with a typed-array `data`). */
export function isMatrix(x: unknown): x is Matrix {
  if (typeof x !== 'object' || x === null) return false;
  const m = x as Partial<Matrix>;
  return (
    typeof m.rows === 'number' &&
    typeof m.cols === 'number' &&
    (m.data instanceof Float64Array || (m.data as unknown) instanceof Float32Array)
  );
}

/** A new `rows × cols` matrix of zeros (or wrapping `data`, which must have `rows·cols` entries). */
export function matrix(rows: number, cols: number, data?: Float64Array): Matrix {
  if (!Number.isInteger(rows) || !Number.isInteger(cols) || rows < 0 || cols < 0) {
    throw new ShapeError(`matrix: invalid shape [${rows}, ${cols}]`);
  }
  if (data && data.length !== rows * cols) {
    throw new ShapeError(`matrix: data has ${data.length} entries, shape [${rows}, ${cols}] needs ${rows * cols}`);
  }
  return { rows, cols, data: data ?? new Float64Array(rows * cols) };
}

/** The n × n identity. */
export function eye(n: number): Matrix {
  const m = matrix(n, n);
  for (let i = 0; i < n; i++) m.data[i * n + i] = 1;
  return m;
}

/** A deep copy of `m`. */
export function cloneMatrix(m: Matrix): Matrix {
  return { rows: m.rows, cols: m.cols, data: Float64Array.from(m.data) };
}

/** Throws `InvalidArgumentError` naming the first non-finite entry (row-major index) of a matrix. */
function checkFiniteEntries(data: ArrayLike<number>, name: string): void {
  const i = indexOfNonFinite(data);
  if (i >= 0) {
    throw new InvalidArgumentError(`${name}: entry ${i} is ${data[i]} (matrices must be finite)`, {
      parameter: name,
      index: i,
    });
  }
}

/**
 * Converts any `MatrixInput` to a Float64 `Matrix` (always a fresh copy, so callers may overwrite it).
 * Flat arrays and rank-1 tensors become column vectors unless `opts.square` (then length n² → n × n).
 * Throws `ShapeError` for other ranks, `DTypeError` for complex tensors, `InvalidArgumentError` for NaN/Inf.
 * Constant for autodiff (tensors are read with `dataSync()`).
 * @param x the input
 * @param name parameter name used in error messages (default `'A'`)
 * @param opts.square interpret flat input as a square matrix (default false)
 */
export function toMatrix(x: MatrixInput, name = 'A', opts: { square?: boolean } = {}): Matrix {
  let out: Matrix;
  if (x instanceof tf.Tensor) {
    if (x.dtype === 'complex64' || x.dtype === 'string') {
      throw new DTypeError(`${name}: expected a real tensor, got dtype ${x.dtype}`);
    }
    const vals = x.dataSync() as Float32Array | Int32Array | Uint8Array;
    if (x.rank === 2) out = matrix(x.shape[0] as number, x.shape[1] as number, Float64Array.from(vals));
    else if (x.rank === 1) out = flatToMatrix(Float64Array.from(vals), name, opts.square ?? false);
    else throw new ShapeError(`${name}: expected a rank-2 tensor, got shape [${x.shape.join(', ')}]`);
  } else if (isMatrix(x)) {
    if (x.data.length !== x.rows * x.cols) {
      throw new ShapeError(`${name}: data has ${x.data.length} entries, shape [${x.rows}, ${x.cols}]`);
    }
    out = { rows: x.rows, cols: x.cols, data: Float64Array.from(x.data) };
  } else if (x instanceof Float64Array || x instanceof Float32Array) {
    out = flatToMatrix(Float64Array.from(x), name, opts.square ?? false);
  } else if (Array.isArray(x)) {
    if (x.length > 0 && Array.isArray(x[0])) {
      const rows = x as number[][];
      const r = rows.length;
      const c = rows[0].length;
      const data = new Float64Array(r * c);
      for (let i = 0; i < r; i++) {
        const row = rows[i];
        if (!Array.isArray(row) || row.length !== c) {
          throw new ShapeError(`${name}: ragged nested array, row ${i} has ${row?.length} entries, row 0 has ${c}`);
        }
        for (let j = 0; j < c; j++) data[i * c + j] = row[j];
      }
      out = matrix(r, c, data);
    } else {
      out = flatToMatrix(Float64Array.from(x as unknown as readonly number[]), name, opts.square ?? false);
    }
  } else {
    throw new InvalidArgumentError(`${name}: expected a Matrix, tf.Tensor, number[][] or typed array`);
  }
  checkFiniteEntries(out.data, name);
  return out;
}

function flatToMatrix(data: Float64Array, name: string, square: boolean): Matrix {
  if (!square) return matrix(data.length, 1, data);
  const n = Math.round(Math.sqrt(data.length));
  if (n * n !== data.length) {
    throw new ShapeError(`${name}: flat array of length ${data.length} is not a square matrix`);
  }
  return matrix(n, n, data);
}

/** `toMatrix` that also checks the result is square; returns the copy. */
export function toSquareMatrix(x: MatrixInput, name = 'A'): Matrix {
  const m = toMatrix(x, name, { square: true });
  if (m.rows !== m.cols) throw new ShapeError(`${name}: expected a square matrix, got shape [${m.rows}, ${m.cols}]`);
  return m;
}

/** A float32 `tf.Tensor2D` with the values of `m` (the caller owns and disposes it). */
export function matrixToTensor(m: Matrix): tf.Tensor2D {
  return tf.tensor2d(Float32Array.from(m.data), [m.rows, m.cols], 'float32');
}

/** Nested arrays `number[][]` with the values of `m`. */
export function matrixToArray(m: Matrix): number[][] {
  const out: number[][] = [];
  for (let i = 0; i < m.rows; i++) out.push(Array.from(m.data.subarray(i * m.cols, (i + 1) * m.cols)));
  return out;
}

/** Transpose Aᵀ (host, Float64). */
export function transposeMatrix(a: Matrix): Matrix {
  const { rows, cols, data } = a;
  const out = new Float64Array(rows * cols);
  for (let i = 0; i < rows; i++) {
    const off = i * cols;
    for (let j = 0; j < cols; j++) out[j * rows + i] = data[off + j];
  }
  return matrix(cols, rows, out);
}

/** Product A·B (host, Float64, i-k-j loop order so the inner loop is contiguous). */
export function matmulMatrix(a: Matrix, b: Matrix): Matrix {
  if (a.cols !== b.rows) {
    throw new ShapeError(
      `matmulMatrix: inner dimensions differ, A is [${a.rows}, ${a.cols}], B is [${b.rows}, ${b.cols}]`,
    );
  }
  const m = a.rows;
  const k = a.cols;
  const n = b.cols;
  const ad = a.data;
  const bd = b.data;
  const out = new Float64Array(m * n);
  for (let i = 0; i < m; i++) {
    const oo = i * n;
    for (let p = 0; p < k; p++) {
      const aip = ad[i * k + p];
      if (aip === 0) continue;
      const bo = p * n;
      for (let j = 0; j < n; j++) out[oo + j] += aip * bd[bo + j];
    }
  }
  return matrix(m, n, out);
}

/** Frobenius norm ‖A‖_F = sqrt(Σ a_ij²), computed with scaling to avoid overflow. */
export function frobeniusNorm(a: Matrix | Float64Array): number {
  const d = a instanceof Float64Array ? a : a.data;
  let scale = 0;
  for (let i = 0; i < d.length; i++) scale = Math.max(scale, Math.abs(d[i]));
  if (scale === 0) return 0;
  let s = 0;
  for (let i = 0; i < d.length; i++) {
    const v = d[i] / scale;
    s += v * v;
  }
  return scale * Math.sqrt(s);
}

/** Copies the upper triangle of square `a` onto its lower triangle, in place; returns `a`. */
export function mirrorUpper(a: Matrix): Matrix {
  const n = a.rows;
  const d = a.data;
  for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) d[j * n + i] = d[i * n + j];
  return a;
}

/** Symmetrises square `a` in place: A ← (A + Aᵀ)/2; returns `a`. */
export function symmetrize(a: Matrix): Matrix {
  const n = a.rows;
  const d = a.data;
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      const v = 0.5 * (d[i * n + j] + d[j * n + i]);
      d[i * n + j] = v;
      d[j * n + i] = v;
    }
  }
  return a;
}
