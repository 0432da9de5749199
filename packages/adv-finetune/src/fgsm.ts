/**
 * Fast Gradient Sign Method, optionally with a random start (the "FGSM + RS" of Fast-AT).
 *
 * Papers: I. Goodfellow, J. Shlens, C. Szegedy, "Explaining and Harnessing Adversarial Examples", ICLR 2015,
 * arXiv 1412.6572 (x' = x + ε·sign(∇_x L(f(x), y))); E. Wong, L. Rice, J. Z. Kolter, "Fast is better than free:
 * Revisiting adversarial training", ICLR 2020, arXiv 2001.03994 (random start δ⁰ ~ U(−ε, ε), step α = 1.25ε, then
 * projection onto the ε-ball; reference: locuslab/fast_adversarial).
 *
 *   x⁰ = Π(x + δ⁰) (or x without random start),  x' = Π_{[max(x−ε, 0), min(x+ε, 1)]}( x⁰ + α · sign(∇_x L(f(x⁰), y)) )
 *
 * Without a random start and α = ε, on a model linear in x (before the softmax) with inputs away from the [0, 1]
 * borders this is the exact worst case of the L∞ ball for the linearised loss.
 */

import type { Trainable } from '@ft/core';
import { checkNonNegative } from '@ft/core/internal';
import * as tf from '@tensorflow/tfjs-core';
import { Attack, type AttackContext, type BaseAttackOptions, projectLinf } from './attack.js';
import { round } from './pgd.js';

/** Options of {@link FGSM} (defaults in brackets). */
export interface FGSMOptions extends BaseAttackOptions {
  /** L∞ budget ε. [8/255] */
  eps?: number;
  /** Random start δ⁰ ~ U(−ε, ε) (Fast-AT). [false] */
  randomStart?: boolean;
  /** Step size α. [ε, or 1.25ε with a random start (Wong et al. 2020)] */
  alpha?: number;
}

/** FGSM / FGSM with random start: `new FGSM(model, { eps, randomStart, alpha })`. One pass per example. */
export class FGSM extends Attack {
  readonly name: string;
  readonly norm = 'Linf' as const;
  readonly eps: number;
  readonly alpha: number;
  readonly randomStart: boolean;

  constructor(model: Trainable, opts: FGSMOptions = {}) {
    super('FGSM', model, opts);
    this.eps = Attack.checkEps('FGSM', opts.eps ?? 8 / 255);
    this.randomStart = opts.randomStart ?? false;
    this.alpha = checkNonNegative(opts.alpha ?? (this.randomStart ? 1.25 * this.eps : this.eps), 'alpha', 'FGSM');
    this.name =
      `FGSM${this.randomStart ? '-RS' : ''} (L∞, ε=${round(this.eps)}` +
      `${this.randomStart || this.alpha !== this.eps ? `, α=${round(this.alpha)}` : ''}${this.targeted ? ', targeted' : ''})`;
  }

  passesPerExample(): number {
    return 1;
  }

  /** The options of this attack, for `withOptions`. */
  options(): FGSMOptions {
    return { ...this.baseOptions(), eps: this.eps, alpha: this.alpha, randomStart: this.randomStart };
  }

  withOptions(overrides: Partial<FGSMOptions>): FGSM {
    const base = this.options();
    // a new eps without a new alpha keeps the ratio α/ε
    if (overrides.eps !== undefined && overrides.alpha === undefined) {
      base.alpha = this.eps > 0 ? (this.alpha * overrides.eps) / this.eps : undefined;
    }
    return new FGSM(this.model, { ...base, ...overrides });
  }

  protected perturb(ctx: AttackContext): tf.Tensor4D {
    const { x } = ctx;
    const x0 = tf.tidy(() =>
      ctx.init
        ? tf.clone(ctx.init)
        : this.randomStart && this.eps > 0
          ? projectLinf(
              tf.add(x, tf.randomUniform(x.shape, -this.eps, this.eps, 'float32', ctx.rng.seedForTf())),
              x,
              this.eps,
              this.clip,
            )
          : tf.clone(x),
    ) as tf.Tensor4D;
    try {
      return tf.tidy(() => {
        const { grad } = this.gradStep(x0, ctx);
        return projectLinf(tf.add(x0, tf.mul(tf.sign(grad), this.alpha)), x, this.eps, this.clip);
      }) as tf.Tensor4D;
    } finally {
      x0.dispose();
    }
  }
}
