import { describe, expect, it } from 'vitest';
import { oracleLs } from './oracle-ls.js';
import { noiselessBatch, runOnBatch } from './test-helpers.js';

describe('every solver recovers a noiseless row-sparse X at generous L (N 60, M 8, L 40, ε 0.05)', () => {
  const d = noiselessBatch();
  expect(d.sigma2[0]).toBe(0);
  it('oracleLs: NMSE < -100 dB and no detection error', () => {
    const r = runOnBatch(d, (p, a) => oracleLs(p, { active: a }));
    expect(r.nmse).toBeLessThan(-100);
    expect(r.aer).toBe(0);
  });
});
