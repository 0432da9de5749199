/** Warm-ups of the regularisers' weights (Abuduweili et al., CVPR 2021; official code `reg_warmup_iter`, `reg_warmup`). */
import { InvalidArgumentError } from '@ft/core';
import { checkPositiveInt } from '@ft/core/internal';

/** Options of {@link lambdaWarmup}. */
export interface LambdaWarmupOptions {
  /** Iterations of the linear ramp (the code's `reg_warmup_iter`). [100] */
  warmupSteps?: number;
}

/** ARC is applied only after this many iterations (the code's `reg_warmup`): see `arcLoss`'s `step`. */
export const ARC_REG_WARMUP = 10;

/**
 * λ(t) = λ·min(1, t / warmupSteps), the linear ramp of λ_KC and λ_RC.
 * @param lambda the final weight λ (finite, ≥ 0).
 * @param step the iteration t (≥ 0; the code counts from 1).
 * @param o `warmupSteps` (integer ≥ 1, default 100).
 */
export function lambdaWarmup(lambda: number, step: number, o: LambdaWarmupOptions = {}): number {
  const where = 'lambdaWarmup';
  for (const [name, v] of [
    ['lambda', lambda],
    ['step', step],
  ] as const) {
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) {
      throw new InvalidArgumentError(`${where}: ${name} must be a finite number >= 0, got ${String(v)}`, {
        parameter: name,
        value: v,
      });
    }
  }
  const warmupSteps = checkPositiveInt(o.warmupSteps ?? 100, 'warmupSteps', where);
  return lambda * Math.min(1, step / warmupSteps);
}
