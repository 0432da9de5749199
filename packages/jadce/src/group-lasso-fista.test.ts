import { describe, expect, it } from 'vitest';
import { groupLassoFista } from './group-lasso-fista.js';
import { noiselessBatch, runOnBatch } from './test-helpers.js';

describe('every solver recovers a noiseless row-sparse X at generous L (N 60, M 8, L 40, ε 0.05)', () => {
  const d = noiselessBatch();
  it('groupLassoFista: NMSE < -30 dB and no detection error', () => {
    const r = runOnBatch(d, (p) => groupLassoFista(p, { maxIter: 800 }));
    expect(r.nmse).toBeLessThan(-30);
    expect(r.aer).toBe(0);
  });
});
