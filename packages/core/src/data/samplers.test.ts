import { describe, expect, it } from 'vitest';
import { createRng } from '../rng.js';
import { classBalanced, sequential, shuffled, withReplacement } from './samplers.js';

const labels = Int32Array.from([0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 2]); // 8 / 2 / 1

describe('samplers', () => {
  it('sequential and shuffled visit every index once', () => {
    expect(Array.from(sequential().epoch({ size: 4 }, createRng(0)))).toEqual([0, 1, 2, 3]);
    const p = shuffled().epoch({ size: 50 }, createRng(1));
    expect(Array.from(p).sort((a, b) => a - b)).toEqual(Array.from({ length: 50 }, (_, i) => i));
    expect(p).toEqual(shuffled().epoch({ size: 50 }, createRng(1)));
    // the next epoch from the same stream is a different order
    const r = createRng(1);
    expect(shuffled().epoch({ size: 50 }, r)).not.toEqual(shuffled().epoch({ size: 50 }, r));
  });

  it('withReplacement draws nPerEpoch uniform indices', () => {
    const idx = withReplacement(20000).epoch({ size: 4 }, createRng(2));
    expect(idx.length).toBe(20000);
    const counts = [0, 0, 0, 0];
    for (const i of idx) counts[i]++;
    for (const c of counts) expect(Math.abs(c - 5000)).toBeLessThan(300); // ±4.9σ
  });

  it('classBalanced: each aligned window of C draws holds every class once', () => {
    const idx = classBalanced({ nPerEpoch: 30 }).epoch({ size: labels.length, labels }, createRng(3));
    expect(idx.length).toBe(30);
    for (let w = 0; w < 30; w += 3) {
      expect(Array.from(idx.subarray(w, w + 3), (i) => labels[i]).sort()).toEqual([0, 1, 2]);
    }
    // within class 0, the first 8 draws are a permutation (no repeats before the cycle ends)
    const zeros = Array.from(idx)
      .filter((i) => labels[i] === 0)
      .slice(0, 8);
    expect(new Set(zeros).size).toBe(8);
    expect(() => classBalanced().epoch({ size: 3 }, createRng(0))).toThrow(/no labels/);
  });
});
