import { createRng } from '@ft/core';
import { describe, expect, it } from 'vitest';
import { ampMmv } from './amp-mmv.js';
import { batchItem, type CMat } from './host-complex.js';
import { simulateMassiveAccess } from './simulate.js';
import { ampMmvStateEvolution } from './state-evolution.js';

describe('AMP-MMV', () => {
  it('follows its state evolution at large N (N 2000, L 1000, M 4, ε 0.05, 10 dB, damping 0)', () => {
    const N = 2000;
    const L = 1000;
    const M = 4;
    const d = simulateMassiveAccess({ N, M, L, activity: 0.05, snrDb: 10, count: 1, rng: createRng(3) });
    const X = batchItem(d.X!, 0);
    const mse: number[] = [];
    const diff = (a: CMat) => {
      let s = 0;
      for (let i = 0; i < a.re.length; i++) s += (a.re[i] - X.re[i]) ** 2 + (a.im[i] - X.im[i]) ** 2;
      return s / (N * M);
    };
    const r = ampMmv(
      { Y: batchItem(d.Y, 0), S: d.S, sigma2: d.sigma2[0], eps: 0.05 },
      { damping: 0, maxIter: 8, tol: 0, onIteration: (_t, Xt) => mse.push(diff(Xt)) },
    );
    const K = d.active!.reduce((s, v) => s + v, 0);
    const se = ampMmvStateEvolution({
      N,
      L,
      M,
      eps: 0.05,
      epsTrue: K / N,
      sigma2: d.sigma2[0],
      iters: 8,
      samples: 100_000,
      rng: createRng(4),
    });
    for (let t = 0; t < 8; t++) {
      // effective noise within 7 %, MSE within 10 % (one finite realisation, Monte Carlo SE); 3 % once converged
      const tol = t >= 3 ? 0.03 : 1;
      expect(Math.abs(r.tau2[t] / se.tau2[t] - 1)).toBeLessThan(Math.min(0.07, tol));
      expect(Math.abs(mse[t] / se.mse[t] - 1)).toBeLessThan(Math.min(0.1, tol));
    }
    // and the recursion converges to a much smaller MSE than the initial ε·β
    expect(se.mse[7]).toBeLessThan(0.05 * 0.1);
  });
});
