/**
 * Group LASSO by FISTA (Beck & Teboulle, SIAM J. Imaging Sci. 2009), the convex JADCE baseline:
 *
 *   X^{k} = η_{μ/Lc}( Z^k + (1/Lc)·Sᴴ(Y − S Z^k) ),   t_{k+1} = (1 + √(1 + 4t_k²))/2,
 *   Z^{k+1} = X^k + ((t_k − 1)/t_{k+1})·(X^k − X^{k−1}),
 *
 * with Lc = ‖S‖²₂ and the row soft threshold η_θ(x_n) = max(0, 1 − θ/‖x_n‖)·x_n. Detection: ‖x̂_n‖²/(M·β_n) ≥ threshold.
 */

import { defaultGroupLassoMu, pilotLipschitz } from './group-lasso.js';
import { cmat, cmatmulAH, cmatmulRows } from './host-complex.js';
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

/** Options of `groupLassoFista`. */
export interface GroupLassoFistaOptions extends IterOptions {
  /** Regularisation μ (default `defaultGroupLassoMu`: σ(√M + √(2 ln N)), floored at 1e-4·λ_max). */
  mu?: number;
  /** Detection threshold on ‖x̂_n‖²/(M·β_n) (default 0.2). */
  threshold?: number;
}

/** Group LASSO by FISTA (see file header). Defaults: maxIter 500, tol 1e-6. */
export function groupLassoFista(p: JadceProblem, o: GroupLassoFistaOptions = {}): SolverResult {
  const maxIter = o.maxIter ?? 500;
  const tol = o.tol ?? 1e-6;
  checkIterOptions('groupLassoFista', { maxIter, tol });
  const { N, M, beta } = checkProblem(p, 'groupLassoFista');
  const { Y, S } = p;
  const mu = o.mu ?? defaultGroupLassoMu(Y, S, p.sigma2);
  const Lc = pilotLipschitz(S);
  let X = cmat(N, M);
  let Xn = cmat(N, M);
  const Z = cmat(N, M);
  // rows of Z that are not all zero: S·Z skips the others (their terms are exact zeros, so the sums, taken in the
  // same order, are bit-identical to the dense product)
  const rows = new Int32Array(N);
  let nRows = 0;
  let t = 1;
  let it = 0;
  let converged = false;
  const SZ = cmat(S.rows, M);
  const G = cmat(N, M);
  for (it = 1; it <= maxIter; it++) {
    cmatmulRows(S, Z, rows, nRows, SZ);
    for (let i = 0; i < SZ.re.length; i++) {
      SZ.re[i] = Y.re[i] - SZ.re[i];
      SZ.im[i] = Y.im[i] - SZ.im[i];
    }
    cmatmulAH(S, SZ, G);
    for (let i = 0; i < Xn.re.length; i++) {
      Xn.re[i] = Z.re[i] + G.re[i] / Lc;
      Xn.im[i] = Z.im[i] + G.im[i] / Lc;
    }
    rowSoftThresholdInPlace(Xn, mu / Lc);
    const tn = (1 + Math.sqrt(1 + 4 * t * t)) / 2;
    const w = (t - 1) / tn;
    nRows = 0;
    for (let n = 0; n < N; n++) {
      let nz = false;
      for (let m = n * M; m < (n + 1) * M; m++) {
        Z.re[m] = Xn.re[m] + w * (Xn.re[m] - X.re[m]);
        Z.im[m] = Xn.im[m] + w * (Xn.im[m] - X.im[m]);
        if (Z.re[m] !== 0 || Z.im[m] !== 0) nz = true;
      }
      if (nz) rows[nRows++] = n;
    }
    const change = diff2(Xn, X);
    let norm = 0;
    for (let i = 0; i < Xn.re.length; i++) norm += Xn.re[i] * Xn.re[i] + Xn.im[i] * Xn.im[i];
    const prev = X;
    X = Xn;
    Xn = prev;
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
