/**
 * CutPaste (Li et al., CVPR 2021, arXiv:2104.04015): cut a rectangular patch of an image and paste it elsewhere in
 * the same image, a pseudo-anomaly for self-supervised / validation anomaly detection.
 */
import * as tf from '@tensorflow/tfjs-core';
import { InvalidArgumentError, ShapeError } from '../errors.js';
import type { Rng } from '../rng.js';
import { affineWarp, translateRow } from './affine.js';
import { boxMask } from './cutout.js';
import { checkBatch } from './per-image.js';
import type { Augment } from './types.js';

/** A patch move: the h×w patch at (sy, sx) is pasted with its top-left at (ty, tx). */
export interface PatchMove {
  sy: number;
  sx: number;
  ty: number;
  tx: number;
  h: number;
  w: number;
}

/**
 * Deterministic core of {@link cutPaste}: pastes each image's source patch at its target position (pixels are copied
 * exactly). Returns the images and the [B, H, W, 1] 0/1 mask of the pasted regions.
 */
export function cutPasteAt(x: tf.Tensor4D, moves: readonly PatchMove[]): { x: tf.Tensor4D; mask: tf.Tensor4D } {
  checkBatch(x, 'cutPaste');
  const [b, h, w] = x.shape;
  if (moves.length !== b) throw new ShapeError(`cutPaste: ${moves.length} patches for a batch of ${b}`);
  for (const m of moves) {
    const inside = (y: number, xx: number) => y >= 0 && xx >= 0 && y + m.h <= h && xx + m.w <= w;
    if (!inside(m.sy, m.sx) || !inside(m.ty, m.tx)) {
      throw new InvalidArgumentError(`cutPaste: patch ${JSON.stringify(m)} is not inside a ${h}×${w} image`);
    }
  }
  return tf.tidy(() => {
    const shifted = affineWarp(
      x,
      moves.map((m) => translateRow(m.tx - m.sx, m.ty - m.sy)),
      { interpolation: 'nearest', fill: 0 },
    );
    const mask = boxMask(
      moves.map((m) => ({ y0: m.ty, y1: m.ty + m.h, x0: m.tx, x1: m.tx + m.w })),
      h,
      w,
    );
    return { x: tf.add(tf.mul(x, tf.sub(1, mask)), tf.mul(shifted, mask)) as tf.Tensor4D, mask };
  });
}

/** Options of {@link cutPaste}. */
export interface CutPasteOptions {
  /** Patch area as a fraction of the image area, uniform in this range. Default [0.02, 0.15] (paper). */
  area?: [number, number];
  /** Patch aspect ratio w/h, log-uniform in this range. Default [0.3, 3.3] (paper). */
  aspect?: [number, number];
}

/**
 * Random CutPaste patches per image: area fraction a ~ U(area), aspect r ~ logU(aspect), patch w = round(√(a·HW·r)),
 * h = round(√(a·HW/r)) (clamped to the image), source and target top-left corners uniform.
 * {@link cutPasteWithMask} also returns the pasted-region masks.
 */
export function cutPaste(opts: CutPasteOptions = {}): Augment {
  const sample = cutPasteSampler(opts);
  return (x, rng) => {
    checkBatch(x, 'cutPaste');
    const r = cutPasteAt(x, sample(x.shape[0], x.shape[1], x.shape[2], rng));
    r.mask.dispose();
    return r.x;
  };
}

/** Like {@link cutPaste} but returns `{x, mask}` (mask [B, H, W, 1], 1 on pasted pixels). */
export function cutPasteWithMask(
  opts: CutPasteOptions = {},
): (x: tf.Tensor4D, rng: Rng) => { x: tf.Tensor4D; mask: tf.Tensor4D } {
  const sample = cutPasteSampler(opts);
  return (x, rng) => {
    checkBatch(x, 'cutPaste');
    return cutPasteAt(x, sample(x.shape[0], x.shape[1], x.shape[2], rng));
  };
}

function cutPasteSampler(opts: CutPasteOptions) {
  const [a0, a1] = opts.area ?? [0.02, 0.15];
  const [r0, r1] = opts.aspect ?? [0.3, 3.3];
  if (!(a0 > 0 && a1 >= a0 && a1 <= 1)) throw new InvalidArgumentError(`cutPaste: bad area range [${a0}, ${a1}]`);
  if (!(r0 > 0 && r1 >= r0)) throw new InvalidArgumentError(`cutPaste: bad aspect range [${r0}, ${r1}]`);
  return (b: number, h: number, w: number, rng: Rng): PatchMove[] =>
    Array.from({ length: b }, () => {
      const area = (a0 + (a1 - a0) * rng.uniform()) * h * w;
      const ratio = Math.exp(Math.log(r0) + (Math.log(r1) - Math.log(r0)) * rng.uniform());
      const pw = Math.min(w, Math.max(1, Math.round(Math.sqrt(area * ratio))));
      const ph = Math.min(h, Math.max(1, Math.round(Math.sqrt(area / ratio))));
      const sy = rng.int(h - ph + 1);
      const sx = rng.int(w - pw + 1);
      const ty = rng.int(h - ph + 1);
      const tx = rng.int(w - pw + 1);
      return { sy, sx, ty, tx, h: ph, w: pw };
    });
}
