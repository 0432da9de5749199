import { describe, expect, it } from 'vitest';
import { emBgAmp } from './em-bg-amp.js';
import { noiselessBatch, runOnBatch } from './test-helpers.js';

describe('every solver recovers a noiseless row-sparse X at generous L (N 60, M 8, L 40, ε 0.05)', () => {
  const d = noiselessBatch();
  it('emBgAmp: NMSE < -60 dB and no detection error', () => {
    const r = runOnBatch(d, (p) => emBgAmp(p));
    expect(r.nmse).toBeLessThan(-60);
    expect(r.aer).toBe(0);
  });
});
