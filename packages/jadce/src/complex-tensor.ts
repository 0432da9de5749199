/**
 * Complex arithmetic as pairs of real tensors. tfjs `complex64` lacks div/exp/log/tile and its gradients fail on
 * the node backend (tfjs#2409, #5668), so the complex tensor math of the learned JADCE networks uses `{re, im}`
 * float32 pairs built from ordinary tfjs ops: everything here is **differentiable** with `tf.grad` (except `crandn`,
 * a constant). Complex linear algebra (Hermitian solve / inverse, general solve) lives in `complex-solve.ts` (Float64
 * host solves through `realify64`, constants for autodiff); Float64 host matrices in `host-complex.ts`.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-layers'; // registers the gradients of tfjs-core ops, so tf.grad works through these ops
import { DTypeError, InvalidArgumentError, type Rng, ShapeError } from '@ft/core';

/** A complex tensor as two real tensors of the same shape: value = re + i·im. */
export interface CTensor<T extends tf.Tensor = tf.Tensor> {
  re: T;
  im: T;
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
