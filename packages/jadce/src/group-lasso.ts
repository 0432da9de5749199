/**
 * Shared pieces of the group-LASSO baselines (Yuan & Lin 2006; JADCE use: Liu & Yu, TSP 2018 §III, Shi et al.,
 * arXiv 2106.10426): min_X ½‖Y − SX‖²_F + μ Σ_n ‖x_n‖₂, the row-sparse convex relaxation of JADCE.
 */
import { type CMat, cmatmulAH, crowNorms2, cspectralNorm2 } from './host-complex.js';

const lipschitzCache = new WeakMap<CMat, number>();

/** Lipschitz constant Lc = ‖S‖²₂ of the gradient of ½‖Y − SX‖², cached per pilot matrix object. */
export function pilotLipschitz(S: CMat): number {
  let v = lipschitzCache.get(S);
  if (v === undefined) {
    v = cspectralNorm2(S, 300);
    lipschitzCache.set(S, v);
  }
  return v;
}

/** λ_max = max_n ‖s_nᴴ Y‖₂: the smallest μ for which X = 0 is optimal. */
export function lambdaMax(Y: CMat, S: CMat): number {
  const g = crowNorms2(cmatmulAH(S, Y));
  return Math.sqrt(g.reduce((a, b) => Math.max(a, b), 0));
}

/**
 * Default regularisation weight [I]: μ = σ·(√M + √(2·ln N)), the high-probability bound on max_n ‖s_nᴴ W‖₂ for
 * CN(0, σ²) noise and unit-norm pilots (so noise alone does not open a row), floored at 10⁻⁴·λ_max so the noiseless
 * problem stays sparse.
 */
export function defaultGroupLassoMu(Y: CMat, S: CMat, sigma2: number): number {
  const M = Y.cols;
  const N = S.cols;
  return Math.max(Math.sqrt(sigma2) * (Math.sqrt(M) + Math.sqrt(2 * Math.log(N))), 1e-4 * lambdaMax(Y, S));
}
