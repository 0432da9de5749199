/**
 * Covariance-based maximum-likelihood activity detection by coordinate descent (S. Haghighatshoar, P. Jung, G. Caire,
 * "Improved scaling law for activity detection in massive MIMO systems", ISIT 2018; Z. Chen, F. Sohrabi, W. Yu,
 * "Sparse activity detection in multi-cell massive MIMO exploiting channel large-scale fading", IEEE TSP 2021):
 *
 *   Σ̂ = YYᴴ/M,   Σ(γ) = S diag(γ) Sᴴ + σ²I,   min_{γ ≥ 0} log|Σ(γ)| + tr(Σ(γ)⁻¹ Σ̂),
 *   for n = 1..N:  d = max{(s_nᴴΣ⁻¹Σ̂Σ⁻¹s_n − s_nᴴΣ⁻¹s_n) / (s_nᴴΣ⁻¹s_n)², −γ_n},  γ_n += d,
 *                  Σ⁻¹ ← Σ⁻¹ − d·Σ⁻¹s_n s_nᴴΣ⁻¹ / (1 + d·s_nᴴΣ⁻¹s_n).
 *
 * γ_n estimates the received power β_n·a_n of device n, so detection is γ_n/β_n ≥ threshold. It detects only;
 * channels are then estimated on the detected set by LS (default) or MMSE (`estimateChannels`). `maxIter` counts
 * sweeps over all devices (default 10); `tol` stops when a sweep changes no γ_n by more than tol·max γ.
 * A noise floor σ² ≥ 1e-6·tr(Σ̂)/L keeps the start Σ⁻¹ = I/σ² finite in the noiseless case.
 */
import { estimateChannels } from './channel-estimation.js';
import { cmat, cmatmulBH } from './host-complex.js';
import {
  checkIterOptions,
  checkProblem,
  DEFAULT_THRESHOLD,
  type IterOptions,
  type JadceProblem,
  type SolverResult,
  thresholdScores,
} from './solver.js';

/** Options of `covarianceMl`. */
export interface CovarianceMlOptions extends IterOptions {
  /** Channel estimator on the detected set (default `'ls'`). */
  channel?: 'ls' | 'mmse';
  /** Detection threshold on γ_n/β_n (default 0.2). */
  threshold?: number;
}

/** `covarianceMl` result plus the estimated powers γ. */
export interface CovarianceMlResult extends SolverResult {
  gamma: Float64Array;
}

/** Covariance-based ML detection by coordinate descent, then LS/MMSE channels (see file header). */
export function covarianceMl(p: JadceProblem, o: CovarianceMlOptions = {}): CovarianceMlResult {
  const maxIter = o.maxIter ?? 10;
  const tol = o.tol ?? 1e-6;
  checkIterOptions('covarianceMl', { maxIter, tol });
  const { L, N, M, beta } = checkProblem(p, 'covarianceMl');
  const { Y, S } = p;
  const C = cmatmulBH(Y, Y);
  let tr = 0;
  for (let l = 0; l < L; l++) tr += C.re[l * L + l];
  for (let i = 0; i < C.re.length; i++) {
    C.re[i] /= M;
    C.im[i] /= M;
  }
  tr /= M;
  const sigma2 = Math.max(p.sigma2, (1e-6 * tr) / L + 1e-300);
  const Sinv = cmat(L, L);
  for (let l = 0; l < L; l++) Sinv.re[l * L + l] = 1 / sigma2;
  const gamma = new Float64Array(N);
  const ur = new Float64Array(L);
  const ui = new Float64Array(L);
  const wr = new Float64Array(L);
  const wi = new Float64Array(L);
  let it = 0;
  let converged = false;
  for (it = 1; it <= maxIter; it++) {
    let change = 0;
    for (let n = 0; n < N; n++) {
      // u = Σ⁻¹ s_n
      for (let i = 0; i < L; i++) {
        let sr = 0;
        let si = 0;
        for (let j = 0; j < L; j++) {
          const ar = Sinv.re[i * L + j];
          const ai = Sinv.im[i * L + j];
          const br = S.re[j * N + n];
          const bi = S.im[j * N + n];
          sr += ar * br - ai * bi;
          si += ar * bi + ai * br;
        }
        ur[i] = sr;
        ui[i] = si;
      }
      // a = s_nᴴ u (real), w = Σ̂ u, b = uᴴ w (real)
      let a = 0;
      for (let i = 0; i < L; i++) a += S.re[i * N + n] * ur[i] + S.im[i * N + n] * ui[i];
      for (let i = 0; i < L; i++) {
        let sr = 0;
        let si = 0;
        for (let j = 0; j < L; j++) {
          const cr = C.re[i * L + j];
          const ci = C.im[i * L + j];
          sr += cr * ur[j] - ci * ui[j];
          si += cr * ui[j] + ci * ur[j];
        }
        wr[i] = sr;
        wi[i] = si;
      }
      let b = 0;
      for (let i = 0; i < L; i++) b += ur[i] * wr[i] + ui[i] * wi[i];
      const d = Math.max((b - a) / (a * a), -gamma[n]);
      if (d === 0) continue;
      gamma[n] += d;
      change = Math.max(change, Math.abs(d));
      // Σ⁻¹ ← Σ⁻¹ − d·u uᴴ / (1 + d·a)
      const f = d / (1 + d * a);
      for (let i = 0; i < L; i++) {
        for (let j = 0; j < L; j++) {
          Sinv.re[i * L + j] -= f * (ur[i] * ur[j] + ui[i] * ui[j]);
          Sinv.im[i * L + j] -= f * (ui[i] * ur[j] - ur[i] * ui[j]);
        }
      }
    }
    const gmax = gamma.reduce((m, g) => Math.max(m, g), 0);
    if (change <= tol * gmax) {
      converged = true;
      break;
    }
  }
  const score = Float64Array.from(gamma, (g, n) => g / beta[n]);
  const active = thresholdScores(score, o.threshold ?? DEFAULT_THRESHOLD.energy);
  const X = estimateChannels(Y, S, active, { method: o.channel ?? 'ls', beta, sigma2: p.sigma2 });
  return { X, score, scoreKind: 'energy', active, iterations: Math.min(it, maxIter), converged, gamma };
}
