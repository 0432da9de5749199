/**
 * Dataset interfaces and the compact in-memory image dataset used by every loader in `data/`.
 */
import { InvalidArgumentError, ShapeError } from '../errors.js';

/** A random-access collection of samples. */
export interface Dataset<T> {
  /** Number of samples. */
  readonly size: number;
  /** Sample `i` (0 ≤ i < size). */
  get(i: number): T;
}

/** One labelled image: `x` holds H·W·C floats in [0, 1] (row-major HWC), `y` is the class index. */
export interface LabelledImage {
  x: Float32Array;
  y: number;
}

/** Image shape `[height, width, channels]`. */
export type ImageShape = [number, number, number];

/**
 * A labelled image dataset with a known shape and a fast label array (what splits, samplers and batching use).
 * `get(i)` may allocate; `copyInto` writes sample `i`'s pixels into a caller-owned buffer without allocating.
 */
export interface ImageDataset extends Dataset<LabelledImage> {
  /** `[H, W, C]` of every image. */
  readonly shape: ImageShape;
  /** Number of classes (labels are in 0..numClasses−1). */
  readonly numClasses: number;
  /** Label of every sample, `labels[i] === get(i).y`. */
  readonly labels: Int32Array;
  /** Optional human-readable class names (length numClasses). */
  readonly classNames?: readonly string[];
  /** Writes the H·W·C pixels of sample `i` (in [0, 1]) into `out` starting at `offset`. */
  copyInto(i: number, out: Float32Array, offset: number): void;
}

/** Options of {@link ArrayImageDataset}. */
export interface ArrayImageDatasetOptions {
  /**
   * All images back to back, N·H·W·C values. `Uint8Array` values are scaled by `scale` (default 1/255) on read;
   * `Float32Array` values are returned as stored (scale default 1).
   */
  images: Uint8Array | Float32Array;
  /** One label per image. */
  labels: Int32Array;
  shape: ImageShape;
  /** Default: max(label) + 1 (0 for an empty dataset). */
  numClasses?: number;
  classNames?: readonly string[];
  /** Multiplier applied on read. Default 1/255 for Uint8Array, 1 for Float32Array. */
  scale?: number;
}

/**
 * An {@link ImageDataset} backed by one contiguous typed array for all images (no per-sample copies in memory).
 * `get(i).x` is a fresh Float32Array (a copy scaled to [0, 1]); use `copyInto` in hot loops.
 */
export class ArrayImageDataset implements ImageDataset {
  readonly size: number;
  readonly shape: ImageShape;
  readonly numClasses: number;
  readonly labels: Int32Array;
  readonly classNames?: readonly string[];
  /** The backing pixel store (N·H·W·C). */
  readonly images: Uint8Array | Float32Array;
  /** Multiplier applied on read. */
  readonly scale: number;
  private readonly sampleLen: number;

  constructor(opts: ArrayImageDatasetOptions) {
    const { images, labels, shape } = opts;
    if (shape.length !== 3 || shape.some((d) => !Number.isInteger(d) || d <= 0)) {
      throw new ShapeError(`ArrayImageDataset: shape must be [H, W, C] of positive integers, got [${shape}]`);
    }
    this.sampleLen = shape[0] * shape[1] * shape[2];
    if (images.length !== labels.length * this.sampleLen) {
      throw new ShapeError(
        `ArrayImageDataset: images has ${images.length} values, expected ${labels.length} × ${shape.join('×')} = ${
          labels.length * this.sampleLen
        }`,
      );
    }
    let maxLabel = -1;
    for (let i = 0; i < labels.length; i++) {
      const y = labels[i];
      if (y < 0) throw new InvalidArgumentError(`ArrayImageDataset: label ${y} at index ${i} is negative`);
      if (y > maxLabel) maxLabel = y;
    }
    const numClasses = opts.numClasses ?? maxLabel + 1;
    if (maxLabel >= numClasses) {
      throw new InvalidArgumentError(`ArrayImageDataset: label ${maxLabel} ≥ numClasses ${numClasses}`);
    }
    if (opts.classNames && opts.classNames.length !== numClasses) {
      throw new InvalidArgumentError(
        `ArrayImageDataset: classNames has ${opts.classNames.length} entries, numClasses is ${numClasses}`,
      );
    }
    this.images = images;
    this.labels = labels;
    this.shape = [shape[0], shape[1], shape[2]];
    this.size = labels.length;
    this.numClasses = numClasses;
    this.classNames = opts.classNames;
    this.scale = opts.scale ?? (images instanceof Uint8Array ? 1 / 255 : 1);
  }

  get(i: number): LabelledImage {
    checkIndex(i, this.size);
    const x = new Float32Array(this.sampleLen);
    this.copyInto(i, x, 0);
    return { x, y: this.labels[i] };
  }

  copyInto(i: number, out: Float32Array, offset: number): void {
    checkIndex(i, this.size);
    const n = this.sampleLen;
    const start = i * n;
    const src = this.images;
    if (src instanceof Float32Array && this.scale === 1) {
      out.set(src.subarray(start, start + n), offset);
      return;
    }
    const s = this.scale;
    for (let k = 0; k < n; k++) out[offset + k] = src[start + k] * s;
  }
}

/** Throws InvalidArgumentError unless `i` is an integer in [0, size). */
export function checkIndex(i: number, size: number): void {
  if (!Number.isInteger(i) || i < 0 || i >= size) {
    throw new InvalidArgumentError(`dataset index ${i} out of range [0, ${size})`);
  }
}

/** True when `ds` carries the {@link ImageDataset} members (shape, labels, copyInto). */
export function isImageDataset(ds: Dataset<unknown>): ds is ImageDataset {
  const d = ds as Partial<ImageDataset>;
  return Array.isArray(d.shape) && d.labels instanceof Int32Array && typeof d.copyInto === 'function';
}
