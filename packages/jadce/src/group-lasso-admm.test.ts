import { describe, expect, it } from 'vitest';
import { groupLassoAdmm } from './group-lasso-admm.js';
import { noiselessBatch, runOnBatch } from './test-helpers.js';

describe('every solver recovers a noiseless row-sparse X at generous L (N 60, M 8, L 40, ε 0.05)', () => {
  const d = noiselessBatch();
  it('groupLassoAdmm: NMSE < -40 dB and no detection error', () => {
    const r = runOnBatch(d, (p) => groupLassoAdmm(p));
    expect(r.nmse).toBeLessThan(-40);
    expect(r.aer).toBe(0);
  });
});
