/**
 * Cutout (DeVries & Taylor 2017, arXiv:1708.04552): one square per image filled with a constant.
 */
import * as tf from '@tensorflow/tfjs-core';
import { InvalidArgumentError } from '../errors.js';
import { checkBatch } from './per-image.js';
import type { Augment } from './types.js';

/** A box per image: rows [y0, y1) × columns [x0, x1). */
export interface Box {
  y0: number;
  y1: number;
  x0: number;
  x1: number;
}

/** A [B, H, W, 1] float mask that is 1 inside each image's box, 0 elsewhere (boxes are clipped to the image). */
export function boxMask(boxes: readonly Box[], height: number, width: number): tf.Tensor4D {
  const m = new Float32Array(boxes.length * height * width);
  boxes.forEach((bx, i) => {
    const y0 = Math.max(0, bx.y0);
    const y1 = Math.min(height, bx.y1);
    const x0 = Math.max(0, bx.x0);
    const x1 = Math.min(width, bx.x1);
    for (let y = y0; y < y1; y++) m.fill(1, i * height * width + y * width + x0, i * height * width + y * width + x1);
  });
  return tf.tensor4d(m, [boxes.length, height, width, 1]);
}

/** Replaces the pixels inside each box with `fill` (all channels); exact elsewhere. */
export function fillBoxes(x: tf.Tensor4D, boxes: readonly Box[], fill: number): tf.Tensor4D {
  checkBatch(x, 'cutout');
  return tf.tidy(() => {
    const m = boxMask(boxes, x.shape[1], x.shape[2]);
    return tf.add(tf.mul(x, tf.sub(1, m)), tf.mul(m, fill)) as tf.Tensor4D;
  });
}

/** Options of {@link cutout}. */
export interface CutoutOptions {
  /** Square side as a fraction of the image side (min(H, W)), rounded. Default 0.5 (FixMatch). */
  size?: number;
  /** Fill value. Default 0.5 (grey, FixMatch); 0 for black. */
  fill?: number;
  /**
   * `true` (default): the square lies fully inside the image, so exactly side² pixels change. `false`: the centre is
   * uniform over the image and the square is clipped at the border (DeVries & Taylor).
   */
  inside?: boolean;
}

/** One random square per image (side = round(size · min(H, W))), filled with a constant. */
export function cutout(opts: CutoutOptions = {}): Augment {
  const size = opts.size ?? 0.5;
  const fill = opts.fill ?? 0.5;
  const inside = opts.inside ?? true;
  if (!(size >= 0 && size <= 1)) throw new InvalidArgumentError(`cutout: size must be in [0, 1], got ${size}`);
  return (x, rng) => {
    checkBatch(x, 'cutout');
    const [b, h, w] = x.shape;
    const side = Math.round(size * Math.min(h, w));
    const boxes: Box[] = [];
    for (let i = 0; i < b; i++) {
      if (inside) {
        const y0 = rng.int(h - side + 1);
        const x0 = rng.int(w - side + 1);
        boxes.push({ y0, y1: y0 + side, x0, x1: x0 + side });
      } else {
        const cy = rng.int(h);
        const cx = rng.int(w);
        const y0 = cy - Math.floor(side / 2);
        const x0 = cx - Math.floor(side / 2);
        boxes.push({ y0, y1: y0 + side, x0, x1: x0 + side });
      }
    }
    return fillBoxes(x, boxes, fill);
  };
}
