/** The linear warm-up of the SSL loss weight (the official AKC+ARC code's `warmup_iter`; 4000 in its ICT setting). */
import { InvalidArgumentError } from '@ft/core';
import { checkNonNegative } from '@ft/core/internal';
import { lambdaWarmup } from '../regularisers/warmup.js';

/** Options of {@link sslCoefWarmup}. */
export interface SslCoefWarmupOptions {
  /** Iterations of the linear ramp (an integer ≥ 0); 0 = no warm-up. [0] */
  warmupSteps?: number;
}

/**
 * coef_t = coef·min(1, t / warmupSteps), or coef when warmupSteps = 0: the weight of the SSL loss at iteration t
 * (spec §4; the ramp is `lambdaWarmup`'s).
 * @param coef the final weight (finite, ≥ 0; FixMatch 0.5–1, ICT 100–500 in the paper's settings).
 * @param step the iteration t (finite, ≥ 0).
 * @param o `warmupSteps` (integer ≥ 0, default 0 = none).
 * @throws InvalidArgumentError for a negative or non-finite coef or step, or a warmupSteps that is not an integer ≥ 0.
 */
export function sslCoefWarmup(coef: number, step: number, o: SslCoefWarmupOptions = {}): number {
  const where = 'sslCoefWarmup';
  checkNonNegative(coef, 'coef', where);
  checkNonNegative(step, 'step', where);
  const warmupSteps = o.warmupSteps ?? 0;
  if (typeof warmupSteps !== 'number' || !Number.isInteger(warmupSteps) || warmupSteps < 0) {
    throw new InvalidArgumentError(`${where}: warmupSteps must be an integer >= 0, got ${String(warmupSteps)}`, {
      parameter: 'warmupSteps',
      value: warmupSteps,
    });
  }
  return warmupSteps === 0 ? coef : lambdaWarmup(coef, step, { warmupSteps });
}
