import { describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '../errors.js';
import { createRng } from '../rng.js';
import { classCounts, indicesByClass, kFold, labelBudgetSplit, oneClassSplit, stratifiedSplit } from './splits.js';

/** Imbalanced labels: class k has 20 + 7k samples, in a seeded random order. */
function labels(c = 5): Int32Array {
  const arr: number[] = [];
  for (let k = 0; k < c; k++) for (let i = 0; i < 20 + 7 * k; i++) arr.push(k);
  return Int32Array.from(createRng('labels').shuffle(arr));
}

function expectPartition(parts: Int32Array[], n: number): void {
  const seen = new Uint8Array(n);
  for (const p of parts) {
    for (let i = 0; i < p.length; i++) {
      expect(seen[p[i]]).toBe(0);
      seen[p[i]] = 1;
      if (i > 0) expect(p[i]).toBeGreaterThan(p[i - 1]);
    }
  }
  expect(seen.every((s) => s === 1)).toBe(true);
}

describe('labelBudgetSplit', () => {
  const y = labels();
  it('perClass: exactly k per class, disjoint, covering, deterministic, seed-dependent', () => {
    const a = labelBudgetSplit(y, { perClass: 4, seed: 1 });
    expect(
      Array.from(
        classCounts(
          Array.from(a.labelled, (i) => y[i]),
          5,
        ),
      ),
    ).toEqual([4, 4, 4, 4, 4]);
    expectPartition([a.labelled, a.unlabelled], y.length);
    expect(labelBudgetSplit(y, { perClass: 4, seed: 1 })).toEqual(a);
    expect(labelBudgetSplit(y, { perClass: 4, seed: 2 }).labelled).not.toEqual(a.labelled);
  });

  it('total: remainder spread round-robin from class 0; budgets are nested', () => {
    const a = labelBudgetSplit(y, { total: 13, seed: 'x' });
    expect(
      Array.from(
        classCounts(
          Array.from(a.labelled, (i) => y[i]),
          5,
        ),
      ),
    ).toEqual([3, 3, 3, 2, 2]);
    const small = new Set(labelBudgetSplit(y, { perClass: 2, seed: 'x' }).labelled);
    const big = new Set(labelBudgetSplit(y, { perClass: 10, seed: 'x' }).labelled);
    for (const i of small) expect(big.has(i)).toBe(true);
  });

  it('throws when a class has too few samples or options are wrong', () => {
    expect(() => labelBudgetSplit(y, { perClass: 21, seed: 0 })).toThrow(/class 0 has 20 samples/);
    expect(() => labelBudgetSplit(y, { perClass: 1, total: 5, seed: 0 })).toThrow(InvalidArgumentError);
    expect(() => labelBudgetSplit(y, { seed: 0 })).toThrow(InvalidArgumentError);
    expect(() => labelBudgetSplit(y, { perClass: 1, seed: 0, numClasses: 6 })).toThrow(/class 5 has 0 samples/);
    expect(() => labelBudgetSplit([0, -1], { perClass: 1, seed: 0 })).toThrow(InvalidArgumentError);
  });
});

describe('oneClassSplit', () => {
  it('subsamples the normal class, holds out valFraction, the rest are anomalies', () => {
    const y = labels();
    const s = oneClassSplit(y, { normal: 2, trainSubsample: 30, seed: 3 });
    expect(s.train.length).toBe(24);
    expect(s.val.length).toBe(6);
    for (const i of [...s.train, ...s.val]) expect(y[i]).toBe(2);
    expect(s.anomalous.length).toBe(y.length - 34);
    for (const i of s.anomalous) expect(y[i]).not.toBe(2);
    expect(oneClassSplit(y, { normal: 2, trainSubsample: 30, seed: 3 })).toEqual(s);
    const all = oneClassSplit(y, { normal: [0, 1], valFraction: 0.5, seed: 3 });
    expect(all.train.length + all.val.length).toBe(20 + 27);
    expect(all.val.length).toBe(24); // round(23.5)
    expectPartition([all.train, all.val, all.anomalous], y.length);
    expect(() => oneClassSplit(y, { normal: 9, seed: 0 })).toThrow(/no samples of normal class 9/);
    expect(() => oneClassSplit(y, { normal: 0, valFraction: 1, seed: 0 })).toThrow(InvalidArgumentError);
  });
});

describe('kFold', () => {
  it('k disjoint validation folds covering 0..n−1, sizes as sklearn (first n mod k larger)', () => {
    const folds = kFold(23, { k: 5, seed: 0 });
    expect(folds.map((f) => f.val.length)).toEqual([5, 5, 5, 4, 4]);
    expectPartition(
      folds.map((f) => f.val),
      23,
    );
    for (const f of folds) expectPartition([f.train, f.val], 23);
    expect(kFold(23, { k: 5, seed: 0 })).toEqual(folds);
    expect(kFold(23, { k: 5, seed: 1 })[0].val).not.toEqual(folds[0].val);
    expect(Array.from(kFold(6, { k: 3, seed: 0, shuffle: false })[1].val)).toEqual([2, 3]);
    expect(() => kFold(3, { k: 4, seed: 0 })).toThrow(InvalidArgumentError);
    expect(() => kFold(10, { k: 1, seed: 0 })).toThrow(InvalidArgumentError);
  });
});

describe('stratifiedSplit', () => {
  const y = labels();
  it('testFraction: per class round(f·n_c)', () => {
    const s = stratifiedSplit(y, { testFraction: 0.25, seed: 0 });
    const counts = classCounts(y);
    expect(
      Array.from(
        classCounts(
          Array.from(s.test, (i) => y[i]),
          5,
        ),
      ),
    ).toEqual(Array.from(counts, (n) => Math.round(0.25 * n)));
    expectPartition([s.train, s.test], y.length);
  });

  it('testSize: exact total, largest-remainder allocation', () => {
    // counts 20, 27, 34, 41, 48 (N = 170); 50 → exact 5.88, 7.94, 10, 12.06, 14.12 → 5+7+10+12+14 = 48, +2 to
    // the largest remainders (7.94 → 8, 5.88 → 6)
    const s = stratifiedSplit(y, { testSize: 50, seed: 0 });
    expect(s.test.length).toBe(50);
    expect(
      Array.from(
        classCounts(
          Array.from(s.test, (i) => y[i]),
          5,
        ),
      ),
    ).toEqual([6, 8, 10, 12, 14]);
    expect(stratifiedSplit(y, { testSize: 50, seed: 0 })).toEqual(s);
    expect(() => stratifiedSplit(y, { testSize: 500, seed: 0 })).toThrow(InvalidArgumentError);
  });

  it('indicesByClass lists positions per class', () => {
    expect(indicesByClass([1, 0, 1, 2]).map((a) => Array.from(a))).toEqual([[1], [0, 2], [3]]);
  });
});
