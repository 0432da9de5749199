/** Seeded test images shared by the augment tests. */
import * as tf from '@tensorflow/tfjs-core';
import { createRng } from '../rng.js';

/** A [b, h, w, c] batch of U(0, 1) pixels drawn from `createRng(seed)`. */
export function randomImages(b: number, h: number, w: number, c: number, seed: string | number): tf.Tensor4D {
  const rng = createRng(seed);
  return tf.tensor4d(
    Float32Array.from({ length: b * h * w * c }, () => rng.uniform()),
    [b, h, w, c],
  );
}
