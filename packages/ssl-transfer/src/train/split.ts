/**
 * The data protocol of semi-supervised transfer: a class-balanced, seeded labelled budget per class, of which a part
 * is held out for validation (model and hyperparameter selection), and an unlabelled set drawn from the same
 * training images. The test set never enters it.
 */
import { budgetSplit, type ImageDataset, subset } from '@ft/core';

/** Options of {@link sslSplit}. */
export interface SslSplitOptions {
  /** K, the labelled budget per class (training + validation). */
  labelsPerClass: number;
  /** Labelled images per class held out for validation. [max(1, ⌊K/4⌋)] */
  valPerClass?: number;
  /** Seed of the class-balanced draw (same seed ⇒ same split; budgets nest for one seed). */
  seed: number;
  /**
   * The unlabelled set: `'all'` every training image except the validation ones (labelled images included, as the
   * official code's `num_unlabels = −1`), or `'rest'` only the images outside the labelled budget. ['all']
   */
  unlabeled?: 'all' | 'rest';
}

/** Result of {@link sslSplit}: three views of the training set (the test set is not part of it). */
export interface SslSplit {
  /** (K − valPerClass)·C labelled training images. */
  labeled: ImageDataset;
  /** valPerClass·C labelled validation images, disjoint from `labeled` and `unlabeled`. */
  validation: ImageDataset;
  /** Unlabelled images (their labels are never read by the training loop). */
  unlabeled: ImageDataset;
}

/**
 * Splits a labelled training set for semi-supervised transfer: the labelled budget and its validation hold-out of
 * core `budgetSplit` (per class a seeded draw of K labels, of which the `valPerClass` with the lowest indices
 * validate), and the unlabelled set.
 * @throws InvalidArgumentError when a class has fewer than K images, or `valPerClass` ≥ K (no labels left to train on).
 */
export function sslSplit(train: ImageDataset, o: SslSplitOptions): SslSplit {
  const { labeled, validation, indices } = budgetSplit(train, o, 'sslSplit');
  const valSet = new Set(indices.validation);
  const labSet = new Set(indices.labeled);
  const rest: number[] = [];
  for (let i = 0; i < train.size; i++) {
    if (valSet.has(i)) continue;
    if ((o.unlabeled ?? 'all') === 'rest' && labSet.has(i)) continue;
    rest.push(i);
  }
  return { labeled, validation, unlabeled: subset(train, rest) };
}
