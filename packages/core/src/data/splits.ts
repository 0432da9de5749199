/**
 * Seeded split functions over label arrays. All are pure: the same inputs and seed give the same index arrays on
 * every platform. Returned index arrays are sorted ascending (samplers do the shuffling).
 */
import { InvalidArgumentError } from '../errors.js';
import { createRng, type Rng } from '../rng.js';
import { checkLabels } from '../validate.js';

/** A seed for {@link createRng}. */
export type Seed = number | string;

function ascending(a: ArrayLike<number>): Int32Array {
  return Int32Array.from(a).sort();
}

/** Indices of each class: `byClass(labels)[c]` lists (ascending) the positions with label c, for c < numClasses. */
export function indicesByClass(labels: ArrayLike<number>, numClasses?: number): Int32Array[] {
  checkLabels(labels, 'labels', 'indicesByClass');
  let max = -1;
  for (let i = 0; i < labels.length; i++) if (labels[i] > max) max = labels[i];
  const c = numClasses ?? max + 1;
  if (max >= c) throw new InvalidArgumentError(`indicesByClass: label ${max} ≥ numClasses ${c}`);
  const counts = new Int32Array(c);
  for (let i = 0; i < labels.length; i++) counts[labels[i]]++;
  const out = Array.from(counts, (n) => new Int32Array(n));
  const fill = new Int32Array(c);
  for (let i = 0; i < labels.length; i++) {
    const y = labels[i];
    out[y][fill[y]++] = i;
  }
  return out;
}

/** Per-class counts (length numClasses, default max label + 1). */
export function classCounts(labels: ArrayLike<number>, numClasses?: number): Int32Array {
  return Int32Array.from(indicesByClass(labels, numClasses), (a) => a.length);
}

/** A random permutation of `idx` drawn from `rng`. */
function shuffledCopy(idx: Int32Array, rng: Rng): Int32Array {
  const p = rng.permutation(idx.length);
  const out = new Int32Array(idx.length);
  for (let i = 0; i < idx.length; i++) out[i] = idx[p[i]];
  return out;
}

/** Options of {@link labelBudgetSplit}: exactly one of `perClass` and `total`. */
export interface LabelBudgetOptions {
  /** Labelled samples per class. */
  perClass?: number;
  /**
   * Total labelled samples; ⌊total/C⌋ per class and the remainder spread round-robin over classes 0, 1, … (one
   * extra sample each).
   */
  total?: number;
  seed: Seed;
  /** Number of classes (default max label + 1). Every class must have enough samples. */
  numClasses?: number;
}

/**
 * Class-balanced labelled subset for semi-supervised learning (the "N labels" protocol of FixMatch, Sohn et al.
 * 2020): per class a seeded random choice of the budget, the remainder unlabelled. Budgets are nested: for one seed
 * the labelled set for a smaller budget is contained in that of a larger one.
 * @returns `{labelled, unlabelled}`, disjoint, together all indices, both ascending.
 * @throws InvalidArgumentError if a class has fewer samples than its budget, or if both/neither budget is given.
 */
export function labelBudgetSplit(
  labels: ArrayLike<number>,
  opts: LabelBudgetOptions,
): { labelled: Int32Array; unlabelled: Int32Array } {
  if ((opts.perClass === undefined) === (opts.total === undefined)) {
    throw new InvalidArgumentError('labelBudgetSplit: pass exactly one of perClass and total');
  }
  const budget = (opts.perClass ?? opts.total) as number;
  if (!Number.isInteger(budget) || budget < 0) {
    throw new InvalidArgumentError(
      `labelBudgetSplit: ${opts.perClass !== undefined ? 'perClass' : 'total'} must be a non-negative integer, got ${budget}`,
    );
  }
  const byClass = indicesByClass(labels, opts.numClasses);
  const c = byClass.length;
  if (c === 0) throw new InvalidArgumentError('labelBudgetSplit: no labels');
  const want = byClass.map((_, k) =>
    opts.perClass !== undefined ? opts.perClass : Math.floor(budget / c) + (k < budget % c ? 1 : 0),
  );
  const rng = createRng(opts.seed);
  const chosen = new Uint8Array(labels.length);
  const labelled: number[] = [];
  byClass.forEach((idx, k) => {
    if (idx.length < want[k]) {
      throw new InvalidArgumentError(
        `labelBudgetSplit: class ${k} has ${idx.length} samples, fewer than its budget of ${want[k]}`,
      );
    }
    const perm = shuffledCopy(idx, rng);
    for (let i = 0; i < want[k]; i++) {
      labelled.push(perm[i]);
      chosen[perm[i]] = 1;
    }
  });
  const unlabelled: number[] = [];
  for (let i = 0; i < labels.length; i++) if (!chosen[i]) unlabelled.push(i);
  return { labelled: ascending(labelled), unlabelled: Int32Array.from(unlabelled) };
}

/** Options of {@link oneClassSplit}. */
export interface OneClassSplitOptions {
  /** The normal class (or classes). */
  normal: number | readonly number[];
  /** Keep a seeded random subset of this many normal samples (before the val split); all if absent or larger. */
  trainSubsample?: number;
  /** Fraction of the kept normal samples held out for validation, rounded. Default 0.2. */
  valFraction?: number;
  seed: Seed;
}

/**
 * One-class (anomaly detection) protocol on a labelled set: normal samples are subsampled and split into train /
 * validation; every other sample is an anomaly. E.g. Fashion-MNIST class c: `trainSubsample: 1000` → 800 / 200.
 * @returns `{train, val, anomalous}` (ascending, disjoint).
 */
export function oneClassSplit(
  labels: ArrayLike<number>,
  opts: OneClassSplitOptions,
): { train: Int32Array; val: Int32Array; anomalous: Int32Array } {
  checkLabels(labels, 'labels', 'oneClassSplit');
  const normal = new Set(typeof opts.normal === 'number' ? [opts.normal] : opts.normal);
  const valFraction = opts.valFraction ?? 0.2;
  if (!(valFraction >= 0 && valFraction < 1)) {
    throw new InvalidArgumentError(`oneClassSplit: valFraction must be in [0, 1), got ${valFraction}`);
  }
  if (opts.trainSubsample !== undefined && !(Number.isInteger(opts.trainSubsample) && opts.trainSubsample > 0)) {
    throw new InvalidArgumentError(
      `oneClassSplit: trainSubsample must be a positive integer, got ${opts.trainSubsample}`,
    );
  }
  const normIdx: number[] = [];
  const anomalous: number[] = [];
  for (let i = 0; i < labels.length; i++) (normal.has(labels[i]) ? normIdx : anomalous).push(i);
  if (normIdx.length === 0) {
    throw new InvalidArgumentError(`oneClassSplit: no samples of normal class ${[...normal].join(', ')}`);
  }
  const rng = createRng(opts.seed);
  const perm = shuffledCopy(Int32Array.from(normIdx), rng);
  const m = Math.min(perm.length, opts.trainSubsample ?? perm.length);
  const nVal = Math.round(valFraction * m);
  return {
    train: ascending(perm.subarray(nVal, m)),
    val: ascending(perm.subarray(0, nVal)),
    anomalous: Int32Array.from(anomalous),
  };
}

/**
 * K-fold cross-validation indices (as sklearn `KFold(k, shuffle=True)`): a seeded permutation cut into k folds, the
 * first n mod k folds one larger. Fold j's `val` is its chunk, `train` the rest.
 * @param opts.k number of folds, 2 ≤ k ≤ n (default 5)
 * @param opts.shuffle permute before cutting (default true; false keeps contiguous folds)
 */
export function kFold(
  n: number,
  opts: { k?: number; seed: Seed; shuffle?: boolean },
): Array<{ train: Int32Array; val: Int32Array }> {
  const k = opts.k ?? 5;
  if (!Number.isInteger(n) || n < 0)
    throw new InvalidArgumentError(`kFold: n must be a non-negative integer, got ${n}`);
  if (!Number.isInteger(k) || k < 2 || k > n) {
    throw new InvalidArgumentError(`kFold: k must be an integer with 2 ≤ k ≤ n = ${n}, got ${k}`);
  }
  const perm =
    opts.shuffle === false ? Int32Array.from({ length: n }, (_, i) => i) : createRng(opts.seed).permutation(n);
  const folds: Array<{ train: Int32Array; val: Int32Array }> = [];
  let start = 0;
  for (let j = 0; j < k; j++) {
    const len = Math.floor(n / k) + (j < n % k ? 1 : 0);
    const val = ascending(perm.subarray(start, start + len));
    const inVal = new Uint8Array(n);
    for (const i of val) inVal[i] = 1;
    const train = new Int32Array(n - len);
    let t = 0;
    for (let i = 0; i < n; i++) if (!inVal[i]) train[t++] = i;
    folds.push({ train, val });
    start += len;
  }
  return folds;
}

/** Options of {@link stratifiedSplit}: exactly one of `testFraction` and `testSize`. */
export interface StratifiedSplitOptions {
  /** Per class, round(testFraction · n_c) samples go to `test`. */
  testFraction?: number;
  /**
   * Total test size, allocated to classes proportionally to their counts by the largest-remainder method (ties to
   * the lower class index), e.g. a stratified 2,000 subsample of a 10,000 test set.
   */
  testSize?: number;
  seed: Seed;
}

/**
 * Stratified train/test split: each class is split in (nearly) the same proportion, with a seeded random choice
 * inside each class.
 * @returns `{train, test}` (ascending, disjoint, together all indices).
 */
export function stratifiedSplit(
  labels: ArrayLike<number>,
  opts: StratifiedSplitOptions,
): { train: Int32Array; test: Int32Array } {
  if ((opts.testFraction === undefined) === (opts.testSize === undefined)) {
    throw new InvalidArgumentError('stratifiedSplit: pass exactly one of testFraction and testSize');
  }
  const byClass = indicesByClass(labels);
  const n = labels.length;
  let want: number[];
  if (opts.testFraction !== undefined) {
    const f = opts.testFraction;
    if (!(f >= 0 && f <= 1))
      throw new InvalidArgumentError(`stratifiedSplit: testFraction must be in [0, 1], got ${f}`);
    want = byClass.map((idx) => Math.round(f * idx.length));
  } else {
    const s = opts.testSize as number;
    if (!Number.isInteger(s) || s < 0 || s > n) {
      throw new InvalidArgumentError(`stratifiedSplit: testSize must be an integer in [0, ${n}], got ${s}`);
    }
    const exact = byClass.map((idx) => (idx.length * s) / n);
    want = exact.map(Math.floor);
    let left = s - want.reduce((a, b) => a + b, 0);
    const order = exact
      .map((e, k) => ({ k, r: e - Math.floor(e) }))
      .sort((a, b) => b.r - a.r || a.k - b.k)
      .map((o) => o.k);
    for (let j = 0; left > 0; j = (j + 1) % order.length) {
      const k = order[j];
      if (want[k] < byClass[k].length) {
        want[k]++;
        left--;
      }
    }
  }
  const rng = createRng(opts.seed);
  const inTest = new Uint8Array(n);
  byClass.forEach((idx, k) => {
    const perm = shuffledCopy(idx, rng);
    for (let i = 0; i < want[k]; i++) inTest[perm[i]] = 1;
  });
  const test: number[] = [];
  const train: number[] = [];
  for (let i = 0; i < n; i++) (inTest[i] ? test : train).push(i);
  return { train: Int32Array.from(train), test: Int32Array.from(test) };
}
