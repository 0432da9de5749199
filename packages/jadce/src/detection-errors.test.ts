import { ShapeError } from '@ft/core';
import { describe, expect, it } from 'vitest';
import { detectionErrors } from './detection-errors.js';

describe('detectionErrors', () => {
  it('counts misses and false alarms over the flattened batch', () => {
    // 2 realisations × 5 devices; active: 3; inactive: 7; 1 miss, 2 false alarms.
    const t = [1, 0, 0, 1, 0, /**/ 0, 1, 0, 0, 0];
    const h = [1, 1, 0, 0, 0, /**/ 0, 1, 1, 0, 0];
    const r = detectionErrors(t, h);
    expect(r).toEqual({ pMiss: 1 / 3, pFa: 2 / 7, aer: 3 / 10, misses: 1, falseAlarms: 2, nActive: 3, nInactive: 7 });
  });

  it('accepts booleans and Uint8Array; NaN rate when a class is absent', () => {
    const r = detectionErrors([false, false], Uint8Array.from([0, 1]));
    expect(r.pMiss).toBeNaN();
    expect(r.pFa).toBe(0.5);
    expect(r.aer).toBe(0.5);
  });

  it('throws on size mismatch and non-binary values', () => {
    expect(() => detectionErrors([1], [1, 0])).toThrow(ShapeError);
    expect(() => detectionErrors([0.5], [1])).toThrow(/activeTrue\[0\] is 0.5/);
  });
});
