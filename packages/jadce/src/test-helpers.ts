import { createRng } from '@ft/core';
import * as tf from '@tensorflow/tfjs-core';
import type { CTensor } from './complex-tensor.js';
import { type CMat, cmat } from './host-complex.js';

/**
 * A seeded `rows × cols` complex matrix with CN-style entries (re, im ~ N(0, 1), drawn re then im per entry).
 * @param f32 round every value to float32 so host and tensor math see the same inputs
 */
export function randomCMat(rows: number, cols: number, seed: number | string, f32 = false): CMat {
  const rng = createRng(seed);
  const a = cmat(rows, cols);
  for (let i = 0; i < a.re.length; i++) {
    const re = rng.normal();
    const im = rng.normal();
    a.re[i] = f32 ? Math.fround(re) : re;
    a.im[i] = f32 ? Math.fround(im) : im;
  }
  return a;
}

/** A host complex matrix as a float32 `{re, im}` tensor pair. */
export function cmatToTensor(h: CMat): CTensor {
  return {
    re: tf.tensor2d(Float32Array.from(h.re), [h.rows, h.cols]),
    im: tf.tensor2d(Float32Array.from(h.im), [h.rows, h.cols]),
  };
}

/** Largest |a_i − b_i| over the entries of two host complex matrices. */
export function maxAbsDiffC(a: CMat, b: CMat): number {
  let m = 0;
  for (let i = 0; i < a.re.length; i++) m = Math.max(m, Math.abs(a.re[i] - b.re[i]), Math.abs(a.im[i] - b.im[i]));
  return m;
}

/** Largest |t_i − ref_i| between a tensor's values and a reference array. */
export function maxAbsDiffTensor(t: tf.Tensor, ref: ArrayLike<number>): number {
  const v = t.dataSync();
  let m = 0;
  for (let i = 0; i < ref.length; i++) m = Math.max(m, Math.abs(v[i] - ref[i]));
  return m;
}
