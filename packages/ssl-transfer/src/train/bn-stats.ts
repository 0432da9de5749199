/**
 * BatchNorm with batch statistics but no moving-average update, for a second training-mode forward in one step
 * (ICT's mixed batch; PyTorch codebases call it `bn_controller.freeze_bn` / `unfreeze_bn`). tfjs updates the moving
 * statistics on every `training: true` call, so they are saved before and written back after.
 */
import { allVariablesOf, trainableVariablesOf } from '@ft/core/models';
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';

/**
 * Runs `fn` (a training-mode forward of `model`) and restores every non-trainable variable of `model` (the BatchNorm
 * moving mean and variance) to its value before `fn`, even when `fn` throws.
 */
export function keepingMovingStats<T>(model: tfl.LayersModel, fn: () => T): T {
  const trainable = new Set(trainableVariablesOf(model));
  const buffers = allVariablesOf(model).filter((v) => !trainable.has(v));
  const saved = buffers.map((v) => v.clone());
  try {
    return fn();
  } finally {
    buffers.forEach((v, i) => {
      v.assign(saved[i]);
    });
    tf.dispose(saved);
  }
}
