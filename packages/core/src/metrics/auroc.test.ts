/** auroc against sklearn roc_auc_score fixtures (with ties), closed forms and degenerate inputs. */
import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { InvalidArgumentError, ShapeError } from '../errors.js';
import { auroc } from './auroc.js';
import fixtures from './fixtures/sklearn.json';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe.each(fixtures.binary)('auroc vs sklearn: $name', (c) => {
  it('auroc = roc_auc_score', () => {
    expect(Math.abs(auroc(c.labels, c.scores) - c.roc_auc_score)).toBeLessThanOrEqual(1e-9);
  });
});

describe('auroc closed forms and edge cases', () => {
  it('counts ties as one half', () => {
    // pos {1, 2}, neg {1, 0}: pairs (1 vs 1: tie, 0.5) (1 > 0) (2 > 1) (2 > 0) = 3.5 / 4
    expect(auroc([1, 1, 0, 0], [1, 2, 1, 0])).toBe(0.875);
    expect(auroc([true, false], [0.3, 0.3])).toBe(0.5);
  });

  it('treats -0 and 0 as tied; tensors give the same value as arrays', () => {
    expect(auroc([1, 0], [0, -0])).toBe(0.5);
    const c = fixtures.binary[1];
    const t = tf.tensor1d(c.scores);
    const y = tf.tensor1d(c.labels, 'int32');
    expect(auroc(y, t)).toBe(auroc(c.labels, Array.from(Float32Array.from(c.scores))));
    t.dispose();
    y.dispose();
  });

  it('degenerate inputs throw typed errors that say what is wrong', () => {
    expect(() => auroc([1, 1, 1], [0.1, 0.2, 0.3])).toThrow(InvalidArgumentError);
    expect(() => auroc([1, 1, 1], [0.1, 0.2, 0.3])).toThrow(/only one class: all 3 labels are positive/);
    expect(() => auroc([0, 1], [0.1, Number.NaN])).toThrow(/scores\[1\] is NaN/);
    expect(() => auroc([0, 1], [0.1, Number.POSITIVE_INFINITY])).toThrow(InvalidArgumentError);
    expect(() => auroc([0, 1, 1], [0.1, 0.2])).toThrow(ShapeError);
    expect(() => auroc([0, 1, 1], [0.1, 0.2])).toThrow(/labels has length 3 but scores has length 2/);
    expect(() => auroc([], [])).toThrow(/labels is empty/);
    expect(() => auroc([0, 2], [0.1, 0.2])).toThrow(/labels\[1\] is 2; binary labels must be 0 or 1/);
  });
});
