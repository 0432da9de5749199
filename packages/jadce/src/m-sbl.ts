/**
 * M-SBL, sparse Bayesian learning for multiple measurement vectors (D. Wipf, B. Rao, "An empirical Bayesian strategy
 * for solving the simultaneous sparse approximation problem", IEEE TSP 55(7), 2007):
 * rows x_n ~ CN(0, γ_n·I_M), hyper-parameters γ learned by type-II ML.
 *
 *   Σ_y = σ²I + S Γ Sᴴ,   M_x = Γ Sᴴ Σ_y⁻¹ Y,   (Σ_x)_nn = γ_n − γ_n²·s_nᴴ Σ_y⁻¹ s_n   (Woodbury form of
 *   Σ_x = (SᴴS/σ² + Γ⁻¹)⁻¹, so each iteration solves an L × L system instead of N × N),
 *   EM:   γ_n ← ‖m_n‖²/M + (Σ_x)_nn;     fast (MacKay) fixed point: γ_n ← (‖m_n‖²/M) / (1 − (Σ_x)_nn/γ_n).
 *
 * Detection: γ_n/β_n ≥ threshold. The estimate is the posterior mean M_x. A noise floor σ² ≥ 1e-10·‖Y‖²/(LM) keeps
 * Σ_y invertible in the noiseless case.
 */
import { InvalidArgumentError } from '@ft/core';
import { type CMat, cfrob2, chermSolve, cmat, cmatmul, cmatmulAH, cmatmulBH, crowNorms2 } from './host-complex.js';
import {
  checkIterOptions,
  checkProblem,
  DEFAULT_THRESHOLD,
  type IterOptions,
  type JadceProblem,
  type SolverResult,
  thresholdScores,
} from './solver.js';

/** Options of `mSbl`. */
export interface MSblOptions extends IterOptions {
  /** `'fast'` (MacKay fixed point, default) or `'em'`. */
  update?: 'fast' | 'em';
  /** Detection threshold on γ_n/β_n (default 0.2). */
  threshold?: number;
}

/** `mSbl` result plus the learned variances γ. */
export interface MSblResult extends SolverResult {
  gamma: Float64Array;
}

/** M-SBL (see file header). Defaults: maxIter 100, tol 1e-6 (relative change of γ), update `'fast'`. */
export function mSbl(p: JadceProblem, o: MSblOptions = {}): MSblResult {
  const maxIter = o.maxIter ?? 100;
  const tol = o.tol ?? 1e-6;
  const update = o.update ?? 'fast';
  if (update !== 'fast' && update !== 'em')
    throw new InvalidArgumentError(`mSbl: update must be 'fast' or 'em', got '${update}'`);
  checkIterOptions('mSbl', { maxIter, tol });
  const { L, N, M, beta } = checkProblem(p, 'mSbl');
  const { Y, S } = p;
  const sigma2 = Math.max(p.sigma2, (1e-10 * cfrob2(Y)) / (L * M) + 1e-300);
  const gamma = Float64Array.from(beta);
  const eye = cmat(L, L);
  for (let l = 0; l < L; l++) eye.re[l * L + l] = 1;
  let Mx = cmat(N, M);
  let it = 0;
  let converged = false;
  const posterior = (): { Mx: CMat; q: Float64Array } => {
    const SG = cmat(L, N);
    for (let l = 0; l < L; l++) {
      for (let n = 0; n < N; n++) {
        SG.re[l * N + n] = S.re[l * N + n] * gamma[n];
        SG.im[l * N + n] = S.im[l * N + n] * gamma[n];
      }
    }
    const Sy = cmatmulBH(SG, S);
    for (let l = 0; l < L; l++) Sy.re[l * L + l] += sigma2;
    const SyInv = chermSolve(Sy, eye);
    const mx = cmatmulAH(SG, cmatmul(SyInv, Y));
    // q_n = s_nᴴ Σ_y⁻¹ s_n
    const U = cmatmul(SyInv, S);
    const q = new Float64Array(N);
    for (let l = 0; l < L; l++) {
      for (let n = 0; n < N; n++) {
        const k = l * N + n;
        q[n] += S.re[k] * U.re[k] + S.im[k] * U.im[k];
      }
    }
    return { Mx: mx, q };
  };
  for (it = 1; it <= maxIter; it++) {
    const post = posterior();
    Mx = post.Mx;
    const m2 = crowNorms2(Mx);
    let change = 0;
    let gmax = 0;
    for (let n = 0; n < N; n++) {
      const g = gamma[n];
      let gNew: number;
      if (update === 'em') gNew = m2[n] / M + g - g * g * post.q[n];
      else {
        const denom = g * post.q[n];
        gNew = denom > 1e-300 ? m2[n] / M / denom : 0;
      }
      gNew = Math.max(gNew, 0);
      change = Math.max(change, Math.abs(gNew - g));
      gamma[n] = gNew;
      gmax = Math.max(gmax, gNew);
    }
    if (change <= tol * gmax) {
      converged = true;
      break;
    }
  }
  Mx = posterior().Mx;
  const score = Float64Array.from(gamma, (g, n) => g / beta[n]);
  return {
    X: Mx,
    score,
    scoreKind: 'energy',
    active: thresholdScores(score, o.threshold ?? DEFAULT_THRESHOLD.energy),
    iterations: Math.min(it, maxIter),
    converged,
    gamma,
  };
}
