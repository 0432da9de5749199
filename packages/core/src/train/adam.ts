import * as tf from '@tensorflow/tfjs-core';
import { InvalidArgumentError } from '../errors.js';
import { checkNonNegative } from '../validate.js';
import { Optimizer, type OptimizerOptionsBase, type SlotState } from './optimizer.js';

/** Options of `adam` and `adamw`. */
export interface AdamOptions extends OptimizerOptionsBase {
  /** Decay β1 of the first moment. Default 0.9. */
  beta1?: number;
  /** Decay β2 of the second moment. Default 0.999. */
  beta2?: number;
  /** ε added to √v̂. Default 1e-8. */
  eps?: number;
  /** Weight decay λ: coupled L2 for `adam` (default 0), decoupled for `adamw` (default 0.01, as PyTorch). */
  weightDecay?: number;
}

/**
 * Adam (Kingma & Ba, ICLR 2015) with coupled L2 weight decay, PyTorch `torch.optim.Adam` semantics.
 *
 * Per variable θ with gradient g, group lr η and weight decay λ, at its step t = 1, 2, …:
 * ```
 * g ← g + λθ                                   (coupled L2, if λ ≠ 0)
 * m ← β1·m + (1 − β1)·g
 * v ← β2·v + (1 − β2)·g²
 * θ ← θ − (η / (1 − β1ᵗ)) · m / (√v / √(1 − β2ᵗ) + ε)
 * ```
 * (m, v start at 0; note ε is added after the bias correction of v, as in PyTorch.)
 *
 * @param opts `{lr, beta1 = 0.9, beta2 = 0.999, eps = 1e-8, weightDecay = 0, groups?}`.
 */
export function adam(opts: AdamOptions): Adam {
  return new Adam(opts, false);
}

/**
 * AdamW (Loshchilov & Hutter, ICLR 2019, "Decoupled weight decay regularization"), PyTorch `torch.optim.AdamW`
 * semantics: the decay is applied to θ directly, scaled by the group lr, before the Adam step:
 * ```
 * θ ← θ − η·λ·θ
 * m ← β1·m + (1 − β1)·g,   v ← β2·v + (1 − β2)·g²
 * θ ← θ − (η / (1 − β1ᵗ)) · m / (√v / √(1 − β2ᵗ) + ε)
 * ```
 * @param opts `{lr, beta1 = 0.9, beta2 = 0.999, eps = 1e-8, weightDecay = 0.01, groups?}` (PyTorch's default λ).
 */
export function adamw(opts: AdamOptions): Adam {
  return new Adam({ ...opts, weightDecay: opts.weightDecay ?? 0.01 }, true);
}

/** The optimizer returned by `adam` / `adamw` (see there for the update equations). */
export class Adam extends Optimizer {
  readonly kind: 'adam' | 'adamw';
  readonly beta1: number;
  readonly beta2: number;
  readonly eps: number;
  /** True for AdamW (decoupled weight decay). */
  readonly decoupled: boolean;

  constructor(opts: AdamOptions, decoupled: boolean) {
    super(opts);
    this.decoupled = decoupled;
    this.kind = decoupled ? 'adamw' : 'adam';
    this.beta1 = opts.beta1 ?? 0.9;
    this.beta2 = opts.beta2 ?? 0.999;
    this.eps = opts.eps ?? 1e-8;
    for (const [name, b] of [
      ['beta1', this.beta1],
      ['beta2', this.beta2],
    ] as const) {
      if (!(b >= 0 && b < 1)) throw new InvalidArgumentError(`${this.kind}: ${name} must be in [0, 1), got ${b}`);
    }
    checkNonNegative(this.eps, 'eps', 'optimizer');
  }

  protected updateVariable(variable: tf.Variable, grad: tf.Tensor, lr: number, weightDecay: number, slot: SlotState) {
    let g = grad;
    let theta: tf.Tensor = variable;
    if (weightDecay !== 0) {
      if (this.decoupled) theta = tf.mul(variable, 1 - lr * weightDecay);
      else g = tf.add(g, tf.mul(variable, weightDecay));
    }
    const m0 = slot.slots.m ?? tf.zerosLike(variable);
    const v0 = slot.slots.v ?? tf.zerosLike(variable);
    const m = tf.add(tf.mul(m0, this.beta1), tf.mul(g, 1 - this.beta1));
    const v = tf.add(tf.mul(v0, this.beta2), tf.mul(tf.square(g), 1 - this.beta2));
    this.setSlot(slot, 'm', m);
    this.setSlot(slot, 'v', v);
    const t = slot.step;
    const stepSize = lr / (1 - this.beta1 ** t);
    const bc2Sqrt = Math.sqrt(1 - this.beta2 ** t);
    const denom = tf.add(tf.div(tf.sqrt(v), bc2Sqrt), this.eps);
    variable.assign(tf.sub(theta, tf.mul(tf.div(m, denom), stepSize)));
  }
}
