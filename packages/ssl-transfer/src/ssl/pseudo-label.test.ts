import '@tensorflow/tfjs-backend-cpu';
import { InvalidArgumentError, ShapeError } from '@ft/core';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { finiteDiff, maxDiff, randomRows } from '../regularisers/test-reference.js';
import { fixMatchLoss } from './fixmatch.js';
import { pseudoLabelLoss } from './pseudo-label.js';
import { HAND_BATCH as BATCH, maskedCeRef, pseudoRef } from './test-reference.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('pseudoLabelLoss', () => {
  it("hand-computed batch: mask·CE against the batch's own argmax, mean over all rows", () => {
    const { loss, maskRate } = pseudoLabelLoss(tf.tensor2d(BATCH));
    // Rows 1 and 3 pass τ = 0.95; CE(z, argmax z) = −ln max softmax(z).
    const ce1 = Math.log(Math.exp(5) + 1 + Math.E) - 5;
    const ce3 = Math.log(Math.exp(6) + 1 + Math.exp(-1)) - 6;
    expect(loss.dataSync()[0]).toBeCloseTo((ce1 + ce3) / 4, 6);
    expect(maskRate).toBe(0.5);
    const same = fixMatchLoss(tf.tensor2d(BATCH), tf.tensor2d(BATCH));
    expect(loss.dataSync()[0]).toBe(same.loss.dataSync()[0]);
  });

  it('a batch where the mask selects nothing: loss 0, mask rate 0', () => {
    const r = pseudoLabelLoss(tf.tensor2d([[0.1, 0, 0.2]]));
    expect(r.loss.dataSync()[0]).toBe(0);
    expect(r.maskRate).toBe(0);
  });

  it('gradient: finite differences with the pseudo-labels and mask held fixed (the target is detached)', () => {
    const logits = randomRows(8, 5, 'pg', 4);
    const { labels, mask } = pseudoRef(logits, 0.8);
    expect(mask.some((v) => v === 0) && mask.some((v) => v === 1)).toBe(true);
    const g = tf.grad((l: tf.Tensor) => pseudoLabelLoss(l as tf.Tensor2D, { threshold: 0.8 }).loss)(
      tf.tensor2d(logits),
    );
    const fd = finiteDiff((x) => maskedCeRef(x, labels, mask), logits);
    expect(maxDiff(g.arraySync() as number[][], fd)).toBeLessThan(1e-6);
  });

  it('typed errors and a flat tensor count over 50 calls inside tf.tidy', () => {
    const l = tf.tensor2d(BATCH);
    for (const threshold of [0, 1.5, Number.NaN]) {
      expect(() => pseudoLabelLoss(l, { threshold })).toThrow(InvalidArgumentError);
    }
    expect(() => pseudoLabelLoss(tf.zeros([3]) as unknown as tf.Tensor2D)).toThrow(ShapeError);
    expect(() => pseudoLabelLoss(tf.zeros([0, 3]) as tf.Tensor2D)).toThrow(ShapeError);
    const before = tf.memory().numTensors;
    for (let i = 0; i < 50; i++) tf.tidy(() => void pseudoLabelLoss(l));
    expect(tf.memory().numTensors).toBe(before);
  });
});
