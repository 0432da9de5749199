/**
 * AugMix-lite (Hendrycks et al. 2020, arXiv:1912.02781): a convex mix of `width` random op chains, blended with the
 * original: x' = m·x + (1 − m)·Σ_j w_j·chain_j(x), w ~ Dirichlet(α), m ~ Beta(α, α), per image. Without the JSD
 * consistency loss (that belongs to the training loop).
 */
import * as tf from '@tensorflow/tfjs-core';
import { InvalidArgumentError } from '../errors.js';
import { checkBatch, perImage } from './per-image.js';
import { RAND_AUGMENT_OPS, type RandAugmentOpName, randomOpStep } from './rand-augment.js';
import type { Augment } from './types.js';

/**
 * AugMix's op pool restricted to the ops available here: photometric enhancers (brightness, contrast, sharpness)
 * are excluded as in the paper, so they do not overlap with common-corruption test sets.
 */
export const AUGMIX_OPS: readonly RandAugmentOpName[] = Object.freeze([
  'autocontrast',
  'posterize',
  'solarize',
  'rotate',
  'shearX',
  'shearY',
  'translateX',
  'translateY',
]);

/** Options of {@link augmixLite}. */
export interface AugMixOptions {
  /** Number of chains. Default 3. */
  width?: number;
  /** Ops per chain: a fixed number, or 'random' for U{1, 2, 3} per image and chain (default). */
  depth?: number | 'random';
  /** Dirichlet and Beta parameter. Default 1. */
  alpha?: number;
  /** Op pool. Default {@link AUGMIX_OPS}. */
  ops?: readonly RandAugmentOpName[];
  /** Fill for geometric ops. Default 0. */
  fill?: number;
}

/** AugMix-lite augmentation (see module doc). Random draws: per image w (width gammas), m, depths; then chains. */
export function augmixLite(opts: AugMixOptions = {}): Augment {
  const width = opts.width ?? 3;
  const depth = opts.depth ?? 'random';
  const alpha = opts.alpha ?? 1;
  const pool = opts.ops ?? AUGMIX_OPS;
  if (!Number.isInteger(width) || width < 1)
    throw new InvalidArgumentError(`augmixLite: width must be ≥ 1, got ${width}`);
  if (depth !== 'random' && !(Number.isInteger(depth) && depth >= 1)) {
    throw new InvalidArgumentError(`augmixLite: depth must be a positive integer or 'random', got ${depth}`);
  }
  if (!(alpha > 0)) throw new InvalidArgumentError(`augmixLite: alpha must be > 0, got ${alpha}`);
  for (const op of pool) {
    if (!RAND_AUGMENT_OPS.includes(op)) throw new InvalidArgumentError(`augmixLite: unknown op ${op}`);
  }
  return (x, rng) => {
    checkBatch(x, 'augmixLite');
    const b = x.shape[0];
    const ws = Array.from({ length: width }, () => new Float32Array(b));
    const m = new Float32Array(b);
    const depths = Array.from({ length: width }, () => new Int32Array(b));
    for (let i = 0; i < b; i++) {
      const g = Array.from({ length: width }, () => rng.gamma(alpha));
      const s = g.reduce((a, v) => a + v, 0);
      for (let j = 0; j < width; j++) ws[j][i] = g[j] / s;
      m[i] = rng.beta(alpha, alpha);
      for (let j = 0; j < width; j++) depths[j][i] = depth === 'random' ? 1 + rng.int(3) : depth;
    }
    return tf.tidy(() => {
      let mix: tf.Tensor4D = tf.zerosLike(x);
      for (let j = 0; j < width; j++) {
        let cur: tf.Tensor4D = x;
        const maxDepth = Math.max(...depths[j]);
        for (let step = 0; step < maxDepth; step++) {
          const active = Array.from(depths[j], (d) => d > step);
          cur = randomOpStep(cur, rng, pool, { fill: opts.fill, active });
        }
        mix = tf.add(mix, tf.mul(perImage(ws[j]), cur));
      }
      const mt = perImage(m);
      return tf.clipByValue(tf.add(tf.mul(mt, x), tf.mul(tf.sub(1, mt), mix)), 0, 1) as tf.Tensor4D;
    });
  };
}
