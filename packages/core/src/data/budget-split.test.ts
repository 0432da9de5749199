import { describe, expect, it } from 'vitest';
import { budgetSplit, defaultValPerClass } from './budget-split.js';
import { ArrayImageDataset } from './dataset.js';

const ds = new ArrayImageDataset({
  images: new Float32Array(60 * 4),
  labels: Int32Array.from({ length: 60 }, (_, i) => i % 3),
  shape: [2, 2, 1],
});

describe('budgetSplit', () => {
  it('draws K per class and holds out valPerClass of them, disjoint and class-balanced', () => {
    const s = budgetSplit(ds, { labelsPerClass: 8, seed: 1 });
    expect(s.validation.size).toBe(3 * defaultValPerClass(8));
    expect(s.labeled.size).toBe(3 * 6);
    const lab = new Set(s.indices.labeled);
    expect(s.indices.validation.some((i) => lab.has(i))).toBe(false);
    for (const c of [0, 1, 2]) {
      expect(Array.from(s.labeled.labels).filter((y) => y === c)).toHaveLength(6);
      expect(Array.from(s.validation.labels).filter((y) => y === c)).toHaveLength(2);
    }
    expect(budgetSplit(ds, { labelsPerClass: 8, seed: 1 }).indices).toEqual(s.indices);
    expect(budgetSplit(ds, { labelsPerClass: 8, seed: 2 }).indices).not.toEqual(s.indices);
  });

  it('defaults valPerClass to max(1, ⌊K/4⌋) and rejects impossible budgets', () => {
    expect([2, 4, 10, 25].map(defaultValPerClass)).toEqual([1, 1, 2, 6]);
    expect(() => budgetSplit(ds, { labelsPerClass: 4, valPerClass: 4, seed: 0 })).toThrow(/must be smaller/);
    expect(() => budgetSplit(ds, { labelsPerClass: 21, seed: 0 })).toThrow(/class 0 has 20/);
  });
});
