/**
 * Gradient stops. tfjs has no `stopGradient`; `tf.customGrad` runs its forward function off the tape, so the ops
 * inside it are never differentiated (ops without a tfjs gradient, such as `topk`, comparisons and `argMax`, are
 * allowed there) and the gradient function decides what flows back: here, zeros. Used by the regularisers and gates
 * of @ft/ssl-transfer and the support selection of @ft/jadce.
 */
import * as tf from '@tensorflow/tfjs-core';

/** A copy of `x` whose gradient is zero (PyTorch's `x.detach()`). */
export function detach<T extends tf.Tensor>(x: T): T {
  const f = tf.customGrad(((a: tf.Tensor) => ({
    value: a.clone(),
    gradFunc: (dy: tf.Tensor) => tf.zerosLike(dy),
  })) as unknown as Parameters<typeof tf.customGrad>[0]);
  return f(x) as T;
}

/** Runs `fn(x)` off the tape: the result is a function of `x` with zero gradient (e.g. a hard 0/1 gate). */
export function withoutGradient<T extends tf.Tensor>(x: tf.Tensor, fn: (x: tf.Tensor) => T): T {
  const f = tf.customGrad(((a: tf.Tensor) => ({
    value: fn(a),
    gradFunc: () => tf.zerosLike(a),
  })) as unknown as Parameters<typeof tf.customGrad>[0]);
  return f(x) as T;
}

/**
 * Runs `fn` with gradient recording off and returns its tensors kept (`tf.keep`: the caller disposes them). What it
 * computes is a constant for autodiff: no tape node links it to `fn`'s inputs, so ops that have no gradient in tfjs
 * (comparisons, argMax, index arithmetic) may build masks and gather indices inside a training step, and the tape
 * prunes every op that uses them only as a mask. tfjs records no op while a custom gradient's forward runs; the custom
 * gradient here hangs on a fresh scalar that no trainable variable reaches.
 */
export function offTape<T extends tf.Tensor[]>(fn: () => T): T {
  let out: tf.Tensor[] = [];
  const anchor = tf.scalar(0);
  try {
    const f = tf.customGrad(((a: tf.Tensor) => {
      out = fn().map((t) => tf.keep(t));
      return { value: a.clone(), gradFunc: (dy: tf.Tensor) => tf.zerosLike(dy) };
    }) as unknown as Parameters<typeof tf.customGrad>[0]);
    (f(anchor) as tf.Tensor).dispose();
  } finally {
    anchor.dispose();
  }
  return out as T;
}
