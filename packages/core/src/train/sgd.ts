import * as tf from '@tensorflow/tfjs-core';
import { InvalidArgumentError } from '../errors.js';
import { checkNonNegative } from '../validate.js';
import { Optimizer, type OptimizerOptionsBase, type SlotState } from './optimizer.js';

/** Options of `sgd`. */
export interface SgdOptions extends OptimizerOptionsBase {
  /** Momentum m. Default 0 (plain SGD, no slot). */
  momentum?: number;
  /** Nesterov momentum (needs momentum > 0 and dampening 0). Default false. */
  nesterov?: boolean;
  /** Coupled L2 weight decay λ (g ← g + λθ). Default 0. */
  weightDecay?: number;
  /** Dampening d of the momentum buffer. Default 0. */
  dampening?: number;
}

/**
 * Stochastic gradient descent with momentum, PyTorch `torch.optim.SGD` semantics.
 *
 * Per variable θ with gradient g, group lr η and weight decay λ, at step t:
 * ```
 * g ← g + λθ                              (coupled weight decay, if λ ≠ 0)
 * v ← g                        if t = 1   (buffer initialised with the raw gradient, no dampening)
 * v ← m·v + (1 − d)·g          if t > 1
 * g ← g + m·v  (nesterov)  or  g ← v      (if m ≠ 0)
 * θ ← θ − η·g
 * ```
 * With m = 0.9 the effective learning rate is η/(1 − m) (Li et al., ICLR 2020, "Rethinking the hyperparameters
 * for fine-tuning"). Reference: Sutskever et al., ICML 2013 (momentum / Nesterov); PyTorch `SGD` docs.
 *
 * @param opts `{lr, momentum = 0, nesterov = false, weightDecay = 0, dampening = 0, groups?}`.
 */
export function sgd(opts: SgdOptions): Sgd {
  return new Sgd(opts);
}

/** The optimizer returned by `sgd` (see there for the update equations). */
export class Sgd extends Optimizer {
  readonly kind = 'sgd';
  readonly momentum: number;
  readonly nesterov: boolean;
  readonly dampening: number;

  constructor(opts: SgdOptions) {
    super(opts);
    this.momentum = opts.momentum ?? 0;
    this.nesterov = opts.nesterov ?? false;
    this.dampening = opts.dampening ?? 0;
    checkNonNegative(this.momentum, 'momentum', 'optimizer');
    checkNonNegative(this.dampening, 'dampening', 'optimizer');
    if (this.nesterov && (this.momentum <= 0 || this.dampening !== 0)) {
      throw new InvalidArgumentError(
        `sgd: nesterov needs momentum > 0 and dampening = 0, got momentum ${this.momentum}, dampening ${this.dampening}`,
      );
    }
  }

  protected updateVariable(variable: tf.Variable, grad: tf.Tensor, lr: number, weightDecay: number, slot: SlotState) {
    let g = grad;
    if (weightDecay !== 0) g = tf.add(g, tf.mul(variable, weightDecay));
    if (this.momentum !== 0) {
      const prev = slot.slots.buf;
      const buf = prev ? tf.add(tf.mul(prev, this.momentum), tf.mul(g, 1 - this.dampening)) : tf.clone(g);
      this.setSlot(slot, 'buf', buf);
      g = this.nesterov ? tf.add(g, tf.mul(buf, this.momentum)) : buf;
    }
    variable.assign(tf.sub(variable, tf.mul(g, lr)));
  }
}
