/**
 * Per-example losses of logits `z` [N, C] used by the attacks and the training objectives, and the input-gradient
 * helper that returns auxiliary tensors (per-example loss, logits) from the same forward pass.
 */
import * as tf from '@tensorflow/tfjs-core';

/**
 * Per-example softmax cross-entropy: CE_i = logsumexp(z_i) − z_{i, y_i}.
 * @param z logits [N, C]; @param y int32 labels [N]. @returns [N].
 */
export function crossEntropyPerExample(z: tf.Tensor2D, y: tf.Tensor1D): tf.Tensor1D {
  return tf.tidy(() => {
    const onehot = tf.oneHot(tf.cast(y, 'int32'), z.shape[1]);
    return tf.sub(tf.logSumExp(z, 1), tf.sum(tf.mul(z, onehot), 1)) as tf.Tensor1D;
  });
}

/**
 * Per-example Difference-of-Logits-Ratio loss (Croce & Hein, ICML 2020, "Reliable evaluation of adversarial
 * robustness with an ensemble of diverse parameter-free attacks", eq. 5):
 * DLR_i = −(z_y − max_{j≠y} z_j) / (z_π1 − z_π3 + 1e-12), π the descending order of z_i. Needs C ≥ 3.
 * @returns [N]; larger means closer to (or further into) misclassification.
 */
export function dlrPerExample(z: tf.Tensor2D, y: tf.Tensor1D): tf.Tensor1D {
  return tf.tidy(() => {
    const c = z.shape[1];
    const onehot = tf.oneHot(tf.cast(y, 'int32'), c);
    const zy = tf.sum(tf.mul(z, onehot), 1);
    // max over j ≠ y: push the true class far down before taking the max
    const zOther = tf.max(tf.sub(z, tf.mul(onehot, 1e9)), 1);
    // largest and third-largest logit via max + masking (tfjs has no gradient for TopK)
    const p1 = tf.max(z, 1);
    const m1 = tf.oneHot(tf.argMax(z, 1), c);
    const z2 = tf.sub(z, tf.mul(m1, 1e9));
    const m2 = tf.oneHot(tf.argMax(z2, 1), c);
    const p3 = tf.max(tf.sub(z2, tf.mul(m2, 1e9)), 1);
    return tf.neg(tf.div(tf.sub(zy, zOther), tf.add(tf.sub(p1, p3), 1e-12))) as tf.Tensor1D;
  });
}

/**
 * Per-example KL divergence KL(softmax(p) ‖ softmax(q)) = Σ_j p_j (log p_j − log q_j) from logits `zp`, `zq`
 * (TRADES' robust term, Zhang et al., ICML 2019). @returns [N].
 */
export function klPerExample(zp: tf.Tensor2D, zq: tf.Tensor2D): tf.Tensor1D {
  return tf.tidy(() => {
    const logP = tf.logSoftmax(zp);
    const logQ = tf.logSoftmax(zq);
    return tf.sum(tf.mul(tf.exp(logP), tf.sub(logP, logQ)), 1) as tf.Tensor1D;
  });
}

/** Per-example correctness: argmax_j z_ij = y_i, as float32 0/1 [N]. */
export function correctMask(z: tf.Tensor2D, y: tf.Tensor1D): tf.Tensor1D {
  return tf.tidy(() => tf.cast(tf.equal(tf.argMax(z, 1), tf.cast(y, 'int32')), 'float32') as tf.Tensor1D);
}

/**
 * ∇_x of a scalar objective together with auxiliary tensors computed in the same forward pass (per-example loss,
 * logits), so no extra forward is needed. Call inside `tf.tidy`: the returned tensors are ordinary tidy-tracked
 * tensors (the copies kept out of `tf.grad`'s scope are disposed here).
 * @param f maps the input to `{ objective: scalar, aux: tensors to return }`.
 * @param x the input (gradient only w.r.t. it; no weight gradients are formed).
 */
export function inputGradWithAux(
  f: (x: tf.Tensor) => { objective: tf.Scalar; aux: tf.Tensor[] },
  x: tf.Tensor,
): { grad: tf.Tensor; aux: tf.Tensor[] } {
  let kept: tf.Tensor[] = [];
  const grad = tf.grad((xx: tf.Tensor) => {
    const r = f(xx);
    kept = r.aux.map((t) => tf.keep(t));
    return r.objective;
  })(x);
  const aux = kept.map((t) => tf.clone(t));
  tf.dispose(kept);
  return { grad, aux };
}
