/**
 * The one-class anomaly-detection protocol on labelled image sets (Ruff et al., Deep SVDD, ICML 2018; used by GEOM,
 * PANDA and the small-scale reproduction in the project spec): normal = one class; the detector is fitted on that
 * class's training images only (a seeded subsample, with 20 % held out as normal validation images for the
 * fine-tuning validation); the test set is the whole test split, where every other class is an anomaly. Plus the
 * same split for MVTec-format folders (train/good → train/val, the test split with its masks).
 */
import {
  ArrayImageDataset,
  type ImageDataset,
  InvalidArgumentError,
  loadMvtec,
  type MvtecDataset,
  oneClassSplit,
  stratifiedSplit,
  subset,
} from '@ft/core';

/** Options of {@link oneClassTask}. */
export interface OneClassTaskOptions {
  /** The normal class. */
  normalClass: number;
  /** Keep a seeded subsample of this many normal training images (before the val split). Default all. */
  trainSubsample?: number;
  /** Fraction of the kept normal images held out for validation. Default 0.2. */
  valFraction?: number;
  /** Use a class-stratified subsample of this many test images (seeded by `seed`); default the full test split. */
  testSubsample?: number;
  /** Seed of the subsamples and the split. */
  seed: number;
}

/** A one-class task: normal train / val images, and the test set with anomaly labels (1 = anomalous). */
export interface OneClassTask {
  normalClass: number;
  train: ImageDataset;
  val: ImageDataset;
  test: ImageDataset;
  /** 1 where the test image is not of the normal class. */
  testLabels: Uint8Array;
  /** Pixel masks of the test images (N·H·W, 0/1), MVTec tasks only. */
  testMasks?: Uint8Array;
}

/**
 * Builds the one-class task for `normalClass` (see module docs). Throws `InvalidArgumentError` for a class that
 * does not occur in the training set.
 * @param trainSet labelled training split (e.g. Fashion-MNIST train)
 * @param testSet labelled test split
 */
export function oneClassTask(trainSet: ImageDataset, testSet: ImageDataset, opts: OneClassTaskOptions): OneClassTask {
  const c = opts.normalClass;
  if (!Number.isInteger(c) || c < 0 || c >= trainSet.numClasses) {
    throw new InvalidArgumentError(
      `oneClassTask: normalClass must be an integer in [0, ${trainSet.numClasses - 1}], got ${c}`,
      { parameter: 'normalClass' },
    );
  }
  const split = oneClassSplit(trainSet.labels, {
    normal: c,
    trainSubsample: opts.trainSubsample,
    valFraction: opts.valFraction ?? 0.2,
    seed: opts.seed,
  });
  let test: ImageDataset = testSet;
  if (opts.testSubsample !== undefined && opts.testSubsample < testSet.size) {
    test = subset(testSet, stratifiedSplit(testSet.labels, { testSize: opts.testSubsample, seed: opts.seed }).test);
  }
  const testLabels = Uint8Array.from(test.labels, (y) => (y === c ? 0 : 1));
  if (testLabels.every((v) => v === 1) || testLabels.every((v) => v === 0)) {
    throw new InvalidArgumentError(`oneClassTask: the test set needs normal and anomalous images of class ${c}`);
  }
  return { normalClass: c, train: subset(trainSet, split.train), val: subset(trainSet, split.val), test, testLabels };
}

/** Options of {@link mvtecTask}. */
export interface MvtecTaskOptions {
  /** Image side (default 64). */
  size?: number;
  /** Channels (default 1, the zoo backbones' channel count). */
  channels?: 1 | 3;
  /** Normal images held out of `train/good` for validation. Default 0.2. */
  valFraction?: number;
  seed: number;
}

/** An MVTec category as a one-class task: train/good split into train/val, test with labels and masks. */
export function mvtecTask(root: string, category: string, opts: MvtecTaskOptions): OneClassTask {
  const size = opts.size ?? 64;
  const channels = opts.channels ?? 1;
  const trainAll = loadMvtec(root, category, { split: 'train', size, channels });
  const test: MvtecDataset = loadMvtec(root, category, { split: 'test', size, channels });
  const split = oneClassSplit(trainAll.labels, { normal: 0, valFraction: opts.valFraction ?? 0.2, seed: opts.seed });
  return {
    normalClass: 0,
    train: subset(trainAll, split.train),
    val: subset(trainAll, split.val),
    test,
    testLabels: Uint8Array.from(test.labels, (y) => (y === 0 ? 0 : 1)),
    testMasks: test.masks,
  };
}

/** Concatenates image datasets of one shape into an in-memory dataset (labels kept). */
export function concatImages(parts: readonly ImageDataset[]): ArrayImageDataset {
  if (parts.length === 0) throw new InvalidArgumentError('concatImages: no datasets');
  const shape = parts[0].shape;
  const per = shape[0] * shape[1] * shape[2];
  const n = parts.reduce((a, p) => a + p.size, 0);
  const images = new Float32Array(n * per);
  const labels = new Int32Array(n);
  let k = 0;
  for (const p of parts) {
    if (p.shape.some((v, i) => v !== shape[i])) {
      throw new InvalidArgumentError(`concatImages: shapes differ (${p.shape} vs ${shape})`);
    }
    for (let i = 0; i < p.size; i++, k++) {
      p.copyInto(i, images, k * per);
      labels[k] = p.labels[i];
    }
  }
  return new ArrayImageDataset({ images, labels, shape: [...shape] as [number, number, number] });
}
