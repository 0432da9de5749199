/**
 * Channel estimation on a detected set Â (step 4 of Shao et al.'s framework, arXiv 2012.13523; standard LS / LMMSE):
 *
 *   LS:    Ĥ_Â = (S_Âᴴ S_Â)⁻¹ S_Âᴴ Y                 (minimum-norm S_Âᴴ (S_Â S_Âᴴ)⁻¹ Y when |Â| > L)
 *   MMSE:  Ĥ_Â = B S_Âᴴ (S_Â B S_Âᴴ + σ² I)⁻¹ Y,      B = diag(β_Â)
 *
 * Rows outside Â are zero. All in Float64 on the host (Hermitian solves through core's Cholesky).
 */
import { InvalidArgumentError } from '@ft/core';
import { type CMat, chermSolve, cmat, cmatmul, cmatmulAH, cmatmulBH, cselectCols } from './host-complex.js';
import { checkProblem } from './solver.js';

/** Options of `estimateChannels`. */
export interface ChannelEstimationOptions {
  /** `'ls'` (default) or `'mmse'`. */
  method?: 'ls' | 'mmse';
  /** Large-scale fading β [N] for MMSE (default ones). */
  beta?: Float64Array;
  /** Noise variance σ² for MMSE (required there). */
  sigma2?: number;
}

/**
 * Estimates X [N, M] on the detected set (see the file header).
 * @param Y received pilots [L, M]
 * @param S pilots [L, N]
 * @param active detected activity [N] (0/1)
 * @param o method (default `'ls'`), `beta`, `sigma2`
 */
export function estimateChannels(Y: CMat, S: CMat, active: ArrayLike<number>, o: ChannelEstimationOptions = {}): CMat {
  const method = o.method ?? 'ls';
  const { L, N, M, beta } = checkProblem({ Y, S, sigma2: o.sigma2 ?? 0, beta: o.beta }, 'estimateChannels');
  if (active.length !== N)
    throw new InvalidArgumentError(`estimateChannels: active has ${active.length} entries, N=${N}`);
  const idx: number[] = [];
  for (let n = 0; n < N; n++) if (active[n]) idx.push(n);
  const X = cmat(N, M);
  const k = idx.length;
  if (k === 0) return X;
  const SA = cselectCols(S, idx);
  let H: CMat;
  if (method === 'mmse') {
    if (o.sigma2 === undefined) throw new InvalidArgumentError('estimateChannels: method mmse needs sigma2');
    // C = S_A B S_Aᴴ + σ² I  (L × L);  H = B S_Aᴴ C⁻¹ Y
    const SB = cmat(L, k);
    for (let l = 0; l < L; l++) {
      for (let j = 0; j < k; j++) {
        SB.re[l * k + j] = SA.re[l * k + j] * beta[idx[j]];
        SB.im[l * k + j] = SA.im[l * k + j] * beta[idx[j]];
      }
    }
    const C = cmatmulBH(SB, SA);
    for (let l = 0; l < L; l++) C.re[l * L + l] += o.sigma2;
    H = cmatmulAH(SB, chermSolve(C, Y));
  } else if (method === 'ls') {
    if (k <= L) H = chermSolve(cmatmulAH(SA, SA), cmatmulAH(SA, Y));
    else H = cmatmulAH(SA, chermSolve(cmatmulBH(SA, SA), Y));
  } else {
    throw new InvalidArgumentError(`estimateChannels: method must be 'ls' or 'mmse', got '${method}'`);
  }
  for (let j = 0; j < k; j++) {
    const n = idx[j];
    X.re.set(H.re.subarray(j * M, (j + 1) * M), n * M);
    X.im.set(H.im.subarray(j * M, (j + 1) * M), n * M);
  }
  return X;
}

/** Convenience: S·X for residual checks. */
export function applyPilots(S: CMat, X: CMat): CMat {
  return cmatmul(S, X);
}
