import type * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import type { Rng } from '../rng.js';

/** Options passed to `Module.apply`. */
export interface ApplyOptions {
  /** Training mode (dropout, BatchNorm batch statistics, stochastic gates). */
  training: boolean;
  /** Randomness for stochastic modules (e.g. Gumbel gates). */
  rng?: Rng;
}

/**
 * A trainable model that is not a tfjs-layers `LayersModel` (AdaFilter networks, unrolled solvers).
 * Training, checkpoints and metrics in @ft/core accept `LayersModel | Module`.
 */
export interface Module {
  /** Forward pass. Must be called inside `tf.tidy` / `tf.variableGrads` by the caller. */
  apply(x: tf.Tensor, opts: ApplyOptions): tf.Tensor;
  /** Variables updated by the optimizer. */
  readonly trainableVariables: tf.Variable[];
  /** Variables saved with the model but not trained (e.g. BN moving statistics). */
  readonly nonTrainableVariables: tf.Variable[];
  /** JSON-serialisable configuration that rebuilds the module. */
  getConfig(): Record<string, unknown>;
}

/** Anything the training loop can train. */
export type Trainable = tfl.LayersModel | Module;

/** True if `m` is a tfjs-layers model rather than a custom `Module`. */
export function isLayersModel(m: Trainable): m is tfl.LayersModel {
  return typeof (m as tfl.LayersModel).predict === 'function' && Array.isArray((m as tfl.LayersModel).layers);
}

/** The trainable variables of a LayersModel or Module, in a stable order. */
export function trainableVariablesOf(m: Trainable): tf.Variable[] {
  if (isLayersModel(m)) return m.trainableWeights.map((w) => (w as unknown as { val: tf.Variable }).val);
  return m.trainableVariables;
}

/** Every variable (trainable and not) of a LayersModel or Module, in a stable order, for checkpoints. */
export function allVariablesOf(m: Trainable): tf.Variable[] {
  if (isLayersModel(m)) return m.weights.map((w) => (w as unknown as { val: tf.Variable }).val);
  return [...m.trainableVariables, ...m.nonTrainableVariables];
}
