import '@tensorflow/tfjs-backend-cpu';
import { InvalidArgumentError, ShapeError } from '@ft/core';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { randomRows } from '../regularisers/test-reference.js';
import { FIXMATCH_THRESHOLD, pseudoLabels } from './pseudo-labels.js';
import { HAND_BATCH as BATCH, pseudoRef, softmaxRow } from './test-reference.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('pseudoLabels', () => {
  it('hand-computed batch: argmax labels, mask max p ≥ 0.95, mask rate', () => {
    // Max probabilities by hand: e³/(e³+2), e⁵/(e⁵+1+e), e^0.2/(e^0.2+e^0.1+1), e⁶/(e⁶+1+e⁻¹).
    const pmax = [
      Math.exp(3) / (Math.exp(3) + 2),
      Math.exp(5) / (Math.exp(5) + 1 + Math.E),
      Math.exp(0.2) / (Math.exp(0.2) + Math.exp(0.1) + 1),
      Math.exp(6) / (Math.exp(6) + 1 + Math.exp(-1)),
    ];
    for (const [j, row] of BATCH.entries()) expect(Math.max(...softmaxRow(row))).toBeCloseTo(pmax[j], 14);
    expect(pmax[0]).toBeCloseTo(0.9094, 4);
    expect(pmax[1]).toBeCloseTo(0.9756, 4);
    expect(pmax[3]).toBeCloseTo(0.9966, 4);
    const { labels, mask, maskRate } = pseudoLabels(tf.tensor2d(BATCH));
    expect(labels.dtype).toBe('int32');
    expect(mask.dtype).toBe('float32');
    expect(Array.from(labels.dataSync())).toEqual([0, 1, 0, 2]);
    expect(Array.from(mask.dataSync())).toEqual([0, 1, 0, 1]);
    expect(maskRate).toBe(0.5);
    expect(FIXMATCH_THRESHOLD).toBe(0.95);
    // τ = 0.9 also keeps row 0 (0.9094); τ = 0.99 keeps only row 3.
    const r90 = pseudoLabels(tf.tensor2d(BATCH), { threshold: 0.9 });
    expect(Array.from(r90.mask.dataSync())).toEqual([1, 1, 0, 1]);
    expect(r90.maskRate).toBe(0.75);
    expect(pseudoLabels(tf.tensor2d(BATCH), { threshold: 0.99 }).maskRate).toBe(0.25);
  });

  it('matches the float64 reference on a seeded batch', () => {
    const logits = randomRows(64, 10, 'pl', 4);
    const ref = pseudoRef(logits, 0.8);
    const { labels, mask, maskRate } = pseudoLabels(tf.tensor2d(logits), { threshold: 0.8 });
    expect(ref.mask.some((v) => v === 0) && ref.mask.some((v) => v === 1)).toBe(true);
    expect(Array.from(labels.dataSync())).toEqual(ref.labels);
    expect(Array.from(mask.dataSync())).toEqual(ref.mask);
    expect(maskRate).toBe(ref.mask.reduce((a, b) => a + b, 0) / 64);
  });

  it('threshold 1 keeps only rows with probability 1 (in float32); no row passes on a uniform batch', () => {
    const r = pseudoLabels(
      tf.tensor2d([
        [200, 0, 0],
        [1, 0, 0],
      ]),
      { threshold: 1 },
    );
    expect(Array.from(r.mask.dataSync())).toEqual([1, 0]);
    const none = pseudoLabels(tf.zeros([5, 4]) as tf.Tensor2D);
    expect(none.maskRate).toBe(0);
    expect(Array.from(none.mask.dataSync())).toEqual([0, 0, 0, 0, 0]);
  });

  it('carries no gradient to the logits', () => {
    const g = tf.grad((l: tf.Tensor) => {
      const { labels, mask } = pseudoLabels(l as tf.Tensor2D, { threshold: 0.5 });
      return tf.add(tf.sum(mask), tf.sum(tf.mul(tf.cast(labels, 'float32'), tf.sum(l, 1))));
    });
    // d/dl of Σ labels_j·Σ_c l_jc is labels_j when the labels are constants; nothing flows through mask or labels.
    const grad = g(tf.tensor2d(BATCH)).arraySync() as number[][];
    expect(grad).toEqual([
      [0, 0, 0],
      [1, 1, 1],
      [0, 0, 0],
      [2, 2, 2],
    ]);
  });

  it('typed errors: threshold outside (0, 1] or NaN, logits not a non-empty [N, C]', () => {
    const l = tf.tensor2d(BATCH);
    for (const threshold of [0, 1.5, Number.NaN, -0.1]) {
      expect(() => pseudoLabels(l, { threshold })).toThrow(InvalidArgumentError);
    }
    expect(() => pseudoLabels(l, { threshold: 0 })).toThrow(/pseudoLabels: threshold must be a number in \(0, 1\]/);
    expect(() => pseudoLabels(tf.zeros([3]) as unknown as tf.Tensor2D)).toThrow(ShapeError);
    expect(() => pseudoLabels(tf.zeros([2, 3, 1]) as unknown as tf.Tensor2D)).toThrow(ShapeError);
    expect(() => pseudoLabels(tf.zeros([0, 3]) as tf.Tensor2D)).toThrow(ShapeError);
  });

  it('tensor count is flat over 50 calls inside tf.tidy, and the caller frees labels and mask', () => {
    const l = tf.tensor2d(BATCH);
    const before = tf.memory().numTensors;
    for (let i = 0; i < 50; i++) tf.tidy(() => void pseudoLabels(l));
    for (let i = 0; i < 50; i++) {
      const r = pseudoLabels(l);
      r.labels.dispose();
      r.mask.dispose();
    }
    expect(tf.memory().numTensors).toBe(before);
  });
});
