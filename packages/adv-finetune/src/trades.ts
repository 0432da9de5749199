/**
 * TRADES: the adversarial example and the loss of Zhang et al., "Theoretically Principled Trade-off between
 * Robustness and Accuracy", ICML 2019, arXiv 1901.08573. Reference: yaodongyu/TRADES `trades.py` (`trades_loss`).
 *
 *   x'⁰ = x + 0.001·N(0, I);  x'^{t+1} = Π_{[max(x−ε, 0), min(x+ε, 1)]}( x'^t + α·sign(∇_{x'} KL(f(x) ‖ f(x'^t))) )
 *   L = CE(f(x), y) + β · (1/N) Σ_i KL(f(x_i) ‖ f(x'_i))
 * with f(·) the softmax output; the KL target f(x) is a constant during the attack (computed once) and gets
 * gradients in the loss, as in the reference. The reference crafts x' in `model.eval()` mode (BN inference), which
 * is the default here too.
 * Departures: the start point is projected into the ε-ball ∩ [0, 1] (the reference clamps only at the end of each
 * step, so its very first forward can see values 0.001·|z| outside [0, 1]); the training forward passes of x and x'
 * are two separate calls (as the reference) but the clean logits are shared between the CE and the KL term (the
 * reference runs the clean forward twice, updating BN statistics once more).
 */

import type { Rng, Trainable } from '@ft/core';
import * as tf from '@tensorflow/tfjs-core';
import { projectLinf } from './attack.js';
import { crossEntropyPerExample, inputGradWithAux, klPerExample } from './losses.js';
import { logitsOf } from './model-output.js';

/** Options of {@link tradesAttack}. */
export interface TradesAttackOptions {
  eps: number;
  alpha: number;
  steps: number;
  /** BN mode of the attack's forward passes (reference: inference). */
  training: boolean;
  /** Output kind of the model. */
  kind: 'logits' | 'probs';
  rng: Rng;
  clip?: readonly [number, number];
}

/**
 * TRADES' inner maximisation: K sign-gradient steps on KL(f(x) ‖ f(x')) from x + 0.001·N(0, I). Costs one
 * forward-only pass (the clean target) and K forward+backward passes per example.
 * @returns x' (new tensor) with ‖x' − x‖∞ ≤ ε and x' ∈ clip.
 */
export function tradesAttack(model: Trainable, x: tf.Tensor4D, opts: TradesAttackOptions): tf.Tensor4D {
  const clip = opts.clip ?? [0, 1];
  const target = tf.tidy(() => logitsOf(model, x, opts.kind, opts.training));
  let xAdv = tf.tidy(() =>
    projectLinf(
      tf.add(x, tf.mul(tf.randomNormal(x.shape, 0, 1, 'float32', opts.rng.seedForTf()), 0.001)),
      x,
      opts.eps,
      clip,
    ),
  ) as tf.Tensor4D;
  try {
    for (let t = 0; t < opts.steps; t++) {
      const next = tf.tidy(() => {
        const { grad } = inputGradWithAux((xx) => {
          const z = logitsOf(model, xx, opts.kind, opts.training);
          return { objective: tf.sum(klPerExample(target, z)) as tf.Scalar, aux: [] };
        }, xAdv);
        return projectLinf(tf.add(xAdv, tf.mul(tf.sign(grad), opts.alpha)), x, opts.eps, clip);
      }) as tf.Tensor4D;
      xAdv.dispose();
      xAdv = next;
    }
    return xAdv;
  } finally {
    target.dispose();
  }
}

/**
 * The TRADES objective from the logits of the clean and the adversarial batch:
 * mean_i CE(z_i, y_i) + β · mean_i KL(softmax(z_i) ‖ softmax(z'_i)).
 * @param zClean logits [N, C] of x; @param zAdv logits [N, C] of x'; @param y labels [N]; @param beta β (6 in the paper).
 */
export function tradesLoss(zClean: tf.Tensor2D, zAdv: tf.Tensor2D, y: tf.Tensor1D, beta: number): tf.Scalar {
  return tf.tidy(
    () =>
      tf.add(
        tf.mean(crossEntropyPerExample(zClean, y)),
        tf.mul(tf.mean(klPerExample(zClean, zAdv)), beta),
      ) as tf.Scalar,
  );
}
