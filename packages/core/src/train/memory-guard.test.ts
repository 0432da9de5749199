import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { FtError } from '../errors.js';
import type { StepLogs } from './callback.js';
import { memoryGuard } from './memory-guard.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const logs: StepLogs = { loss: 0, lr: 0.1, batchSize: 1, epoch: 0, stepInEpoch: 0 };

describe('memoryGuard', () => {
  it('ignores warm-up steps, takes the baseline after them and throws TENSOR_LEAK on growth', () => {
    const kept: tf.Tensor[] = [];
    const g = memoryGuard({ warmupSteps: 2 });
    kept.push(tf.scalar(1));
    g.onStepEnd(0, logs); // warm-up
    kept.push(tf.scalar(2));
    g.onStepEnd(1, logs); // warm-up
    expect(g.baseline).toBeNull();
    const base = tf.memory().numTensors;
    g.onStepEnd(2, logs);
    expect(g.baseline).toBe(base);
    g.onStepEnd(3, logs); // flat: fine
    kept.push(tf.scalar(3));
    let err: FtError | undefined;
    try {
      g.onStepEnd(4, logs);
    } catch (e) {
      err = e as FtError;
    }
    expect(err).toBeInstanceOf(FtError);
    expect(err?.code).toBe('TENSOR_LEAK');
    expect(err?.details).toEqual({ step: 4, baseline: base, numTensors: base + 1 });
    expect(err?.message).toContain(`from ${base} (after step 2) to ${base + 1} after step 4`);
    tf.dispose(kept);
  });

  it('tolerance allows that many extra tensors; a shrinking count is fine; default warm-up is 1 step', () => {
    const g = memoryGuard({ tolerance: 1 });
    expect(g.name).toBe('memoryGuard');
    g.onStepEnd(0, logs);
    expect(g.baseline).toBeNull();
    g.onStepEnd(1, logs);
    const base = g.baseline as number;
    const a = tf.scalar(1);
    expect(() => g.onStepEnd(2, logs)).not.toThrow();
    const b = tf.scalar(2);
    expect(() => g.onStepEnd(3, logs)).toThrow(/TENSOR_LEAK|grew/);
    tf.dispose([a, b]);
    expect(tf.memory().numTensors).toBe(base);
    expect(() => g.onStepEnd(4, logs)).not.toThrow();
  });
});
