/** Pseudo-Label (Lee, ICML 2013 workshop) as USB / the official AKC+ARC code implement it. */
import type * as tf from '@tensorflow/tfjs-core';
import {
  type FixMatchOptions,
  fixMatchLoss,
  fixMatchTerm,
  type MaskedLossResult,
  type MaskedLossTerm,
} from './fixmatch.js';

/** Options of {@link pseudoLabelLoss}. */
export type PseudoLabelLossOptions = FixMatchOptions;

/**
 * Pseudo-Label's unlabelled loss: hard labels ŷ_j = argmax softmax(logits_j) taken from the same (weak) view's own
 * logits (detached), confidence mask m_j = 1[max softmax(logits_j) ≥ τ], `L = (1/N) Σ_j m_j · CE(logits_j, ŷ_j)`
 * over all N rows. It is `fixMatchLoss(logits, logits)`: the gradient flows through the CE term only.
 * @param logits [N, C] logits of the (weakly augmented) unlabelled batch.
 * @param o `threshold` τ ∈ (0, 1] (default 0.95).
 * @returns the loss (caller disposes) and the mask rate.
 * @throws ShapeError for logits that are not a non-empty [N, C]; InvalidArgumentError for τ outside (0, 1].
 */
export function pseudoLabelLoss(logits: tf.Tensor2D, o: PseudoLabelLossOptions = {}): MaskedLossResult {
  return fixMatchLoss(logits, logits, o);
}

/**
 * {@link pseudoLabelLoss} without a host read (`fixMatchTerm(logits, logits)`): the loss and the number of kept rows
 * as tensors, for a training step on any backend, `ft-webgpu` included.
 * @param logits [N, C] logits of the (weakly augmented) unlabelled batch.
 * @param o `threshold` τ ∈ (0, 1] (default 0.95).
 * @throws ShapeError for logits that are not a non-empty [N, C]; InvalidArgumentError for τ outside (0, 1].
 */
export function pseudoLabelTerm(logits: tf.Tensor2D, o: PseudoLabelLossOptions = {}): MaskedLossTerm {
  return fixMatchTerm(logits, logits, o);
}
