/**
 * AKC, adaptive knowledge consistency (Abuduweili et al., CVPR 2021, arXiv 2103.02193, Eq. for R_AKC as in the
 * official code's `Distribution_Loss('mse')`): the target's features stay close to the frozen source's on the
 * examples the source is confident about.
 */
import { InvalidArgumentError, ShapeError } from '@ft/core';
import { detach } from '@ft/core/train';
import * as tf from '@tensorflow/tfjs-core';
import { checkGateRatio, entropyGate } from './entropy-gate.js';

/** Inputs of {@link akcLoss}: one row per example of B = labelled ∪ weak unlabelled. */
export interface AkcInputs {
  /** f_t(x): the target backbone's pooled features [N, D] (gradient flows into the target). */
  targetFeat: tf.Tensor2D;
  /** f_s(x): the frozen source backbone's pooled features [N, D] (detached here). */
  sourceFeat: tf.Tensor2D;
  /** G_s(F_s(x)): the source head's logits [N, C_s], which drive the gate. */
  sourceLogits: tf.Tensor2D;
}

/** Options of {@link akcLoss}. */
export interface AkcOptions {
  /** ε_KC ∈ (0, 1]: keep examples with H(p_s) ≤ ε_KC·ln C_s. [0.7] */
  threshold?: number;
  /** C_s, the SOURCE model's class count (1000 for ImageNet ⇒ 4.835 nats at ε 0.7). */
  numSourceClasses: number;
  /** Multiplier of the squared distance; the code's 1/10000, tuned for a 2048-d feature. [1e-4] */
  scale?: number;
  /** Keep every example (ε = ∞), the ablation. [false] */
  ungated?: boolean;
}

/** Result of {@link akcTerm}: tensors only, nothing read from the device. */
export interface AkcTerm {
  /** R_AKC, a scalar (caller disposes). */
  loss: tf.Scalar;
  /** Σw, the number of examples the gate kept, as a scalar (caller disposes; divide by N for the ratio). */
  kept: tf.Scalar;
}

/** Result of {@link akcLoss}. */
export interface AkcResult {
  /** R_AKC, a scalar (caller disposes). */
  loss: tf.Scalar;
  /** Σw / N, the fraction of examples the gate kept. */
  selectedRatio: number;
}

/** Checks a 2-D feature tensor [N, D] (and N, D against expected values when given). */
export function checkFeatures(x: tf.Tensor, name: string, where: string, rows?: number, dim?: number): void {
  if (x.rank !== 2 || (rows !== undefined && x.shape[0] !== rows) || (dim !== undefined && x.shape[1] !== dim)) {
    const want = `[${rows ?? 'N'}, ${dim ?? 'D'}]`;
    throw new ShapeError(`${where}: ${name} must have shape ${want}, got [${x.shape.join(', ')}]`, {
      parameter: name,
      shape: x.shape,
    });
  }
}

/**
 * {@link akcLoss} without a host read: the same R_AKC, and the number of examples the gate kept as a tensor (read it
 * with `await kept.data()` after the step). The division by max(Σw, 1) is a tensor op, so this runs inside a training
 * step on any backend, `ft-webgpu` included.
 * @param inputs `targetFeat` [N, D], `sourceFeat` [N, D], `sourceLogits` [N, C_s].
 * @param o `threshold` ε_KC (0.7), `numSourceClasses` C_s, `scale` (1e-4), `ungated`.
 * @throws ShapeError on mismatched shapes; InvalidArgumentError on a threshold outside (0, 1] or a bad scale.
 */
export function akcTerm(inputs: AkcInputs, o: AkcOptions): AkcTerm {
  const where = 'akcLoss';
  const { targetFeat, sourceFeat, sourceLogits } = inputs;
  checkFeatures(targetFeat, 'targetFeat', where);
  const [n, d] = targetFeat.shape;
  checkFeatures(sourceFeat, 'sourceFeat', where, n, d);
  if (sourceLogits.rank !== 2 || sourceLogits.shape[0] !== n) {
    throw new ShapeError(`${where}: sourceLogits must have shape [${n}, C_s], got [${sourceLogits.shape.join(', ')}]`, {
      parameter: 'sourceLogits',
      shape: sourceLogits.shape,
    });
  }
  const scale = o.scale ?? 1e-4;
  if (typeof scale !== 'number' || !Number.isFinite(scale) || scale <= 0) {
    throw new InvalidArgumentError(`${where}: scale must be a finite number > 0, got ${String(scale)}`, {
      parameter: 'scale',
      value: scale,
    });
  }
  const ratio = o.ungated ? undefined : checkGateRatio(o.threshold ?? 0.7, 'threshold', where);
  const w = entropyGate(sourceLogits, { ratio, numClasses: o.numSourceClasses, ungated: o.ungated });
  try {
    const kept = tf.sum(w) as tf.Scalar;
    const loss = tf.tidy(() => {
      const sq = tf.sum(tf.square(tf.sub(targetFeat, detach(sourceFeat))), 1);
      return tf.div(tf.mul(tf.sum(tf.mul(w, sq)), scale), tf.maximum(kept, 1)) as tf.Scalar;
    });
    return { loss, kept };
  } finally {
    w.dispose();
  }
}

/**
 * R_AKC = scale · Σ_i w_i ‖f_t(x_i) − f_s(x_i)‖²₂ / max(Σ_i w_i, 1), with w_i = 1[H(softmax(sourceLogits_i)) ≤
 * ε_KC·ln C_s] (the source's class count) and f_s detached: the gradient reaches only `targetFeat`. A batch where the
 * gate keeps nothing gives 0. The selected ratio is read from the device synchronously, which `ft-webgpu` refuses:
 * there, use {@link akcTerm}.
 * @param inputs `targetFeat` [N, D], `sourceFeat` [N, D], `sourceLogits` [N, C_s].
 * @param o `threshold` ε_KC (0.7), `numSourceClasses` C_s, `scale` (1e-4), `ungated`.
 * @throws ShapeError on mismatched shapes; InvalidArgumentError on a threshold outside (0, 1] or a bad scale.
 */
export function akcLoss(inputs: AkcInputs, o: AkcOptions): AkcResult {
  const { loss, kept } = akcTerm(inputs, o);
  try {
    const n = inputs.targetFeat.shape[0];
    return { loss, selectedRatio: n === 0 ? 0 : kept.dataSync()[0] / n };
  } finally {
    kept.dispose();
  }
}
