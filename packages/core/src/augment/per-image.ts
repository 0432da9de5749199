/**
 * Helpers for per-image parameters in batched augmentations.
 */
import * as tf from '@tensorflow/tfjs-core';
import { InvalidArgumentError, ShapeError } from '../errors.js';
import type { Rng } from '../rng.js';

/** Throws ShapeError unless `x` is a rank-4 float tensor. */
export function checkBatch(x: tf.Tensor, where: string): asserts x is tf.Tensor4D {
  if (x.rank !== 4) throw new ShapeError(`${where}: expected an NHWC batch (rank 4), got shape [${x.shape}]`);
  if (x.dtype !== 'float32') throw new ShapeError(`${where}: expected float32 images, got ${x.dtype}`);
}

/** Throws InvalidArgumentError unless `p` is a probability. */
export function checkProb(p: number, name: string): void {
  if (!(p >= 0 && p <= 1)) throw new InvalidArgumentError(`${name} must be in [0, 1], got ${p}`);
}

/** A per-image scalar as a [B, 1, 1, 1] tensor (broadcasts over H, W, C). */
export function perImage(values: ArrayLike<number>): tf.Tensor4D {
  return tf.tensor4d(Float32Array.from(values), [values.length, 1, 1, 1]);
}

/**
 * Image i of `b` where `mask[i]`, else image i of `a` (exact selection by `tf.gather` on the concatenated batch;
 * `tf.where` with a rank-1 condition broadcasts along the last axis in tfjs 4.22 instead of selecting images).
 */
export function selectImages(mask: ArrayLike<boolean | number>, a: tf.Tensor4D, b: tf.Tensor4D): tf.Tensor4D {
  const n = a.shape[0];
  const idx = Int32Array.from({ length: n }, (_, i) => (mask[i] ? n + i : i));
  return tf.tidy(() => tf.gather(tf.concat([a, b], 0), tf.tensor1d(idx, 'int32')) as tf.Tensor4D);
}

/**
 * Applies `fns[assign[i]]` to image i, running each function once on the sub-batch of its images (gather), then
 * restores the original order. Functions are called in index order (deterministic rng consumption); `fns[j]`
 * receives the sub-batch and the original positions of its images.
 */
export function applyGrouped(
  x: tf.Tensor4D,
  assign: ArrayLike<number>,
  fns: ReadonlyArray<(sub: tf.Tensor4D, positions: Int32Array) => tf.Tensor4D>,
): tf.Tensor4D {
  const b = x.shape[0];
  const groups: number[][] = fns.map(() => []);
  for (let i = 0; i < b; i++) groups[assign[i]].push(i);
  const used = groups.map((g, j) => ({ g, j })).filter((e) => e.g.length > 0);
  if (used.length === 1 && used[0].g.length === b) return fns[used[0].j](x, Int32Array.from(used[0].g));
  const parts: tf.Tensor4D[] = [];
  const order: number[] = [];
  for (const { g, j } of used) {
    const pos = Int32Array.from(g);
    parts.push(fns[j](tf.gather(x, tf.tensor1d(pos, 'int32')) as tf.Tensor4D, pos));
    order.push(...g);
  }
  const inv = new Int32Array(b);
  order.forEach((orig, k) => {
    inv[orig] = k;
  });
  return tf.gather(tf.concat(parts, 0), tf.tensor1d(inv, 'int32')) as tf.Tensor4D;
}

/** `n` standard normals from `rng`. */
export function normals(rng: Rng, n: number): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = rng.normal();
  return out;
}

/** Picks the entries of `arr` at `positions`. */
export function pick(arr: Float32Array, positions: Int32Array): Float32Array {
  return Float32Array.from(positions, (p) => arr[p]);
}
