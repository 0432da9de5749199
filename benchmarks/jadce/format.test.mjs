import { describe, expect, it } from 'vitest';
import { fmtDb, fmtSci, pm, shortestL } from './format.mjs';
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
