import { createRng } from '@ft/core';
import { describe, expect, it } from 'vitest';
import { ampMmv } from './amp-mmv.js';
import { covarianceMl } from './covariance-ml.js';
import { emBgAmp } from './em-bg-amp.js';
import { groupLassoAdmm } from './group-lasso-admm.js';
import { groupLassoFista } from './group-lasso-fista.js';
import { batchItem, cmat } from './host-complex.js';
import { mSbl } from './m-sbl.js';
import { simulateMassiveAccess } from './simulate.js';
import { checkIterOptions, diff2, energyScore, rowSoftThresholdInPlace, thresholdScores } from './solver.js';

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

describe('shared solver pieces', () => {
  it('row soft threshold: rows with ‖x_n‖ ≤ θ vanish, others shrink by 1 − θ/‖x_n‖ (closed form)', () => {
    // rows: 3 + 4i (norm 5) and [0.6, 0.8i] (norm 1); θ = 2
    const X = cmat(2, 2, Float64Array.from([3, 0, 0.6, 0]), Float64Array.from([4, 0, 0, 0.8]));
    rowSoftThresholdInPlace(X, 2);
    expect(Array.from(X.re)).toEqual([3 * 0.6, 0, 0, 0]);
    expect(X.im[0]).toBeCloseTo(4 * 0.6, 15);
    expect(X.im[3]).toBe(0);
  });

  it('energy scores ‖x_n‖²/(M·β_n), thresholds, ‖A − B‖²_F and option checks', () => {
    const X = cmat(2, 2, Float64Array.from([1, 1, 2, 0]), Float64Array.from([1, 1, 0, 0]));
    expect(Array.from(energyScore(X, Float64Array.from([1, 4])))).toEqual([2, 0.5]);
    expect(Array.from(thresholdScores(Float64Array.from([0.2, 0.5, 0.7]), 0.5))).toEqual([0, 1, 1]);
    expect(diff2(X, cmat(2, 2))).toBe(8);
    expect(() => checkIterOptions('f', { maxIter: 0, tol: 0 })).toThrow(/maxIter/);
    expect(() => checkIterOptions('f', { maxIter: 5, tol: -1 })).toThrow(/tol must be ≥ 0/);
    expect(() => checkIterOptions('f', { maxIter: 5, tol: 0, damping: 1 })).toThrow(/damping/);
    expect(() => checkIterOptions('f', { maxIter: 5, tol: 0, damping: 0.5 })).not.toThrow();
  });
});
