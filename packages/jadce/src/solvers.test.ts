import { createRng } from '@ft/core';
import { describe, expect, it } from 'vitest';
import { ampMmv } from './amp-mmv.js';
import { covarianceMl } from './covariance-ml.js';
import { emBgAmp } from './em-bg-amp.js';
import { groupLassoAdmm } from './group-lasso-admm.js';
import { groupLassoFista } from './group-lasso-fista.js';
import { batchItem, type CMat, cmat } from './host-complex.js';
import { mSbl } from './m-sbl.js';
import { nmseDb } from './nmse.js';
import { oracleLs } from './oracle-ls.js';
import { simulateMassiveAccess } from './simulate.js';
import type { JadceProblem, SolverResult } from './solver.js';
import { ampMmvStateEvolution } from './state-evolution.js';

function runAll(d: ReturnType<typeof simulateMassiveAccess>, f: (p: JadceProblem, active: Uint8Array) => SolverResult) {
  const { N } = { N: d.S.cols };
  const count = d.Y.shape[0];
  const xh = { re: [] as number[], im: [] as number[] };
  let errors = 0;
  for (let b = 0; b < count; b++) {
    const a = d.active!.subarray(b * N, (b + 1) * N);
    const r = f({ Y: batchItem(d.Y, b), S: d.S, sigma2: d.sigma2[b], eps: d.eps }, a);
    xh.re.push(...r.X.re);
    xh.im.push(...r.X.im);
    for (let n = 0; n < N; n++) errors += r.active[n] !== a[n] ? 1 : 0;
  }
  return { nmse: nmseDb(xh, { re: d.X!.re, im: d.X!.im }), aer: errors / (count * N) };
}

describe('every solver recovers a noiseless row-sparse X at generous L (N 60, M 8, L 40, ε 0.05)', () => {
  const d = simulateMassiveAccess({
    N: 60,
    M: 8,
    L: 40,
    activity: 0.05,
    snrDb: Number.POSITIVE_INFINITY,
    count: 6,
    rng: createRng(11),
  });
  expect(d.sigma2[0]).toBe(0);
  const cases: [string, (p: JadceProblem, a: Uint8Array) => SolverResult, number][] = [
    ['oracleLs', (p, a) => oracleLs(p, { active: a }), -100],
    ['groupLassoFista', (p) => groupLassoFista(p, { maxIter: 800 }), -30],
    ['groupLassoAdmm', (p) => groupLassoAdmm(p), -40],
    ['ampMmv', (p) => ampMmv(p), -60],
    ['emBgAmp', (p) => emBgAmp(p), -60],
    ['mSbl', (p) => mSbl(p), -60],
    ['covarianceMl', (p) => covarianceMl(p), -100],
  ];
  for (const [name, f, bound] of cases) {
    it(`${name}: NMSE < ${bound} dB and no detection error`, () => {
      const r = runAll(d, f);
      expect(r.nmse).toBeLessThan(bound);
      expect(r.aer).toBe(0);
    });
  }
});

describe('AMP-MMV', () => {
  it('needs damping at finite size: N 80, M 16, L 20, ε 0.08, 12 dB (undamped diverges, 0.5 reaches near-oracle)', () => {
    const d = simulateMassiveAccess({ N: 80, M: 16, L: 20, activity: 0.08, snrDb: 12, count: 30, rng: createRng(1) });
    const undamped = runAll(d, (p) => ampMmv(p, { damping: 0 }));
    const damped = runAll(d, (p) => ampMmv(p, { damping: 0.5 }));
    const oracle = runAll(d, (p, a) => oracleLs(p, { active: a }));
    expect(undamped.nmse).toBeGreaterThan(-5);
    expect(damped.nmse).toBeLessThan(-12);
    expect(damped.nmse).toBeGreaterThan(oracle.nmse - 1); // cannot beat the oracle support by much (MMSE shrinkage)
    expect(damped.aer).toBeLessThan(0.01);
  });

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

describe('input checks', () => {
  const d = simulateMassiveAccess({ N: 20, M: 2, L: 8, activity: 0.1, snrDb: 10, count: 1, rng: createRng(1) });
  const Y = batchItem(d.Y, 0);
  it('rejects an S/Y shape mismatch with ShapeError', () => {
    const bad = cmat(7, 2);
    for (const f of [ampMmv, groupLassoFista, groupLassoAdmm, mSbl, covarianceMl, emBgAmp]) {
      expect(() => f({ Y: bad, S: d.S, sigma2: 0.1, eps: 0.1 })).toThrow(/S is \[L=8, N=20\] but Y is \[7, 2\]/);
    }
  });
  it('rejects L > N for AMP-type solvers', () => {
    const wide = simulateMassiveAccess({ N: 10, M: 2, L: 12, activity: 0.1, snrDb: 10, count: 1, rng: createRng(1) });
    const p = { Y: batchItem(wide.Y, 0), S: wide.S, sigma2: 0.1, eps: 0.1 };
    expect(() => ampMmv(p)).toThrow(/assumes L ≤ N/);
    expect(() => emBgAmp(p)).toThrow(/assumes L ≤ N/);
    expect(groupLassoAdmm(p).X.rows).toBe(10); // convex solvers accept it
  });
  it('rejects NaN input and bad options', () => {
    const nanY = cmat(8, 2, Float64Array.from(Y.re), Float64Array.from(Y.im));
    nanY.im[3] = Number.NaN;
    expect(() => ampMmv({ Y: nanY, S: d.S, sigma2: 0.1, eps: 0.1 })).toThrow(/ampMmv\(Y\): entry 3 is not finite/);
    expect(() => ampMmv({ Y, S: d.S, sigma2: 0.1, eps: 0.1 }, { damping: 1 })).toThrow(/damping/);
    expect(() => ampMmv({ Y, S: d.S, sigma2: 0.1 })).toThrow(/eps/);
    expect(() => mSbl({ Y, S: d.S, sigma2: Number.NaN })).toThrow(/sigma2/);
  });
});
