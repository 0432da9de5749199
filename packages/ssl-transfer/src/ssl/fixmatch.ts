/** The FixMatch unlabelled loss (Sohn et al., NeurIPS 2020, arXiv 2001.07685). */
import * as tf from '@tensorflow/tfjs-core';
import { checkSameLogits, type PseudoLabelOptions, pseudoLabelTargets } from './pseudo-labels.js';

/** Options of {@link fixMatchLoss}. */
export type FixMatchOptions = PseudoLabelOptions;

/** The result of {@link fixMatchLoss} and `pseudoLabelLoss`. */
export interface MaskedLossResult {
  /** The scalar loss (caller disposes). */
  loss: tf.Scalar;
  /** The fraction of rows whose pseudo-label passed the confidence threshold, Σm/N. */
  maskRate: number;
}

/** The result of {@link fixMatchTerm} and `pseudoLabelTerm`: tensors only, nothing read from the device. */
export interface MaskedLossTerm {
  /** The scalar loss (caller disposes). */
  loss: tf.Scalar;
  /** Σm, the number of rows whose pseudo-label passed the threshold, as a scalar (caller disposes). */
  kept: tf.Scalar;
}

/**
 * {@link fixMatchLoss} without a host read: the same loss, and the number of kept rows as a tensor (read it with
 * `await kept.data()` after the step). Usable inside a training step on any backend, `ft-webgpu` included.
 * @param logitsWeak [N, C] logits of the weakly augmented view (the pseudo-label source; no gradient).
 * @param logitsStrong [N, C] logits of the strongly augmented view of the same images.
 * @param o `threshold` τ ∈ (0, 1] (default 0.95).
 * @throws ShapeError for inputs that are not non-empty [N, C] of the same shape; InvalidArgumentError for τ
 *   outside (0, 1].
 */
export function fixMatchTerm(
  logitsWeak: tf.Tensor2D,
  logitsStrong: tf.Tensor2D,
  o: FixMatchOptions = {},
): MaskedLossTerm {
  checkSameLogits(logitsWeak, logitsStrong, ['logitsWeak', 'logitsStrong'], 'fixMatchLoss');
  const { labels, mask } = pseudoLabelTargets(logitsWeak, o);
  try {
    const loss = tf.tidy(() => {
      const [n, c] = logitsStrong.shape;
      const ce = tf.neg(tf.sum(tf.mul(tf.oneHot(labels, c), tf.logSoftmax(logitsStrong)), 1));
      return tf.div(tf.sum(tf.mul(mask, ce)), n) as tf.Scalar;
    });
    return { loss, kept: tf.sum(mask) };
  } finally {
    labels.dispose();
    mask.dispose();
  }
}

/**
 * FixMatch's unlabelled loss (Sohn et al. 2020, eq. 4): with p = softmax(logitsWeak), ŷ_j = argmax p_j and
 * m_j = 1[max p_j ≥ τ] (both detached), `L = (1/N) Σ_j m_j · CE(logitsStrong_j, ŷ_j)`, averaged over ALL N rows
 * (not the kept ones), as in the official code. The gradient flows only through `logitsStrong`. The mask rate is
 * read from the device synchronously, which `ft-webgpu` refuses: there, use {@link fixMatchTerm}.
 * @param logitsWeak [N, C] logits of the weakly augmented view (the pseudo-label source; no gradient).
 * @param logitsStrong [N, C] logits of the strongly augmented view of the same images.
 * @param o `threshold` τ ∈ (0, 1] (default 0.95).
 * @returns the loss (caller disposes) and the mask rate.
 * @throws ShapeError for inputs that are not non-empty [N, C] of the same shape; InvalidArgumentError for τ
 *   outside (0, 1].
 */
export function fixMatchLoss(
  logitsWeak: tf.Tensor2D,
  logitsStrong: tf.Tensor2D,
  o: FixMatchOptions = {},
): MaskedLossResult {
  const { loss, kept } = fixMatchTerm(logitsWeak, logitsStrong, o);
  try {
    return { loss, maskRate: kept.dataSync()[0] / logitsWeak.shape[0] };
  } finally {
    kept.dispose();
  }
}
