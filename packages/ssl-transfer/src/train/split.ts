/**
 * The data protocol of semi-supervised transfer: a class-balanced, seeded labelled budget per class, of which a part
 * is held out for validation (model and hyperparameter selection), and an unlabelled set drawn from the same
 * training images. The test set never enters it.
 */
import { type ImageDataset, InvalidArgumentError, labelBudgetSplit, subset } from '@ft/core';
import { checkPositiveInt } from '@ft/core/internal';

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

/** The default validation hold-out per class for a budget of K labels: max(1, ⌊K/4⌋). */
export function defaultValPerClass(labelsPerClass: number): number {
  return Math.max(1, Math.floor(labelsPerClass / 4));
}

/**
 * Splits a labelled training set for semi-supervised transfer: per class a seeded draw of K labels
 * (`labelBudgetSplit` of @ft/core); of each class's K drawn images, the `valPerClass` with the lowest indices (a
 * seeded random choice, as the draw is) form the validation split.
 * @throws InvalidArgumentError when a class has fewer than K images, or `valPerClass` ≥ K (no labels left to train on).
 */
export function sslSplit(train: ImageDataset, o: SslSplitOptions): SslSplit {
  const where = 'sslSplit';
  const k = checkPositiveInt(o.labelsPerClass, 'labelsPerClass', where);
  const v = checkPositiveInt(o.valPerClass ?? defaultValPerClass(k), 'valPerClass', where);
  if (v >= k) {
    throw new InvalidArgumentError(
      `${where}: valPerClass (${v}) must be smaller than labelsPerClass (${k}) so that some labels remain to train on`,
      { labelsPerClass: k, valPerClass: v },
    );
  }
  const counts = new Array<number>(train.numClasses).fill(0);
  for (const y of train.labels) counts[y]++;
  const short = counts.flatMap((n, c) => (n < k ? [`class ${c} has ${n}`] : []));
  if (short.length > 0) {
    throw new InvalidArgumentError(
      `${where}: a labelled budget of ${k} per class is larger than a class (${short.join(', ')})`,
      { labelsPerClass: k, counts },
    );
  }
  const { labelled } = labelBudgetSplit(train.labels, { perClass: k, seed: o.seed, numClasses: train.numClasses });
  const byClass: number[][] = Array.from({ length: train.numClasses }, () => []);
  for (const i of labelled) byClass[train.labels[i]].push(i);
  const val: number[] = [];
  const lab: number[] = [];
  for (const idx of byClass) {
    val.push(...idx.slice(0, v));
    lab.push(...idx.slice(v));
  }
  const valSet = new Set(val);
  const labSet = new Set(lab);
  const rest: number[] = [];
  for (let i = 0; i < train.size; i++) {
    if (valSet.has(i)) continue;
    if ((o.unlabeled ?? 'all') === 'rest' && labSet.has(i)) continue;
    rest.push(i);
  }
  const asc = (a: number[]) => a.sort((x, y) => x - y);
  return { labeled: subset(train, asc(lab)), validation: subset(train, asc(val)), unlabeled: subset(train, rest) };
}
