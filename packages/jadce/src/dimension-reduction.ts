/**
 * Dimension-reduction (DR) module of Shao et al. (arXiv 2012.13523, module 1; basis: X. Shao, X. Chen, R. Jia, "A
 * dimension reduction-based joint activity detection and channel estimation algorithm for massive access", IEEE TSP
 * 2020, arXiv 1912.08952) — a reconstruction [recon]: project Y onto its r leading right singular vectors,
 *
 *   Y = UΣVᴴ,   Y_r = Y·V_r = S·X_r + W·V_r ∈ C^{L×r},   X_r = X·V_r,
 *
 * which keeps the row support of X (the device activity) and white noise (V_r has orthonormal columns), and cuts the
 * per-iteration cost of the downstream network from O(LNM) to O(LNr). V_r comes from core's `symEig` of the realified
 * M × M Hermitian matrix YᴴY (each eigenvalue appears twice there; the complex eigenvectors are recovered by complex
 * Gram–Schmidt over the realified ones in descending order).
 *
 * `rank: 'auto'` estimates the number of active devices K̂ as the number of eigenvalues of YᴴY/M above the
 * Marchenko–Pastur edge (1 + √(L/M))²·σ² of pure noise, and uses r = clamp(K̂, 1, min(L, M)). r < K drops devices
 * silently, so the chosen r and K̂ are returned for logging.
 */
import { InvalidArgumentError, matrix, symEig } from '@ft/core';
import { type CMat, cmat, cmatmul, cmatmulAH } from './host-complex.js';

/** Options of `dimensionReduction`. */
export interface DimensionReductionOptions {
  /** Number of kept singular vectors r, or `'auto'` (needs `sigma2`). */
  rank: number | 'auto';
  /** Noise variance σ² (for `'auto'`). */
  sigma2?: number;
}

/** Result of `dimensionReduction`. */
export interface DimensionReductionResult {
  /** Projected observation Y_r = Y·V_r [L, r]. */
  Yr: CMat;
  /** Orthonormal basis V_r [M, r]. */
  Vr: CMat;
  /** The r used. */
  rank: number;
  /** Eigenvalues of YᴴY/M, descending (M values). */
  eigenvalues: Float64Array;
  /** Number of eigenvalues above the Marchenko–Pastur noise edge (only when σ² is known). */
  kHat?: number;
}

/**
 * Projects Y [L, M] onto its r leading right singular vectors (see the file header). Float64 on the host.
 * @throws InvalidArgumentError for r outside [1, M] or `'auto'` without σ².
 */
export function dimensionReduction(Y: CMat, o: DimensionReductionOptions): DimensionReductionResult {
  const L = Y.rows;
  const M = Y.cols;
  const G = cmatmulAH(Y, Y); // M × M Hermitian
  const R = matrix(2 * M, 2 * M);
  const w = 2 * M;
  for (let i = 0; i < M; i++) {
    for (let j = 0; j < M; j++) {
      const re = G.re[i * M + j];
      const im = G.im[i * M + j];
      R.data[i * w + j] = re;
      R.data[i * w + M + j] = -im;
      R.data[(M + i) * w + j] = im;
      R.data[(M + i) * w + M + j] = re;
    }
  }
  const eig = symEig(R, { method: 'tridiagonal' });
  // realified eigenvalues come in equal pairs: take every other one, descending
  const eigenvalues = new Float64Array(M);
  for (let k = 0; k < M; k++) eigenvalues[k] = Math.max(eig.values[2 * M - 1 - 2 * k], 0) / M;
  let kHat: number | undefined;
  if (o.sigma2 !== undefined) {
    const edge = (1 + Math.sqrt(L / M)) ** 2 * o.sigma2;
    kHat = eigenvalues.reduce((c, v) => c + (v > edge ? 1 : 0), 0);
  }
  let r: number;
  if (o.rank === 'auto') {
    if (kHat === undefined) throw new InvalidArgumentError("dimensionReduction: rank 'auto' needs sigma2");
    r = Math.min(Math.max(kHat, 1), Math.min(L, M));
  } else r = o.rank;
  if (!Number.isInteger(r) || r < 1 || r > M) {
    throw new InvalidArgumentError(`dimensionReduction: rank must be an integer in [1, M=${M}], got ${o.rank}`);
  }
  // complex Gram–Schmidt over realified eigenvectors [a; b] → a + i·b, largest eigenvalue first
  const Vr = cmat(M, r);
  let kept = 0;
  const vr = new Float64Array(M);
  const vi = new Float64Array(M);
  for (let c = 2 * M - 1; c >= 0 && kept < r; c--) {
    for (let i = 0; i < M; i++) {
      vr[i] = eig.vectors.data[i * w + c];
      vi[i] = eig.vectors.data[(M + i) * w + c];
    }
    for (let k = 0; k < kept; k++) {
      // projection coefficient <q_k, v> = q_kᴴ v
      let pr = 0;
      let pi = 0;
      for (let i = 0; i < M; i++) {
        const qr = Vr.re[i * r + k];
        const qi = Vr.im[i * r + k];
        pr += qr * vr[i] + qi * vi[i];
        pi += qr * vi[i] - qi * vr[i];
      }
      for (let i = 0; i < M; i++) {
        const qr = Vr.re[i * r + k];
        const qi = Vr.im[i * r + k];
        vr[i] -= pr * qr - pi * qi;
        vi[i] -= pr * qi + pi * qr;
      }
    }
    let n2 = 0;
    for (let i = 0; i < M; i++) n2 += vr[i] * vr[i] + vi[i] * vi[i];
    if (n2 < 0.25) continue; // the twin of an already kept vector
    const s = 1 / Math.sqrt(n2);
    for (let i = 0; i < M; i++) {
      Vr.re[i * r + kept] = vr[i] * s;
      Vr.im[i * r + kept] = vi[i] * s;
    }
    kept++;
  }
  return { Yr: cmatmul(Y, Vr), Vr, rank: r, eigenvalues, kHat };
}
