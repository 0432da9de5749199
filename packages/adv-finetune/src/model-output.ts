/**
 * What a classifier outputs, and the logits every attack and loss of this package works with.
 *
 * Attacks need class scores whose softmax is the model's predictive distribution. A model may output logits
 * (a linear last layer, the @ft builders' default) or probabilities (a softmax last layer). For probabilities we
 * use log p as the logits: softmax(log p) = p, so cross-entropy, KL and DLR computed from log p equal those of
 * the model, and argmax is unchanged. Any other output (a sigmoid/ReLU/tanh head, a rank ≠ 2 tensor, fewer
 * columns than labels) is not a distribution over the labels and is rejected with a typed error.
 */

import { InvalidArgumentError, isLayersModel, ShapeError, type Trainable } from '@ft/core';
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';

/** How to read a model's output: `'auto'` inspects the last layer (softmax ⇒ probabilities, linear ⇒ logits). */
export type OutputKind = 'auto' | 'logits' | 'probs';

/** Smallest probability used in log p (avoids −∞ for probabilities that underflow to 0). */
export const PROB_FLOOR = 1e-12;

/**
 * The activation the output of a LayersModel passes through last: the `activation` of its last layer (Dense,
 * Conv, Activation), `'softmax'` for a Softmax layer, `'linear'` when the layer has none.
 */
export function lastActivation(model: tfl.LayersModel): string {
  const layers = model.layers;
  const last = layers[layers.length - 1];
  if (!last) return 'linear';
  const cls = last.getClassName();
  if (cls === 'Softmax') return 'softmax';
  const cfg = last.getConfig() as { activation?: unknown };
  if (typeof cfg.activation === 'string') return cfg.activation;
  return 'linear';
}

/**
 * Resolves `'auto'` to `'logits'` or `'probs'` for `model`. A LayersModel whose last activation is `softmax` gives
 * probabilities, `linear` gives logits; any other activation (sigmoid, relu, tanh, …) throws, because such outputs
 * are not logits or probabilities over the labels. A `Module` is assumed to output logits.
 * @throws InvalidArgumentError naming the model, its last layer and activation.
 */
export function resolveOutputKind(model: Trainable, kind: OutputKind = 'auto'): 'logits' | 'probs' {
  if (kind !== 'auto' && kind !== 'logits' && kind !== 'probs') {
    throw new InvalidArgumentError(`output must be 'auto', 'logits' or 'probs', got ${String(kind)}`);
  }
  if (kind !== 'auto') return kind;
  if (!isLayersModel(model)) return 'logits';
  const act = lastActivation(model);
  if (act === 'softmax') return 'probs';
  if (act === 'linear') return 'logits';
  const last = model.layers[model.layers.length - 1];
  throw new InvalidArgumentError(
    `model '${model.name}': last layer '${last?.name}' has activation '${act}', so its output is neither logits ` +
      `(linear) nor probabilities (softmax) over the labels; pass output: 'logits' to attack it anyway`,
    { model: model.name, layer: last?.name, activation: act },
  );
}

/**
 * Raw forward pass of `model` (LayersModel `apply` or Module `apply`) in training (`true`: BN batch statistics,
 * moving statistics updated) or inference mode. Call inside `tf.tidy`/`tf.grad`.
 */
export function forwardRaw(model: Trainable, x: tf.Tensor, training: boolean): tf.Tensor {
  if (isLayersModel(model)) {
    const out = model.apply(x, { training });
    if (Array.isArray(out)) {
      throw new InvalidArgumentError(`model '${model.name}' has ${out.length} outputs; attacks need exactly one`);
    }
    return out as tf.Tensor;
  }
  return model.apply(x, { training });
}

/**
 * Logits of `model` on `x`: the raw output for a logits model, log(max(p, 1e-12)) for a probability model.
 * Checks that the output is `[N, C]` with N = `x.shape[0]` and C ≥ 2.
 * @throws ShapeError naming the model and the output shape.
 */
export function logitsOf(model: Trainable, x: tf.Tensor, kind: 'logits' | 'probs', training: boolean): tf.Tensor2D {
  const out = forwardRaw(model, x, training);
  const n = x.shape[0];
  if (out.rank !== 2 || out.shape[0] !== n || (out.shape[1] ?? 0) < 2) {
    const name = isLayersModel(model) ? `model '${model.name}'` : 'module';
    throw new ShapeError(
      `${name} output has shape [${out.shape}] for an input batch of ${n}; a classifier must output [${n}, C] ` +
        'logits or probabilities with C ≥ 2 classes',
      { shape: out.shape },
    );
  }
  if (kind === 'logits') return out as tf.Tensor2D;
  return tf.log(tf.maximum(out, PROB_FLOOR)) as tf.Tensor2D;
}

/**
 * Checks that probabilities really are probabilities (non-negative rows that sum to 1 within `tol`); used on the
 * first batch an attack sees when the model was declared or detected as a probability model.
 * @throws InvalidArgumentError naming the offending row.
 */
export function checkProbabilities(probs: tf.Tensor2D, tol = 1e-3): void {
  checkProbabilityRows(probs.dataSync(), probs.shape, tol);
}

/** {@link checkProbabilities} with an asynchronous read (backends without a synchronous readback). */
export async function checkProbabilitiesAsync(probs: tf.Tensor2D, tol = 1e-3): Promise<void> {
  checkProbabilityRows(await probs.data(), probs.shape, tol);
}

function checkProbabilityRows(v: ArrayLike<number>, [n, c]: [number, number], tol: number): void {
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let j = 0; j < c; j++) {
      const p = v[i * c + j];
      if (!(p >= -tol)) {
        throw new InvalidArgumentError(`model output row ${i} has a negative/NaN probability ${p}; not probabilities`);
      }
      s += p;
    }
    if (Math.abs(s - 1) > tol) {
      throw new InvalidArgumentError(
        `model output row ${i} sums to ${s.toFixed(4)}, not 1: it is declared as probabilities but is not a distribution over the labels`,
      );
    }
  }
}
