/** Mean Teacher's consistency loss (Tarvainen & Valpola, NeurIPS 2017, arXiv 1703.01780). */

import { detach } from '@ft/core/train';
import * as tf from '@tensorflow/tfjs-core';
import { checkSameLogits } from './pseudo-labels.js';

/**
 * mean over all N·C elements of (softmax(logits) − targets)², with `targets` detached (package-internal; shared by
 * `meanTeacherLoss` and `ictLoss`). Shapes are checked by the callers.
 */
export function softmaxMse(logits: tf.Tensor2D, targets: tf.Tensor2D): tf.Scalar {
  return tf.tidy(() => tf.mean(tf.squaredDifference(tf.softmax(logits), detach(targets))) as tf.Scalar);
}

/**
 * Mean Teacher consistency (Tarvainen & Valpola 2017): `L = (1/(N·C)) Σ_{j,c} (softmax(s)_jc − softmax(t)_jc)²`,
 * the mean squared error between the student's and the (EMA) teacher's class probabilities. The teacher is detached:
 * the gradient flows only into `studentLogits`.
 * @param studentLogits [N, C] student logits (usually on one augmented view).
 * @param teacherLogits [N, C] EMA-teacher logits (usually on another view of the same images).
 * @returns the loss (caller disposes).
 * @throws ShapeError for inputs that are not non-empty [N, C] of the same shape.
 */
export function meanTeacherLoss(studentLogits: tf.Tensor2D, teacherLogits: tf.Tensor2D): tf.Scalar {
  checkSameLogits(studentLogits, teacherLogits, ['studentLogits', 'teacherLogits'], 'meanTeacherLoss');
  return tf.tidy(() => softmaxMse(studentLogits, tf.softmax(teacherLogits) as tf.Tensor2D));
}
