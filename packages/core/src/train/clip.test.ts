import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '../errors.js';
import { clipByGlobalNorm, clipByValue, globalNorm } from './clip.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('globalNorm', () => {
  it('is √(Σ‖gᵢ‖²) over all tensors: [3] and [4] → 5; [1,2,2] and [[4]] → √25 = 5', () => {
    tf.tidy(() => {
      expect(globalNorm([tf.tensor1d([3]), tf.tensor1d([4])]).dataSync()[0]).toBeCloseTo(5, 6);
      expect(globalNorm([tf.tensor1d([1, 2, 2]), tf.tensor2d([[4]])]).dataSync()[0]).toBeCloseTo(Math.sqrt(25), 6);
    });
  });
});

describe('clipByGlobalNorm', () => {
  it('scales by maxNorm/(‖g‖ + 1e-6) when above the limit, keeping directions', () => {
    tf.tidy(() => {
      const { grads, norm } = clipByGlobalNorm([tf.tensor1d([3, 0]), tf.tensor1d([4])], 1);
      expect(norm.dataSync()[0]).toBeCloseTo(5, 6);
      const c = 1 / (5 + 1e-6);
      expect(Array.from(grads[0].dataSync())).toEqual([Math.fround(3 * c), 0].map(Math.fround));
      expect(grads[1].dataSync()[0]).toBeCloseTo(4 * c, 6);
      expect(globalNorm(grads).dataSync()[0]).toBeCloseTo(1, 5);
    });
  });

  it('leaves gradients below the limit unchanged (coefficient min(1, ·) = 1)', () => {
    tf.tidy(() => {
      const g = [tf.tensor2d([[0.1, -0.2]]), tf.scalar(0.3)];
      const { grads, norm } = clipByGlobalNorm(g, 10);
      expect(norm.dataSync()[0]).toBeCloseTo(Math.sqrt(0.01 + 0.04 + 0.09), 6);
      expect(Array.from(grads[0].dataSync())).toEqual(Array.from(g[0].dataSync()));
      expect(grads[1].dataSync()[0]).toBe(g[1].dataSync()[0]);
      expect(grads[0].shape).toEqual([1, 2]);
    });
  });

  it('rejects maxNorm ≤ 0, NaN and Infinity; leaves no tensors inside tidy', () => {
    for (const m of [0, -1, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(() => clipByGlobalNorm([tf.scalar(1)], m)).toThrow(InvalidArgumentError);
    }
    const g = [tf.ones([4, 4]), tf.ones([3])];
    const before = tf.memory().numTensors;
    for (let k = 0; k < 3; k++)
      tf.tidy(() => {
        clipByGlobalNorm(g, 0.5);
      });
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose(g);
  });
});

describe('clipByValue', () => {
  it('clamps every element to [−c, c]', () => {
    tf.tidy(() => {
      const [a] = clipByValue([tf.tensor1d([-3, -0.5, 0, 0.5, 3])], 1);
      expect(Array.from(a.dataSync())).toEqual([-1, -0.5, 0, 0.5, 1]);
    });
    expect(() => clipByValue([], 0)).toThrow(InvalidArgumentError);
    expect(() => clipByValue([], Number.POSITIVE_INFINITY)).toThrow(InvalidArgumentError);
  });
});
