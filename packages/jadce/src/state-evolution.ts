/**
 * State evolution of AMP-MMV (Liu & Yu, TSP 2018, §IV-A; Kim et al. / Bayati–Montanari for the scalar case): in the
 * large-system limit N, L → ∞ with N/L fixed, undamped AMP's effective noise follows the scalar recursion
 *
 *   τ²_1 = σ² + (N/L)·ε_true·β,     τ²_{t+1} = σ² + (N/L)·mse(τ²_t),
 *   mse(τ²) = E‖x − η(x + τ·w)‖² / M,   x = a·√β·g,  a ~ Bern(ε_true),  g, w ~ CN(0, I_M),
 *
 * with η the Bernoulli–Gaussian MMSE row denoiser. The expectation is computed by Monte Carlo with a seeded RNG.
 * Used to check the implementation: the empirical τ_t² = ‖Z^t‖²_F/(LM) and MSE ‖X^t − X‖²_F/(NM) of `ampMmv`
 * (damping 0) must follow this recursion at large N.
 */
import { InvalidArgumentError, type Rng } from '@ft/core';
import { bgRowPosterior } from './bg-posterior.js';

/** Options of `ampMmvStateEvolution`. */
export interface StateEvolutionOptions {
  N: number;
  L: number;
  M: number;
  /** Activity probability ε assumed by the denoiser. */
  eps: number;
  /**
   * Activity fraction of the data (default ε). Set it to the realised K/N to compare with one finite realisation:
   * state evolution holds for any Lipschitz denoiser, including a mismatched prior.
   */
  epsTrue?: number;
  /** Common large-scale fading β (default 1). */
  beta?: number;
  /** Noise variance σ². */
  sigma2: number;
  /** Number of iterations (default 10). */
  iters?: number;
  /** Monte Carlo rows per expectation (default 20000). */
  samples?: number;
  /** Seeded generator. */
  rng: Rng;
}

/**
 * Predicted effective noise τ²_t and per-entry MSE after iteration t (t = 1..iters) of undamped AMP-MMV.
 * `mse[t−1]` is the MSE of the estimate produced in iteration t, so `tau2[t] = σ² + (N/L)·mse[t−1]`.
 */
export function ampMmvStateEvolution(o: StateEvolutionOptions): { tau2: number[]; mse: number[] } {
  const { N, L, M, eps, sigma2, rng } = o;
  const beta = o.beta ?? 1;
  const iters = o.iters ?? 10;
  const samples = o.samples ?? 20000;
  if (!(eps > 0 && eps < 1)) throw new InvalidArgumentError(`ampMmvStateEvolution: eps must be in (0, 1), got ${eps}`);
  // Fixed Monte Carlo draws (common random numbers across iterations).
  const a = new Uint8Array(samples);
  const g = new Float64Array(samples * M * 2);
  const w = new Float64Array(samples * M * 2);
  const epsTrue = o.epsTrue ?? eps;
  for (let s = 0; s < samples; s++) a[s] = rng.uniform() < epsTrue ? 1 : 0;
  for (let i = 0; i < g.length; i++) g[i] = rng.normal() * Math.SQRT1_2;
  for (let i = 0; i < w.length; i++) w[i] = rng.normal() * Math.SQRT1_2;
  const tau2: number[] = [];
  const mse: number[] = [];
  let t2 = sigma2 + (N / L) * epsTrue * beta;
  const sb = Math.sqrt(beta);
  for (let t = 0; t < iters; t++) {
    tau2.push(t2);
    const st = Math.sqrt(t2);
    let err = 0;
    for (let s = 0; s < samples; s++) {
      let r2 = 0;
      for (let k = 0; k < 2 * M; k++) {
        const x = a[s] ? sb * g[s * 2 * M + k] : 0;
        const r = x + st * w[s * 2 * M + k];
        r2 += r * r;
      }
      const post = bgRowPosterior(r2, M, eps, beta, t2);
      const c = post.pi * post.gain;
      for (let k = 0; k < 2 * M; k++) {
        const x = a[s] ? sb * g[s * 2 * M + k] : 0;
        const r = x + st * w[s * 2 * M + k];
        const e = c * r - x;
        err += e * e;
      }
    }
    const m = err / (samples * M);
    mse.push(m);
    t2 = sigma2 + (N / L) * m;
  }
  return { tau2, mse };
}
