/**
 * Streaming mini-batches: one batch of tensors exists at a time, built from a sampler's epoch order.
 */
import * as tf from '@tensorflow/tfjs-core';
import { EmptyDatasetError, InvalidArgumentError, ShapeError } from '../errors.js';
import type { Rng } from '../rng.js';
import { type Dataset, type ImageDataset, type ImageShape, isImageDataset, type LabelledImage } from './dataset.js';
import { type Sampler, sequential } from './samplers.js';

/** One mini-batch. The consumer owns the tensors and must dispose them (`batch.dispose()`). */
export interface Batch {
  /** Images, NHWC float32. */
  x: tf.Tensor4D;
  /** Labels, int32. */
  y: tf.Tensor1D;
  /** Dataset positions of the batch's samples. */
  indices: Int32Array;
  /** Disposes `x` and `y`. */
  dispose(): void;
}

/** Options of {@link batches}. */
export interface BatchOptions {
  /** Samples per batch (positive integer). */
  batchSize: number;
  /** Epoch order. Default {@link sequential}. */
  sampler?: Sampler;
  /** Source of all randomness (sampler order, then transforms). Required unless sampler and transform are absent or
   * deterministic. */
  rng?: Rng;
  /** Drop a last batch smaller than batchSize. Default false. */
  dropLast?: boolean;
  /** Applied to every batch's x inside `tf.tidy` (e.g. an augmentation); the untransformed x is disposed. */
  transform?: (x: tf.Tensor4D, rng: Rng) => tf.Tensor4D;
  /** Image shape for plain `Dataset<LabelledImage>`s without `shape`. */
  shape?: ImageShape;
}

interface Prepared {
  indices: Int32Array;
  make: (idx: Int32Array) => Batch;
}

function prepare(ds: Dataset<LabelledImage> | ImageDataset, opts: BatchOptions): Prepared {
  const { batchSize } = opts;
  if (!Number.isInteger(batchSize) || batchSize <= 0) {
    throw new InvalidArgumentError(`batches: batchSize must be a positive integer, got ${batchSize}`);
  }
  if (ds.size === 0) throw new EmptyDatasetError('batches: the dataset is empty');
  const sampler = opts.sampler ?? sequential();
  const image = isImageDataset(ds) ? ds : null;
  const shape = image?.shape ?? opts.shape;
  if (!shape) throw new InvalidArgumentError('batches: the dataset has no shape; pass opts.shape');
  const rng = opts.rng;
  const needsRng = sampler.name !== 'sequential' || opts.transform !== undefined;
  if (needsRng && !rng)
    throw new InvalidArgumentError(`batches: sampler '${sampler.name}' or transform needs opts.rng`);
  const indices = sampler.epoch({ size: ds.size, labels: image?.labels, numClasses: image?.numClasses }, rng as Rng);
  const [h, w, c] = shape;
  const per = h * w * c;
  const make = (idx: Int32Array): Batch => {
    const b = idx.length;
    const xs = new Float32Array(b * per);
    const ys = new Int32Array(b);
    for (let k = 0; k < b; k++) {
      const i = idx[k];
      if (image) {
        image.copyInto(i, xs, k * per);
        ys[k] = image.labels[i];
      } else {
        const s = ds.get(i);
        if (s.x.length !== per) {
          throw new ShapeError(`batches: sample ${i} has ${s.x.length} values, shape [${shape}] needs ${per}`);
        }
        xs.set(s.x, k * per);
        ys[k] = s.y;
      }
    }
    let x = tf.tensor4d(xs, [b, h, w, c], 'float32');
    const y = tf.tensor1d(ys, 'int32');
    if (opts.transform) {
      const t = opts.transform;
      const raw = x;
      try {
        x = tf.tidy(() => t(raw, rng as Rng));
      } catch (err) {
        raw.dispose();
        y.dispose();
        throw err;
      }
      if (x !== raw) raw.dispose();
    }
    const out = x;
    return {
      x: out,
      y,
      indices: idx,
      dispose: () => {
        out.dispose();
        y.dispose();
      },
    };
  };
  return { indices, make };
}

function* slices(indices: Int32Array, batchSize: number, dropLast: boolean): Generator<Int32Array> {
  for (let s = 0; s < indices.length; s += batchSize) {
    const e = Math.min(indices.length, s + batchSize);
    if (dropLast && e - s < batchSize) return;
    yield indices.slice(s, e);
  }
}

/**
 * One epoch of mini-batches `{x: NHWC float32, y: int32, indices}` as an async iterator. The epoch order is drawn from
 * `rng` when the iterator is created; batch tensors are created lazily, one at a time, so memory holds a single
 * batch if the consumer disposes each one. Call again for the next epoch (same rng ⇒ a new order).
 * @throws EmptyDatasetError for an empty dataset, InvalidArgumentError for batchSize ≤ 0 or a missing rng.
 */
export function batches(ds: Dataset<LabelledImage> | ImageDataset, opts: BatchOptions): AsyncGenerator<Batch> {
  const p = prepare(ds, opts);
  const it = slices(p.indices, opts.batchSize, opts.dropLast ?? false);
  return (async function* () {
    for (const idx of it) yield p.make(idx);
  })();
}

/** Synchronous variant of {@link batches} (same batches for the same rng state). */
export function batchesSync(ds: Dataset<LabelledImage> | ImageDataset, opts: BatchOptions): Generator<Batch> {
  const p = prepare(ds, opts);
  const it = slices(p.indices, opts.batchSize, opts.dropLast ?? false);
  return (function* () {
    for (const idx of it) yield p.make(idx);
  })();
}

/** Number of batches {@link batches} yields for `n` epoch indices. */
export function numBatches(n: number, batchSize: number, dropLast = false): number {
  return dropLast ? Math.floor(n / batchSize) : Math.ceil(n / batchSize);
}
