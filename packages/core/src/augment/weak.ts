/**
 * Weak augmentations (FixMatch's "weak" view, Sohn et al. 2020): random pad-and-crop translation, horizontal flip,
 * additive Gaussian noise.
 */
import * as tf from '@tensorflow/tfjs-core';
import { InvalidArgumentError } from '../errors.js';
import { affineWarp, translateRow } from './affine.js';
import { checkBatch, checkProb, normals, selectImages } from './per-image.js';
import type { Augment } from './types.js';

/** Options of {@link padCrop}. */
export interface PadCropOptions {
  /** Padding on every side, i.e. the maximal shift in pixels. Default 2 (4 for 32×32 CIFAR-style images). */
  pad?: number;
  /** Border content: `'zeros'` (default) or `'reflect'` (mirror without repeating the edge, as `tf.pad` REFLECT). */
  mode?: 'zeros' | 'reflect';
}

/**
 * Deterministic core of {@link padCrop}: pads by `pad` and crops the original size at offset (oy, ox) per image,
 * i.e. output(y, x) = padded(y + oy, x + ox) with oy, ox ∈ [0, 2·pad]; offset (pad, pad) is the identity.
 * @param offsets [oy0, ox0, oy1, ox1, …] (2 per image)
 */
export function padCropAt(
  x: tf.Tensor4D,
  offsets: ArrayLike<number>,
  opts: { pad: number; mode?: 'zeros' | 'reflect' },
): tf.Tensor4D {
  checkBatch(x, 'padCrop');
  const { pad } = opts;
  const [b, h, w] = x.shape;
  if (offsets.length !== 2 * b)
    throw new InvalidArgumentError(`padCrop: need 2 offsets per image, got ${offsets.length}`);
  return tf.tidy(() => {
    const paddings: Array<[number, number]> = [
      [0, 0],
      [pad, pad],
      [pad, pad],
      [0, 0],
    ];
    const padded = opts.mode === 'reflect' ? tf.mirrorPad(x, paddings, 'reflect') : tf.pad(x, paddings, 0);
    const rows = Array.from({ length: b }, (_, i) => translateRow(-offsets[2 * i + 1], -offsets[2 * i]));
    return affineWarp(padded as tf.Tensor4D, rows, { interpolation: 'nearest', fill: 0, outputShape: [h, w] });
  });
}

/**
 * Random translation by pad-and-crop: each image is shifted by independent integer offsets in [−pad, pad] along
 * both axes (uniform), borders filled with zeros or a reflection. FixMatch / MixMatch weak augmentation.
 */
export function padCrop(opts: PadCropOptions = {}): Augment {
  const pad = opts.pad ?? 2;
  const mode = opts.mode ?? 'zeros';
  if (!Number.isInteger(pad) || pad < 0)
    throw new InvalidArgumentError(`padCrop: pad must be an integer ≥ 0, got ${pad}`);
  if (mode !== 'zeros' && mode !== 'reflect') {
    throw new InvalidArgumentError(`padCrop: mode must be 'zeros' or 'reflect', got ${mode}`);
  }
  return (x, rng) => {
    checkBatch(x, 'padCrop');
    if (mode === 'reflect' && (pad >= x.shape[1] || pad >= x.shape[2])) {
      throw new InvalidArgumentError(
        `padCrop: reflect padding ${pad} needs images larger than ${pad}, got [${x.shape}]`,
      );
    }
    const offsets = new Int32Array(2 * x.shape[0]);
    for (let i = 0; i < offsets.length; i++) offsets[i] = rng.int(2 * pad + 1);
    return padCropAt(x, offsets, { pad, mode });
  };
}

/**
 * Horizontal flip of each image with probability `p` (default 0.5). Off for digits (mirror-asymmetric classes).
 */
export function hflip(opts: { p?: number } = {}): Augment {
  const p = opts.p ?? 0.5;
  checkProb(p, 'hflip: p');
  return (x, rng) => {
    checkBatch(x, 'hflip');
    const mask = Array.from({ length: x.shape[0] }, () => rng.uniform() < p);
    return tf.tidy(() => selectImages(mask, x, tf.image.flipLeftRight(x)));
  };
}

/**
 * Additive Gaussian noise x + σ·ε, ε ~ N(0, 1) i.i.d. per value (drawn from the rng on the host), clipped to [0, 1].
 * @param opts.std σ (default 0.05)
 */
export function gaussianNoise(opts: { std?: number } = {}): Augment {
  const std = opts.std ?? 0.05;
  if (!(std >= 0)) throw new InvalidArgumentError(`gaussianNoise: std must be ≥ 0, got ${std}`);
  return (x, rng) => {
    checkBatch(x, 'gaussianNoise');
    const eps = normals(rng, x.size);
    return tf.tidy(() => tf.clipByValue(tf.add(x, tf.mul(tf.tensor(eps, x.shape), std)), 0, 1) as tf.Tensor4D);
  };
}
