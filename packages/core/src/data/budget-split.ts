/**
 * The few-label transfer protocol: a class-balanced, seeded budget of K labelled images per class, of which
 * `valPerClass` per class are held out for validation (model and hyperparameter selection), so that nothing is ever
 * chosen on the test set. Used by the semi-supervised transfer and AdaFilter packages.
 */
import { InvalidArgumentError } from '../errors.js';
import { checkPositiveInt } from '../validate.js';
import type { ImageDataset } from './dataset.js';
import { labelBudgetSplit } from './splits.js';
import { subset } from './subset.js';

/** Options of {@link budgetSplit}. */
export interface BudgetSplitOptions {
  /** K, the labelled budget per class (training + validation). */
  labelsPerClass: number;
  /** Labelled images per class held out for validation. [max(1, ⌊K/4⌋)] */
  valPerClass?: number;
  /** Seed of the class-balanced draw (same seed ⇒ same split; budgets nest for one seed). */
  seed: number;
}

/** Result of {@link budgetSplit}. */
export interface BudgetSplit {
  /** (K − valPerClass)·C labelled training images. */
  labeled: ImageDataset;
  /** valPerClass·C labelled validation images, disjoint from `labeled`. */
  validation: ImageDataset;
  /** Their positions in the source dataset (ascending). */
  indices: { labeled: number[]; validation: number[] };
}

/** The default validation hold-out per class for a budget of K labels: max(1, ⌊K/4⌋). */
export function defaultValPerClass(labelsPerClass: number): number {
  return Math.max(1, Math.floor(labelsPerClass / 4));
}

/**
 * Draws K labels per class (`labelBudgetSplit`, seeded) and holds out, of each class's K drawn images, the
 * `valPerClass` with the lowest indices (a seeded random choice, as the draw is) for validation.
 * @throws InvalidArgumentError when a class has fewer than K images, or `valPerClass` ≥ K (no labels left to train on).
 */
export function budgetSplit(train: ImageDataset, o: BudgetSplitOptions, where = 'budgetSplit'): BudgetSplit {
  const k = checkPositiveInt(o.labelsPerClass, 'labelsPerClass', where);
  const v = checkPositiveInt(o.valPerClass ?? defaultValPerClass(k), 'valPerClass', where);
  if (v >= k) {
    throw new InvalidArgumentError(
      `${where}: valPerClass (${v}) must be smaller than labelsPerClass (${k}) so that some labels remain to train on`,
      { labelsPerClass: k, valPerClass: v },
    );
  }
  const counts = new Array<number>(train.numClasses).fill(0);
  for (const y of train.labels) counts[y] = (counts[y] as number) + 1;
  const short = counts.flatMap((n, c) => (n < k ? [`class ${c} has ${n}`] : []));
  if (short.length > 0) {
    throw new InvalidArgumentError(
      `${where}: a labelled budget of ${k} per class is larger than a class (${short.join(', ')})`,
      { labelsPerClass: k, counts },
    );
  }
  const { labelled } = labelBudgetSplit(train.labels, { perClass: k, seed: o.seed, numClasses: train.numClasses });
  const byClass: number[][] = Array.from({ length: train.numClasses }, () => []);
  for (const i of labelled) (byClass[train.labels[i] as number] as number[]).push(i);
  const val: number[] = [];
  const lab: number[] = [];
  for (const idx of byClass) {
    val.push(...idx.slice(0, v));
    lab.push(...idx.slice(v));
  }
  const asc = (a: number[]) => a.sort((x, y) => x - y);
  asc(val);
  asc(lab);
  return {
    labeled: subset(train, lab),
    validation: subset(train, val),
    indices: { labeled: lab, validation: val },
  };
}
