import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { InvalidArgumentError, ShapeError } from '../errors.js';
import {
  accuracy,
  argmaxRows,
  averageClassError,
  confusionMatrix,
  perClassAccuracy,
  topKAccuracy,
  topKError,
} from './classification.js';
import fixtures from './fixtures/sklearn.json';

const mc = fixtures.multiclass;

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('classification metrics vs sklearn fixtures', () => {
  it('argmax of logits takes the first index on ties (np.argmax)', () => {
    expect(Array.from(argmaxRows(mc.logits))).toEqual(mc.argmax_pred);
  });

  it('accuracy from logits and from labels = accuracy_score', () => {
    expect(accuracy(mc.y_true, mc.logits)).toBeCloseTo(mc.accuracy_score, 12);
    expect(accuracy(mc.y_true, mc.argmax_pred)).toBeCloseTo(mc.accuracy_score, 12);
  });

  it('topKAccuracy = top_k_accuracy_score (with sklearn tie rule) for k = 1, 2, 3', () => {
    for (const [k, v] of Object.entries(mc.top_k_accuracy_score)) {
      expect(topKAccuracy(mc.y_true, mc.logits, Number(k))).toBeCloseTo(v, 12);
      expect(topKError(mc.y_true, mc.logits, Number(k))).toBeCloseTo(1 - v, 12);
    }
    expect(topKAccuracy(mc.y_true, mc.logits, 4)).toBe(1);
  });

  it('confusionMatrix = confusion_matrix', () => {
    expect(confusionMatrix(mc.y_true, mc.logits, { numClasses: mc.num_classes })).toEqual(mc.confusion_matrix);
  });

  it('perClassAccuracy = recall_score(average=None), averageClassError = 1 − balanced_accuracy_score', () => {
    const acc = perClassAccuracy(mc.y_true, mc.argmax_pred, { numClasses: mc.num_classes });
    acc.forEach((a, c) => {
      expect(a).toBeCloseTo(mc.recall_per_class[c], 12);
    });
    expect(averageClassError(mc.y_true, mc.logits)).toBeCloseTo(1 - mc.balanced_accuracy_score, 12);
  });
});

describe('classification metrics, hand-computed', () => {
  it('accuracy and confusion matrix of a small example', () => {
    const y = [0, 1, 2, 2, 1];
    const p = [0, 2, 2, 2, 1];
    expect(accuracy(y, p)).toBe(0.8);
    expect(confusionMatrix(y, p)).toEqual([
      [1, 0, 0],
      [0, 1, 1],
      [0, 0, 2],
    ]);
    expect(perClassAccuracy(y, p)).toEqual([1, 0.5, 1]);
    expect(averageClassError(y, p)).toBeCloseTo(1 - 2.5 / 3, 15);
  });

  it('classes absent from yTrue give NaN accuracy and are left out of averageClassError', () => {
    const acc = perClassAccuracy([0, 0, 2], [0, 1, 2], { numClasses: 4 });
    expect(acc[0]).toBe(0.5);
    expect(acc[1]).toBeNaN();
    expect(acc[2]).toBe(1);
    expect(acc[3]).toBeNaN();
    expect(averageClassError([0, 0, 2], [0, 1, 2], { numClasses: 4 })).toBeCloseTo(0.25, 15);
  });

  it('top-k ties: the larger class index ranks first (sklearn), unlike argmax', () => {
    // All scores equal: for true class 0 every other class ranks above it; for class 2 none does.
    const s = [
      [1, 1, 1],
      [1, 1, 1],
    ];
    expect(topKAccuracy([0, 2], s, 1)).toBe(0.5);
    expect(topKAccuracy([0, 2], s, 3)).toBe(1);
    expect(accuracy([0, 2], s)).toBe(0.5); // argmax picks class 0 for both rows
  });

  it('accepts tensors (rank-1 labels, rank-2 logits)', () => {
    const y = tf.tensor1d([0, 1, 1], 'int32');
    const logits = tf.tensor2d([
      [2, 1],
      [0, 3],
      [5, 4],
    ]);
    expect(accuracy(y, logits)).toBeCloseTo(2 / 3, 15);
    expect(confusionMatrix(y, logits)).toEqual([
      [1, 0],
      [1, 1],
    ]);
    expect(topKAccuracy(y, logits, 1)).toBeCloseTo(2 / 3, 15);
    y.dispose();
    logits.dispose();
  });

  it('throws typed errors for bad input', () => {
    expect(() => accuracy([0, 1], [0])).toThrow(ShapeError);
    expect(() => accuracy([], [])).toThrow(InvalidArgumentError);
    expect(() => accuracy([0, 1.5], [0, 1])).toThrow(/yTrue\[1\] is 1.5/);
    expect(() => accuracy([0, -1], [0, 1])).toThrow(InvalidArgumentError);
    expect(() =>
      accuracy(
        [0, 1],
        [
          [0.1, Number.NaN],
          [1, 0],
        ],
      ),
    ).toThrow(/scores\[1\] is NaN/);
    expect(() => confusionMatrix([0, 3], [0, 1], { numClasses: 3 })).toThrow(/out of range for numClasses = 3/);
    expect(() => topKAccuracy([0, 1], [[1, 2]], 1)).toThrow(ShapeError);
    expect(() => topKAccuracy([0], [[1, 2]], 0)).toThrow(/k must be a positive integer/);
    expect(() => topKAccuracy([5], [[1, 2]], 1)).toThrow(/only 2 columns/);
    expect(() => argmaxRows([[1, 2], [3]])).toThrow(ShapeError);
  });
});
