/**
 * Priors ε (activity probability) and β (large-scale fading) for the solvers that need them (AMP-MMV uses both; the
 * MMSE channel estimator uses β). Precedence: a value given by the caller (`--eps`, `--beta`) > the value in the
 * data file > an estimate from the received energy.
 *
 * Energy estimator [I]: E‖Y‖²_F / M = Σ_n ε·β_n·‖s_n‖² + L·σ², so over the realisations b
 *   ε̂ = mean_b(‖Y_b‖²_F / M − L·σ²_b) / Σ_n β_n‖s_n‖²,   clipped to [1/(2N), 1].
 * Only the product ε·β is identifiable from energy: when β is missing and ε is known, β_n = ĉ (one common gain);
 * when both are missing, β_n = 1 (the normalised model of the simulator) and ε is estimated.
 */
import { InvalidArgumentError } from '@ft/core';
import { batchItem, ccolNorms2, cfrob2 } from './host-complex.js';
import { dataDims, type JadceData } from './simulate.js';

/** Where a prior value came from. */
export type PriorSource = 'flag' | 'file' | 'estimated' | 'assumed';

/** Resolved priors. */
export interface ResolvedPriors {
  eps: number;
  beta: Float64Array;
  source: { eps: PriorSource; beta: PriorSource };
}

/** Mean excess energy per antenna, mean_b(‖Y_b‖²/M − L·σ²_b). */
function excessEnergy(d: JadceData): number {
  const { count, L, M } = dataDims(d);
  let s = 0;
  for (let b = 0; b < count; b++) s += cfrob2(batchItem(d.Y, b)) / M - L * d.sigma2[b];
  return s / count;
}

/**
 * Resolves ε and β for a data set (see the file header for the precedence and the estimator).
 * @param d the data set
 * @param given values from flags: `eps` in (0, 1], `beta` a positive number (all devices) or an [N] array
 * @throws InvalidArgumentError for out-of-range flag values or a β array of the wrong length.
 */
export function resolvePriors(
  d: JadceData,
  given: { eps?: number; beta?: number | Float64Array } = {},
): ResolvedPriors {
  const { N } = dataDims(d);
  const colNorms = ccolNorms2(d.S);
  let beta: Float64Array | undefined;
  let betaSource: PriorSource = 'assumed';
  if (given.beta !== undefined) {
    if (typeof given.beta === 'number') {
      if (!(given.beta > 0)) throw new InvalidArgumentError(`--beta must be > 0, got ${given.beta}`);
      beta = new Float64Array(N).fill(given.beta);
    } else {
      if (given.beta.length !== N)
        throw new InvalidArgumentError(`--beta: expected ${N} values, got ${given.beta.length}`);
      beta = Float64Array.from(given.beta);
    }
    betaSource = 'flag';
  } else if (d.beta) {
    beta = d.beta;
    betaSource = 'file';
  }
  let eps: number | undefined;
  let epsSource: PriorSource = 'estimated';
  if (given.eps !== undefined) {
    if (!(given.eps > 0 && given.eps <= 1)) throw new InvalidArgumentError(`--eps must be in (0, 1], got ${given.eps}`);
    eps = given.eps;
    epsSource = 'flag';
  } else if (d.eps !== undefined) {
    eps = d.eps;
    epsSource = 'file';
  }
  const energy = Math.max(excessEnergy(d), 0);
  if (!beta) {
    if (eps !== undefined) {
      const sumNorm = colNorms.reduce((s, v) => s + v, 0);
      const c = energy / (eps * sumNorm);
      beta = new Float64Array(N).fill(c > 0 ? c : 1);
      betaSource = c > 0 ? 'estimated' : 'assumed';
    } else {
      beta = new Float64Array(N).fill(1);
      betaSource = 'assumed';
    }
  }
  if (eps === undefined) {
    let denom = 0;
    for (let n = 0; n < N; n++) denom += beta[n] * colNorms[n];
    eps = Math.min(1, Math.max(1 / (2 * N), energy / denom));
    epsSource = 'estimated';
  }
  return { eps, beta, source: { eps: epsSource, beta: betaSource } };
}
