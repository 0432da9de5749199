import { describe, expect, it } from 'vitest';
import { applyPilots, estimateChannels } from './channel-estimation.js';
import { cmat } from './host-complex.js';
import { maxAbsDiffC, randomCMat } from './test-helpers.js';

describe('estimateChannels', () => {
  const L = 6;
  const N = 10;
  const M = 3;
  const S = randomCMat(L, N, 7);
  const active = new Uint8Array(N);
  for (const n of [1, 4, 8]) active[n] = 1;
  const X = randomCMat(N, M, 8);
  for (let n = 0; n < N; n++) {
    if (!active[n]) {
      X.re.fill(0, n * M, (n + 1) * M);
      X.im.fill(0, n * M, (n + 1) * M);
    }
  }
  const Y = applyPilots(S, X); // noiseless

  it('LS recovers a noiseless X exactly on the true support (|Â| ≤ L) and leaves other rows zero', () => {
    expect(maxAbsDiffC(estimateChannels(Y, S, active), X)).toBeLessThan(1e-10);
  });

  it('LS with |Â| > L is the minimum-norm solution: S·X̂ = Y', () => {
    const all = new Uint8Array(N).fill(1);
    const H = estimateChannels(Y, S, all);
    expect(maxAbsDiffC(applyPilots(S, H), Y)).toBeLessThan(1e-10);
  });

  it('MMSE: scalar closed form β·s̄/(β|s|² + σ²)·y, and LS as σ² → 0', () => {
    const s = cmat(1, 1, Float64Array.from([1]), Float64Array.from([1])); // s = 1 + i
    const y = cmat(1, 1, Float64Array.from([2]), Float64Array.from([0]));
    const h = estimateChannels(y, s, [1], { method: 'mmse', sigma2: 1, beta: Float64Array.from([2]) });
    // 2·(1 − i)/(2·2 + 1)·2 = 0.8 − 0.8i
    expect(h.re[0]).toBeCloseTo(0.8, 14);
    expect(h.im[0]).toBeCloseTo(-0.8, 14);
    expect(maxAbsDiffC(estimateChannels(Y, S, active, { method: 'mmse', sigma2: 1e-12 }), X)).toBeLessThan(1e-6);
  });

  it('no detected device gives zeros; bad arguments are refused', () => {
    const none = estimateChannels(Y, S, new Uint8Array(N));
    expect(none.re.every((v) => v === 0) && none.im.every((v) => v === 0)).toBe(true);
    expect(() => estimateChannels(Y, S, [1, 0])).toThrow(/active has 2 entries, N=10/);
    expect(() => estimateChannels(Y, S, active, { method: 'mmse' })).toThrow(/needs sigma2/);
    expect(() => estimateChannels(Y, S, active, { method: 'zf' as 'ls' })).toThrow(/'ls' or 'mmse'/);
  });
});
