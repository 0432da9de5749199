/**
 * The adaptive example selection of Abuduweili et al. (CVPR 2021, arXiv 2103.02193): an example takes part in a
 * consistency regulariser only when the prediction entropy is at most a fraction of the uniform distribution's.
 */
import { InvalidArgumentError, ShapeError } from '@ft/core';
import { checkPositiveInt } from '@ft/core/internal';
import { withoutGradient } from '@ft/core/train';
import * as tf from '@tensorflow/tfjs-core';

/** Options of {@link entropyGate}. */
export interface EntropyGateOptions {
  /** ε in (0, 1]: the gate keeps H(p) ≤ ε·ln C. The paper's ε_KC = ε_RC = 0.7. Ignored (may be omitted) when `ungated`. */
  ratio?: number;
  /** C, the number of classes of the model that produced the logits (must equal `logits.shape[1]`). */
  numClasses: number;
  /** Keep every example (ε = ∞), for the "no adaptive selection" ablation. [false] */
  ungated?: boolean;
}

/**
 * Checks ε ∈ (0, 1] (the gate's entropy ratio) and returns it.
 * @throws InvalidArgumentError for a ratio outside (0, 1], NaN or a non-number (use `ungated` for ε = ∞).
 */
export function checkGateRatio(value: unknown, name: string, where: string): number {
  if (typeof value !== 'number' || !(value > 0 && value <= 1)) {
    throw new InvalidArgumentError(
      `${where}: ${name} must be a number in (0, 1], got ${String(value)} (use { ungated: true } to keep every example)`,
      { parameter: name, value },
    );
  }
  return value;
}

/**
 * The gate's entropy threshold ε·ln C in nats (0.7·ln 1000 = 4.835 for an ImageNet source, 0.7·ln 10 = 1.612 for 10
 * classes).
 * @param ratio ε in (0, 1].
 * @param numClasses C ≥ 2.
 */
export function entropyThreshold(ratio: number, numClasses: number): number {
  checkGateRatio(ratio, 'ratio', 'entropyThreshold');
  checkClasses(numClasses, 'entropyThreshold');
  return ratio * Math.log(numClasses);
}

function checkClasses(numClasses: number, where: string): number {
  checkPositiveInt(numClasses, 'numClasses', where);
  if (numClasses < 2) {
    throw new InvalidArgumentError(`${where}: numClasses must be >= 2, got ${numClasses}`, {
      parameter: 'numClasses',
      value: numClasses,
    });
  }
  return numClasses;
}

/** Checks that `logits` is [N, C] with C = `numClasses` (ShapeError otherwise). */
export function checkLogits(logits: tf.Tensor, numClasses: number, name: string, where: string): void {
  if (logits.rank !== 2 || logits.shape[1] !== numClasses) {
    throw new ShapeError(
      `${where}: ${name} must have shape [N, ${numClasses}] (numClasses = ${numClasses}), got [${logits.shape.join(', ')}]`,
      { parameter: name, shape: logits.shape, numClasses },
    );
  }
}

/**
 * Entropy gate w_i = 1[H(softmax(logits_i)) ≤ ε·ln C], H in nats (Abuduweili et al. 2021, §3; AKC gates on the
 * frozen source's logits with the source class count, ARC on the target's with the target class count). Hard 0/1,
 * float32, and no gradient flows through it to the logits.
 * @param logits [N, C] logits.
 * @param o `ratio` ε ∈ (0, 1], `numClasses` C (= logits.shape[1]), `ungated` (all ones).
 * @returns [N] gate of 0/1 (caller disposes).
 * @throws ShapeError for logits that are not [N, C]; InvalidArgumentError for ε outside (0, 1] or C < 2.
 */
export function entropyGate(logits: tf.Tensor2D, o: EntropyGateOptions): tf.Tensor1D {
  const where = 'entropyGate';
  checkClasses(o.numClasses, where);
  checkLogits(logits, o.numClasses, 'logits', where);
  if (o.ungated) return tf.ones([logits.shape[0]]);
  const threshold = entropyThreshold(checkGateRatio(o.ratio, 'ratio', where), o.numClasses);
  return withoutGradient(logits, (l) =>
    tf.tidy(() => {
      const logp = tf.logSoftmax(l as tf.Tensor2D);
      const h = tf.neg(tf.sum(tf.mul(tf.exp(logp), logp), 1));
      return tf.cast(tf.lessEqual(h, threshold), 'float32');
    }),
  ) as tf.Tensor1D;
}
