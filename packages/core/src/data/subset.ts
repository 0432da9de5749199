/**
 * Index views over datasets: no pixel is copied, only the index (and label) arrays.
 */
import { InvalidArgumentError } from '../errors.js';
import {
  checkIndex,
  type Dataset,
  type ImageDataset,
  type ImageShape,
  isImageDataset,
  type LabelledImage,
} from './dataset.js';

/** A view of an {@link ImageDataset} through an index array, optionally with remapped labels. */
export class SubsetImageDataset implements ImageDataset {
  readonly size: number;
  readonly shape: ImageShape;
  readonly numClasses: number;
  readonly labels: Int32Array;
  readonly classNames?: readonly string[];
  /** The underlying dataset (never another SubsetImageDataset: nested views are flattened). */
  readonly base: ImageDataset;
  /** Positions in `base` of this view's samples. */
  readonly indices: Int32Array;

  constructor(
    base: ImageDataset,
    indices: ArrayLike<number>,
    opts: { labels?: Int32Array; numClasses?: number; classNames?: readonly string[] } = {},
  ) {
    let idx = Int32Array.from(indices);
    for (let i = 0; i < idx.length; i++) {
      if (!Number.isInteger(indices[i]) || idx[i] < 0 || idx[i] >= base.size) {
        throw new InvalidArgumentError(`subset: index ${indices[i]} at position ${i} out of range [0, ${base.size})`);
      }
    }
    let root = base;
    if (base instanceof SubsetImageDataset) {
      idx = idx.map((i) => base.indices[i]);
      root = base.base;
    }
    this.base = root;
    this.indices = idx;
    this.size = idx.length;
    this.shape = base.shape;
    this.labels = opts.labels ?? Int32Array.from(indices, (i) => base.labels[i]);
    if (this.labels.length !== this.size) {
      throw new InvalidArgumentError(`subset: ${this.labels.length} labels for ${this.size} indices`);
    }
    this.numClasses = opts.numClasses ?? base.numClasses;
    this.classNames = opts.classNames ?? (opts.numClasses === undefined ? base.classNames : undefined);
  }

  get(i: number): LabelledImage {
    checkIndex(i, this.size);
    const [h, w, c] = this.shape;
    const x = new Float32Array(h * w * c);
    this.base.copyInto(this.indices[i], x, 0);
    return { x, y: this.labels[i] };
  }

  copyInto(i: number, out: Float32Array, offset: number): void {
    checkIndex(i, this.size);
    this.base.copyInto(this.indices[i], out, offset);
  }
}

/**
 * A view of `ds` containing samples `indices` (in that order; repeats allowed). Image datasets stay image datasets
 * (shape, labels, copyInto); no pixels are copied.
 */
export function subset(ds: ImageDataset, indices: ArrayLike<number>): SubsetImageDataset;
export function subset<T>(ds: Dataset<T>, indices: ArrayLike<number>): Dataset<T>;
export function subset<T>(ds: Dataset<T>, indices: ArrayLike<number>): Dataset<T> {
  if (isImageDataset(ds)) return new SubsetImageDataset(ds, indices) as unknown as Dataset<T>;
  const idx = Int32Array.from(indices);
  idx.forEach((i, p) => {
    if (i < 0 || i >= ds.size) throw new InvalidArgumentError(`subset: index ${i} at position ${p} out of range`);
  });
  return {
    size: idx.length,
    get: (i: number) => {
      checkIndex(i, idx.length);
      return ds.get(idx[i]);
    },
  };
}

/**
 * The samples of `ds` whose label is in `classes` (dataset order kept), e.g. MNIST 0–4 vs 5–9 transfer splits.
 * With `remap` (default true) labels become positions in `classes` (`classes[j]` → j) and numClasses =
 * classes.length; otherwise labels and numClasses are unchanged.
 */
export function classSubset(
  ds: ImageDataset,
  classes: readonly number[],
  opts: { remap?: boolean } = {},
): SubsetImageDataset {
  const remap = opts.remap ?? true;
  if (classes.length === 0) throw new InvalidArgumentError('classSubset: classes is empty');
  const map = new Map<number, number>();
  classes.forEach((c, j) => {
    if (!Number.isInteger(c) || c < 0 || c >= ds.numClasses) {
      throw new InvalidArgumentError(`classSubset: class ${c} out of range [0, ${ds.numClasses})`);
    }
    if (map.has(c)) throw new InvalidArgumentError(`classSubset: class ${c} listed twice`);
    map.set(c, j);
  });
  const idx: number[] = [];
  const labels: number[] = [];
  for (let i = 0; i < ds.size; i++) {
    const j = map.get(ds.labels[i]);
    if (j === undefined) continue;
    idx.push(i);
    labels.push(remap ? j : ds.labels[i]);
  }
  return new SubsetImageDataset(ds, idx, {
    labels: Int32Array.from(labels),
    numClasses: remap ? classes.length : ds.numClasses,
    classNames: remap ? (ds.classNames ? classes.map((c) => ds.classNames![c]) : undefined) : ds.classNames,
  });
}
