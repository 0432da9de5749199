import { describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '../errors.js';
import fixtures from './fixtures/sklearn.json';
import { meanStd, median, sem } from './summary-stats.js';

const st = fixtures.stats;

describe('summary statistics', () => {
  it('match NumPy / SciPy (mean, std ddof=1, scipy.stats.sem, median)', () => {
    const r = meanStd(st.values);
    expect(r.n).toBe(7);
    expect(Math.abs(r.mean - st.mean)).toBeLessThanOrEqual(1e-12);
    expect(Math.abs(r.std - st.std_ddof1)).toBeLessThanOrEqual(1e-12);
    expect(Math.abs(sem(st.values) - st.sem)).toBeLessThanOrEqual(1e-12);
    expect(median(st.values)).toBe(st.median);
    expect(Math.abs(median(st.values.slice(0, 6)) - st.median_even)).toBeLessThanOrEqual(1e-12);
  });

  it('closed forms', () => {
    expect(meanStd([1, 2, 3, 4])).toEqual({ mean: 2.5, std: Math.sqrt(5 / 3), n: 4 });
    expect(median(Float64Array.from([3, 1, 2]))).toBe(2);
    // Large offset: the two-pass formula keeps the variance exact.
    expect(meanStd([1e9 + 1, 1e9 + 2, 1e9 + 3]).std).toBe(1);
  });

  it('n = 1 gives std NaN; empty or non-finite input throws', () => {
    expect(meanStd([5])).toEqual({ mean: 5, std: Number.NaN, n: 1 });
    expect(sem([5])).toBeNaN();
    expect(() => meanStd([])).toThrow(InvalidArgumentError);
    expect(() => median([1, Number.NaN])).toThrow(/values\[1\] is NaN/);
  });
});
