import { describe, expect, it } from 'vitest';
import { defaultGroupLassoMu, pilotLipschitz } from './group-lasso.js';
import { type GroupLassoFistaOptions, groupLassoFista } from './group-lasso-fista.js';
import { cclone, cmat, cmatmul, cmatmulAH } from './host-complex.js';
import {
  checkProblem,
  DEFAULT_THRESHOLD,
  diff2,
  energyScore,
  type JadceProblem,
  rowSoftThresholdInPlace,
  type SolverResult,
  thresholdScores,
} from './solver.js';
import { maxAbsDiffC, noiselessBatch, regressionProblems, runOnBatch } from './test-helpers.js';

describe('every solver recovers a noiseless row-sparse X at generous L (N 60, M 8, L 40, ε 0.05)', () => {
  const d = noiselessBatch();
  it('groupLassoFista: NMSE < -30 dB and no detection error', () => {
    const r = runOnBatch(d, (p) => groupLassoFista(p, { maxIter: 800 }));
    expect(r.nmse).toBeLessThan(-30);
    expect(r.aer).toBe(0);
  });
});

/** The dense FISTA of @ft/jadce 0.1.0 (before the row-sparse S·Z), kept verbatim as the reference. */
function referenceFista(p: JadceProblem, o: GroupLassoFistaOptions = {}): SolverResult {
  const maxIter = o.maxIter ?? 500;
  const tol = o.tol ?? 1e-6;
  const { N, M, beta } = checkProblem(p, 'referenceFista');
  const { Y, S } = p;
  const mu = o.mu ?? defaultGroupLassoMu(Y, S, p.sigma2);
  const Lc = pilotLipschitz(S);
  let X = cmat(N, M);
  let Z = cmat(N, M);
  let t = 1;
  let it = 0;
  let converged = false;
  const SZ = cmat(S.rows, M);
  const G = cmat(N, M);
  for (it = 1; it <= maxIter; it++) {
    cmatmul(S, Z, SZ);
    for (let i = 0; i < SZ.re.length; i++) {
      SZ.re[i] = Y.re[i] - SZ.re[i];
      SZ.im[i] = Y.im[i] - SZ.im[i];
    }
    cmatmulAH(S, SZ, G);
    const Xn = cmat(N, M);
    for (let i = 0; i < Xn.re.length; i++) {
      Xn.re[i] = Z.re[i] + G.re[i] / Lc;
      Xn.im[i] = Z.im[i] + G.im[i] / Lc;
    }
    rowSoftThresholdInPlace(Xn, mu / Lc);
    const tn = (1 + Math.sqrt(1 + 4 * t * t)) / 2;
    const w = (t - 1) / tn;
    Z = cclone(Xn);
    for (let i = 0; i < Z.re.length; i++) {
      Z.re[i] += w * (Xn.re[i] - X.re[i]);
      Z.im[i] += w * (Xn.im[i] - X.im[i]);
    }
    const change = diff2(Xn, X);
    let norm = 0;
    for (let i = 0; i < Xn.re.length; i++) norm += Xn.re[i] * Xn.re[i] + Xn.im[i] * Xn.im[i];
    X = Xn;
    t = tn;
    if (it > 1 && change <= tol * tol * norm) {
      converged = true;
      break;
    }
  }
  const score = energyScore(X, beta);
  return {
    X,
    score,
    scoreKind: 'energy',
    active: thresholdScores(score, o.threshold ?? DEFAULT_THRESHOLD.energy),
    iterations: Math.min(it, maxIter),
    converged,
  };
}

describe('groupLassoFista (row-sparse S·Z) against the dense 0.1.0 implementation', () => {
  it('returns bit-identical estimates, scores and iteration counts (N 100, L 6/12/20, M 8/32, 0/10 dB)', () => {
    const problems = regressionProblems('fista-sparse');
    expect(problems).toHaveLength(24);
    for (const p of problems) {
      const fast = groupLassoFista(p, { maxIter: 200 });
      const ref = referenceFista(p, { maxIter: 200 });
      expect(maxAbsDiffC(fast.X, ref.X)).toBe(0);
      expect(Array.from(fast.score)).toEqual(Array.from(ref.score));
      expect(fast.iterations).toBe(ref.iterations);
    }
  });
});
