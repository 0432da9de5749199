/**
 * APGD (Auto-PGD), the step-size-free PGD of AutoAttack; with the cross-entropy loss this is APGD-CE.
 *
 * Paper: F. Croce, M. Hein, "Reliable evaluation of adversarial robustness with an ensemble of diverse
 * parameter-free attacks", ICML 2020, arXiv 2003.01690, Algorithm 1. Reference: fra31/auto-attack
 * `autoattack/autopgd_base.py` (`APGDAttack.attack_single_run`), whose details are followed here:
 * - start x⁰ = clip(x + ε·t/‖t‖_∞), t ~ U(−1, 1)^d (L∞), or t ~ N(0, I) normalised in L2; step η⁰ = 2ε;
 * - momentum step: z = P(x^k + η·sign(∇)), x^{k+1} = P(x^k + a(z − x^k) + (1 − a)(x^k − x^{k−1})), a = 1 at the first
 *   iteration, then 0.75 (L2: normalised gradient, projection onto the L2 ball, then [0, 1]);
 * - checkpoints after k = ⌊0.22·N_iter⌋ iterations, then every max(k − ⌊0.03·N_iter⌋, ⌊0.06·N_iter⌋): per example, η is
 *   halved and the iterate reset to the best point when the loss increased in at most 75 % of the steps since the
 *   last checkpoint, or when η was not reduced at the last checkpoint and the best loss did not improve since;
 * - per example the point with the highest loss (`x_best`) and the last misclassifying iterate (`x_best_adv`) are
 *   tracked. `run` returns x_best_adv where the attack succeeded, else x_best.
 * Restarts: a new random start each; per example a successful result is kept, else the highest loss.
 * Targeted: the objective is −CE (or −DLR) to the target label, success = classified as the target (the reference's
 * targeted variant APGD-T uses a targeted DLR over the top-9 classes; that is not reproduced here).
 * Cost: N_iter + 1 forward+backward passes per example and restart (the extra one at the start point).
 */

import { InvalidArgumentError, type Trainable } from '@ft/core';
import { checkNonNegative, checkPositiveInt } from '@ft/core/internal';
import * as tf from '@tensorflow/tfjs-core';
import { Attack, type AttackContext, type AttackLoss, type BaseAttackOptions, keepBetter, l2Norms } from './attack.js';
import { round } from './pgd.js';

/** Options of {@link APGD} (defaults in brackets). */
export interface APGDOptions extends BaseAttackOptions {
  /** Budget ε. [8/255 for L∞, 0.5 for L2] */
  eps?: number;
  /** Iterations N_iter. [100] */
  steps?: number;
  /** Restarts. [1] */
  restarts?: number;
  /** Threat model. ['Linf'] */
  norm?: 'Linf' | 'L2';
  /** Objective: cross-entropy (APGD-CE) or DLR (APGD-DLR, needs ≥ 3 classes). ['ce'] */
  loss?: AttackLoss;
  /** Oscillation threshold ρ. [0.75] */
  rho?: number;
}

/** APGD-CE / APGD-DLR: `new APGD(model, { eps, steps = 100, loss = 'ce', restarts })`. */
export class APGD extends Attack {
  readonly name: string;
  readonly norm: 'Linf' | 'L2';
  readonly eps: number;
  readonly steps: number;
  readonly restarts: number;
  readonly loss: AttackLoss;
  readonly rho: number;

  constructor(model: Trainable, opts: APGDOptions = {}) {
    super('APGD', model, opts);
    this.norm = opts.norm ?? 'Linf';
    if (this.norm !== 'Linf' && this.norm !== 'L2') {
      throw new InvalidArgumentError(`APGD: norm must be 'Linf' or 'L2', got ${String(this.norm)}`);
    }
    this.eps = Attack.checkEps('APGD', opts.eps ?? (this.norm === 'Linf' ? 8 / 255 : 0.5));
    this.steps = checkPositiveInt(opts.steps ?? 100, 'steps', 'APGD');
    this.restarts = checkPositiveInt(opts.restarts ?? 1, 'restarts', 'APGD');
    this.loss = opts.loss ?? 'ce';
    if (this.loss !== 'ce' && this.loss !== 'dlr') {
      throw new InvalidArgumentError(`APGD: loss must be 'ce' or 'dlr', got ${String(this.loss)}`);
    }
    this.rho = checkNonNegative(opts.rho ?? 0.75, 'rho', 'APGD');
    this.name =
      `APGD-${this.loss.toUpperCase()}-${this.steps} (${this.norm === 'Linf' ? 'L∞' : 'L2'}, ε=${round(this.eps)}` +
      `${this.restarts > 1 ? `, ${this.restarts} restarts` : ''}${this.targeted ? ', targeted' : ''})`;
  }

  passesPerExample(): number {
    return (this.steps + 1) * this.restarts;
  }

  /** The options of this attack, for `withOptions`. */
  options(): APGDOptions {
    return {
      ...this.baseOptions(),
      eps: this.eps,
      steps: this.steps,
      restarts: this.restarts,
      norm: this.norm,
      loss: this.loss,
      rho: this.rho,
    };
  }

  withOptions(overrides: Partial<APGDOptions>): APGD {
    return new APGD(this.model, { ...this.options(), ...overrides });
  }

  protected perturb(ctx: AttackContext): tf.Tensor4D {
    if (this.loss === 'dlr' && this.numClasses() < 3) {
      throw new InvalidArgumentError(`APGD: the DLR loss needs at least 3 classes, the model has ${this.numClasses()}`);
    }
    let best: { x: tf.Tensor4D; value: tf.Tensor1D; success: tf.Tensor1D } | null = null;
    for (let r = 0; r < this.restarts; r++) {
      const cand = this.once(ctx, r === 0 ? ctx.init : null);
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

  /** One run of Algorithm 1; returns the chosen point, its best loss and whether it succeeded. */
  private once(
    ctx: AttackContext,
    init: tf.Tensor4D | null,
  ): { x: tf.Tensor4D; value: tf.Tensor1D; success: tf.Tensor1D } {
    const { x } = ctx;
    const n = x.shape[0];
    const nIter = this.steps;
    const eps = this.eps;
    const nIter2 = Math.max(Math.floor(0.22 * nIter), 1);
    const nIterMin = Math.max(Math.floor(0.06 * nIter), 1);
    const sizeDecr = Math.max(Math.floor(0.03 * nIter), 1);

    let xAdv = tf.tidy(() => {
      if (init) return tf.clone(init);
      const t =
        this.norm === 'Linf'
          ? tf.randomUniform(x.shape, -1, 1, 'float32', ctx.rng.seedForTf())
          : tf.randomNormal(x.shape, 0, 1, 'float32', ctx.rng.seedForTf());
      const norms =
        this.norm === 'Linf' ? tf.reshape(tf.max(tf.abs(tf.reshape(t, [n, -1])), 1), [-1, 1, 1, 1]) : l2Norms(t);
      return tf.clipByValue(tf.add(x, tf.mul(tf.div(t, tf.add(norms, 1e-12)), eps)), this.clip[0], this.clip[1]);
    }) as tf.Tensor4D;
    let xBest = tf.clone(xAdv);
    let xBestAdv = tf.clone(xAdv);
    // Per-example state stays on the device (float32 [n], as the reference keeps it): the step-size rule reads
    // it every iteration, and a host read per iteration would stall a GPU backend (and is impossible on ft-webgpu).
    let grad: tf.Tensor4D;
    let gradBest: tf.Tensor4D;
    let lossBest: tf.Tensor1D;
    let everSuccess: tf.Tensor1D;
    {
      const r = tf.tidy(() => {
        const s = this.gradStep(xAdv, ctx, this.loss);
        return { grad: s.grad, value: s.value, success: this.success(s.logits, ctx) };
      });
      grad = r.grad;
      gradBest = tf.clone(grad);
      lossBest = r.value;
      everSuccess = r.success;
    }
    let stepSize = tf.fill([n], 2 * eps, 'float32') as tf.Tensor1D;
    // increases[i] = 1 where the loss rose at iteration i (vs. i − 1); the oscillation check sums the last k of them
    const increases: tf.Tensor1D[] = [];
    let lossPrev: tf.Tensor1D | null = null;
    let xAdvOld = tf.clone(xAdv);
    let k = nIter2;
    let counter3 = 0;
    let lossBestLastCheck = tf.clone(lossBest);
    let reducedLastCheck = tf.ones([n], 'bool') as tf.Tensor1D;

    const replace = <T extends tf.Tensor>(old: T, next: T): T => {
      if (old !== next) old.dispose();
      return next;
    };

    for (let i = 0; i < nIter; i++) {
      const a = i > 0 ? 0.75 : 1.0;
      const next = tf.tidy(() => {
        const grad2 = tf.sub(xAdv, xAdvOld);
        const step = tf.reshape(stepSize, [n, 1, 1, 1]);
        const dir = this.norm === 'Linf' ? tf.sign(grad) : tf.div(grad, tf.add(l2Norms(grad), 1e-12));
        const z = this.projectInto(tf.add(xAdv, tf.mul(step, dir)), x);
        return this.projectInto(tf.add(tf.add(xAdv, tf.mul(tf.sub(z, xAdv), a)), tf.mul(grad2, 1 - a)), x);
      }) as tf.Tensor4D;
      xAdvOld = replace(xAdvOld, xAdv);
      xAdv = next;

      const s = tf.tidy(() => {
        const g = this.gradStep(xAdv, ctx, this.loss);
        return { grad: g.grad, value: g.value, success: this.success(g.logits, ctx) };
      });
      grad = replace(grad, s.grad);
      {
        const curX = xAdv;
        const curG = grad;
        const y1 = s.value;
        const prev = lossPrev;
        const bestBefore = lossBest;
        const [inc, nl, ne, nb, nba, ngb] = tf.tidy(() => {
          // check_oscillation compares each row with the previous one; before the first row, Python's x[-1] wraps
          // to the last row, which is still zero unless there is a single iteration (then it is this row itself)
          const before = prev ?? (nIter === 1 ? y1 : tf.zerosLike(y1));
          const up = tf.cast(tf.greater(y1, before), 'float32');
          const impr = tf.greater(y1, bestBefore);
          const sMask = tf.broadcastTo(tf.reshape(tf.cast(s.success, 'bool'), [-1, 1, 1, 1]), x.shape);
          const iMask = tf.broadcastTo(tf.reshape(impr, [-1, 1, 1, 1]), x.shape);
          return [
            up,
            tf.where(impr, y1, bestBefore),
            tf.maximum(everSuccess, s.success),
            tf.where(iMask, curX, xBest),
            tf.where(sMask, curX, xBestAdv),
            tf.where(iMask, curG, gradBest),
          ];
        });
        increases.push(inc as tf.Tensor1D);
        lossBest = replace(lossBest, nl as tf.Tensor1D);
        everSuccess = replace(everSuccess, ne as tf.Tensor1D);
        xBest = replace(xBest, nb as tf.Tensor4D);
        xBestAdv = replace(xBestAdv, nba as tf.Tensor4D);
        gradBest = replace(gradBest, ngb as tf.Tensor4D);
      }
      lossPrev?.dispose();
      lossPrev = s.value;
      s.success.dispose();
      // only the last nIter2 ≥ k rows are ever summed
      while (increases.length > nIter2) increases.shift()?.dispose();

      counter3 += 1;
      if (counter3 === k) {
        const last = increases.slice(increases.length - k);
        // t ≤ k·ρ for an integer count t ⇔ t ≤ ⌊k·ρ⌋ (exact in float32, unlike k·ρ itself)
        const oscLimit = Math.floor(k * this.rho);
        const curX = xAdv;
        const curG = grad;
        const [fl, ns, nlc, nx, ng] = tf.tidy(() => {
          const t = last.length === 1 ? last[0] : tf.addN(last);
          const osc = tf.lessEqual(t, oscLimit);
          const noImpr = tf.logicalAnd(tf.logicalNot(reducedLastCheck), tf.greaterEqual(lossBestLastCheck, lossBest));
          const f = tf.logicalOr(osc, noImpr);
          const m = tf.broadcastTo(tf.reshape(f, [-1, 1, 1, 1]), x.shape);
          return [
            f,
            tf.where(f, tf.div(stepSize, 2), stepSize),
            tf.clone(lossBest),
            tf.where(m, xBest, curX),
            tf.where(m, gradBest, curG),
          ];
        });
        reducedLastCheck = replace(reducedLastCheck, fl as tf.Tensor1D);
        stepSize = replace(stepSize, ns as tf.Tensor1D);
        lossBestLastCheck = replace(lossBestLastCheck, nlc as tf.Tensor1D);
        xAdv = replace(xAdv, nx as tf.Tensor4D);
        grad = replace(grad, ng as tf.Tensor4D);
        k = Math.max(k - sizeDecr, nIterMin);
        counter3 = 0;
      }
    }
    const out = tf.tidy(() => {
      const sMask = tf.broadcastTo(tf.reshape(tf.cast(everSuccess, 'bool'), [-1, 1, 1, 1]), x.shape);
      return tf.where(sMask, xBestAdv, xBest) as tf.Tensor4D;
    });
    tf.dispose([xAdv, xAdvOld, grad, gradBest, xBest, xBestAdv, stepSize, lossBestLastCheck, reducedLastCheck]);
    tf.dispose(increases);
    lossPrev?.dispose();
    return { x: out, value: lossBest, success: everSuccess };
  }
}
