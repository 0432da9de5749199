/**
 * Straight-through Gumbel-Softmax (Jang, Gu, Poole, ICLR 2017; Maddison et al., ICLR 2017), as in the SpotTune code
 * of AdaFilter's first author (`gyhui14/spottune/gumbel_softmax.py`, τ = 5):
 *   g = −log(−log(U + 1e−20) + 1e−20), U ~ U(0, 1);  y = softmax((a + g)/τ);
 *   forward: onehot(argmax y);  backward: ∂y/∂a (the soft sample's gradient).
 */
import { InvalidArgumentError, type Rng } from '@ft/core';
import * as tf from '@tensorflow/tfjs-core';

/** Result of {@link gumbelSoftmaxST}. */
export interface GumbelSample {
  /** One-hot sample (forward), with the soft sample's gradient (backward). Same shape as the logits. */
  hard: tf.Tensor;
  /** The relaxed sample softmax((a + g)/τ). */
  soft: tf.Tensor;
}

/** Gumbel noise of `shape` from `rng`: −log(−log(U + 1e−20) + 1e−20). */
export function gumbelNoise(shape: number[], rng: Rng): tf.Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const g = new Float32Array(n);
  for (let i = 0; i < n; i++) g[i] = -Math.log(-Math.log(rng.uniform() + 1e-20) + 1e-20);
  return tf.tensor(g, shape, 'float32');
}

/** Checks τ: a finite number > 0. */
export function checkTau(tau: number, who: string): void {
  if (!(typeof tau === 'number' && Number.isFinite(tau) && tau > 0)) {
    throw new InvalidArgumentError(
      `${who}: the Gumbel-Softmax temperature tau must be a finite number > 0, got ${tau}`,
    );
  }
}

/**
 * Straight-through Gumbel-Softmax over the last axis: `hard` is one-hot in the forward pass and carries the gradient
 * of `soft` = softmax((logits + g)/τ) in the backward pass. The noise comes from `rng` (reproducible).
 * @param logits [..., K] unnormalised log-probabilities.
 * @param tau temperature τ > 0 (AdaFilter/SpotTune: 5).
 * @param rng noise source.
 */
export function gumbelSoftmaxST(logits: tf.Tensor, tau: number, rng: Rng): GumbelSample {
  checkTau(tau, 'gumbelSoftmaxST');
  if (logits.rank < 1 || logits.shape[logits.rank - 1] < 2) {
    throw new InvalidArgumentError(
      `gumbelSoftmaxST: logits need a last axis of at least 2 categories, got shape [${logits.shape}]`,
    );
  }
  const noise = gumbelNoise(logits.shape, rng);
  try {
    const soft = tf.tidy(() => tf.softmax(tf.div(tf.add(logits, noise), tau)));
    const st = tf.customGrad(((a: tf.Tensor, save: tf.GradSaveFunc) => {
      const y = tf.softmax(tf.div(tf.add(a, noise), tau));
      save([y]);
      const K = y.shape[y.rank - 1] as number;
      const value = tf.reshape(tf.cast(tf.oneHot(tf.argMax(y, -1), K), 'float32'), y.shape);
      const gradFunc = (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const s = saved[0] as tf.Tensor;
        // d softmax(z/τ): (1/τ) · s ⊙ (dy − Σ_k dy_k s_k)
        return tf.div(tf.mul(s, tf.sub(dy, tf.sum(tf.mul(dy, s), -1, true))), tau);
      };
      return { value, gradFunc };
    }) as unknown as Parameters<typeof tf.customGrad>[0]);
    const hard = st(logits) as tf.Tensor;
    return { hard, soft };
  } finally {
    noise.dispose();
  }
}
