/**
 * Complex arithmetic as pairs of real tensors. tfjs `complex64` lacks div/exp/log/tile and its gradients fail on
 * the node backend (tfjs#2409, #5668), so all complex math in @ft uses `{re, im}` float32 pairs built from
 * ordinary tfjs ops: everything here except the host solvers at the bottom is **differentiable** with `tf.grad`.
 * Complex linear algebra (Hermitian solve / inverse, general solve) goes through `realify` and the Float64 host
 * linalg (size 2n, ≈ 8× the flops of a native complex solve) and is a **constant for autodiff**.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-layers'; // registers the gradients of tfjs-core ops, so tf.grad works through these ops
import { DTypeError, InvalidArgumentError, ShapeError } from './errors.js';
import { spdSolve } from './linalg/cholesky.js';
import { solve } from './linalg/lu.js';
import { type Matrix, type MatrixInput, matrix, toMatrix, toSquareMatrix } from './linalg/matrix.js';
import type { Rng } from './rng.js';

/** A complex tensor as two real tensors of the same shape: value = re + i·im. */
export interface CTensor<T extends tf.Tensor = tf.Tensor> {
  re: T;
  im: T;
}

/** A complex matrix for the host solvers: real and imaginary parts in any `MatrixInput` form (incl. `CTensor`). */
export interface ComplexMatrixInput {
  re: MatrixInput;
  im: MatrixInput;
}

function checkPair(a: CTensor, who: string): void {
  if (!(a.re instanceof tf.Tensor) || !(a.im instanceof tf.Tensor)) {
    throw new InvalidArgumentError(`${who}: expected {re, im} tensors`);
  }
  if (!tf.util.arraysEqual(a.re.shape, a.im.shape)) {
    throw new ShapeError(`${who}: re and im shapes differ ([${a.re.shape.join(', ')}] vs [${a.im.shape.join(', ')}])`);
  }
}

/** Complex matrix product A·B = (ArBr − AiBi) + i(ArBi + AiBr) (batched like `tf.matMul`). Differentiable. */
export function cmatmul(a: CTensor, b: CTensor): CTensor {
  checkPair(a, 'cmatmul(a)');
  checkPair(b, 'cmatmul(b)');
  return tf.tidy(() => ({
    re: tf.sub(tf.matMul(a.re, b.re), tf.matMul(a.im, b.im)),
    im: tf.add(tf.matMul(a.re, b.im), tf.matMul(a.im, b.re)),
  }));
}

/** Elementwise a + b (broadcasting). Differentiable. */
export function cadd(a: CTensor, b: CTensor): CTensor {
  return tf.tidy(() => ({ re: tf.add(a.re, b.re), im: tf.add(a.im, b.im) }));
}

/** Elementwise a − b (broadcasting). Differentiable. */
export function csub(a: CTensor, b: CTensor): CTensor {
  return tf.tidy(() => ({ re: tf.sub(a.re, b.re), im: tf.sub(a.im, b.im) }));
}

/** Elementwise complex product a ⊙ b = (ar·br − ai·bi) + i(ar·bi + ai·br) (broadcasting). Differentiable. */
export function cmul(a: CTensor, b: CTensor): CTensor {
  return tf.tidy(() => ({
    re: tf.sub(tf.mul(a.re, b.re), tf.mul(a.im, b.im)),
    im: tf.add(tf.mul(a.re, b.im), tf.mul(a.im, b.re)),
  }));
}

/**
 * Scales by s: a real number, a complex number `{re, im}` of numbers, a real tensor (broadcast), or a complex
 * tensor pair (then the same as `cmul`). Differentiable.
 */
export function cscale(a: CTensor, s: number | { re: number; im: number } | tf.Tensor | CTensor): CTensor {
  if (typeof s === 'number' || s instanceof tf.Tensor) {
    return tf.tidy(() => ({ re: tf.mul(a.re, s), im: tf.mul(a.im, s) }));
  }
  if (typeof s.re === 'number' && typeof s.im === 'number') {
    const sr = s.re;
    const si = s.im;
    return tf.tidy(() => ({
      re: tf.sub(tf.mul(a.re, sr), tf.mul(a.im, si)),
      im: tf.add(tf.mul(a.im, sr), tf.mul(a.re, si)),
    }));
  }
  return cmul(a, s as CTensor);
}

/** Complex conjugate re − i·im. Differentiable. */
export function conj(a: CTensor): CTensor {
  return { re: tf.clone(a.re), im: tf.neg(a.im) };
}

/** Hermitian (conjugate) transpose of the last two axes: Aᴴ = Aᵀ with im negated. Differentiable. */
export function conjT(a: CTensor): CTensor {
  checkPair(a, 'conjT');
  const r = a.re.rank;
  if (r < 2) throw new ShapeError(`conjT: expected rank ≥ 2, got shape [${a.re.shape.join(', ')}]`);
  const perm = Array.from({ length: r }, (_, i) => i);
  perm[r - 2] = r - 1;
  perm[r - 1] = r - 2;
  return tf.tidy(() => ({ re: tf.transpose(a.re, perm), im: tf.neg(tf.transpose(a.im, perm)) }));
}

/** Elementwise squared modulus |a|² = re² + im². Differentiable. */
export function cabs2(a: CTensor): tf.Tensor {
  return tf.tidy(() => tf.add(tf.square(a.re), tf.square(a.im)));
}

/** Squared ℓ2 norm of every row (sum of |a|² over the last axis): shape drops the last axis. Differentiable. */
export function rowNorms2(a: CTensor): tf.Tensor {
  return tf.tidy(() => tf.sum(tf.add(tf.square(a.re), tf.square(a.im)), -1));
}

/** Stacks real and imaginary parts along the first axis: [Re Y; Im Y] (shape [2n, …]). Differentiable. */
export function stackRows(y: CTensor): tf.Tensor {
  checkPair(y, 'stackRows');
  return tf.concat([y.re, y.im], 0);
}

/** Inverse of `stackRows`: the first half of the rows is Re, the second half Im. Differentiable. */
export function unstackRows(z: tf.Tensor): CTensor {
  const n2 = z.shape[0];
  if (n2 === undefined || n2 % 2 !== 0) {
    throw new ShapeError(`unstackRows: first dimension must be even, got shape [${z.shape.join(', ')}]`);
  }
  const [re, im] = tf.split(z, 2, 0);
  return { re, im };
}

/**
 * Real representation of a complex matrix: realify(S) = [[Re S, −Im S], [Im S, Re S]] (2m × 2n), so that
 * realify(A)·stackRows(x) = stackRows(A·x) and realify(AB) = realify(A)·realify(B). Hermitian S maps to a symmetric
 * matrix (positive definite when S is). Differentiable.
 */
export function realify(s: CTensor): tf.Tensor2D {
  checkPair(s, 'realify');
  if (s.re.rank !== 2) throw new ShapeError(`realify: expected a matrix, got shape [${s.re.shape.join(', ')}]`);
  return tf.tidy(() => {
    const top = tf.concat([s.re, tf.neg(s.im)], 1);
    const bottom = tf.concat([s.im, s.re], 1);
    return tf.concat([top, bottom], 0) as tf.Tensor2D;
  });
}

/**
 * Inverse of `realify`: from R = [[R11, R12], [R21, R22]] returns Re = (R11 + R22)/2, Im = (R21 − R12)/2 (the
 * orthogonal projection onto realified matrices; exact for `realify` outputs). Differentiable.
 */
export function unrealify(r: tf.Tensor): CTensor {
  const [rows, cols] = r.shape as number[];
  if (r.rank !== 2 || rows % 2 !== 0 || cols % 2 !== 0) {
    throw new ShapeError(`unrealify: expected a [2m, 2n] matrix, got shape [${r.shape.join(', ')}]`);
  }
  const m = rows / 2;
  const n = cols / 2;
  return tf.tidy(() => {
    const r11 = tf.slice(r, [0, 0], [m, n]);
    const r12 = tf.slice(r, [0, n], [m, n]);
    const r21 = tf.slice(r, [m, 0], [m, n]);
    const r22 = tf.slice(r, [m, n], [m, n]);
    return { re: tf.mul(tf.add(r11, r22), 0.5), im: tf.mul(tf.sub(r21, r12), 0.5) };
  });
}

/**
 * Circularly-symmetric complex Gaussian samples CN(0, σ²): re, im ~ N(0, σ²/2) independent, so E|z|² = σ².
 * Drawn from the seeded `rng` (all real parts first, then all imaginary parts), returned as float32 tensors.
 * Not differentiable (a constant).
 * @param shape tensor shape
 * @param variance σ² (default 1)
 * @param rng seeded generator (`createRng`)
 */
export function crandn(shape: number[], variance = 1, rng?: Rng): CTensor {
  if (!rng) throw new InvalidArgumentError('crandn: an Rng is required (use createRng(seed))');
  if (!(variance >= 0) || !Number.isFinite(variance)) {
    throw new InvalidArgumentError(`crandn: variance must be finite and ≥ 0, got ${variance}`);
  }
  const size = shape.reduce((p, v) => p * v, 1);
  const sd = Math.sqrt(variance / 2);
  const re = new Float32Array(size);
  const im = new Float32Array(size);
  for (let i = 0; i < size; i++) re[i] = sd * rng.normal();
  for (let i = 0; i < size; i++) im[i] = sd * rng.normal();
  return { re: tf.tensor(re, shape, 'float32'), im: tf.tensor(im, shape, 'float32') };
}

/** Splits a tfjs `complex64` tensor into a real pair (`tf.real`, `tf.imag`). */
export function complexToReal(z: tf.Tensor): CTensor {
  if (z.dtype !== 'complex64') throw new DTypeError(`complexToReal: expected complex64, got ${z.dtype}`);
  return { re: tf.real(z), im: tf.imag(z) };
}

/** Builds a tfjs `complex64` tensor from a real pair (`tf.complex`); for interop only (weak gradient support). */
export function realToComplex(a: CTensor): tf.Tensor {
  checkPair(a, 'realToComplex');
  return tf.complex(a.re, a.im);
}

// ----- host complex linear algebra through realify (Float64; constants for autodiff) -----

/** Float64 realify of a host complex matrix: [[Re, −Im], [Im, Re]]. */
function realify64(re: Matrix, im: Matrix, who: string): Matrix {
  if (re.rows !== im.rows || re.cols !== im.cols) {
    throw new ShapeError(`${who}: re is ${re.rows}×${re.cols} but im is ${im.rows}×${im.cols}`);
  }
  const m = re.rows;
  const n = re.cols;
  const out = matrix(2 * m, 2 * n);
  const w = 2 * n;
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      const r = re.data[i * n + j];
      const c = im.data[i * n + j];
      out.data[i * w + j] = r;
      out.data[i * w + n + j] = -c;
      out.data[(m + i) * w + j] = c;
      out.data[(m + i) * w + n + j] = r;
    }
  }
  return out;
}

function stack64(b: ComplexMatrixInput, who: string): Matrix {
  const re = toMatrix(b.re, `${who}(B.re)`);
  const im = toMatrix(b.im, `${who}(B.im)`);
  if (re.rows !== im.rows || re.cols !== im.cols) {
    throw new ShapeError(`${who}: B.re is ${re.rows}×${re.cols} but B.im is ${im.rows}×${im.cols}`);
  }
  const out = matrix(2 * re.rows, re.cols);
  out.data.set(re.data, 0);
  out.data.set(im.data, re.data.length);
  return out;
}

function unstackToTensors(x: Matrix): CTensor<tf.Tensor2D> {
  const n = x.rows / 2;
  const m = x.cols;
  return {
    re: tf.tensor2d(Float32Array.from(x.data.subarray(0, n * m)), [n, m]),
    im: tf.tensor2d(Float32Array.from(x.data.subarray(n * m)), [n, m]),
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
  const R = realify64(
    toSquareMatrix(S.re, 'hermitianSolve(S.re)'),
    toSquareMatrix(S.im, 'hermitianSolve(S.im)'),
    'hermitianSolve',
  );
  return unstackToTensors(spdSolve(R, stack64(B, 'hermitianSolve')));
}

/**
 * Inverse of a Hermitian positive definite S via realify + Float64 Cholesky (jitter retry as `cholesky`).
 * A constant for autodiff.
 */
export function hermitianInverse(S: ComplexMatrixInput): CTensor<tf.Tensor2D> {
  const re = toSquareMatrix(S.re, 'hermitianInverse(S.re)');
  const im = toSquareMatrix(S.im, 'hermitianInverse(S.im)');
  const n = re.rows;
  const R = realify64(re, im, 'hermitianInverse');
  // Solve against stack(I) = [I; 0]: the result is stack(S⁻¹).
  const rhs = matrix(2 * n, n);
  for (let i = 0; i < n; i++) rhs.data[i * n + i] = 1;
  const X = spdSolve(R, rhs);
  // Hermitian symmetrisation of the result: P ← (P + Pᴴ)/2.
  const xr = X.data.subarray(0, n * n);
  const xi = X.data.subarray(n * n);
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
  return unstackToTensors(X);
}

/**
 * Solves A·X = B for a general square complex A through realify(A) and Float64 LU with partial pivoting
 * (`SingularMatrixError` when singular). A constant for autodiff.
 */
export function complexSolve(A: ComplexMatrixInput, B: ComplexMatrixInput): CTensor<tf.Tensor2D> {
  const R = realify64(
    toSquareMatrix(A.re, 'complexSolve(A.re)'),
    toSquareMatrix(A.im, 'complexSolve(A.im)'),
    'complexSolve',
  );
  return unstackToTensors(solve(R, stack64(B, 'complexSolve')));
}
