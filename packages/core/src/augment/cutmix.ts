/**
 * CutMix (Yun et al. 2019, arXiv:1905.04899): paste a box from a partner image; labels mix by the pasted area.
 */
import * as tf from '@tensorflow/tfjs-core';
import { ShapeError } from '../errors.js';
import { checkLabelShape } from '../validate.js';
import { type Box, boxMask } from './cutout.js';
import { mixTargets, toSoftTargets } from './mixup.js';
import { checkBatch } from './per-image.js';
import type { MixAugment, MixResult } from './types.js';

/**
 * Deterministic core of {@link cutmix}: image i takes the pixels of image index[i] inside boxes[i] (clipped to the
 * image); λ_i = 1 − (clipped box area)/(H·W) and targets mix as λ_i·y_i + (1 − λ_i)·y_{index_i}.
 */
export function cutmixWith(
  x: tf.Tensor4D,
  y: tf.Tensor1D | tf.Tensor2D | null,
  boxes: readonly Box[],
  index: Int32Array,
  numClasses?: number,
): MixResult {
  checkBatch(x, 'cutmix');
  if (y) checkLabelShape(y, x.shape[0], 'labels', 'cutmix', { soft: true });
  const [b, h, w] = x.shape;
  if (boxes.length !== b || index.length !== b) {
    throw new ShapeError(`cutmix: boxes/index need ${b} entries, got ${boxes.length}/${index.length}`);
  }
  const lam = Float32Array.from(boxes, (bx) => {
    const area =
      Math.max(0, Math.min(h, bx.y1) - Math.max(0, bx.y0)) * Math.max(0, Math.min(w, bx.x1) - Math.max(0, bx.x0));
    return 1 - area / (h * w);
  });
  const xm = tf.tidy(() => {
    const m = boxMask(boxes, h, w);
    const other = tf.gather(x, tf.tensor1d(index, 'int32'));
    return tf.add(tf.mul(x, tf.sub(1, m)), tf.mul(other, m)) as tf.Tensor4D;
  });
  const ym = y ? tf.tidy(() => mixTargets(toSoftTargets(y, numClasses, 'cutmix'), lam, index)) : null;
  return { x: xm, y: ym, lam, index };
}

/** Options of {@link cutmix}. */
export interface CutMixOptions {
  /** λ ~ Beta(α, α) sets the target box area 1 − λ; α ≤ 0 disables mixing. Default 1. */
  alpha?: number;
  /** Number of classes, required for integer labels. */
  numClasses?: number;
  /** One λ and one box for the whole batch (as the reference code) instead of one per image (default false). */
  perBatch?: boolean;
}

/**
 * CutMix with a random partner permutation. Box as in the reference implementation: side ratio r = √(1 − λ),
 * box H·r × W·r (floored) centred at a uniform pixel, clipped to the image; λ is then recomputed from the clipped
 * area, so `lam` is exactly the fraction of each image's own pixels.
 */
export function cutmix(opts: CutMixOptions = {}): MixAugment {
  const alpha = opts.alpha ?? 1;
  return (x, y, rng) => {
    checkBatch(x, 'cutmix');
    const [b, h, w] = x.shape;
    const draw = (): Box => {
      const l = alpha > 0 ? rng.beta(alpha, alpha) : 1;
      const r = Math.sqrt(1 - l);
      const ch = Math.floor(h * r);
      const cw = Math.floor(w * r);
      const cy = rng.int(h);
      const cx = rng.int(w);
      const clip = (v: number, hi: number) => Math.min(hi, Math.max(0, v));
      return {
        y0: clip(cy - Math.floor(ch / 2), h),
        y1: clip(cy + Math.floor(ch / 2), h),
        x0: clip(cx - Math.floor(cw / 2), w),
        x1: clip(cx + Math.floor(cw / 2), w),
      };
    };
    let boxes: Box[];
    if (opts.perBatch) {
      const one = draw();
      boxes = Array.from({ length: b }, () => one);
    } else boxes = Array.from({ length: b }, draw);
    const index = rng.permutation(b);
    return cutmixWith(x, y, boxes, index, opts.numClasses);
  };
}
