/** Independent uniform sampling (Optuna's RandomSampler). */
import { createRng, InvalidArgumentError } from '@ft/core';
import type { Distribution, ParamValue } from '../distributions.js';
import type { FrozenTrial } from '../storage.js';
import type { StudyView, TrialSampler } from '../types.js';
import { fromSamplingSpace, numericBounds } from './transform.js';

/**
 * Draws `dist` uniformly in its sampling space (log-uniform for `log`, equal mass per grid point for steps and
 * integers, uniform over categorical choices), from a stream named by (seed, trial number, parameter name) so a
 * resumed study draws what an uninterrupted one would.
 */
export function sampleUniform(seedLabel: string, dist: Distribution): ParamValue {
  const u = createRng(seedLabel).uniform();
  if (dist.kind === 'categorical')
    return dist.toExternalRepr(Math.min(Math.floor(u * dist.choices.length), dist.choices.length - 1));
  const [lo, hi] = numericBounds(dist);
  return dist.toExternalRepr(fromSamplingSpace(dist, lo + u * (hi - lo)));
}

/** Independent random search. */
export class RandomSampler implements TrialSampler {
  readonly seed: number;
  constructor(opts: { seed?: number } = {}) {
    const seed = opts.seed ?? 0;
    if (!Number.isFinite(seed)) throw new InvalidArgumentError(`RandomSampler: seed must be finite, got ${seed}`);
    this.seed = seed;
  }
  sampleIndependent(_study: StudyView, trial: FrozenTrial, name: string, dist: Distribution): ParamValue {
    return sampleUniform(`random:${this.seed}:${trial.number}:${name}`, dist);
  }
}
