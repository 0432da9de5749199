import { describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '../errors.js';
import { prCurve, rocCurve } from './binary-curve.js';
import fixtures from './fixtures/sklearn.json';

function expectAllClose(actual: readonly number[], expected: readonly number[], tol = 1e-9): void {
  expect(actual.length).toBe(expected.length);
  actual.forEach((v, i) => {
    expect(Math.abs(v - expected[i]), `index ${i}: ${v} vs ${expected[i]}`).toBeLessThanOrEqual(tol);
  });
}

describe.each(fixtures.binary)('curves vs sklearn: $name', (c) => {
  it('rocCurve = roc_curve (drop_intermediate)', () => {
    const r = rocCurve(c.labels, c.scores);
    expectAllClose(r.fpr, c.roc_curve.fpr);
    expectAllClose(r.tpr, c.roc_curve.tpr);
    expect(r.thresholds[0]).toBe(Number.POSITIVE_INFINITY);
    expectAllClose(r.thresholds.slice(1), c.roc_curve.thresholds_after_first);
  });

  it('prCurve = precision_recall_curve', () => {
    const r = prCurve(c.labels, c.scores);
    expectAllClose(r.precision, c.precision_recall_curve.precision);
    expectAllClose(r.recall, c.precision_recall_curve.recall);
    expectAllClose(r.thresholds, c.precision_recall_curve.thresholds);
  });
});

describe('curves, closed forms', () => {
  it('rocCurve without dropping keeps one point per distinct score', () => {
    const r = rocCurve([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8], { dropIntermediate: false });
    expect(r.fpr).toEqual([0, 0, 0.5, 0.5, 1]);
    expect(r.tpr).toEqual([0, 0.5, 0.5, 1, 1]);
    expect(r.thresholds).toEqual([Number.POSITIVE_INFINITY, 0.8, 0.4, 0.35, 0.1]);
  });

  it('prCurve ends at (recall 0, precision 1) and works with positives only', () => {
    expect(prCurve([1, 1], [0.2, 0.7])).toEqual({ precision: [1, 1, 1], recall: [1, 0.5, 0], thresholds: [0.2, 0.7] });
  });

  it('one-class labels throw', () => {
    expect(() => rocCurve([0, 0], [0.1, 0.2])).toThrow(InvalidArgumentError);
    expect(() => prCurve([0, 0], [0.1, 0.2])).toThrow(/at least one positive/);
  });
});
