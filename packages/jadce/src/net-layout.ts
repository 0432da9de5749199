/**
 * Tensor layout of the unrolled networks (`FeatureAidedJadceNet`, `UnrolledIsta`): a batch of complex matrices
 * Z [B, rows, c] is held as one real float32 tensor [2·rows, B, c] = [Re; Im] stacked on the first axis, so that every
 * complex linear map A (rows' × rows) acts on the whole batch as one real matrix product
 * realify(A) · reshape(Z, [2·rows, B·c]) (`realify` of complex-tensor.ts: [[Re A, −Im A], [Im A, Re A]]). Device n's group is rows n and
 * N + n (the real-valued stacking of the spec), and its squared norm per realisation is a sum over axes 0 and 3 of the
 * view [2, N, B, c].
 */

import { ShapeError } from '@ft/core';
import * as tf from '@tensorflow/tfjs-core';
import type { CArray } from './host-complex.js';

/** Packs host complex data [B, rows, c] into the network layout [2·rows, B, c] (float32). */
export function toNetLayout(z: CArray): tf.Tensor3D {
  if (z.shape.length !== 3) throw new ShapeError(`toNetLayout: expected [B, rows, cols], got [${z.shape}]`);
  const [B, rows, c] = z.shape;
  const out = new Float32Array(2 * rows * B * c);
  for (let b = 0; b < B; b++) {
    for (let i = 0; i < rows; i++) {
      const src = (b * rows + i) * c;
      const dRe = (i * B + b) * c;
      const dIm = ((rows + i) * B + b) * c;
      for (let k = 0; k < c; k++) {
        out[dRe + k] = z.re[src + k];
        out[dIm + k] = z.im[src + k];
      }
    }
  }
  return tf.tensor3d(out, [2 * rows, B, c]);
}

/**
 * Unpacks a network-layout tensor [2·rows, B, c] into host complex data [B, rows, c] (Float64). Reads with
 * `dataSync()`; on a GPU backend (no synchronous readback) read the data with `await t.data()` and use
 * {@link unpackNetLayout}.
 */
export function fromNetLayout(t: tf.Tensor): CArray {
  return unpackNetLayout(t.dataSync(), t.shape);
}

/** Unpacks host data of a network-layout tensor of `shape` [2·rows, B, c] into complex data [B, rows, c] (Float64). */
export function unpackNetLayout(data: ArrayLike<number>, shape: number[]): CArray {
  const [rows2, B, c] = shape;
  const rows = rows2 / 2;
  const re = new Float64Array(B * rows * c);
  const im = new Float64Array(B * rows * c);
  for (let b = 0; b < B; b++) {
    for (let i = 0; i < rows; i++) {
      const dst = (b * rows + i) * c;
      const sRe = (i * B + b) * c;
      const sIm = ((rows + i) * B + b) * c;
      for (let k = 0; k < c; k++) {
        re[dst + k] = data[sRe + k];
        im[dst + k] = data[sIm + k];
      }
    }
  }
  return { shape: [B, rows, c], re, im };
}

/** realify(A)·Z for a layout tensor Z [2·cols(A), B, c] and a realified matrix R [2m, 2·cols(A)] → [2m, B, c]. */
export function applyRealified(R: tf.Tensor2D, Z: tf.Tensor3D): tf.Tensor3D {
  const [n2, B, c] = Z.shape;
  return tf.reshape(tf.matMul(R, tf.reshape(Z, [n2, B * c])), [R.shape[0], B, c]);
}

/**
 * Sum over the first axis of a [n, B] tensor → [B], as a product with a row of ones: the pure-JS backend reduces
 * over a non-innermost axis through a transpose, which is much slower than this small matmul.
 */
export function colSum(x: tf.Tensor2D): tf.Tensor1D {
  return tf.reshape(tf.matMul(tf.ones([1, x.shape[0]]), x), [x.shape[1]]);
}

/** Mean over the first axis of a [n, B] tensor → [B] (see `colSum`). */
export function colMean(x: tf.Tensor2D): tf.Tensor1D {
  return tf.reshape(tf.matMul(tf.fill([1, x.shape[0]], 1 / x.shape[0]), x), [x.shape[1]]);
}

/** Squared group norms per device and realisation: Σ over Re/Im and columns of a layout tensor [2N, B, c] → [N, B]. */
export function groupNorms2(Z: tf.Tensor3D): tf.Tensor2D {
  const [n2, B, c] = Z.shape;
  const rows = tf.sum(tf.reshape(tf.square(Z), [n2 * B, c]), 1); // innermost-axis reduction (fast path)
  const [re, im] = tf.split(tf.reshape(rows, [2, (n2 / 2) * B]), 2, 0);
  return tf.reshape(tf.add(re, im), [n2 / 2, B]) as tf.Tensor2D;
}

/**
 * Multiplies a layout tensor [2N, B, c] by per-(device, realisation) factors [N, B]. The factors are expanded to the
 * full shape first (outer product with ones, then duplicated for Re/Im), because same-shape products take the fast
 * path of the pure-JS backend while broadcasting ones compute an index per element.
 */
export function scaleGroups(Z: tf.Tensor3D, f: tf.Tensor2D): tf.Tensor3D {
  const [n2, B, c] = Z.shape;
  const half = tf.reshape(tf.matMul(tf.reshape(f, [(n2 / 2) * B, 1]), tf.ones([1, c])), [n2 / 2, B, c]);
  return tf.mul(Z, tf.concat([half, half], 0)) as tf.Tensor3D;
}

/** Multiplies a layout tensor [2m, B, c] by per-realisation factors [B] (expanded as in `scaleGroups`). */
export function scaleSamples(Z: tf.Tensor3D, f: tf.Tensor1D): tf.Tensor3D {
  const [m2, B, c] = Z.shape;
  const perCol = tf.reshape(tf.matMul(tf.reshape(f, [B, 1]), tf.ones([1, c])), [1, B * c]);
  const full = tf.reshape(tf.matMul(tf.ones([m2, 1]), perCol), [m2, B, c]);
  return tf.mul(Z, full) as tf.Tensor3D;
}

/** Per-realisation squared Frobenius norms of a layout tensor [2m, B, c] → [B]. */
export function sampleNorms2(Z: tf.Tensor3D): tf.Tensor1D {
  const [m2, B, c] = Z.shape;
  const perRow = tf.reshape(tf.sum(tf.reshape(tf.square(Z), [m2 * B, c]), 1), [m2, B]) as tf.Tensor2D;
  return colSum(perRow);
}
