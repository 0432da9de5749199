/**
 * The learning-rate arithmetic of Li et al., "Rethinking the Hyperparameters for Fine-tuning" (ICLR 2020), Sec. 3.3
 * and App. C: effective learning rate, effective weight decay under BatchNorm, and the BatchNorm-momentum conventions.
 */
import { InvalidArgumentError } from '@ft/core';
import { checkNonNegative } from '@ft/core/internal';

/** Checks a momentum `m ∈ [0, 1)` (SGD momentum, or BN momentum where 1 is excluded by the formula). */
function checkMomentum(m: unknown, name: string, where: string): number {
  if (typeof m !== 'number' || !Number.isFinite(m) || m < 0 || m >= 1) {
    throw new InvalidArgumentError(`${where}: ${name} must be a finite number in [0, 1), got ${String(m)}`, {
      parameter: name,
      value: m,
    });
  }
  return m;
}

/** Checks a momentum `m ∈ [0, 1]` (a BN running-average coefficient: both ends are valid). */
function checkUnit(m: unknown, name: string, where: string): number {
  if (typeof m !== 'number' || !Number.isFinite(m) || m < 0 || m > 1) {
    throw new InvalidArgumentError(`${where}: ${name} must be a finite number in [0, 1], got ${String(m)}`, {
      parameter: name,
      value: m,
    });
  }
  return m;
}

/**
 * Effective learning rate of SGD with momentum (Li et al. 2020, Sec. 3.3): `η' = η / (1 − m)`.
 *
 * With a constant gradient `g`, heavy-ball or Nesterov SGD (`v ← m·v + g, θ ← θ − η·v`, PyTorch's and core `sgd`'s
 * form) moves `θ` by `η·g/(1 − m)` per step in the limit, so runs with equal `η'` behave alike whatever `m`. Coupled
 * weight decay (added to the gradient) is amplified by the same `1/(1 − m)`; decoupled (AdamW-style) decay is not.
 * @param lr the learning rate η (finite, ≥ 0).
 * @param momentum the momentum m ∈ [0, 1).
 * @returns η' (e.g. `effectiveLr(0.01, 0.9) = 0.1`).
 * @throws InvalidArgumentError for η < 0, non-finite η, or m outside [0, 1).
 */
export function effectiveLr(lr: number, momentum: number): number {
  checkNonNegative(lr, 'lr', 'effectiveLr');
  checkMomentum(momentum, 'momentum', 'effectiveLr');
  return lr / (1 - momentum);
}

/**
 * The learning rate that gives an effective learning rate `η'` at momentum `m`: `η = η'·(1 − m)` (inverse of
 * {@link effectiveLr}).
 * @param elr the effective learning rate η' (finite, ≥ 0).
 * @param momentum the momentum m ∈ [0, 1).
 * @returns η (e.g. `lrForEffectiveLr(0.1, 0.9) = 0.01`).
 * @throws InvalidArgumentError for η' < 0, non-finite η', or m outside [0, 1).
 */
export function lrForEffectiveLr(elr: number, momentum: number): number {
  checkNonNegative(elr, 'elr', 'lrForEffectiveLr');
  checkMomentum(momentum, 'momentum', 'lrForEffectiveLr');
  return elr * (1 - momentum);
}

/**
 * Effective weight decay of a scale-invariant (BatchNorm-followed) weight (Li et al. 2020, Sec. 3.3, after van Laarhoven
 * 2017): `λ' = λ / η`. With BN the effective step on such a weight is ∼ η/‖θ‖², and the decay `λ` only sets ‖θ‖, so the
 * ratio λ/η is what matters; the paper finds the best λ' larger when source and target are similar (Fig. 5).
 * @param wd the weight decay λ (finite, ≥ 0).
 * @param lr the learning rate η (finite, > 0).
 * @returns λ' (e.g. `effectiveWeightDecay(1e-4, 0.01) = 0.01`).
 * @throws InvalidArgumentError for λ < 0, η ≤ 0, or non-finite values.
 */
export function effectiveWeightDecay(wd: number, lr: number): number {
  checkNonNegative(wd, 'wd', 'effectiveWeightDecay');
  checkNonNegative(lr, 'lr', 'effectiveWeightDecay', { positive: true });
  return wd / lr;
}

/**
 * Conversions between the two BatchNorm-momentum conventions (Li et al. 2020, App. C).
 *
 * - Keras / tfjs / MXNet: `μ ← m·μ + (1 − m)·μ_batch` (tfjs default m = 0.99; the paper's MXNet default 0.9).
 * - PyTorch: `μ ← (1 − m_pt)·μ + m_pt·μ_batch` (default m_pt = 0.1).
 *
 * So `m_pt = 1 − m`. Copying PyTorch's 0.01 into tfjs shrinks the running statistics' time constant `1/(1 − m)` from
 * about 100 steps to about 1.
 */
export const bnMomentum = {
  /**
   * PyTorch's momentum for a Keras/tfjs momentum: `m_pt = 1 − m` (tfjs 0.99 ↔ PyTorch 0.01).
   * @param m the Keras/tfjs momentum in [0, 1].
   * @throws InvalidArgumentError outside [0, 1] or non-finite.
   */
  toPytorch(m: number): number {
    checkUnit(m, 'm', 'bnMomentum.toPytorch');
    return 1 - m;
  },
  /**
   * The Keras/tfjs momentum for a PyTorch momentum: `m = 1 − m_pt` (PyTorch 0.1 ↔ tfjs 0.9).
   * @param mPt the PyTorch momentum in [0, 1].
   * @throws InvalidArgumentError outside [0, 1] or non-finite.
   */
  fromPytorch(mPt: number): number {
    checkUnit(mPt, 'mPt', 'bnMomentum.fromPytorch');
    return 1 - mPt;
  },
  /**
   * Kornblith et al.'s (2019) BN momentum, in the Keras/tfjs convention: `m = max(1 − 10/s, 0.9)` with `s` the
   * number of steps per epoch (so the running statistics average over about a tenth of an epoch, never fewer than
   * 10 steps). It differs from 0.9 only when s > 100, i.e. above 25,600 images at batch 256 (Li et al. App. C).
   * @param stepsPerEpoch optimizer steps per epoch, an integer ≥ 1.
   * @throws InvalidArgumentError for a non-integer or s < 1.
   */
  kornblith(stepsPerEpoch: number): number {
    if (typeof stepsPerEpoch !== 'number' || !Number.isInteger(stepsPerEpoch) || stepsPerEpoch < 1) {
      throw new InvalidArgumentError(
        `bnMomentum.kornblith: stepsPerEpoch must be an integer >= 1, got ${String(stepsPerEpoch)}`,
        { parameter: 'stepsPerEpoch', value: stepsPerEpoch },
      );
    }
    return Math.max(1 - 10 / stepsPerEpoch, 0.9);
  },
} as const;
