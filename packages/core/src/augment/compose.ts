/**
 * Combinators for augmentations.
 */
import * as tf from '@tensorflow/tfjs-core';
import { InvalidArgumentError } from '../errors.js';
import { applyGrouped, checkBatch, checkProb } from './per-image.js';
import type { Augment } from './types.js';

/** Applies `augs` in order (an empty list is the identity). Intermediates are disposed. */
export function compose(...augs: Augment[]): Augment {
  return (x, rng) => {
    checkBatch(x, 'compose');
    return tf.tidy(() => {
      let cur: tf.Tensor4D = tf.clone(x);
      for (const a of augs) cur = a(cur, rng);
      return cur;
    });
  };
}

/**
 * Applies `aug` to each image independently with probability `p` (Bernoulli per image, drawn first, in image
 * order); `aug` runs once on the selected sub-batch, other images pass through unchanged.
 */
export function randomApply(p: number, aug: Augment): Augment {
  checkProb(p, 'randomApply: p');
  return (x, rng) => {
    checkBatch(x, 'randomApply');
    const assign = Int32Array.from({ length: x.shape[0] }, () => (rng.uniform() < p ? 1 : 0));
    return tf.tidy(() => applyGrouped(x, assign, [(s) => tf.clone(s), (s) => aug(s, rng)]));
  };
}

/**
 * Applies one of `augs` to each image, chosen independently per image (uniformly, or proportionally to `weights`);
 * each augmentation runs once on its sub-batch.
 */
export function oneOf(augs: readonly Augment[], opts: { weights?: readonly number[] } = {}): Augment {
  if (augs.length === 0) throw new InvalidArgumentError('oneOf: augs is empty');
  const w = opts.weights ?? augs.map(() => 1);
  if (w.length !== augs.length || w.some((v) => !(v >= 0)) || !(w.reduce((a, b) => a + b, 0) > 0)) {
    throw new InvalidArgumentError(`oneOf: weights must be ${augs.length} non-negative numbers with a positive sum`);
  }
  const total = w.reduce((a, b) => a + b, 0);
  const cdf: number[] = [];
  let acc = 0;
  for (const v of w) {
    acc += v / total;
    cdf.push(acc);
  }
  return (x, rng) => {
    checkBatch(x, 'oneOf');
    const assign = Int32Array.from({ length: x.shape[0] }, () => {
      const u = rng.uniform();
      const k = cdf.findIndex((c) => u < c);
      return k < 0 ? augs.length - 1 : k;
    });
    return tf.tidy(() =>
      applyGrouped(
        x,
        assign,
        augs.map((a) => (s: tf.Tensor4D) => a(s, rng)),
      ),
    );
  };
}
