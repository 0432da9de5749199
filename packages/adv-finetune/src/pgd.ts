/**
 * Projected gradient descent (PGD) attack, L∞ and L2.
 *
 * Paper: A. Madry, A. Makelov, L. Schmidt, D. Tsipras, A. Vladu, "Towards Deep Learning Models Resistant to
 * Adversarial Attacks", ICLR 2018, arXiv 1706.06083. Reference code: locuslab/robust_overfitting `attack_pgd`,
 * torchattacks `PGD` / `PGDL2`.
 *
 * L∞ (per step t = 0..K−1, δ⁰ ~ U(−ε, ε)^d clipped so x+δ ∈ [0, 1], or δ⁰ = 0 without random start):
 *   x^{t+1} = Π_{[max(x−ε, 0), min(x+ε, 1)]}( x^t + α · sign(∇_x L(f(x^t), y)) )
 * with sign(0) = 0 (a zero-gradient coordinate stays put, as in the reference).
 * L2: x^{t+1} = clip_[0,1]( x + Π_{‖δ‖₂ ≤ ε}( x^t + α · g/‖g‖₂ − x ) ), random start δ⁰ = ε · r · u/‖u‖₂ with
 * u ~ N(0, I), r ~ U(0, 1) (torchattacks PGDL2).
 * L = cross-entropy with the true labels (untargeted, maximised) or −CE to the target labels (targeted).
 *
 * Restarts: each restart draws a new δ⁰; per example the first successful (misclassified / on-target) result is
 * kept, otherwise the one with the highest loss (an extra forward pass per restart, booked as forward-only).
 * Returns the final iterate of each restart (as torchattacks and the reference code; no best-iterate tracking).
 */

import { InvalidArgumentError, type Trainable } from '@ft/core';
import { checkNonNegative, checkPositiveInt } from '@ft/core/internal';
import * as tf from '@tensorflow/tfjs-core';
import {
  Attack,
  type AttackContext,
  type AttackLoss,
  type BaseAttackOptions,
  keepBetter,
  l2Norms,
  projectL2,
  projectLinf,
} from './attack.js';

/** Options of {@link PGD} (defaults in brackets). */
export interface PGDOptions extends BaseAttackOptions {
  /** Budget ε. [8/255 for L∞, 1.0 for L2] */
  eps?: number;
  /** Step size α. [ε/4 for L∞ (torchattacks' 2/255 for 8/255), ε/5 for L2 (torchattacks' 0.2 for 1.0)] */
  alpha?: number;
  /** Iterations K. [10] */
  steps?: number;
  /** Random start inside the ball. [true] */
  randomStart?: boolean;
  /** Independent restarts, worst case kept per example. [1] */
  restarts?: number;
  /** Threat model. ['Linf'] */
  norm?: 'Linf' | 'L2';
  /** Objective: cross-entropy or DLR. ['ce'] */
  loss?: AttackLoss;
}

/** PGD attack (L∞ or L2), torchattacks-shaped: `new PGD(model, { eps, alpha, steps, randomStart, restarts })`. */
export class PGD extends Attack {
  readonly name: string;
  readonly norm: 'Linf' | 'L2';
  readonly eps: number;
  readonly alpha: number;
  readonly steps: number;
  readonly randomStart: boolean;
  readonly restarts: number;
  readonly loss: AttackLoss;

  constructor(model: Trainable, opts: PGDOptions = {}, kind = 'PGD') {
    super(kind, model, opts);
    this.norm = opts.norm ?? 'Linf';
    if (this.norm !== 'Linf' && this.norm !== 'L2') {
      throw new InvalidArgumentError(`${kind}: norm must be 'Linf' or 'L2', got ${String(this.norm)}`);
    }
    const linf = this.norm === 'Linf';
    this.eps = Attack.checkEps(kind, opts.eps ?? (linf ? 8 / 255 : 1));
    this.alpha = checkNonNegative(opts.alpha ?? (linf ? this.eps / 4 : this.eps / 5), 'alpha', kind);
    this.steps = checkPositiveInt(opts.steps ?? 10, 'steps', kind);
    this.randomStart = opts.randomStart ?? true;
    this.restarts = checkPositiveInt(opts.restarts ?? 1, 'restarts', kind);
    this.loss = opts.loss ?? 'ce';
    if (this.loss !== 'ce' && this.loss !== 'dlr') {
      throw new InvalidArgumentError(`${kind}: loss must be 'ce' or 'dlr', got ${String(this.loss)}`);
    }
    const e = linf ? `ε=${round(this.eps)}` : `ε₂=${round(this.eps)}`;
    this.name =
      `${kind}-${this.steps} (${linf ? 'L∞' : 'L2'}, ${e}, α=${round(this.alpha)}` +
      `${this.restarts > 1 ? `, ${this.restarts} restarts` : ''}${this.targeted ? ', targeted' : ''})`;
  }

  passesPerExample(): number {
    return this.steps * this.restarts;
  }

  /** The options of this attack, for `withOptions`. */
  options(): PGDOptions {
    return {
      ...this.baseOptions(),
      eps: this.eps,
      alpha: this.alpha,
      steps: this.steps,
      randomStart: this.randomStart,
      restarts: this.restarts,
      norm: this.norm,
      loss: this.loss,
    };
  }

  /** A copy with some options changed; a new `eps` without a new `alpha` keeps the ratio α/ε. */
  withOptions(overrides: Partial<PGDOptions>): PGD {
    return new PGD(this.model, this.merged(overrides), this.kind);
  }

  protected merged(overrides: Partial<PGDOptions>): PGDOptions {
    const o = { ...this.options(), ...overrides };
    if (overrides.eps !== undefined && overrides.alpha === undefined) {
      o.alpha = this.eps > 0 ? (this.alpha * overrides.eps) / this.eps : undefined;
    }
    return o;
  }

  protected perturb(ctx: AttackContext): tf.Tensor4D {
    let best: { x: tf.Tensor4D; value: tf.Tensor1D; success: tf.Tensor1D } | null = null;
    for (let r = 0; r < this.restarts; r++) {
      const xr = this.once(ctx, r === 0 ? ctx.init : null);
      if (this.restarts === 1) return xr;
      const s = this.score(xr, ctx, this.loss);
      const cand = { x: xr, value: s.value, success: s.success };
      if (!best) {
        best = cand;
        continue;
      }
      const prev: typeof cand = best;
      best = tf.tidy(() => keepBetter(prev, cand));
      tf.dispose([prev.x, prev.value, prev.success, cand.x, cand.value, cand.success]);
    }
    const b = best!;
    tf.dispose([b.value, b.success]);
    return b.x;
  }

  /** One restart: random start, then K projected steps. */
  private once(ctx: AttackContext, init: tf.Tensor4D | null): tf.Tensor4D {
    const { x } = ctx;
    const eps = this.eps;
    const clip = this.clip;
    let xAdv = tf.tidy(() => {
      if (init) return tf.clone(init);
      if (!this.randomStart || eps === 0) return tf.clone(x);
      if (this.norm === 'Linf') {
        const d = tf.randomUniform(x.shape, -eps, eps, 'float32', ctx.rng.seedForTf());
        return projectLinf(tf.add(x, d), x, eps, clip);
      }
      const u = tf.randomNormal(x.shape, 0, 1, 'float32', ctx.rng.seedForTf());
      const r = tf.randomUniform([x.shape[0], 1, 1, 1], 0, 1, 'float32', ctx.rng.seedForTf());
      const d = tf.mul(tf.div(u, tf.maximum(l2Norms(u), 1e-12)), tf.mul(r, eps));
      return tf.clipByValue(tf.add(x, d), clip[0], clip[1]);
    }) as tf.Tensor4D;
    for (let t = 0; t < this.steps; t++) {
      const next = tf.tidy(() => {
        const { grad } = this.gradStep(xAdv, ctx, this.loss);
        if (this.norm === 'Linf') return projectLinf(tf.add(xAdv, tf.mul(tf.sign(grad), this.alpha)), x, eps, clip);
        const g = tf.div(grad, tf.add(l2Norms(grad), 1e-10));
        return projectL2(tf.add(xAdv, tf.mul(g, this.alpha)), x, eps, clip);
      }) as tf.Tensor4D;
      xAdv.dispose();
      xAdv = next;
    }
    return xAdv;
  }
}

/** PGD with the L2 threat model (torchattacks `PGDL2`): `new PGDL2(model, { eps = 1, alpha = 0.2, steps = 10 })`. */
export class PGDL2 extends PGD {
  constructor(model: Trainable, opts: Omit<PGDOptions, 'norm'> = {}) {
    super(model, { ...opts, norm: 'L2' }, 'PGDL2');
  }

  override withOptions(overrides: Partial<Omit<PGDOptions, 'norm'>>): PGDL2 {
    const { norm: _n, ...rest } = this.merged(overrides);
    return new PGDL2(this.model, rest);
  }
}

/** Rounds for display names. */
export function round(v: number): string {
  return String(Number(v.toPrecision(4)));
}
