import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { FtError } from '../errors.js';
import type { StepLogs, TrainContext } from './callback.js';
import { memoryGuard } from './memory-guard.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const logs: StepLogs = { loss: 0, lr: 0.1, batchSize: 1, epoch: 0, stepInEpoch: 0 };
const ctx = {} as TrainContext;
/** Ends step `step` of the guard `g` (the hook does not read the context). */
const end = (g: ReturnType<typeof memoryGuard>, step: number) => g.onStepEnd!(step, logs, ctx);

describe('memoryGuard', () => {
  it('ignores warm-up steps, takes the baseline after them and throws TENSOR_LEAK on growth', () => {
    const kept: tf.Tensor[] = [];
    const g = memoryGuard({ warmupSteps: 2 });
    kept.push(tf.scalar(1));
    end(g, 0); // warm-up
    kept.push(tf.scalar(2));
    end(g, 1); // warm-up
    expect(g.baseline).toBeNull();
    const base = tf.memory().numTensors;
    end(g, 2);
    expect(g.baseline).toBe(base);
    end(g, 3); // flat: fine
    kept.push(tf.scalar(3));
    let err: FtError | undefined;
    try {
      end(g, 4);
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
    end(g, 0);
    expect(g.baseline).toBeNull();
    end(g, 1);
    const base = g.baseline as number;
    const a = tf.scalar(1);
    expect(() => end(g, 2)).not.toThrow();
    const b = tf.scalar(2);
    expect(() => end(g, 3)).toThrow(/TENSOR_LEAK|grew/);
    tf.dispose([a, b]);
    expect(tf.memory().numTensors).toBe(base);
    expect(() => end(g, 4)).not.toThrow();
  });
});
