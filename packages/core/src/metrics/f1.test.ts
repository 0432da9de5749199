import { describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '../errors.js';
import { applyThreshold, f1AdaptiveThreshold, f1Max, f1Score } from './f1.js';
import fixtures from './fixtures/sklearn.json';

describe.each(fixtures.binary)('f1Max vs sklearn precision_recall_curve: $name', (c) => {
  it('max F1 and its threshold', () => {
    const r = f1Max(c.labels, c.scores);
    expect(Math.abs(r.f1 - c.f1_max.f1)).toBeLessThanOrEqual(1e-9);
    expect(r.threshold).toBe(c.f1_max.threshold);
    // The reported threshold reproduces the F1 when applied.
    expect(f1Score(c.labels, applyThreshold(c.scores, r.threshold))).toBeCloseTo(r.f1, 12);
    expect(f1AdaptiveThreshold(c.labels, c.scores)).toBe(r.threshold);
  });
});

describe('F1 closed forms', () => {
  it('f1AdaptiveThreshold from validation data is reusable on test data', () => {
    const thr = f1AdaptiveThreshold([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]);
    expect(thr).toBe(0.35);
    expect(f1Max([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])).toEqual({
      f1: 0.8,
      threshold: 0.35,
      precision: 2 / 3,
      recall: 1,
    });
    expect(Array.from(applyThreshold([0.2, 0.35, 0.9], thr))).toEqual([0, 1, 1]);
  });

  it('ties in F1 go to the lowest threshold', () => {
    // thr 0.9: tp 1 fp 0 → F1 2/3; thr 0.5: tp 2 fp 2 → F1 4/6 = 2/3; thr 0.1: tp 2 fp 3 → 4/7
    expect(f1Max([1, 1, 0, 0, 0], [0.9, 0.5, 0.5, 0.5, 0.1]).threshold).toBe(0.5);
  });

  it('f1Score: closed form and zero-division rule', () => {
    expect(f1Score([1, 1, 0, 0], [1, 0, 1, 0])).toBe(0.5);
    expect(f1Score([0, 0], [0, 0])).toBe(0);
  });

  it('degenerate inputs throw', () => {
    expect(() => f1Max([0, 0], [0.1, 0.2])).toThrow(InvalidArgumentError);
    expect(() => f1AdaptiveThreshold([1, 1], [0.1, 0.2])).toThrow(/only one class/);
    expect(() => applyThreshold([0.1], Number.NaN)).toThrow(/threshold is NaN/);
  });
});
