import { createRng } from '@ft/core';
import { describe, expect, it } from 'vitest';
import { batchItem, cfrob2, cmatmul } from './host-complex.js';
import { makePilots, noiseVariance, pathLossBeta, simulateMassiveAccess } from './simulate.js';

describe('simulateMassiveAccess', () => {
  it('is deterministic for a seed and differs across seeds', () => {
    const o = { N: 30, M: 4, L: 10, activity: 0.2, snrDb: 10, count: 3 };
    const a = simulateMassiveAccess({ ...o, rng: createRng(5) });
    const b = simulateMassiveAccess({ ...o, rng: createRng(5) });
    const c = simulateMassiveAccess({ ...o, rng: createRng(6) });
    expect(Array.from(a.Y.re)).toEqual(Array.from(b.Y.re));
    expect(Array.from(a.active!)).toEqual(Array.from(b.active!));
    expect(Array.from(a.Y.re)).not.toEqual(Array.from(c.Y.re));
  });

  it('draws CN(0, 1/L) pilots: mean |s_ln|² = 1/L, balanced real/imaginary power', () => {
    const S = makePilots(16, 400, createRng(1));
    const p = cfrob2(S) / (16 * 400);
    expect(p * 16).toBeCloseTo(1, 1);
    let re = 0;
    let im = 0;
    for (let i = 0; i < S.re.length; i++) {
      re += S.re[i] ** 2;
      im += S.im[i] ** 2;
    }
    expect(re / im).toBeGreaterThan(0.95);
    expect(re / im).toBeLessThan(1.05);
  });

  it('realises the requested SNR, activity rate and Y = S·X + W', () => {
    const N = 100;
    const L = 20;
    const d = simulateMassiveAccess({ N, M: 8, L, activity: 0.05, snrDb: 10, count: 400, rng: createRng(2) });
    const rate = d.active!.reduce((s, v) => s + v, 0) / d.active!.length;
    expect(rate).toBeGreaterThan(0.04);
    expect(rate).toBeLessThan(0.06);
    expect(d.sigma2[0]).toBeCloseTo(noiseVariance({ activity: 0.05, beta: 1, N, L, snrDb: 10 }), 12);
    expect(d.sigma2[0]).toBeCloseTo((0.05 * 100) / (20 * 10), 12);
    let sig = 0;
    let noise = 0;
    for (let b = 0; b < 400; b++) {
      const SX = cmatmul(d.S, batchItem(d.X!, b));
      const Y = batchItem(d.Y, b);
      sig += cfrob2(SX);
      for (let i = 0; i < Y.re.length; i++) noise += (Y.re[i] - SX.re[i]) ** 2 + (Y.im[i] - SX.im[i]) ** 2;
      // inactive rows of X are exactly zero
      const X = batchItem(d.X!, b);
      for (let n = 0; n < N; n++) if (!d.active![b * N + n]) expect(X.re[n * 8] === 0 && X.im[n * 8] === 0).toBe(true);
    }
    const snr = 10 * Math.log10(sig / noise);
    expect(snr).toBeGreaterThan(9.5);
    expect(snr).toBeLessThan(10.5);
  });

  it('draws per-realisation SNRs inside a range and path-loss gains with mean 1', () => {
    const d = simulateMassiveAccess({ N: 50, M: 2, L: 8, activity: 0.1, snrDb: [0, 20], count: 50, rng: createRng(3) });
    expect(Math.min(...d.snrDb)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...d.snrDb)).toBeLessThanOrEqual(20);
    expect(Math.max(...d.snrDb) - Math.min(...d.snrDb)).toBeGreaterThan(10);
    const beta = pathLossBeta(200, { cellRadiusKm: 0.5 }, createRng(4));
    expect(beta.reduce((s, b) => s + b, 0) / 200).toBeCloseTo(1, 10);
    expect(Math.max(...beta) / Math.min(...beta)).toBeGreaterThan(100); // 37.6 dB/decade over a 20× distance range
    const e = simulateMassiveAccess({
      N: 50,
      M: 2,
      L: 8,
      activity: 0.1,
      snrDb: 5,
      fading: { cellRadiusKm: 0.5 },
      count: 2,
      rng: createRng(3),
    });
    expect(e.beta!.reduce((s, b) => s + b, 0) / 50).toBeCloseTo(1, 10);
  });

  it('rejects bad sizes and pilot shapes', () => {
    expect(() =>
      simulateMassiveAccess({ N: 0, M: 2, L: 8, activity: 0.1, snrDb: 5, count: 1, rng: createRng(1) }),
    ).toThrow(/N must be/);
    expect(() =>
      simulateMassiveAccess({ N: 5, M: 2, L: 8, activity: 1.5, snrDb: 5, count: 1, rng: createRng(1) }),
    ).toThrow(/activity/);
    expect(() =>
      simulateMassiveAccess({
        N: 5,
        M: 2,
        L: 8,
        activity: 0.1,
        snrDb: 5,
        count: 1,
        pilots: makePilots(7, 5, createRng(1)),
        rng: createRng(1),
      }),
    ).toThrow(/pilots/);
  });
});
