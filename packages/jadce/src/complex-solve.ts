/**
 * Complex linear solves for tensor (or host matrix) inputs: Hermitian positive definite solve and inverse, general
 * solve. Each goes through the Float64 host solvers of `host-complex.ts` on the realified matrix
 * [[Re A, −Im A], [Im A, Re A]] (size 2n, ≈ 8× the flops of a native complex solve) and returns float32 tensors.
 * **Constants for autodiff** (no gradient).
 */
import { type MatrixInput, ShapeError, toMatrix, toSquareMatrix } from '@ft/core';
import * as tf from '@tensorflow/tfjs-core';
import type { CTensor } from './complex-tensor.js';
import { type CMat, chermSolve, cmat, csolve } from './host-complex.js';

/** A complex matrix for the host solvers: real and imaginary parts in any `MatrixInput` form (incl. `CTensor`). */
export interface ComplexMatrixInput {
  re: MatrixInput;
  im: MatrixInput;
}

function toCMat(a: ComplexMatrixInput, who: string, name: string, square: boolean): CMat {
  const read = square ? toSquareMatrix : toMatrix;
  const re = read(a.re, `${who}(${name}.re)`);
  const im = read(a.im, `${who}(${name}.im)`);
  if (re.rows !== im.rows || re.cols !== im.cols) {
    throw new ShapeError(`${who}: ${name}.re is ${re.rows}×${re.cols} but ${name}.im is ${im.rows}×${im.cols}`);
  }
  return cmat(re.rows, re.cols, Float64Array.from(re.data), Float64Array.from(im.data));
}

function toTensors(x: CMat): CTensor<tf.Tensor2D> {
  return {
    re: tf.tensor2d(Float32Array.from(x.re), [x.rows, x.cols]),
    im: tf.tensor2d(Float32Array.from(x.im), [x.rows, x.cols]),
  };
}

/**
 * Solves S·X = B for Hermitian positive definite S through realify(S)·stack(X) = stack(B) and a Float64 Cholesky
 * (with its jitter retry; `NotPositiveDefiniteError` otherwise). Only the lower triangle of realify(S) is read.
 * Returns float32 tensors (n × m; a vector B gives n × 1). A constant for autodiff.
 * @param S n × n Hermitian PD matrix (`{re, im}` tensors or host matrices)
 * @param B n × m right-hand side
 */
export function hermitianSolve(S: ComplexMatrixInput, B: ComplexMatrixInput): CTensor<tf.Tensor2D> {
  return toTensors(chermSolve(toCMat(S, 'hermitianSolve', 'S', true), toCMat(B, 'hermitianSolve', 'B', false)));
}

/**
 * Inverse of a Hermitian positive definite S via realify + Float64 Cholesky (jitter retry as `cholesky`), made
 * exactly Hermitian: P ← (P + Pᴴ)/2. A constant for autodiff.
 */
export function hermitianInverse(S: ComplexMatrixInput): CTensor<tf.Tensor2D> {
  const s = toCMat(S, 'hermitianInverse', 'S', true);
  const n = s.rows;
  const eye = cmat(n, n);
  for (let i = 0; i < n; i++) eye.re[i * n + i] = 1;
  const X = chermSolve(s, eye);
  const xr = X.re;
  const xi = X.im;
  for (let i = 0; i < n; i++) {
    xi[i * n + i] = 0;
    for (let j = i + 1; j < n; j++) {
      const r = 0.5 * (xr[i * n + j] + xr[j * n + i]);
      const c = 0.5 * (xi[i * n + j] - xi[j * n + i]);
      xr[i * n + j] = r;
      xr[j * n + i] = r;
      xi[i * n + j] = c;
      xi[j * n + i] = -c;
    }
  }
  return toTensors(X);
}

/**
 * Solves A·X = B for a general square complex A through realify(A) and Float64 LU with partial pivoting
 * (`SingularMatrixError` when singular). A constant for autodiff.
 */
export function complexSolve(A: ComplexMatrixInput, B: ComplexMatrixInput): CTensor<tf.Tensor2D> {
  return toTensors(csolve(toCMat(A, 'complexSolve', 'A', true), toCMat(B, 'complexSolve', 'B', false)));
}
