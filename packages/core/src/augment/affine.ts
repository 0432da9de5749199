/**
 * Batched projective/affine warps with `tf.image.transform`'s conventions (one matrix per image, output → input
 * mapping).
 * Coordinates: x = column, y = row, pixel centres at integers; the image centre is ((W−1)/2, (H−1)/2).
 */
import * as tf from '@tensorflow/tfjs-core';
import { ShapeError } from '../errors.js';

/** One `tf.image.transform` row [a0, a1, a2, b0, b1, b2, c0, c1]: output (x, y) samples input (a0x+a1y+a2, b0x+b1y+b2). */
export type AffineRow = [number, number, number, number, number, number, number, number];

/** The identity warp. */
export const IDENTITY_ROW: AffineRow = [1, 0, 0, 0, 1, 0, 0, 0];

/** Moves content by (dx, dy) pixels (right/down positive): output(x, y) = input(x − dx, y − dy). */
export function translateRow(dx: number, dy: number): AffineRow {
  return [1, 0, -dx, 0, 1, -dy, 0, 0];
}

/** Rotation by `radians` about the image centre (counter-clockwise in row-down coordinates for θ < 0). */
export function rotateRow(radians: number, height: number, width: number): AffineRow {
  const c = Math.cos(radians);
  const s = Math.sin(radians);
  const cx = (width - 1) / 2;
  const cy = (height - 1) / 2;
  return [c, -s, cx - c * cx + s * cy, s, c, cy - s * cx - c * cy, 0, 0];
}

/** Horizontal shear about the centre row: output(x, y) = input(x + s·(y − cy), y). */
export function shearXRow(s: number, height: number): AffineRow {
  const cy = (height - 1) / 2;
  return [1, s, -s * cy, 0, 1, 0, 0, 0];
}

/** Vertical shear about the centre column: output(x, y) = input(x, y + s·(x − cx)). */
export function shearYRow(s: number, width: number): AffineRow {
  const cx = (width - 1) / 2;
  return [1, 0, 0, s, 1, -s * cx, 0, 0];
}

/**
 * Warps image i of `x` with `rows[i]` (the semantics of `tf.image.transform` with fillMode 'constant'); pixels
 * sampled outside the image get `fill`. Implemented with host-computed sampling indices and `tf.gather`, because
 * the tfjs-backend-cpu 4.22 `Transform` kernel returns after the first image of a batch (a `return` inside its batch
 * loop) and leaves the others filled. Nearest sampling rounds like TF (`Math.round`); bilinear interpolates the 4
 * neighbours, each outside neighbour contributing `fill`. Both are exact on integer coordinates.
 * @param opts.interpolation 'bilinear' (default) or 'nearest'
 * @param opts.outputShape [H, W] of the result (default: input size)
 */
export function affineWarp(
  x: tf.Tensor4D,
  rows: readonly AffineRow[],
  opts: { interpolation?: 'bilinear' | 'nearest'; fill?: number; outputShape?: [number, number] } = {},
): tf.Tensor4D {
  const [b, h, w, c] = x.shape;
  if (rows.length !== b) throw new ShapeError(`affineWarp: ${rows.length} transforms for a batch of ${b}`);
  const [oh, ow] = opts.outputShape ?? [h, w];
  const nearest = opts.interpolation === 'nearest';
  const fillIdx = b * h * w;
  const taps = nearest ? 1 : 4;
  const n = b * oh * ow;
  const idx = Array.from({ length: taps }, () => new Int32Array(n));
  const wts = nearest ? [] : Array.from({ length: taps }, () => new Float32Array(n));
  const at = (i: number, yy: number, xx: number) =>
    yy >= 0 && yy < h && xx >= 0 && xx < w ? i * h * w + yy * w + xx : fillIdx;
  let k = 0;
  for (let i = 0; i < b; i++) {
    // float32 coefficients, as tf.image.transform sees them, so nearest rounding agrees with it
    const t = rows[i].map(Math.fround);
    for (let oy = 0; oy < oh; oy++) {
      for (let ox = 0; ox < ow; ox++, k++) {
        const proj = t[6] * ox + t[7] * oy + 1;
        if (proj === 0) {
          for (let q = 0; q < taps; q++) idx[q][k] = fillIdx;
          if (!nearest) wts[0][k] = 1;
          continue;
        }
        const inX = (t[0] * ox + t[1] * oy + t[2]) / proj;
        const inY = (t[3] * ox + t[4] * oy + t[5]) / proj;
        if (nearest) {
          idx[0][k] = at(i, Math.round(inY), Math.round(inX));
          continue;
        }
        const y0 = Math.floor(inY);
        const x0 = Math.floor(inX);
        const fy = inY - y0;
        const fx = inX - x0;
        idx[0][k] = at(i, y0, x0);
        idx[1][k] = at(i, y0, x0 + 1);
        idx[2][k] = at(i, y0 + 1, x0);
        idx[3][k] = at(i, y0 + 1, x0 + 1);
        wts[0][k] = (1 - fy) * (1 - fx);
        wts[1][k] = (1 - fy) * fx;
        wts[2][k] = fy * (1 - fx);
        wts[3][k] = fy * fx;
      }
    }
  }
  return tf.tidy(() => {
    const flat = tf.concat([tf.reshape(x, [b * h * w, c]), tf.fill([1, c], opts.fill ?? 0)], 0);
    let out: tf.Tensor = tf.gather(flat, tf.tensor1d(idx[0], 'int32'));
    if (!nearest) {
      out = tf.mul(out, tf.tensor2d(wts[0], [n, 1]));
      for (let q = 1; q < 4; q++) {
        out = tf.add(out, tf.mul(tf.gather(flat, tf.tensor1d(idx[q], 'int32')), tf.tensor2d(wts[q], [n, 1])));
      }
    }
    return tf.reshape(out, [b, oh, ow, c]) as tf.Tensor4D;
  });
}
