/**
 * EM-BG-AMP (J. Vila, P. Schniter, "Expectation-maximization Bernoulli-Gaussian approximate message passing",
 * Asilomar 2011 / IEEE TSP 61(19), 2013): per-antenna scalar AMP with an element-wise Bernoulli–Gaussian prior
 * x_nm ~ (1 − λ)δ₀ + λ·CN(0, φ), whose activity λ and variance φ are learned by EM after every AMP iteration
 * (reference implementation for JADCE: `Joehaozhang/AMP-based-JADCE-with-Consistency`, `AMP_singlecell.m`).
 *
 * Per antenna (column) m: r_m = x_m + Sᴴ z_m, τ_m = ‖z_m‖²/L, scalar posterior of `bg-posterior.ts` with d = 1,
 * z_m ← y_m − S x_m + (N/L)·⟨η'⟩_m z_m. EM (pooled over antennas):
 *   λ ← mean π_nm,   φ ← Σ π_nm(|μ_nm|² + φτ_m/(φ + τ_m)) / Σ π_nm.
 * It ignores the common row support across antennas (the point of the MMV methods). Detection combines the
 * per-antenna evidence for a shared activity: logit(â_n) = logit(λ) + Σ_m (logit π_nm − logit λ), score = sigmoid.
 * Damping blends X and the Onsager coefficients (x ← (1−d)x_new + d·x_old) as in `ampMmv`.
 * Initialisation [I]: λ₀ = the problem's ε if given, else 0.1; φ₀ = (‖Y‖²/M − Lσ²)/(λ₀·Σ‖s_n‖²) (energy matching).
 */

import { ccolNorms2, cfrob2, cmat, cmatmul, cmatmulAH } from './host-complex.js';
import {
  checkIterOptions,
  checkProblem,
  type DampedOptions,
  DEFAULT_THRESHOLD,
  diff2,
  type JadceProblem,
  type SolverResult,
  thresholdScores,
} from './solver.js';

/** Options of `emBgAmp`. */
export interface EmBgAmpOptions extends DampedOptions {
  /** Initial activity λ₀ (default: the problem's `eps`, else 0.1). */
  lambda0?: number;
  /** Detection threshold on the combined row activity probability (default 0.5). */
  threshold?: number;
}

/** `emBgAmp` result plus the learned prior. */
export interface EmBgAmpResult extends SolverResult {
  lambda: number;
  phi: number;
}

const logit = (p: number) => Math.log(p / (1 - p));

/** EM-BG-AMP (see file header). Defaults: maxIter 100, tol 1e-6, damping 0.5. Assumes L ≤ N. */
export function emBgAmp(p: JadceProblem, o: EmBgAmpOptions = {}): EmBgAmpResult {
  const maxIter = o.maxIter ?? 100;
  const tol = o.tol ?? 1e-6;
  const damping = o.damping ?? 0.5;
  checkIterOptions('emBgAmp', { maxIter, tol, damping });
  const { L, N, M } = checkProblem(p, 'emBgAmp', { requireWide: true });
  const { Y, S } = p;
  let lambda = Math.min(0.99, Math.max(1e-4, o.lambda0 ?? p.eps ?? 0.1));
  const sNorm = ccolNorms2(S).reduce((a, b) => a + b, 0);
  let phi = Math.max((cfrob2(Y) / M - L * p.sigma2) / (lambda * sNorm), 1e-6 * (cfrob2(Y) / (M * sNorm) + 1e-30));
  let X = cmat(N, M);
  const Z = cmat(L, M);
  Z.re.set(Y.re);
  Z.im.set(Y.im);
  const c = new Float64Array(M);
  const tau = new Float64Array(M);
  const pi = new Float64Array(N * M);
  const R = cmat(N, M);
  const SX = cmat(L, M);
  const postA = new Float64Array(M);
  const postC = new Float64Array(M);
  const postG = new Float64Array(M);
  let it = 0;
  let converged = false;
  for (it = 1; it <= maxIter; it++) {
    tau.fill(0);
    for (let l = 0; l < L; l++) {
      for (let m = 0; m < M; m++) {
        const k = l * M + m;
        tau[m] += (Z.re[k] * Z.re[k] + Z.im[k] * Z.im[k]) / L;
      }
    }
    for (let m = 0; m < M; m++) tau[m] = Math.max(tau[m], 1e-300);
    cmatmulAH(S, Z, R);
    for (let i = 0; i < R.re.length; i++) {
      R.re[i] += X.re[i];
      R.im[i] += X.im[i];
    }
    const Xn = cmat(N, M);
    const vCol = new Float64Array(M);
    let piSum = 0;
    let phiNum = 0;
    // `bgRowPosterior(r2, 1, λ, φ, τ_m)` inlined with its per-antenna terms hoisted out of the device loop: the same
    // operations on the same values, so bit-identical, without two logarithms and an object per entry
    const prior = Math.log((1 - lambda) / lambda);
    for (let m = 0; m < M; m++) {
      const t = tau[m];
      postA[m] = prior + Math.log((phi + t) / t);
      postC[m] = 1 / t - 1 / (phi + t);
      postG[m] = phi / (phi + t);
    }
    for (let n = 0; n < N; n++) {
      for (let m = 0; m < M; m++) {
        const k = n * M + m;
        const r2 = R.re[k] * R.re[k] + R.im[k] * R.im[k];
        const logOdds = postA[m] - r2 * postC[m];
        const pk = logOdds >= 0 ? Math.exp(-logOdds) / (1 + Math.exp(-logOdds)) : 1 / (1 + Math.exp(logOdds));
        const gain = postG[m];
        pi[k] = pk;
        vCol[m] += pk * gain * tau[m] + pk * (1 - pk) * gain * gain * r2;
        const g = pk * gain;
        Xn.re[k] = g * R.re[k];
        Xn.im[k] = g * R.im[k];
        piSum += pk;
        phiNum += pk * (gain * gain * r2 + gain * tau[m]);
      }
    }
    // EM updates of the prior (pooled over antennas)
    lambda = Math.min(0.999, Math.max(1e-6, piSum / (N * M)));
    if (piSum > 1e-12) phi = Math.max(phiNum / piSum, 1e-12);
    const Xold = X;
    for (let m = 0; m < M; m++) {
      const cNew = vCol[m] / N / tau[m];
      c[m] = damping > 0 ? (1 - damping) * cNew + damping * c[m] : cNew;
    }
    if (damping > 0) {
      for (let i = 0; i < Xn.re.length; i++) {
        Xn.re[i] = (1 - damping) * Xn.re[i] + damping * X.re[i];
        Xn.im[i] = (1 - damping) * Xn.im[i] + damping * X.im[i];
      }
    }
    X = Xn;
    cmatmul(S, X, SX);
    for (let l = 0; l < L; l++) {
      for (let m = 0; m < M; m++) {
        const k = l * M + m;
        const on = (N / L) * c[m];
        Z.re[k] = Y.re[k] - SX.re[k] + on * Z.re[k];
        Z.im[k] = Y.im[k] - SX.im[k] + on * Z.im[k];
      }
    }
    const xn = cfrob2(X);
    if (it > 1 && diff2(X, Xold) <= tol * tol * xn) {
      converged = true;
      break;
    }
  }
  const score = new Float64Array(N);
  const lp = logit(lambda);
  for (let n = 0; n < N; n++) {
    let s = lp;
    for (let m = 0; m < M; m++) {
      const q = Math.min(Math.max(pi[n * M + m], 1e-300), 1 - 1e-16);
      s += logit(q) - lp;
    }
    score[n] = s >= 0 ? 1 / (1 + Math.exp(-s)) : Math.exp(s) / (1 + Math.exp(s));
  }
  return {
    X,
    score,
    scoreKind: 'probability',
    active: thresholdScores(score, o.threshold ?? DEFAULT_THRESHOLD.probability),
    iterations: Math.min(it, maxIter),
    converged,
    lambda,
    phi,
  };
}
