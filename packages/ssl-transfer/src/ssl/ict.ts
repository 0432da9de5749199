/**
 * Interpolation Consistency Training (Verma et al., IJCAI 2019, arXiv 1903.03825), the "MixMatch" mode of the AKC+ARC
 * official code: mixup of weak unlabelled inputs and of the EMA teacher's class probabilities, and a softmax MSE.
 */
import { type Rng, ShapeError } from '@ft/core';
import { mixupWith } from '@ft/core/augment';
import { checkNonNegative } from '@ft/core/internal';
import { detach } from '@ft/core/train';
import type * as tf from '@tensorflow/tfjs-core';
import { softmaxMse } from './mean-teacher.js';
import { checkLogits2d, checkSameLogits } from './pseudo-labels.js';

/** Options of {@link ictMix}. */
export interface IctMixOptions {
  /** α > 0 of λ ~ Beta(α, α). The official code's 0.75. [0.75] */
  alpha?: number;
}

/** The result of {@link ictMix}. */
export interface IctMix {
  /** [N, H, W, C] mixed inputs λ·x + (1 − λ)·x[perm] (caller disposes). */
  x: tf.Tensor4D;
  /** [N, C] mixed targets λ·t + (1 − λ)·t[perm], detached (caller disposes). */
  targets: tf.Tensor2D;
  /** The batch's λ, as used (float32). */
  lam: number;
  /** The partner permutation perm. */
  perm: Int32Array;
}

/**
 * ICT's mixup (Verma et al. 2019, Alg. 1): ONE λ ~ Beta(α, α) per batch (`rng.beta`, drawn first), a partner
 * permutation π (`rng.permutation(N)`, drawn second), `x̃ = λ·x + (1 − λ)·x[π]` and `t̃ = λ·t + (1 − λ)·t[π]`,
 * λ not folded to max(λ, 1 − λ). The targets carry no gradient. Built on core's `mixupWith`.
 * @param xWeak [N, H, W, C] float32 weakly augmented unlabelled inputs.
 * @param teacherProbs [N, C] the EMA teacher's softmax on `xWeak`.
 * @param rng the random stream (core `createRng`).
 * @param o `alpha` α > 0 (default 0.75).
 * @returns mixed inputs and targets (caller disposes both), λ and π.
 * @throws ShapeError for an input that is not a float32 [N, H, W, C] or targets that are not [N, C];
 *   InvalidArgumentError for α ≤ 0.
 */
export function ictMix(xWeak: tf.Tensor4D, teacherProbs: tf.Tensor2D, rng: Rng, o: IctMixOptions = {}): IctMix {
  const where = 'ictMix';
  const alpha = checkNonNegative(o.alpha ?? 0.75, 'alpha', where, { positive: true });
  if (xWeak.rank !== 4 || xWeak.dtype !== 'float32') {
    throw new ShapeError(
      `${where}: xWeak must be a float32 [N, H, W, C] batch, got ${xWeak.dtype} [${xWeak.shape.join(', ')}]`,
      { parameter: 'xWeak', shape: xWeak.shape, dtype: xWeak.dtype },
    );
  }
  checkLogits2d(teacherProbs, 'teacherProbs', where);
  const n = xWeak.shape[0];
  if (teacherProbs.shape[0] !== n) {
    throw new ShapeError(`${where}: teacherProbs must have ${n} rows (one per input), got ${teacherProbs.shape[0]}`, {
      parameter: 'teacherProbs',
      shape: teacherProbs.shape,
    });
  }
  const lam = new Float32Array(n).fill(rng.beta(alpha, alpha));
  const perm = rng.permutation(n);
  const targets = detach(teacherProbs);
  try {
    const mixed = mixupWith(xWeak, targets, lam, perm);
    return { x: mixed.x, targets: mixed.y as tf.Tensor2D, lam: lam[0], perm };
  } finally {
    targets.dispose();
  }
}

/**
 * ICT's consistency loss: `L = (1/(N·C)) Σ_{j,c} (softmax(mixedLogits)_jc − t̃_jc)²` (the code's
 * `mean MSE(softmax(y_mix), t_mix)`). The targets are detached: the gradient flows only into `mixedLogits`.
 * @param mixedLogits [N, C] student logits on the mixed inputs of {@link ictMix}.
 * @param mixedTargets [N, C] the mixed targets of {@link ictMix}.
 * @returns the loss (caller disposes).
 * @throws ShapeError for inputs that are not non-empty [N, C] of the same shape.
 */
export function ictLoss(mixedLogits: tf.Tensor2D, mixedTargets: tf.Tensor2D): tf.Scalar {
  checkSameLogits(mixedLogits, mixedTargets, ['mixedLogits', 'mixedTargets'], 'ictLoss');
  return softmaxMse(mixedLogits, mixedTargets);
}
