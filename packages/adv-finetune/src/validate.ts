/**
 * Input checks shared by the attacks, the robustness evaluation and the training loops. Every check throws a typed
 * `FtError` whose message names the parameter, shape or value at fault.
 */

import { InvalidArgumentError, isLayersModel, ShapeError, type Trainable } from '@ft/core';
import * as tf from '@tensorflow/tfjs-core';

/** Tolerance for "inside [0, 1]" and "inside the ε-ball" (float32 rounding of x ± ε). */
export const RANGE_TOL = 1e-6;

/**
 * Checks a perturbation budget or step size: a finite number ≥ 0 (`> 0` with `positive`).
 * @throws InvalidArgumentError e.g. "PGD: eps must be a finite number >= 0, got -0.1".
 */
export function checkNonNegative(where: string, name: string, v: unknown, positive = false): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0 || (positive && v === 0)) {
    throw new InvalidArgumentError(
      `${where}: ${name} must be a finite number ${positive ? '> 0' : '>= 0'}, got ${String(v)}`,
      { parameter: name, value: v },
    );
  }
  return v;
}

/** Checks a positive integer option (steps, restarts, batch size). */
export function checkPositiveInt(where: string, name: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) {
    throw new InvalidArgumentError(`${where}: ${name} must be an integer >= 1, got ${String(v)}`, {
      parameter: name,
      value: v,
    });
  }
  return v;
}

/**
 * Checks an image batch: rank 4 (NHWC), float32, every value inside [lo, hi] (default [0, 1]) within 1e-6.
 * Attacks operate on [0, 1] inputs; normalisation belongs inside the model (`withNormalization`).
 * @throws ShapeError (rank), InvalidArgumentError (dtype, values outside the range, NaN).
 */
export function checkImages(where: string, x: tf.Tensor, range: readonly [number, number] = [0, 1]): void {
  if (!(x instanceof tf.Tensor)) throw new InvalidArgumentError(`${where}: x must be a tf.Tensor`);
  if (x.rank !== 4) {
    throw new ShapeError(`${where}: x must be an NHWC image batch [N, H, W, C], got shape [${x.shape}]`, {
      shape: x.shape,
    });
  }
  if (x.dtype !== 'float32') throw new InvalidArgumentError(`${where}: x must be float32, got ${x.dtype}`);
  if (x.shape[0] === 0) return;
  const [mn, mx] = tf.tidy(() => [tf.min(x), tf.max(x)]);
  const lo = mn.dataSync()[0];
  const hi = mx.dataSync()[0];
  tf.dispose([mn, mx]);
  if (!(lo >= range[0] - RANGE_TOL) || !(hi <= range[1] + RANGE_TOL)) {
    throw new InvalidArgumentError(
      `${where}: input values span [${lo}, ${hi}], outside [${range[0]}, ${range[1]}]; attacks take [0, 1] images ` +
        'and normalisation belongs inside the model (see withNormalization)',
      { min: lo, max: hi },
    );
  }
}

/**
 * Checks labels against a batch of `n` examples and `numClasses` classes: rank 1, length n, integers in
 * [0, numClasses).
 * @throws ShapeError for a length/rank mismatch ("mismatched label counts"), InvalidArgumentError for bad values.
 */
export function checkLabels(where: string, y: tf.Tensor, n: number, numClasses: number, name = 'y'): Int32Array {
  if (!(y instanceof tf.Tensor)) throw new InvalidArgumentError(`${where}: ${name} must be a tf.Tensor`);
  if (y.rank !== 1 || y.shape[0] !== n) {
    throw new ShapeError(
      `${where}: ${name} has shape [${y.shape}] but the batch has ${n} examples; need [${n}] labels`,
      {
        shape: y.shape,
        expected: [n],
      },
    );
  }
  const v = y.dataSync();
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const c = v[i];
    if (!Number.isInteger(c) || c < 0 || c >= numClasses) {
      throw new InvalidArgumentError(
        `${where}: ${name}[${i}] = ${c} is not a class index of the model's ${numClasses} outputs (0..${numClasses - 1})`,
        { index: i, label: c, numClasses },
      );
    }
    out[i] = c;
  }
  return out;
}

/**
 * Number of classes a model outputs: the last dimension of a LayersModel's (single) output, or of a Module's
 * output on one example of `sample`.
 * @throws InvalidArgumentError for multi-output models, ShapeError for non-[N, C] outputs.
 */
export function numClassesOf(model: Trainable, sample?: tf.Tensor): number {
  if (isLayersModel(model)) {
    if (model.outputs.length !== 1) {
      throw new InvalidArgumentError(`model '${model.name}' has ${model.outputs.length} outputs; attacks need one`);
    }
    const shape = model.outputs[0].shape;
    const c = shape[shape.length - 1];
    if (shape.length !== 2 || c == null || c < 2) {
      throw new ShapeError(
        `model '${model.name}' outputs shape [${shape.map((d) => d ?? 'N')}]; a classifier must output [N, C] ` +
          'logits or probabilities with C ≥ 2',
        { shape },
      );
    }
    return c;
  }
  if (!sample) throw new InvalidArgumentError('numClassesOf: a Module needs a sample input to infer its classes');
  const shape = tf.tidy(() => model.apply(tf.slice(sample, 0, 1), { training: false }).shape);
  const c = shape[1] ?? 0;
  if (shape.length !== 2 || c < 2) {
    throw new ShapeError(`module output has shape [${shape}]; a classifier must output [N, C] with C ≥ 2`);
  }
  return c;
}
