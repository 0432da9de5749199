/**
 * Input checks specific to attacks on classifiers: [0, 1] image batches, class labels against a model's outputs and
 * the number of classes a model outputs. Generic checks (counts, budgets, finiteness, labels) come from
 * `@ft/core/internal` with the same argument order, `check…(value, name, where)`. Every check throws a typed
 * `FtError` whose message names the function, parameter, shape or value at fault.
 */

import { InvalidArgumentError, isLayersModel, ShapeError, type Trainable } from '@ft/core';
import { checkLabelShape, checkLabels } from '@ft/core/internal';
import * as tf from '@tensorflow/tfjs-core';

/** Tolerance for "inside [0, 1]" and "inside the ε-ball" (float32 rounding of x ± ε). */
export const RANGE_TOL = 1e-6;

/**
 * Checks an image batch `x` (parameter `name` of `where`): rank 4 (NHWC), float32, every value inside [lo, hi]
 * (default [0, 1]) within 1e-6. Attacks operate on [0, 1] inputs; normalisation belongs inside the model
 * (`withNormalization`).
 * @throws ShapeError (rank), InvalidArgumentError (dtype, values outside the range, NaN).
 */
export function checkImages(
  x: tf.Tensor,
  name: string,
  where: string,
  range: readonly [number, number] = [0, 1],
): void {
  const span = imageSpan(x, name, where);
  if (!span) return;
  const lo = span[0].dataSync()[0];
  const hi = span[1].dataSync()[0];
  tf.dispose(span);
  checkSpan(lo, hi, where, range);
}

/**
 * {@link checkImages} with an asynchronous read of the value range: the form for backends without a synchronous
 * readback (ft-webgpu in Node). Same checks, same errors.
 */
export async function checkImagesAsync(
  x: tf.Tensor,
  name: string,
  where: string,
  range: readonly [number, number] = [0, 1],
): Promise<void> {
  const span = imageSpan(x, name, where);
  if (!span) return;
  try {
    const lo = (await span[0].data())[0];
    const hi = (await span[1].data())[0];
    checkSpan(lo, hi, where, range);
  } finally {
    tf.dispose(span);
  }
}

/** Rank and dtype checks of an image batch; its [min, max] as scalars (null for an empty batch). */
function imageSpan(x: tf.Tensor, name: string, where: string): [tf.Tensor, tf.Tensor] | null {
  if (!(x instanceof tf.Tensor)) throw new InvalidArgumentError(`${where}: ${name} must be a tf.Tensor`);
  if (x.rank !== 4) {
    throw new ShapeError(`${where}: ${name} must be an NHWC image batch [N, H, W, C], got shape [${x.shape}]`, {
      shape: x.shape,
    });
  }
  if (x.dtype !== 'float32') throw new InvalidArgumentError(`${where}: ${name} must be float32, got ${x.dtype}`);
  if (x.shape[0] === 0) return null;
  return tf.tidy(() => [tf.min(x), tf.max(x)]) as [tf.Tensor, tf.Tensor];
}

function checkSpan(lo: number, hi: number, where: string, range: readonly [number, number]): void {
  if (!(lo >= range[0] - RANGE_TOL) || !(hi <= range[1] + RANGE_TOL)) {
    throw new InvalidArgumentError(
      `${where}: input values span [${lo}, ${hi}], outside [${range[0]}, ${range[1]}]; attacks take [0, 1] images ` +
        'and normalisation belongs inside the model (see withNormalization)',
      { min: lo, max: hi },
    );
  }
}

/**
 * Checks class labels for a batch of `n` examples of a classifier with `numClasses` outputs: rank 1, length n,
 * integers in [0, numClasses) (core's `checkLabels`, with the model named in the message).
 * @returns the labels as an Int32Array.
 * @throws ShapeError for a length/rank mismatch ("y has shape [2] but the batch has 3 examples"), InvalidArgumentError
 *   for a label that is not a class index of the model's outputs.
 */
export function checkClassLabels(y: tf.Tensor, name: string, where: string, n: number, numClasses: number): Int32Array {
  return checkLabels(y, name, where, { count: n, numClasses, classesText: `the model's ${numClasses} outputs` });
}

/**
 * {@link checkClassLabels} with an asynchronous read of the labels (backends without a synchronous readback).
 * Same checks, same errors.
 */
export async function checkClassLabelsAsync(
  y: tf.Tensor,
  name: string,
  where: string,
  n: number,
  numClasses: number,
): Promise<Int32Array> {
  checkLabelShape(y, n, name, where);
  const values = await y.data();
  return checkLabels(values, name, where, { count: n, numClasses, classesText: `the model's ${numClasses} outputs` });
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
