/**
 * Group LASSO by ADMM (Boyd et al., Found. Trends ML 2011, §6.4.2), the second convex JADCE baseline:
 *
 *   X = (SᴴS + ρI)⁻¹ (SᴴY + ρ(Z − U)),   Z = η_{μ/ρ}(X + U),   U ← U + X − Z.
 *
 * The N × N inverse is applied through the Woodbury identity (SᴴS + ρI)⁻¹ = (I − Sᴴ(ρI + SSᴴ)⁻¹S)/ρ, so each iteration
 * costs O(LNM) plus an L × L Hermitian inverse computed once per call. Residual balancing adapts ρ (see `adaptiveRho`). Stops when the primal and dual residuals
 * ‖X − Z‖ and ρ‖Z − Z_prev‖ fall below tol·max(‖X‖, ‖Z‖). The sparse iterate Z is returned.
 */
import { InvalidArgumentError } from '@ft/core';
import { defaultGroupLassoMu } from './group-lasso.js';
import { cclone, chermSolve, cmat, cmatmul, cmatmulAH, cmatmulBH } from './host-complex.js';
import {
  checkIterOptions,
  checkProblem,
  DEFAULT_THRESHOLD,
  diff2,
  energyScore,
  type IterOptions,
  type JadceProblem,
  rowSoftThresholdInPlace,
  type SolverResult,
  thresholdScores,
} from './solver.js';

/** Options of `groupLassoAdmm`. */
export interface GroupLassoAdmmOptions extends IterOptions {
  /** Regularisation μ (default as `groupLassoFista`). */
  mu?: number;
  /** Initial ADMM penalty ρ (default 1). */
  rho?: number;
  /**
   * Residual balancing (Boyd et al. §3.4.1, default true): ρ ← 2ρ when the primal residual exceeds 10× the dual one,
   * ρ ← ρ/2 in the opposite case (U rescaled, the L × L inverse recomputed).
   */
  adaptiveRho?: boolean;
  /** Detection threshold on ‖ẑ_n‖²/(M·β_n) (default 0.2). */
  threshold?: number;
}

/** Group LASSO by ADMM (see file header). Defaults: maxIter 500, tol 1e-6, ρ = 1. */
export function groupLassoAdmm(p: JadceProblem, o: GroupLassoAdmmOptions = {}): SolverResult {
  const maxIter = o.maxIter ?? 500;
  const tol = o.tol ?? 1e-6;
  let rho = o.rho ?? 1;
  const adaptive = o.adaptiveRho ?? true;
  checkIterOptions('groupLassoAdmm', { maxIter, tol });
  if (!(rho > 0)) throw new InvalidArgumentError(`groupLassoAdmm: rho must be > 0, got ${rho}`);
  const { L, N, M, beta } = checkProblem(p, 'groupLassoAdmm');
  const { Y, S } = p;
  const mu = o.mu ?? defaultGroupLassoMu(Y, S, p.sigma2);
  // Woodbury: (SᴴS + ρI)⁻¹ A = (A − Sᴴ (ρI + SSᴴ)⁻¹ S A) / ρ
  const SSH = cmatmulBH(S, S);
  const eye = cmat(L, L);
  for (let l = 0; l < L; l++) eye.re[l * L + l] = 1;
  const inverseFor = (r: number) => {
    const C = cmat(L, L, Float64Array.from(SSH.re), Float64Array.from(SSH.im));
    for (let l = 0; l < L; l++) C.re[l * L + l] += r;
    return chermSolve(C, eye);
  };
  let Cinv = inverseFor(rho);
  const SHY = cmatmulAH(S, Y);
  let X = cmat(N, M);
  let Z = cmat(N, M);
  const U = cmat(N, M);
  let it = 0;
  let converged = false;
  for (it = 1; it <= maxIter; it++) {
    const A = cmat(N, M);
    for (let i = 0; i < A.re.length; i++) {
      A.re[i] = SHY.re[i] + rho * (Z.re[i] - U.re[i]);
      A.im[i] = SHY.im[i] + rho * (Z.im[i] - U.im[i]);
    }
    const corr = cmatmulAH(S, cmatmul(Cinv, cmatmul(S, A)));
    X = cmat(N, M);
    for (let i = 0; i < X.re.length; i++) {
      X.re[i] = (A.re[i] - corr.re[i]) / rho;
      X.im[i] = (A.im[i] - corr.im[i]) / rho;
    }
    const Zold = Z;
    Z = cclone(X);
    for (let i = 0; i < Z.re.length; i++) {
      Z.re[i] += U.re[i];
      Z.im[i] += U.im[i];
    }
    rowSoftThresholdInPlace(Z, mu / rho);
    let xn = 0;
    let zn = 0;
    for (let i = 0; i < X.re.length; i++) {
      U.re[i] += X.re[i] - Z.re[i];
      U.im[i] += X.im[i] - Z.im[i];
      xn += X.re[i] * X.re[i] + X.im[i] * X.im[i];
      zn += Z.re[i] * Z.re[i] + Z.im[i] * Z.im[i];
    }
    const primal = diff2(X, Z);
    const dual = rho * rho * diff2(Z, Zold);
    const scale = tol * tol * Math.max(xn, zn, 1e-30);
    if (it > 1 && primal <= scale && dual <= scale) {
      converged = true;
      break;
    }
    if (adaptive && it % 5 === 0) {
      const k = primal > 100 * dual ? 2 : dual > 100 * primal ? 0.5 : 1;
      if (k !== 1) {
        rho *= k;
        for (let i = 0; i < U.re.length; i++) {
          U.re[i] /= k;
          U.im[i] /= k;
        }
        Cinv = inverseFor(rho);
      }
    }
  }
  const score = energyScore(Z, beta);
  return {
    X: Z,
    score,
    scoreKind: 'energy',
    active: thresholdScores(score, o.threshold ?? DEFAULT_THRESHOLD.energy),
    iterations: Math.min(it, maxIter),
    converged,
  };
}
