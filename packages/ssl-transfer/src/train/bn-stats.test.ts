import '@tensorflow/tfjs-backend-cpu';
import { bnCnn3 } from '@ft/core';
import { allVariablesOf, trainableVariablesOf } from '@ft/core/models';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { keepingMovingStats } from './bn-stats.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('keepingMovingStats', () => {
  it('uses batch statistics but leaves the moving statistics as they were', () => {
    const m = bnCnn3({ inputShape: [8, 8, 1], numClasses: 3, width: 0.125, seed: 1 }).model;
    const trainable = new Set(trainableVariablesOf(m));
    const buffers = () => allVariablesOf(m).filter((v) => !trainable.has(v));
    const snapshot = () => buffers().map((v) => Array.from(v.dataSync()));
    const x = tf.randomUniform([4, 8, 8, 1], 0, 1, 'float32', 3);
    const before = snapshot();
    const inside = keepingMovingStats(m, () => m.apply(x, { training: true }) as tf.Tensor);
    expect(snapshot()).toEqual(before);
    // the same forward without the guard moves them, and gives the same output (batch statistics)
    const plain = m.apply(x, { training: true }) as tf.Tensor;
    expect(snapshot()).not.toEqual(before);
    expect(Array.from(inside.dataSync())).toEqual(Array.from(plain.dataSync()));
    tf.dispose([x, inside, plain]);
    m.dispose();
  });

  it('restores them even when the forward throws', () => {
    const m = bnCnn3({ inputShape: [8, 8, 1], numClasses: 3, width: 0.125, seed: 1 }).model;
    const n0 = tf.memory().numTensors;
    expect(() =>
      keepingMovingStats(m, () => {
        throw new Error('boom');
      }),
    ).toThrow('boom');
    expect(tf.memory().numTensors).toBe(n0);
    m.dispose();
  });
});
