/**
 * RandAugment-lite (Cubuk et al. 2020, arXiv:1909.13719) in FixMatch's variant (Sohn et al. 2020): each image gets
 * `n` ops drawn uniformly from a greyscale-safe pool, each with its own uniformly random magnitude m ∈ [0, 1).
 * Photometric ops follow PIL's ImageOps / ImageEnhance definitions on float images in [0, 1].
 */
import * as tf from '@tensorflow/tfjs-core';
import { InvalidArgumentError } from '../errors.js';
import type { Rng } from '../rng.js';
import { type AffineRow, affineWarp, rotateRow, shearXRow, shearYRow, translateRow } from './affine.js';
import { applyGrouped, checkBatch, perImage, pick } from './per-image.js';
import type { Augment } from './types.js';

/** Names of the available ops. */
export type RandAugmentOpName =
  | 'identity'
  | 'autocontrast'
  | 'brightness'
  | 'contrast'
  | 'sharpness'
  | 'posterize'
  | 'solarize'
  | 'rotate'
  | 'shearX'
  | 'shearY'
  | 'translateX'
  | 'translateY';

/** The default pool: every op above. */
export const RAND_AUGMENT_OPS: readonly RandAugmentOpName[] = Object.freeze([
  'identity',
  'autocontrast',
  'brightness',
  'contrast',
  'sharpness',
  'posterize',
  'solarize',
  'rotate',
  'shearX',
  'shearY',
  'translateX',
  'translateY',
]);

/** Magnitude ranges: m ∈ [0, 1) and a random sign s ∈ {−1, +1} map to these parameters. */
export const RAND_AUGMENT_RANGES = Object.freeze({
  /** enhance factor 1 + s·0.9·m ∈ (0.1, 1.9) for brightness, contrast, sharpness */
  enhance: 0.9,
  /** posterize keeps 8 − ⌊5m⌋ ∈ {4..8} bits */
  posterizeMinBits: 4,
  /** rotation s·30°·m */
  rotateDeg: 30,
  /** shear s·0.3·m */
  shear: 0.3,
  /** translation round(s·0.3·m·side) pixels */
  translate: 0.3,
});

const LUMA = [0.299, 0.587, 0.114];

/** Per-image luminance mean [B, 1, 1, 1] (the channel itself for greyscale). */
function lumaMean(x: tf.Tensor4D): tf.Tensor4D {
  const c = x.shape[3];
  if (c === 3) {
    const w = tf.tensor4d(LUMA, [1, 1, 1, 3]);
    return tf.mean(tf.sum(tf.mul(x, w), 3, true), [1, 2], true) as tf.Tensor4D;
  }
  return tf.mean(x, [1, 2, 3], true) as tf.Tensor4D;
}

/** PIL-style enhance: blend degenerate d and x: d + f·(x − d), clipped to [0, 1]. */
function blend(degenerate: tf.Tensor, x: tf.Tensor4D, factor: tf.Tensor4D): tf.Tensor4D {
  return tf.clipByValue(tf.add(degenerate, tf.mul(factor, tf.sub(x, degenerate))), 0, 1) as tf.Tensor4D;
}

/** PIL ImageFilter.SMOOTH (3×3 kernel [1 1 1; 1 5 1; 1 1 1]/13) with the 1-pixel border left unchanged. */
function smooth(x: tf.Tensor4D): tf.Tensor4D {
  const [, h, w, c] = x.shape;
  if (h < 3 || w < 3) return x;
  const k = [1, 1, 1, 1, 5, 1, 1, 1, 1].map((v) => v / 13);
  const kernel = tf.tile(tf.tensor4d(k, [3, 3, 1, 1]), [1, 1, c, 1]) as tf.Tensor4D;
  const blurred = tf.depthwiseConv2d(x, kernel, 1, 'same');
  const interior = tf.pad(tf.ones([1, h - 2, w - 2, 1]), [
    [0, 0],
    [1, 1],
    [1, 1],
    [0, 0],
  ]);
  return tf.add(tf.mul(blurred, interior), tf.mul(x, tf.sub(1, interior))) as tf.Tensor4D;
}

/**
 * Applies op `name` to every image of `x` with per-image magnitudes `mags` ∈ [0, 1) and signs ±1 (deterministic;
 * {@link randAugmentLite} draws these). m = 0 is the identity for every op except autocontrast.
 * @param opts.fill value for pixels uncovered by geometric ops (default 0)
 */
export function applyRandAugmentOp(
  name: RandAugmentOpName,
  x: tf.Tensor4D,
  mags: ArrayLike<number>,
  signs: ArrayLike<number>,
  opts: { fill?: number } = {},
): tf.Tensor4D {
  checkBatch(x, `randAugment ${name}`);
  const [b, h, w] = x.shape;
  const fill = opts.fill ?? 0;
  const R = RAND_AUGMENT_RANGES;
  const factor = () => perImage(Array.from({ length: b }, (_, i) => 1 + signs[i] * R.enhance * mags[i]));
  const warp = (row: (i: number) => AffineRow, interpolation: 'bilinear' | 'nearest' = 'bilinear') =>
    affineWarp(
      x,
      Array.from({ length: b }, (_, i) => row(i)),
      { interpolation, fill },
    );
  return tf.tidy(() => {
    switch (name) {
      case 'identity':
        return tf.clone(x);
      case 'autocontrast': {
        // per image and channel: (x − min) / (max − min); constant channels unchanged (PIL ImageOps.autocontrast)
        const lo = tf.min(x, [1, 2], true);
        const hi = tf.max(x, [1, 2], true);
        const range = tf.sub(hi, lo);
        const ok = tf.greater(range, 0);
        const safe = tf.where(ok, range, tf.onesLike(range));
        const shift = tf.where(ok, lo, tf.zerosLike(lo));
        return tf.div(tf.sub(x, shift), safe) as tf.Tensor4D;
      }
      case 'brightness':
        return blend(tf.zerosLike(x), x, factor());
      case 'contrast':
        return blend(lumaMean(x), x, factor());
      case 'sharpness':
        return blend(smooth(x), x, factor());
      case 'posterize': {
        // keep `bits` high bits of the 8-bit value: floor(round(255x) / q)·q / 255 with q = 2^(8 − bits)
        const q = perImage(
          Array.from(
            { length: b },
            (_, i) => 2 ** Math.min(8 - R.posterizeMinBits, Math.floor(mags[i] * (9 - R.posterizeMinBits))),
          ),
        );
        return tf.div(tf.mul(tf.floor(tf.div(tf.round(tf.mul(x, 255)), q)), q), 255) as tf.Tensor4D;
      }
      case 'solarize': {
        // invert values above the threshold t = 1 − m (m = 0: nothing changes)
        const t = perImage(Array.from({ length: b }, (_, i) => 1 - mags[i]));
        return tf.where(tf.greater(x, t), tf.sub(1, x), x) as tf.Tensor4D;
      }
      case 'rotate':
        return warp((i) => rotateRow((signs[i] * R.rotateDeg * mags[i] * Math.PI) / 180, h, w));
      case 'shearX':
        return warp((i) => shearXRow(signs[i] * R.shear * mags[i], h));
      case 'shearY':
        return warp((i) => shearYRow(signs[i] * R.shear * mags[i], w));
      case 'translateX':
        return warp((i) => translateRow(Math.round(signs[i] * R.translate * mags[i] * w), 0), 'nearest');
      case 'translateY':
        return warp((i) => translateRow(0, Math.round(signs[i] * R.translate * mags[i] * h)), 'nearest');
      default:
        throw new InvalidArgumentError(`randAugment: unknown op ${String(name)}`);
    }
  });
}

/** Options of {@link randAugmentLite}. */
export interface RandAugmentOptions {
  /** Ops per image. Default 2. */
  n?: number;
  /** Op pool (default {@link RAND_AUGMENT_OPS}). */
  ops?: readonly RandAugmentOpName[];
  /** Value for pixels uncovered by geometric ops. Default 0 (background of MNIST-like data). */
  fill?: number;
}

/**
 * One step of per-image random ops: image i gets op `pool[k_i]` with magnitude m_i and sign s_i, drawn from `rng`
 * in image order (k via rng.int, then m, then s); each op runs once on its sub-batch.
 */
export function randomOpStep(
  x: tf.Tensor4D,
  rng: Rng,
  pool: readonly RandAugmentOpName[],
  opts: { fill?: number; active?: ArrayLike<boolean> } = {},
): tf.Tensor4D {
  const b = x.shape[0];
  const assign = new Int32Array(b);
  const mags = new Float32Array(b);
  const signs = new Float32Array(b);
  for (let i = 0; i < b; i++) {
    assign[i] = rng.int(pool.length);
    mags[i] = rng.uniform();
    signs[i] = rng.uniform() < 0.5 ? -1 : 1;
    if (opts.active && !opts.active[i]) assign[i] = pool.length; // identity slot
  }
  const fns = [...pool, 'identity' as const].map(
    (name) => (sub: tf.Tensor4D, pos: Int32Array) =>
      applyRandAugmentOp(name, sub, pick(mags, pos), pick(signs, pos), opts),
  );
  return tf.tidy(() => applyGrouped(x, assign, fns));
}

/** RandAugment-lite: `n` random ops per image from `ops`, each with a random magnitude. */
export function randAugmentLite(opts: RandAugmentOptions = {}): Augment {
  const n = opts.n ?? 2;
  const pool = opts.ops ?? RAND_AUGMENT_OPS;
  if (!Number.isInteger(n) || n < 0)
    throw new InvalidArgumentError(`randAugmentLite: n must be an integer ≥ 0, got ${n}`);
  if (pool.length === 0) throw new InvalidArgumentError('randAugmentLite: ops is empty');
  for (const op of pool) {
    if (!RAND_AUGMENT_OPS.includes(op)) throw new InvalidArgumentError(`randAugmentLite: unknown op ${op}`);
  }
  return (x, rng) => {
    checkBatch(x, 'randAugmentLite');
    return tf.tidy(() => {
      let cur: tf.Tensor4D = tf.clone(x);
      for (let k = 0; k < n; k++) cur = randomOpStep(cur, rng, pool, { fill: opts.fill });
      return cur;
    });
  };
}
