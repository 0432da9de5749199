import { createRng } from '@ft/core';
import { describe, expect, it } from 'vitest';
import { ampMmv } from './amp-mmv.js';
import { oracleLs } from './oracle-ls.js';
import { simulateMassiveAccess } from './simulate.js';
import { noiselessBatch, runOnBatch } from './test-helpers.js';

describe('every solver recovers a noiseless row-sparse X at generous L (N 60, M 8, L 40, ε 0.05)', () => {
  const d = noiselessBatch();
  it('ampMmv: NMSE < -60 dB and no detection error', () => {
    const r = runOnBatch(d, (p) => ampMmv(p));
    expect(r.nmse).toBeLessThan(-60);
    expect(r.aer).toBe(0);
  });
});

describe('AMP-MMV', () => {
  it('needs damping at finite size: N 80, M 16, L 20, ε 0.08, 12 dB (undamped diverges, 0.5 reaches near-oracle)', () => {
    const d = simulateMassiveAccess({ N: 80, M: 16, L: 20, activity: 0.08, snrDb: 12, count: 30, rng: createRng(1) });
    const undamped = runOnBatch(d, (p) => ampMmv(p, { damping: 0 }));
    const damped = runOnBatch(d, (p) => ampMmv(p, { damping: 0.5 }));
    const oracle = runOnBatch(d, (p, a) => oracleLs(p, { active: a }));
    expect(undamped.nmse).toBeGreaterThan(-5);
    expect(damped.nmse).toBeLessThan(-12);
    expect(damped.nmse).toBeGreaterThan(oracle.nmse - 1); // cannot beat the oracle support by much (MMSE shrinkage)
    expect(damped.aer).toBeLessThan(0.01);
  });
});
