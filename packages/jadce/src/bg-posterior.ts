/**
 * Posterior of a Bernoulli–Gaussian row under additive Gaussian noise — the MMSE denoiser inside AMP-MMV, EM-BG-AMP
 * and the proposed network (Liu & Yu, TSP 2018, eq. (20)–(22); Vila & Schniter, TSP 2013, for d = 1).
 *
 * Prior x ~ (1 − λ)·δ₀ + λ·CN(0, φ·I_d); observation r = x + CN(0, τ·I_d). With the log-odds of "inactive"
 *   ℓ = ln((1 − λ)/λ) + d·ln((φ + τ)/τ) − ‖r‖²·(1/τ − 1/(φ + τ)),
 * the activity posterior is π = sigmoid(−ℓ) (computed without overflow), the conditional mean of the active component
 * μ = φ/(φ + τ)·r, the MMSE estimate x̂ = π·μ, and the posterior variance per entry
 *   v = π·φτ/(φ + τ) + π(1 − π)·‖μ‖²/d.
 * The average derivative of the denoiser, ⟨∂x̂/∂r⟩ = v/τ, gives AMP's Onsager coefficient.
 */

/** Row posterior quantities (see file header). */
export interface BgRowPosterior {
  /** Activity probability π. */
  pi: number;
  /** Shrinkage gain g = φ/(φ + τ) (μ = g·r, x̂ = π·g·r). */
  gain: number;
  /** Posterior variance per entry v. */
  v: number;
  /** Log-odds of "inactive" ℓ (π = sigmoid(−ℓ)). */
  logOdds: number;
}

/**
 * Bernoulli–Gaussian row posterior for ‖r‖² = `r2` in dimension `d` (see file header).
 * @param r2 squared norm of the noisy row
 * @param d number of complex entries in the row
 * @param lambda prior activity probability λ ∈ (0, 1)
 * @param phi prior variance of an active entry φ > 0
 * @param tau effective noise variance τ > 0
 */
export function bgRowPosterior(r2: number, d: number, lambda: number, phi: number, tau: number): BgRowPosterior {
  const logOdds = Math.log((1 - lambda) / lambda) + d * Math.log((phi + tau) / tau) - r2 * (1 / tau - 1 / (phi + tau));
  const pi = logOdds >= 0 ? Math.exp(-logOdds) / (1 + Math.exp(-logOdds)) : 1 / (1 + Math.exp(logOdds));
  const gain = phi / (phi + tau);
  const v = pi * gain * tau + (pi * (1 - pi) * gain * gain * r2) / d;
  return { pi, gain, v, logOdds };
}
