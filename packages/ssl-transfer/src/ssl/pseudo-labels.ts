/**
 * Hard pseudo-labels with a confidence mask, the target side of Pseudo-Label (Lee 2013) and FixMatch (Sohn et al.
 * 2020). Everything here is computed off the tape: no gradient flows back to the logits.
 */
import { InvalidArgumentError, ShapeError } from '@ft/core';
import { withoutGradient } from '@ft/core/train';
import * as tf from '@tensorflow/tfjs-core';

/** Options of {@link pseudoLabels}. */
export interface PseudoLabelOptions {
  /** τ in (0, 1]: an example is kept when its max softmax probability is ≥ τ. FixMatch's τ = 0.95. [0.95] */
  threshold?: number;
}

/** The result of {@link pseudoLabels}. */
export interface PseudoLabels {
  /** [N] int32 argmax_c softmax(logits)_c (caller disposes). */
  labels: tf.Tensor1D;
  /** [N] float32 1[max_c softmax(logits)_c ≥ τ] (caller disposes). */
  mask: tf.Tensor1D;
  /** Σ mask / N, the fraction of rows kept. */
  maskRate: number;
}

/** FixMatch's confidence threshold τ (Sohn et al. 2020; the official code's `p_cutoff`). */
export const FIXMATCH_THRESHOLD = 0.95;

/**
 * Checks a confidence threshold τ ∈ (0, 1] and returns it (the default when `value` is undefined).
 * @throws InvalidArgumentError for τ ≤ 0, τ > 1, NaN or a non-number.
 */
export function checkThreshold(value: unknown, where: string): number {
  const t = value === undefined ? FIXMATCH_THRESHOLD : value;
  if (typeof t !== 'number' || !(t > 0 && t <= 1)) {
    throw new InvalidArgumentError(`${where}: threshold must be a number in (0, 1], got ${String(t)}`, {
      parameter: 'threshold',
      value: t,
    });
  }
  return t;
}

/** Checks that `x` is a non-empty [N, C] tensor (ShapeError otherwise). */
export function checkLogits2d(x: tf.Tensor, name: string, where: string): void {
  if (x.rank !== 2 || x.shape[0] === 0 || x.shape[1] === 0) {
    throw new ShapeError(`${where}: ${name} must be a non-empty [N, C] tensor, got [${x.shape.join(', ')}]`, {
      parameter: name,
      shape: x.shape,
    });
  }
}

/** Checks that `a` and `b` are non-empty [N, C] tensors of the same shape (ShapeError otherwise). */
export function checkSameLogits(a: tf.Tensor, b: tf.Tensor, names: [string, string], where: string): void {
  checkLogits2d(a, names[0], where);
  checkLogits2d(b, names[1], where);
  if (a.shape[0] !== b.shape[0] || a.shape[1] !== b.shape[1]) {
    throw new ShapeError(
      `${where}: ${names[0]} and ${names[1]} must have the same shape, got [${a.shape.join(', ')}] and [${b.shape.join(', ')}]`,
      { parameter: names[1], shape: b.shape, expected: a.shape },
    );
  }
}

/**
 * The tensors of {@link pseudoLabels} without the mask rate: hard pseudo-labels ŷ_j = argmax_c p_jc and confidence
 * mask m_j = 1[max_c p_jc ≥ τ], p = softmax(logits), no gradient through either. No host read: usable inside a
 * training step on any backend, `ft-webgpu` included.
 * @param logits [N, C] logits of the view the labels are taken from (FixMatch: the weak view).
 * @param o `threshold` τ ∈ (0, 1] (default 0.95).
 * @returns int32 labels [N] and float32 mask [N] (the caller disposes both).
 * @throws ShapeError for logits that are not a non-empty [N, C]; InvalidArgumentError for τ outside (0, 1].
 */
export function pseudoLabelTargets(
  logits: tf.Tensor2D,
  o: PseudoLabelOptions = {},
): { labels: tf.Tensor1D; mask: tf.Tensor1D } {
  const where = 'pseudoLabels';
  const threshold = checkThreshold(o.threshold, where);
  checkLogits2d(logits, 'logits', where);
  const labels = withoutGradient(logits, (l) => tf.argMax(l, 1)) as tf.Tensor1D;
  const mask = withoutGradient(logits, (l) =>
    tf.tidy(() => tf.cast(tf.greaterEqual(tf.max(tf.softmax(l as tf.Tensor2D), 1), threshold), 'float32')),
  ) as tf.Tensor1D;
  return { labels, mask };
}

/**
 * Hard pseudo-labels ŷ_j = argmax_c p_jc and confidence mask m_j = 1[max_c p_jc ≥ τ], p = softmax(logits)
 * (Lee 2013; Sohn et al. 2020, FixMatch eq. 4). No gradient flows through either. The mask rate is read from the
 * device synchronously, which backends without a synchronous read (`ft-webgpu`) refuse: there, use
 * {@link pseudoLabelTargets} and `await mask.data()`.
 * @param logits [N, C] logits of the view the labels are taken from (FixMatch: the weak view).
 * @param o `threshold` τ ∈ (0, 1] (default 0.95).
 * @returns int32 labels [N], float32 mask [N] (the caller disposes both) and the mask rate Σm/N.
 * @throws ShapeError for logits that are not a non-empty [N, C]; InvalidArgumentError for τ outside (0, 1].
 */
export function pseudoLabels(logits: tf.Tensor2D, o: PseudoLabelOptions = {}): PseudoLabels {
  const { labels, mask } = pseudoLabelTargets(logits, o);
  const m = mask.dataSync();
  let kept = 0;
  for (let i = 0; i < m.length; i++) kept += m[i];
  return { labels, mask, maskRate: kept / m.length };
}
