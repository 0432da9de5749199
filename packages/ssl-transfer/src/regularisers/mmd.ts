/**
 * Squared maximum mean discrepancy with one Gaussian kernel, as ARC uses it (Abuduweili et al., CVPR 2021; the
 * official code's `mmd_loss`, whose kernel averages the squared difference over the feature dimension).
 */
import { InvalidArgumentError, ShapeError } from '@ft/core';
import * as tf from '@tensorflow/tfjs-core';

/** Options of {@link mmd2}. */
export interface Mmd2Options {
  /** Kernel bandwidth σ² in k(a, b) = exp(−‖a − b‖²/σ²). [D, the feature dimension] */
  bandwidth?: number;
}

/** K[i, j] = exp(−‖x_i − y_j‖² / bandwidth) ([N, M]); ‖·‖² expanded and clamped at 0 against rounding. */
function gaussianKernel(x: tf.Tensor2D, y: tf.Tensor2D, bandwidth: number): tf.Tensor2D {
  return tf.tidy(() => {
    const xx = tf.sum(tf.square(x), 1, true);
    const yy = tf.reshape(tf.sum(tf.square(y), 1), [1, -1]);
    const d2 = tf.relu(tf.sub(tf.add(xx, yy), tf.mul(tf.matMul(x, y, false, true), 2)));
    return tf.exp(tf.div(tf.neg(d2), bandwidth)) as tf.Tensor2D;
  });
}

/**
 * Biased (V-statistic) MMD²: mean_{a×a} k + mean_{b×b} k − 2·mean_{a×b} k, diagonals included, with
 * k(x, y) = exp(−‖x − y‖²₂ / bandwidth) and bandwidth = D by default (Abuduweili et al. 2021, R_ARC). Differentiable
 * in both arguments.
 * @param a [N, D] samples (N ≥ 1).
 * @param b [M, D] samples (M ≥ 1).
 * @param o `bandwidth` (> 0, default D).
 * @returns a scalar ≥ 0 up to rounding (caller disposes).
 * @throws ShapeError when a or b is not 2-D, empty, or their D differ; InvalidArgumentError on a bad bandwidth.
 */
export function mmd2(a: tf.Tensor2D, b: tf.Tensor2D, o: Mmd2Options = {}): tf.Scalar {
  const where = 'mmd2';
  for (const [name, x] of [
    ['a', a],
    ['b', b],
  ] as const) {
    if (x.rank !== 2 || x.shape[0] < 1 || x.shape[1] < 1) {
      throw new ShapeError(`${where}: ${name} must be a non-empty [N, D] tensor, got [${x.shape.join(', ')}]`, {
        parameter: name,
        shape: x.shape,
      });
    }
  }
  if (a.shape[1] !== b.shape[1]) {
    throw new ShapeError(
      `${where}: a and b must have the same feature dimension, got ${a.shape[1]} and ${b.shape[1]}`,
      {
        shapes: [a.shape, b.shape],
      },
    );
  }
  const bandwidth = o.bandwidth ?? a.shape[1];
  if (typeof bandwidth !== 'number' || !Number.isFinite(bandwidth) || bandwidth <= 0) {
    throw new InvalidArgumentError(`${where}: bandwidth must be a finite number > 0, got ${String(bandwidth)}`, {
      parameter: 'bandwidth',
      value: bandwidth,
    });
  }
  return tf.tidy(() => {
    const kaa = tf.mean(gaussianKernel(a, a, bandwidth));
    const kbb = tf.mean(gaussianKernel(b, b, bandwidth));
    const kab = tf.mean(gaussianKernel(a, b, bandwidth));
    return tf.sub(tf.add(kaa, kbb), tf.mul(kab, 2)) as tf.Scalar;
  });
}

/** One term of {@link mmd2Masked}: Σ_ij k(x_i, y_j)·wx_i·wy_j / max(nx·ny, 1). */
function maskedMean(
  x: tf.Tensor2D,
  wx: tf.Tensor1D,
  nx: tf.Scalar,
  y: tf.Tensor2D,
  wy: tf.Tensor1D,
  ny: tf.Scalar,
  bandwidth: number,
): tf.Scalar {
  const w = tf.mul(tf.reshape(wx, [-1, 1]), tf.reshape(wy, [1, -1]));
  return tf.sum(tf.div(tf.mul(gaussianKernel(x, y, bandwidth), w), tf.maximum(tf.mul(nx, ny), 1)));
}

/**
 * {@link mmd2} of the rows of `a` and `b` whose 0/1 weight is 1, with the counts as tensors: the shapes do not depend
 * on how many rows are kept, so no host read is needed. With the kept rows first (`wa` = 1 on rows 0 … na − 1, 0
 * after), every product, sum and gradient of the kept rows is the one `mmd2` computes on them alone, in the same order
 * (the extra terms are exact zeros), so the value and gradient match `mmd2` bit for bit on the cpu backend.
 * Internal to ARC (the weights and counts must carry no gradient).
 * @param a [Ma, D] rows, kept ones first; `wa` [Ma] their 0/1 weights; `na` = Σ wa.
 * @param b [Mb, D] rows, kept ones first; `wb` [Mb] their 0/1 weights; `nb` = Σ wb.
 * @param bandwidth σ² of the kernel (`mmd2`'s default is D).
 */
export function mmd2Masked(
  a: tf.Tensor2D,
  wa: tf.Tensor1D,
  na: tf.Scalar,
  b: tf.Tensor2D,
  wb: tf.Tensor1D,
  nb: tf.Scalar,
  bandwidth: number,
): tf.Scalar {
  return tf.tidy(() => {
    const kaa = maskedMean(a, wa, na, a, wa, na, bandwidth);
    const kbb = maskedMean(b, wb, nb, b, wb, nb, bandwidth);
    const kab = maskedMean(a, wa, na, b, wb, nb, bandwidth);
    return tf.sub(tf.add(kaa, kbb), tf.mul(kab, 2)) as tf.Scalar;
  });
}
