import { createRng } from '@ft/core';
import { describe, expect, it } from 'vitest';
import { dimensionReduction } from './dimension-reduction.js';
import { batchItem, cfrob2, cmatmul, cmatmulAH, cmatmulBH } from './host-complex.js';
import { simulateMassiveAccess } from './simulate.js';

describe('dimensionReduction', () => {
  const d = simulateMassiveAccess({ N: 100, M: 32, L: 24, activity: 0.05, snrDb: 20, count: 20, rng: createRng(1) });

  it('returns orthonormal V_r whose span captures the signal: ‖X_r‖² ≈ ‖X‖² when r ≥ K (M ≫ K)', () => {
    let kept = 0;
    let total = 0;
    for (let b = 0; b < 20; b++) {
      const Y = batchItem(d.Y, b);
      const r = dimensionReduction(Y, { rank: 8 });
      const G = cmatmulAH(r.Vr, r.Vr);
      for (let i = 0; i < 8; i++) {
        for (let j = 0; j < 8; j++) {
          expect(G.re[i * 8 + j]).toBeCloseTo(i === j ? 1 : 0, 10);
          expect(G.im[i * 8 + j]).toBeCloseTo(0, 10);
        }
      }
      // Y_r = Y V_r and ‖Y_r‖² = sum of the r largest eigenvalues × M
      expect(cfrob2(r.Yr)).toBeCloseTo(r.eigenvalues.slice(0, 8).reduce((s, v) => s + v, 0) * 32, 6);
      const X = batchItem(d.X!, b);
      kept += cfrob2(cmatmul(X, r.Vr));
      total += cfrob2(X);
    }
    expect(kept / total).toBeGreaterThan(0.95); // measured 0.970 (realisations with K > r lose energy)
  });

  it('matches the SVD: YᴴY V_r = V_r Λ_r', () => {
    const Y = batchItem(d.Y, 3);
    const r = dimensionReduction(Y, { rank: 4 });
    const AV = cmatmul(cmatmulAH(Y, Y), r.Vr);
    for (let k = 0; k < 4; k++) {
      for (let i = 0; i < 32; i++) {
        expect(AV.re[i * 4 + k]).toBeCloseTo(r.eigenvalues[k] * 32 * r.Vr.re[i * 4 + k], 6);
        expect(AV.im[i * 4 + k]).toBeCloseTo(r.eigenvalues[k] * 32 * r.Vr.im[i * 4 + k], 6);
      }
    }
    // projector is basis-independent: P = V Vᴴ is Hermitian idempotent
    const P = cmatmulBH(r.Vr, r.Vr);
    const P2 = cmatmul(P, P);
    for (let i = 0; i < P.re.length; i++) expect(P2.re[i]).toBeCloseTo(P.re[i], 10);
  });

  it("'auto' counts eigenvalues above the Marchenko–Pastur edge (K̂ = K at 20 dB, M = 32)", () => {
    let exact = 0;
    for (let b = 0; b < 20; b++) {
      const r = dimensionReduction(batchItem(d.Y, b), { rank: 'auto', sigma2: d.sigma2[b] });
      const K = d.active!.subarray(b * 100, (b + 1) * 100).reduce((s, v) => s + v, 0);
      if (r.kHat === K) exact++;
      expect(r.rank).toBe(Math.min(Math.max(r.kHat!, 1), 24));
    }
    expect(exact).toBeGreaterThanOrEqual(18);
    expect(() => dimensionReduction(batchItem(d.Y, 0), { rank: 'auto' })).toThrow(/needs sigma2/);
    expect(() => dimensionReduction(batchItem(d.Y, 0), { rank: 40 })).toThrow(/rank must be/);
  });

  it('costs a few ms per realisation at M = 32', () => {
    const t0 = performance.now();
    for (let b = 0; b < 20; b++) dimensionReduction(batchItem(d.Y, b), { rank: 8 });
    const ms = (performance.now() - t0) / 20;
    console.log(`dimensionReduction M=32: ${ms.toFixed(2)} ms`);
    expect(ms).toBeLessThan(50);
  });
});
