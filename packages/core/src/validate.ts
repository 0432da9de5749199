/**
 * Argument validation shared by @ft/core and the @ft method packages (exported from `@ft/core/internal`, not a
 * stable public API).
 *
 * Every check has the same argument order, `check…(value, name, where?, …options)`: the value under test, the
 * parameter's name as the caller knows it, and the function (or class) that received it. Messages read
 * `"<where>: <name> …, got <value>"` (no prefix without `where`), so the user sees which call and which parameter are
 * at fault. Every check throws a typed `FtError`: `InvalidArgumentError` for a value out of range or of the wrong
 * kind, `ShapeError` for a length or shape mismatch. Checks that accept a value return it (narrowed), so options can
 * be validated where they are read: `const steps = checkPositiveInt(opts.steps ?? 10, 'steps', 'PGD')`.
 */
import type * as tf from '@tensorflow/tfjs-core';
import { InvalidArgumentError, ShapeError } from './errors.js';

const prefix = (where: string | undefined): string => (where ? `${where}: ` : '');

/** True for a tfjs tensor of any copy of tfjs (duck-typed, so this module needs no runtime import of tfjs). */
function isTensor(x: unknown): x is tf.Tensor {
  const t = x as tf.Tensor | null;
  return (
    typeof t === 'object' &&
    t !== null &&
    Array.isArray(t.shape) &&
    typeof t.rank === 'number' &&
    typeof t.dataSync === 'function'
  );
}

/**
 * Checks an integer option that counts something (steps, restarts, epochs, batch size): an integer ≥ 1.
 * @param value the value to check (any type: a string or NaN is rejected too).
 * @param name the parameter's name, e.g. `'steps'`.
 * @param where the receiving function or class, e.g. `'PGD'`.
 * @returns `value`, typed as a number.
 * @throws InvalidArgumentError e.g. `"PGD: steps must be an integer >= 1, got 0"` (details `{parameter, value}`).
 */
export function checkPositiveInt(value: unknown, name: string, where?: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
    throw new InvalidArgumentError(`${prefix(where)}${name} must be an integer >= 1, got ${String(value)}`, {
      parameter: name,
      value,
    });
  }
  return value;
}

/** Options of {@link checkNonNegative}. */
export interface NonNegativeOptions {
  /** Reject 0 as well (`> 0` instead of `>= 0`). [false] */
  positive?: boolean;
}

/**
 * Checks a real-valued option that must not be negative (a perturbation budget, step size, learning rate, weight
 * decay, momentum): a finite number ≥ 0, or > 0 with `positive`.
 * @param value the value to check (NaN, ±Infinity and non-numbers are rejected).
 * @param name the parameter's name, e.g. `'eps'`.
 * @param where the receiving function or class, e.g. `'FGSM'`.
 * @param opts `{positive = false}`.
 * @returns `value`, typed as a number.
 * @throws InvalidArgumentError e.g. `"PGD: eps must be a finite number >= 0, got -0.1"` (details `{parameter, value}`).
 */
export function checkNonNegative(value: unknown, name: string, where?: string, opts: NonNegativeOptions = {}): number {
  const positive = opts.positive ?? false;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || (positive && value === 0)) {
    throw new InvalidArgumentError(
      `${prefix(where)}${name} must be a finite number ${positive ? '> 0' : '>= 0'}, got ${String(value)}`,
      { parameter: name, value },
    );
  }
  return value;
}

/**
 * Index of the first NaN or ±Infinity entry of `values`, or −1 when every entry is finite. The scan behind
 * {@link checkFinite}, for callers that phrase their own message (e.g. a matrix entry, a file's array).
 */
export function indexOfNonFinite(values: ArrayLike<number>): number {
  for (let i = 0; i < values.length; i++) if (!Number.isFinite(values[i])) return i;
  return -1;
}

/**
 * Checks that every entry of a numeric array (scores, values, a flattened matrix) is finite.
 * @param values the array to scan (host memory; read a tensor with `dataSync()` first).
 * @param name the parameter's name, e.g. `'scores'`.
 * @param where the receiving function, e.g. `'auroc'`.
 * @throws InvalidArgumentError naming the first bad entry, e.g. `"scores[1] is NaN; scores must be finite"`
 *   (details `{parameter, index}`).
 */
export function checkFinite(values: ArrayLike<number>, name: string, where?: string): void {
  const i = indexOfNonFinite(values);
  if (i >= 0) {
    throw new InvalidArgumentError(`${prefix(where)}${name}[${i}] is ${values[i]}; ${name} must be finite`, {
      parameter: name,
      index: i,
    });
  }
}

/** Options of {@link checkLabelShape}. */
export interface LabelShapeOptions {
  /** Accept soft targets [count, K] as well as class indices [count]. [false] */
  soft?: boolean;
}

/**
 * Checks that a label tensor has one entry (or, with `soft`, one row) per example of a batch of `count`.
 * @param labels the labels: class indices [count] (or soft targets [count, K] with `soft`).
 * @param count the number of examples in the batch.
 * @param name the parameter's name, e.g. `'y'`.
 * @param where the receiving function, e.g. `'mixup'`.
 * @throws InvalidArgumentError when `labels` is not a tensor; ShapeError e.g.
 *   `"FGSM: y has shape [2] but the batch has 3 examples; need [3] labels"` (details `{shape, expected}`).
 */
export function checkLabelShape(
  labels: tf.Tensor,
  count: number,
  name: string,
  where?: string,
  opts: LabelShapeOptions = {},
): void {
  if (!isTensor(labels)) throw new InvalidArgumentError(`${prefix(where)}${name} must be a tf.Tensor`);
  const soft = opts.soft ?? false;
  const rankOk = labels.rank === 1 || (soft && labels.rank === 2);
  if (!rankOk || labels.shape[0] !== count) {
    throw new ShapeError(
      `${prefix(where)}${name} has shape [${labels.shape}] but the batch has ${count} examples; need [${count}]` +
        `${soft ? ` or [${count}, K]` : ''} labels`,
      { shape: labels.shape, expected: [count] },
    );
  }
}

/** Options of {@link checkLabels}. */
export interface LabelOptions {
  /** Required number of labels (the batch size). [any] */
  count?: number;
  /** Labels must lie in [0, numClasses). [any non-negative integer] */
  numClasses?: number;
  /** What the classes are, for the message. [`the ${numClasses} classes`] */
  classesText?: string;
}

/**
 * Checks integer class labels: a rank-1 tensor or an array of non-negative integers, `count` of them when given,
 * each below `numClasses` when given.
 * @param labels class indices (a rank-1 tensor or an array).
 * @param name the parameter's name, e.g. `'y'` or `'labels'`.
 * @param where the receiving function, e.g. `'indicesByClass'`.
 * @param opts `{count?, numClasses?, classesText?}`.
 * @returns the labels as an Int32Array (a copy).
 * @throws ShapeError for a count or rank mismatch (see {@link checkLabelShape}); InvalidArgumentError for a label
 *   that is not an integer in range, e.g. `"indicesByClass: labels must be non-negative integers, got -1 at index 1"`
 *   or `"PGD: y[2] = 5 is not a class index of the 3 classes (0..2)"` (details `{index, label}`).
 */
export function checkLabels(
  labels: tf.Tensor | ArrayLike<number>,
  name: string,
  where?: string,
  opts: LabelOptions = {},
): Int32Array {
  let values: ArrayLike<number>;
  if (isTensor(labels)) {
    checkLabelShape(labels, opts.count ?? labels.shape[0] ?? 0, name, where);
    values = labels.dataSync();
  } else if (labels != null && typeof (labels as ArrayLike<number>).length === 'number') {
    values = labels;
    if (opts.count !== undefined && values.length !== opts.count) {
      throw new ShapeError(
        `${prefix(where)}${name} has length ${values.length} but the batch has ${opts.count} examples; need ${opts.count} labels`,
        { shape: [values.length], expected: [opts.count] },
      );
    }
  } else {
    throw new InvalidArgumentError(`${prefix(where)}${name} must be a tf.Tensor or an array of class indices`);
  }
  const c = opts.numClasses;
  const out = new Int32Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const y = values[i];
    if (!Number.isInteger(y) || y < 0 || (c !== undefined && y >= c)) {
      const message =
        c === undefined
          ? `${name} must be non-negative integers, got ${y} at index ${i}`
          : `${name}[${i}] = ${y} is not a class index of ${opts.classesText ?? `the ${c} classes`} (0..${c - 1})`;
      throw new InvalidArgumentError(`${prefix(where)}${message}`, { index: i, label: y, numClasses: c });
    }
    out[i] = y;
  }
  return out;
}
