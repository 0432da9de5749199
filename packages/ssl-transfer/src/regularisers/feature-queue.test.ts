import '@tensorflow/tfjs-backend-cpu';
import { InvalidArgumentError, ShapeError } from '@ft/core';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { FeatureQueue } from './feature-queue.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const rows = (start: number, n: number) =>
  tf.tensor2d(Array.from({ length: n }, (_, i) => [start + i, -(start + i)])) as tf.Tensor2D;

describe('FeatureQueue', () => {
  it('keeps the last `capacity` rows, oldest first', () => {
    const q = new FeatureQueue(5);
    expect(q.size).toBe(0);
    expect(q.capacity).toBe(5);
    q.push(rows(0, 2));
    expect(q.size).toBe(2);
    expect(q.all().arraySync()).toEqual([
      [0, -0],
      [1, -1],
    ]);
    q.push(rows(2, 2));
    q.push(rows(4, 3));
    expect(q.size).toBe(5);
    expect((q.all().arraySync() as number[][]).map((r) => r[0])).toEqual([2, 3, 4, 5, 6]);
    q.push(rows(10, 8));
    expect((q.all().arraySync() as number[][]).map((r) => r[0])).toEqual([13, 14, 15, 16, 17]);
    q.push(tf.zeros([0, 2]) as tf.Tensor2D);
    expect(q.size).toBe(5);
    q.dispose();
    expect(q.size).toBe(0);
  });

  it('stores a copy: the caller may dispose its tensor; the copy has no gradient', () => {
    const q = new FeatureQueue(4);
    const x = rows(1, 2);
    const [g] = tf.grads((t: tf.Tensor) => {
      q.push(t as tf.Tensor2D);
      return tf.add(tf.sum(q.all()), tf.sum(t));
    })([x]);
    // d/dx (Σ queue + Σ x) = 1: only the direct term.
    expect(Array.from(g.dataSync())).toEqual([1, 1, 1, 1]);
    x.dispose();
    expect(q.all().arraySync()).toEqual([
      [1, -1],
      [2, -2],
    ]);
    q.dispose();
  });

  it('disposes evicted rows: tensor count flat over 200 pushes once full', () => {
    const q = new FeatureQueue(16);
    for (let i = 0; i < 10; i++) tf.tidy(() => q.push(rows(i, 5)));
    const before = tf.memory().numTensors;
    for (let i = 0; i < 200; i++) tf.tidy(() => q.push(rows(i, 5)));
    expect(tf.memory().numTensors).toBe(before);
    q.dispose();
    expect(tf.memory().numTensors).toBe(before - 1);
  });

  it('typed errors: capacity, rank, feature dimension', () => {
    expect(() => new FeatureQueue(0)).toThrow(InvalidArgumentError);
    expect(() => new FeatureQueue(2.5)).toThrow(InvalidArgumentError);
    const q = new FeatureQueue(3);
    expect(() => q.push(tf.ones([3]) as unknown as tf.Tensor2D)).toThrow(ShapeError);
    q.push(tf.ones([1, 2]) as tf.Tensor2D);
    expect(() => q.push(tf.ones([1, 3]) as tf.Tensor2D)).toThrow(/rows must have shape \[K, 2\], got \[1, 3\]/);
  });
});
