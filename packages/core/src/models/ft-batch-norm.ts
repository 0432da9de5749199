/**
 * `FtBatchNorm`: tfjs-layers BatchNormalization that can freeze its statistics.
 *
 * Why: tfjs-layers' `BatchNormalization.call()` normalises with batch statistics and updates the moving mean/variance
 * whenever `training` is true, and it ignores `layer.trainable` for that (core.md §7). Fine-tuning methods need "BN in
 * inference mode while the rest trains" (Mahalanobis AD, AdaFilter's frozen BN^S, ICT forwards without stat updates).
 * With `frozenStats = true` this layer normalises with the moving statistics even when `training` is true and never
 * updates them; gradients still flow to x, gamma and beta (set `trainable = false` to freeze gamma/beta too).
 * With `frozenStats = false` it defers to the standard tfjs-layers math (bit-identical).
 *
 * Serialisation decision (plain tfjs must load our models):
 * - `getClassName()` returns `'BatchNormalization'`, and `getConfig()` is exactly the standard config (the
 *   `frozenStats` flag is run-time state, not architecture), so a saved model.json only names standard classes and
 *   loads with `tf.loadLayersModel` in plain tfjs (without @ft/core), giving standard BatchNormalization layers.
 * - The class itself is registered with `serialization.registerClass` under its own static className `'FtBatchNorm'`.
 *   It is NOT registered as `'BatchNormalization'`: registration is keyed by className and global, so that would
 *   silently replace the built-in class for every tfjs user in the process.
 * - The loader of @ft/core (`loadModel`) rewrites `BatchNormalization` to `FtBatchNorm` in the topology before
 *   deserialising, so models loaded through it get FtBatchNorm layers. Models built elsewhere with the standard layer
 *   are upgraded in place by {@link asFtBatchNorm} / `setBnMode` (the subclass adds no state besides the flag, so
 *   switching the prototype of a standard instance is safe; weights and variables are untouched).
 */
import * as tf from '@tensorflow/tfjs-core';
// Runtime import: tfjs-layers registers the built-in BatchNormalization class that FtBatchNorm extends.
import '@tensorflow/tfjs-layers';
import type * as tfl from '@tensorflow/tfjs-layers';
import { InvalidArgumentError } from '../errors.js';

/** The standard tfjs-layers BatchNormalization layer type. */
export type BatchNormalization = ReturnType<typeof tfl.layers.batchNormalization>;
/** Constructor arguments of the standard BatchNormalization layer. */
export type BatchNormalizationArgs = NonNullable<Parameters<typeof tfl.layers.batchNormalization>[0]>;
type BatchNormalizationCtor = (new (args?: BatchNormalizationArgs) => BatchNormalization) & { className: string };

/**
 * The built-in class, taken from the serialization registry that tfjs-layers fills on import (the class itself is
 * not exported, and constructing a throw-away instance would shift tfjs' automatic layer names).
 */
function standardBatchNormalization(): BatchNormalizationCtor {
  const entry = tf.serialization.SerializationMap.getMap().classNameMap.BatchNormalization;
  if (!entry) {
    throw new InvalidArgumentError(
      'FtBatchNorm: @tensorflow/tfjs-layers is not loaded (no BatchNormalization class is registered)',
    );
  }
  return entry[0] as unknown as BatchNormalizationCtor;
}

/** The standard tfjs-layers BatchNormalization class (runtime value; not exported by tfjs-layers itself). */
export const StandardBatchNormalization: BatchNormalizationCtor = standardBatchNormalization();

/** Options of {@link FtBatchNorm}: the standard BatchNormalization arguments plus `frozenStats`. */
export interface FtBatchNormArgs extends BatchNormalizationArgs {
  /** Use (and never update) the moving statistics even when called with `training: true`. Default false. */
  frozenStats?: boolean;
}

/**
 * BatchNormalization (Ioffe & Szegedy 2015, `y = γ (x − μ)/√(σ² + ε) + β`) with a `frozenStats` switch.
 * Same weights (gamma, beta, moving_mean, moving_variance) and defaults as tfjs (momentum 0.99, ε 1e-3); saved as
 * the standard `BatchNormalization` class (see the file header for the serialisation decision).
 */
export class FtBatchNorm extends StandardBatchNormalization {
  /** Registry key of this class (NOT the name written into model.json, see `getClassName`). */
  static override className = 'FtBatchNorm';
  /** When true, `training: true` calls use the moving statistics and leave them unchanged. */
  frozenStats: boolean;

  constructor(args: FtBatchNormArgs = {}) {
    const { frozenStats, ...rest } = args;
    super(rest);
    this.frozenStats = frozenStats ?? false;
  }

  /** Serialised class name: the standard `'BatchNormalization'`, so plain tfjs can load saved models. */
  override getClassName(): string {
    return 'BatchNormalization';
  }

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: Record<string, any>): tf.Tensor | tf.Tensor[] {
    const training = kwargs?.training == null ? false : Boolean(kwargs.training);
    const useMovingStats = !training || this.frozenStats === true;
    return super.call(inputs, useMovingStats ? { ...kwargs, training: false } : kwargs);
  }
}
tf.serialization.registerClass(
  FtBatchNorm as unknown as tf.serialization.SerializableConstructor<tf.serialization.Serializable>,
);

/** True if `layer` is a BatchNormalization layer (standard or FtBatchNorm). */
export function isBatchNorm(layer: unknown): layer is BatchNormalization {
  return layer instanceof StandardBatchNormalization;
}

/**
 * Returns `layer` as an FtBatchNorm. A standard BatchNormalization instance is upgraded in place (its prototype is
 * switched to FtBatchNorm's, `frozenStats` starts false); weights, variables and connectivity are unchanged, and it
 * still serialises as `BatchNormalization`. Throws InvalidArgumentError for any other layer.
 * @param layer a BatchNormalization layer.
 */
export function asFtBatchNorm(layer: tfl.layers.Layer): FtBatchNorm {
  if (layer instanceof FtBatchNorm) return layer;
  if (!isBatchNorm(layer)) {
    throw new InvalidArgumentError(`asFtBatchNorm: layer '${layer.name}' (${layer.getClassName()}) is not BatchNorm`);
  }
  Object.setPrototypeOf(layer, FtBatchNorm.prototype);
  (layer as unknown as FtBatchNorm).frozenStats = false;
  return layer as unknown as FtBatchNorm;
}

/**
 * Creates an {@link FtBatchNorm} layer (factory in the style of `tf.layers.batchNormalization`).
 * @param args standard BatchNormalization arguments (axis −1, momentum 0.99, epsilon 1e-3) plus `frozenStats`.
 */
export function ftBatchNorm(args: FtBatchNormArgs = {}): FtBatchNorm {
  return new FtBatchNorm(args);
}
