/**
 * Shared input/output contract of the JADCE solvers: one realisation (Y, S) in, an estimate of the device state
 * matrix X and a per-device activity score out. Every iterative solver takes `{ maxIter, tol }`; every AMP-type solver
 * also takes `damping` (x ← (1 − damping)·x_new + damping·x_old; 0 = undamped), because at finite sizes undamped AMP
 * can diverge (N = 80, M = 16, L = 20, ε = 0.08, 12 dB: +1.5 dB NMSE undamped vs ≈ −13.6 dB at damping 0.5, measured
 * by `benchmarks/jadce/amp_mmv.py`).
 */
import { InvalidArgumentError, ShapeError } from '@ft/core';
import { type CMat, checkFiniteC, cmat } from './host-complex.js';

/** One realisation of the JADCE problem. */
export interface JadceProblem {
  /** Received pilots Y [L, M]. */
  Y: CMat;
  /** Pilots S [L, N]. */
  S: CMat;
  /** Noise variance σ². */
  sigma2: number;
  /** Activity probability ε (needed by AMP-MMV; optional elsewhere). */
  eps?: number;
  /** Large-scale fading β [N] (default all ones). */
  beta?: Float64Array;
}

/** What a solver returns. */
export interface SolverResult {
  /** Estimate of X [N, M]. */
  X: CMat;
  /**
   * Activity score per device, larger = more likely active: a posterior probability for Bayesian methods
   * (`scoreKind: 'probability'`), or an energy ‖x̂_n‖²/(M·β_n) / variance γ_n/β_n for the others (`'energy'`).
   */
  score: Float64Array;
  /** Kind of `score`, which fixes the meaning of the default threshold. */
  scoreKind: 'probability' | 'energy';
  /** Detected activity 1[score ≥ threshold] with the solver's default threshold. */
  active: Uint8Array;
  /** Iterations (or sweeps / layers) run. */
  iterations: number;
  /** True when the tolerance was met before `maxIter`. */
  converged: boolean;
}

/** Iteration budget common to the iterative solvers. */
export interface IterOptions {
  /** Maximum number of iterations. */
  maxIter?: number;
  /** Stop when ‖X^t − X^{t−1}‖_F ≤ tol·‖X^t‖_F (or the solver's own criterion). */
  tol?: number;
}

/** Iteration budget plus damping, for AMP-type solvers. */
export interface DampedOptions extends IterOptions {
  /** Damping d ∈ [0, 1): x ← (1 − d)·x_new + d·x_old. 0 = undamped. */
  damping?: number;
}

/** Default decision thresholds: 0.5 on probabilities, 0.2 on normalised energies ‖x̂_n‖²/(M·β_n). */
export const DEFAULT_THRESHOLD = { probability: 0.5, energy: 0.2 } as const;

/** Validates a problem and returns its sizes. */
export function checkProblem(
  p: JadceProblem,
  who: string,
  opts: { requireWide?: boolean } = {},
): { L: number; N: number; M: number; beta: Float64Array } {
  const { Y, S } = p;
  if (S.re.length !== S.rows * S.cols || Y.re.length !== Y.rows * Y.cols) {
    throw new ShapeError(`${who}: S or Y data length does not match its shape`);
  }
  if (Y.rows !== S.rows) {
    throw new ShapeError(`${who}: S is [L=${S.rows}, N=${S.cols}] but Y is [${Y.rows}, ${Y.cols}] (Y must be [L, M])`, {
      S: [S.rows, S.cols],
      Y: [Y.rows, Y.cols],
    });
  }
  const L = S.rows;
  const N = S.cols;
  const M = Y.cols;
  if (opts.requireWide && L > N) {
    throw new InvalidArgumentError(
      `${who} assumes L ≤ N (compressed pilots), got L=${L} > N=${N}; use oracleLs or groupLassoAdmm`,
      {
        L,
        N,
      },
    );
  }
  checkFiniteC(S, `${who}(S)`);
  checkFiniteC(Y, `${who}(Y)`);
  if (!Number.isFinite(p.sigma2) || p.sigma2 < 0)
    throw new InvalidArgumentError(`${who}: sigma2 must be finite and ≥ 0, got ${p.sigma2}`);
  const beta = p.beta ?? new Float64Array(N).fill(1);
  if (beta.length !== N) throw new ShapeError(`${who}: beta has ${beta.length} entries, N=${N}`);
  return { L, N, M, beta };
}

/** Validates `maxIter`, `tol`, `damping`. */
export function checkIterOptions(who: string, o: { maxIter: number; tol: number; damping?: number }): void {
  if (!Number.isInteger(o.maxIter) || o.maxIter < 1)
    throw new InvalidArgumentError(`${who}: maxIter must be a positive integer, got ${o.maxIter}`);
  if (!(o.tol >= 0)) throw new InvalidArgumentError(`${who}: tol must be ≥ 0, got ${o.tol}`);
  if (o.damping !== undefined && !(o.damping >= 0 && o.damping < 1)) {
    throw new InvalidArgumentError(`${who}: damping must be in [0, 1), got ${o.damping}`);
  }
}

/** ‖A − B‖²_F. */
export function diff2(a: CMat, b: CMat): number {
  let s = 0;
  for (let i = 0; i < a.re.length; i++) {
    const dr = a.re[i] - b.re[i];
    const di = a.im[i] - b.im[i];
    s += dr * dr + di * di;
  }
  return s;
}

/** Normalised row energies ‖x_n‖²/(M·β_n). */
export function energyScore(X: CMat, beta: Float64Array): Float64Array {
  const out = new Float64Array(X.rows);
  for (let n = 0; n < X.rows; n++) {
    let s = 0;
    for (let m = 0; m < X.cols; m++) {
      const k = n * X.cols + m;
      s += X.re[k] * X.re[k] + X.im[k] * X.im[k];
    }
    out[n] = s / (X.cols * beta[n]);
  }
  return out;
}

/** 1[score ≥ threshold]. */
export function thresholdScores(score: Float64Array, threshold: number): Uint8Array {
  const out = new Uint8Array(score.length);
  for (let i = 0; i < score.length; i++) out[i] = score[i] >= threshold ? 1 : 0;
  return out;
}

/** Row soft threshold η_θ(x_n) = max(0, 1 − θ/‖x_n‖)·x_n applied in place (group LASSO proximal operator). */
export function rowSoftThresholdInPlace(X: CMat, theta: number): void {
  for (let n = 0; n < X.rows; n++) {
    let s = 0;
    for (let m = 0; m < X.cols; m++) {
      const k = n * X.cols + m;
      s += X.re[k] * X.re[k] + X.im[k] * X.im[k];
    }
    const norm = Math.sqrt(s);
    const g = norm > theta ? 1 - theta / norm : 0;
    for (let m = 0; m < X.cols; m++) {
      const k = n * X.cols + m;
      X.re[k] *= g;
      X.im[k] *= g;
    }
  }
}

/** Zero N × M estimate. */
export function zeroEstimate(N: number, M: number): CMat {
  return cmat(N, M);
}
