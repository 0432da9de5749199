/**
 * `evaluateRobustness(model, data, { attacks })`: clean accuracy, robust accuracy per attack, the per-example worst
 * case over attacks (AutoAttack convention, see `attackAccuracy`), and, with `sanity`, the gradient-masking checks
 * of `gradientMaskingChecks` (monotone in ε and steps, ≈ 0 at a very large ε, PGD ≤ FGSM ≤ clean).
 */
import { InvalidArgumentError, type Trainable } from '@ft/core';
import {
  type AttackAccuracyOptions,
  type AttackAccuracyResult,
  attackAccuracy,
  type RobustnessData,
} from './attack-accuracy.js';
import { type GradientMaskingOptions, type GradientMaskingReport, gradientMaskingChecks } from './gradient-masking.js';

/** Options of {@link evaluateRobustness}: those of `attackAccuracy` plus `sanity`. */
export interface EvaluateRobustnessOptions extends AttackAccuracyOptions {
  /**
   * Run the gradient-masking checks: `true` uses the largest L∞ ε among the attacks; an object sets the options
   * (its `eps` defaults to that ε too). [false]
   */
  sanity?: boolean | (Partial<GradientMaskingOptions> & { eps?: number });
}

/** Result of {@link evaluateRobustness}. */
export interface RobustnessResult extends AttackAccuracyResult {
  /** Gradient-masking checks (with `sanity`). */
  sanity?: GradientMaskingReport;
}

/**
 * Clean accuracy, robust accuracy per attack, worst case over attacks, and optional gradient-masking checks.
 * @param model classifier on [0, 1] inputs (normalisation inside the model).
 * @param data `ImageDataset` or `{x, y}` tensors.
 * @param opts `{attacks, batchSize = 256, rng, limit, mode = 'full', counter, signal, onBatch, sanity = false}`.
 * @returns `{clean, perAttack, worstCase, n, passes, ms, sanity?}`, accuracies in [0, 1].
 */
export async function evaluateRobustness(
  model: Trainable,
  data: RobustnessData,
  opts: EvaluateRobustnessOptions,
): Promise<RobustnessResult> {
  const { sanity, ...rest } = opts;
  const result: RobustnessResult = await attackAccuracy(model, data, rest);
  if (sanity) {
    const s = typeof sanity === 'object' ? sanity : {};
    const linf = opts.attacks.filter((a) => a.norm === 'Linf').map((a) => a.eps);
    const eps = s.eps ?? (linf.length ? Math.max(...linf) : undefined);
    if (eps === undefined || !(eps > 0)) {
      throw new InvalidArgumentError('evaluateRobustness: sanity checks need an L∞ ε > 0 (pass sanity: { eps })');
    }
    result.sanity = await gradientMaskingChecks(model, data, {
      ...(opts.batchSize ? { batchSize: opts.batchSize } : {}),
      ...(opts.rng ? { rng: opts.rng.fork('sanity') } : {}),
      ...(opts.counter ? { counter: opts.counter } : {}),
      ...(opts.signal ? { signal: opts.signal } : {}),
      ...(opts.attacks[0] ? { attackOptions: { output: opts.attacks[0].output } } : {}),
      ...s,
      eps,
    });
  }
  return result;
}
