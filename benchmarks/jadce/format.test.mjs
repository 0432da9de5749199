import { describe, expect, it } from 'vitest';
import { fmtDb, fmtSci, pm, shortestL } from './format.mjs';
import { budgetTable } from './tables.mjs';
import { pageRecords } from './test-helpers.mjs';

describe('jadce page formats', () => {
  const records = pageRecords();

  it('finds the shortest pilot length reaching AER ≤ 1e-2', () => {
    expect(shortestL(records, 'proposed', 32, 10)).toBe(12);
    expect(shortestL(records, 'amp-mmv', 32, 10)).toBe(16);
    expect(shortestL(records, 'cov-ml', 32, 10)).toBe(16);
    expect(shortestL(records, 'amp-mmv', 8, 10)).toBeUndefined();
  });

  it('formats dB, scientific values and mean ± std', () => {
    expect(fmtDb(-12.345)).toBe('-12.35');
    expect(fmtDb(Number.NaN)).toBe('–');
    expect(fmtSci(0)).toBe('0');
    expect(fmtSci(0.00123)).toBe('1.2e-3');
    expect(pm([1, 3], 2)).toMatch(/^2\.00 ± 1\.41$/);
    expect(pm([0.001, 0.003], 0, true)).toMatch(/^2\.0e-3 ± 1\.4e-3$/);
  });
});

describe('jadce budget table', () => {
  const budget = {
    L: 10,
    tolDb: 0.2,
    chosen: { stepsPerStage: 16, samples: 4000 },
    curve: [
      { tag: '8x2000', stepsPerStage: 8, samples: 2000, valNmseDb: -3.771, seconds: 2.2 },
      { tag: '16x4000', stepsPerStage: 16, samples: 4000, valNmseDb: -4.566, seconds: 40.4 },
    ],
  };

  it('takes each rung’s training seconds from the training records, not the (cached) rung wall time', () => {
    const table = budgetTable(budget, { 'L10-mixed-seed3-8x2000-proposed': { seconds: 16.2 } }, 3);
    const rows = table.split('\n').slice(2);
    expect(rows[0]).toMatch(/^\| 8 \/ 2000 +\| -3\.77 +\| 16 +\| +\|$/);
    expect(rows[1]).toMatch(/^\| 16 \/ 4000 +\| -4\.57 +\| 40 +\| chosen \|$/);
  });

  it('is undefined without a budget search', () => {
    expect(budgetTable(undefined)).toBeUndefined();
  });
});
