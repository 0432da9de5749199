import * as tf from '@tensorflow/tfjs-core';
import { FtError } from '../errors.js';
import type { Callback, StepLogs } from './callback.js';

/** Options of `memoryGuard`. */
export interface MemoryGuardOptions {
  /** Steps ignored before the baseline is taken (first-step slot allocation, EMA shadows, …). Default 1. */
  warmupSteps?: number;
  /** Allowed growth in tensors over the baseline. Default 0. */
  tolerance?: number;
}

/**
 * Asserts that training leaks no tensors: after `warmupSteps` steps, `tf.memory().numTensors` at the end of a step
 * becomes the baseline, and every later step that ends with more than `baseline + tolerance` tensors throws an
 * `FtError` with code `'TENSOR_LEAK'` naming the step and both counts.
 * @param opts `{warmupSteps = 1, tolerance = 0}`.
 */
export function memoryGuard(opts: MemoryGuardOptions = {}): Callback & { baseline: number | null } {
  const warmup = opts.warmupSteps ?? 1;
  const tolerance = opts.tolerance ?? 0;
  let seen = 0;
  let baselineStep = -1;
  const cb = {
    name: 'memoryGuard',
    baseline: null as number | null,
    onStepEnd(step: number, _logs: StepLogs) {
      const n = tf.memory().numTensors;
      seen += 1;
      if (seen <= warmup) return;
      if (cb.baseline === null) {
        cb.baseline = n;
        baselineStep = step;
        return;
      }
      if (n > cb.baseline + tolerance) {
        throw new FtError(
          'TENSOR_LEAK',
          `memoryGuard: tf.memory().numTensors grew from ${cb.baseline} (after step ${baselineStep}) to ${n} after step ${step}`,
          { step, baseline: cb.baseline, numTensors: n },
        );
      }
    },
  };
  return cb;
}
