/**
 * The `Attack` base class: the torchattacks-shaped API (`new PGD(model, { eps, alpha, steps })`,
 * `attack.run(x, y)`) shared by FGSM, PGD (L∞ / L2), PGD-L2 and APGD.
 *
 * Conventions (torchattacks / RobustBench, see research/anchors §1.3):
 * - inputs are NHWC images in [0, 1]; normalisation is a layer inside the model (`withNormalization`);
 * - the attack uses the true labels, never the model's predictions;
 * - gradients are taken w.r.t. the input only (`tf.grad` of a function of x), one `tf.tidy` per step, so the
 *   tensor count is flat across an attack;
 * - `bnMode: 'eval'` (default) runs BatchNorm in inference mode; `'train'` uses batch statistics and updates the
 *   moving statistics at every step, as the PyTorch reference code does after `model.train()`;
 * - targeted variants (`targeted: true`) minimise the cross-entropy to a target label (random other class by
 *   default, the least-likely class, a function, or `run(x, y, { targets })`).
 */

import { createRng, InvalidArgumentError, type Rng, ShapeError, type Trainable } from '@ft/core';
import { checkNonNegative } from '@ft/core/internal';
import * as tf from '@tensorflow/tfjs-core';
import { correctMask, crossEntropyPerExample, dlrPerExample, inputGradWithAux } from './losses.js';
import {
  checkProbabilities,
  checkProbabilitiesAsync,
  forwardRaw,
  logitsOf,
  type OutputKind,
  resolveOutputKind,
} from './model-output.js';
import type { PassCounter, PassKind } from './pass-counter.js';
import { checkClassLabels, checkClassLabelsAsync, checkImages, checkImagesAsync, numClassesOf } from './validate.js';

/** How target labels are chosen for a targeted attack when `run` gets no `targets`. */
export type TargetSelector =
  | 'random'
  | 'least-likely'
  | ((x: tf.Tensor4D, y: tf.Tensor1D, numClasses: number, rng: Rng) => tf.Tensor1D);

/** Options every attack accepts (defaults in brackets). */
export interface BaseAttackOptions {
  /** Targeted attack: move towards a target label instead of away from the true one. [false] */
  targeted?: boolean;
  /** Target choice for targeted attacks without explicit `targets`. ['random': a uniform other class] */
  targetLabels?: TargetSelector;
  /** Valid input range, kept after every step. [[0, 1]] */
  clip?: readonly [number, number];
  /** BatchNorm mode of the attack's forward passes. ['eval'] */
  bnMode?: 'eval' | 'train';
  /** What the model outputs; 'auto' reads the last layer (softmax ⇒ probabilities). ['auto'] */
  output?: OutputKind;
  /** Seed of the attack's own random stream, used when `run` gets no `rng`. [0] */
  seed?: number | string;
  /** Counts the attack's passes (each `run` adds its steps × examples). [none] */
  counter?: PassCounter;
  /** Check inputs (range, shapes, labels) on every `run`. [true] */
  checkInputs?: boolean;
}

/** Per-call options of `Attack.run`. */
export interface AttackRunOptions {
  /** Random stream for this call (random start, random targets). Default: the attack's own stream. */
  rng?: Rng;
  /** Target labels [N] for a targeted attack (overrides `targetLabels`). */
  targets?: tf.Tensor1D;
  /** Pass counter for this call (overrides the attack's `counter`). */
  counter?: PassCounter;
  /** Counter category of the attack steps. Default `'evalAttack'`; adversarial training uses `'adversarialAttack'`. */
  countAs?: Extract<PassKind, 'evalAttack' | 'adversarialAttack'>;
  /** Run BatchNorm in training mode for this call (overrides `bnMode`). */
  training?: boolean;
  /**
   * Start point of the first restart instead of the random start (projected into the ε-ball ∩ clip range first),
   * e.g. to continue an attack or to compare with a reference implementation (auto-attack's `x_init`).
   */
  init?: tf.Tensor4D;
}

/** What an attack's core loop receives. */
export interface AttackContext {
  x: tf.Tensor4D;
  /** True labels. */
  y: tf.Tensor1D;
  /** Target labels (targeted attacks), else null. */
  targets: tf.Tensor1D | null;
  rng: Rng;
  training: boolean;
  counter: PassCounter | undefined;
  countAs: PassKind;
  /** Start point of the first restart (already projected), or null for the attack's own start. */
  init: tf.Tensor4D | null;
}

/** Per-example loss kinds the attacks maximise. */
export type AttackLoss = 'ce' | 'dlr';

/**
 * Base class of every attack. Subclasses implement `perturb` (the algorithm), `passesPerExample` and
 * `withOptions`; `run` validates the inputs, resolves targets and counts passes.
 */
export abstract class Attack {
  /** Display name, e.g. `'PGD-20 (L∞, ε=0.1, 5 restarts)'`. */
  abstract readonly name: string;
  /** Threat model norm. */
  abstract readonly norm: 'Linf' | 'L2';
  /** Perturbation budget ε. */
  abstract readonly eps: number;
  readonly model: Trainable;
  readonly targeted: boolean;
  readonly targetLabels: TargetSelector;
  readonly clip: readonly [number, number];
  readonly bnMode: 'eval' | 'train';
  readonly output: OutputKind;
  readonly seed: number | string;
  counter: PassCounter | undefined;
  readonly checkInputs: boolean;
  /** Logits or probabilities, resolved from `output` at construction. */
  readonly outputKind: 'logits' | 'probs';
  protected readonly rng: Rng;
  private probsChecked = false;
  private classes: number | null = null;

  protected constructor(
    protected readonly kind: string,
    model: Trainable,
    opts: BaseAttackOptions,
  ) {
    if (!model) throw new InvalidArgumentError(`${kind}: model is required`);
    this.model = model;
    this.targeted = opts.targeted ?? false;
    this.targetLabels = opts.targetLabels ?? 'random';
    const clip = opts.clip ?? [0, 1];
    if (
      !Array.isArray(clip) ||
      clip.length !== 2 ||
      !Number.isFinite(clip[0]) ||
      !Number.isFinite(clip[1]) ||
      clip[0] >= clip[1]
    ) {
      throw new InvalidArgumentError(`${kind}: clip must be [lo, hi] with lo < hi, got ${JSON.stringify(clip)}`);
    }
    this.clip = [clip[0], clip[1]];
    this.bnMode = opts.bnMode ?? 'eval';
    if (this.bnMode !== 'eval' && this.bnMode !== 'train') {
      throw new InvalidArgumentError(`${kind}: bnMode must be 'eval' or 'train', got ${String(this.bnMode)}`);
    }
    this.output = opts.output ?? 'auto';
    this.outputKind = resolveOutputKind(model, this.output);
    this.seed = opts.seed ?? 0;
    this.rng = createRng(this.seed).fork(kind);
    this.counter = opts.counter;
    this.checkInputs = opts.checkInputs ?? true;
  }

  /** The options this attack was built with (for `withOptions`). */
  protected baseOptions(): BaseAttackOptions {
    return {
      targeted: this.targeted,
      targetLabels: this.targetLabels,
      clip: this.clip,
      bnMode: this.bnMode,
      output: this.output,
      seed: this.seed,
      ...(this.counter ? { counter: this.counter } : {}),
      checkInputs: this.checkInputs,
    };
  }

  /** Forward+backward passes per example of one `run` (steps × restarts). */
  abstract passesPerExample(): number;

  /** A copy of this attack with some options changed, e.g. `pgd.withOptions({ eps: 0.2 })`. */
  abstract withOptions(overrides: Record<string, unknown>): Attack;

  /** The attack's algorithm on validated inputs. Returns a new tensor in the ε-ball ∩ clip range. */
  protected abstract perturb(ctx: AttackContext): tf.Tensor4D;

  /** Number of model outputs (classes). */
  numClasses(sample?: tf.Tensor): number {
    if (this.classes == null) this.classes = numClassesOf(this.model, sample);
    return this.classes;
  }

  /**
   * Crafts adversarial examples for `x` (NHWC in [0, 1]) with true labels `y` (int32 [N]). The result is a new
   * tensor (the caller disposes it) with ‖x_adv − x‖ ≤ ε in the attack's norm and every value in `clip`.
   * @param opts an `Rng` or `AttackRunOptions` (rng, targets, counter, countAs, training).
   * @throws ShapeError (rank, mismatched label counts, output shape), InvalidArgumentError (values outside the
   *   range, labels outside the model's classes, outputs that are not logits/probabilities).
   */
  run(x: tf.Tensor4D, y: tf.Tensor1D, opts?: AttackRunOptions | Rng): tf.Tensor4D {
    const o: AttackRunOptions = isRng(opts) ? { rng: opts } : (opts ?? {});
    const where = this.kind;
    if (this.checkInputs) checkImages(x, 'x', where, this.clip);
    else if (x.rank !== 4) throw new ShapeError(`${where}: x must be [N, H, W, C], got [${x.shape}]`);
    const n = x.shape[0];
    const c = this.numClasses(x);
    let labels: ArrayLike<number> | null = this.checkInputs ? checkClassLabels(y, 'y', where, n, c) : null;
    const probe = this.probabilityProbe(x);
    if (probe) {
      try {
        checkProbabilities(probe);
      } finally {
        probe.dispose();
      }
      this.probsChecked = true;
    }
    if (n > 0 && o.targets && this.targeted && this.checkInputs) checkClassLabels(o.targets, 'targets', where, n, c);
    if (this.needsLabelValues(n, o) && !labels) labels = y.dataSync();
    return this.runChecked(x, y, o, c, labels);
  }

  /**
   * {@link run} for backends without a synchronous readback (ft-webgpu in Node): the input checks and the random
   * target choice read their values with `await tensor.data()`; the attack itself never reads the device. Same
   * checks, errors and result as `run`.
   */
  async runAsync(x: tf.Tensor4D, y: tf.Tensor1D, opts?: AttackRunOptions | Rng): Promise<tf.Tensor4D> {
    const o: AttackRunOptions = isRng(opts) ? { rng: opts } : (opts ?? {});
    const where = this.kind;
    if (this.checkInputs) await checkImagesAsync(x, 'x', where, this.clip);
    else if (x.rank !== 4) throw new ShapeError(`${where}: x must be [N, H, W, C], got [${x.shape}]`);
    const n = x.shape[0];
    const c = this.numClasses(x);
    let labels: ArrayLike<number> | null = this.checkInputs ? await checkClassLabelsAsync(y, 'y', where, n, c) : null;
    const probe = this.probabilityProbe(x);
    if (probe) {
      try {
        await checkProbabilitiesAsync(probe);
      } finally {
        probe.dispose();
      }
      this.probsChecked = true;
    }
    if (n > 0 && o.targets && this.targeted && this.checkInputs) {
      await checkClassLabelsAsync(o.targets, 'targets', where, n, c);
    }
    if (this.needsLabelValues(n, o) && !labels) labels = await y.data();
    return this.runChecked(x, y, o, c, labels);
  }

  /** The model's raw output on the first examples when a probability model's outputs are still unchecked. */
  private probabilityProbe(x: tf.Tensor4D): tf.Tensor2D | null {
    const n = x.shape[0];
    if (this.outputKind !== 'probs' || this.probsChecked || n === 0) return null;
    return tf.tidy(() => this.rawForward(tf.slice(x, 0, Math.min(n, 8)), false) as tf.Tensor2D);
  }

  /** Whether `run` needs the label values on the host: random targets of a targeted attack. */
  private needsLabelValues(n: number, o: AttackRunOptions): boolean {
    return n > 0 && this.targeted && !o.targets && this.targetLabels === 'random';
  }

  /** `run` after the input checks; `labels` holds y's values where random targets need them. */
  private runChecked(
    x: tf.Tensor4D,
    y: tf.Tensor1D,
    o: AttackRunOptions,
    c: number,
    labels: ArrayLike<number> | null,
  ): tf.Tensor4D {
    const where = this.kind;
    const n = x.shape[0];
    const rng = o.rng ?? this.rng;
    const training = o.training ?? this.bnMode === 'train';
    const counter = o.counter ?? this.counter;
    if (n === 0) return tf.clone(x);
    let targets: tf.Tensor1D | null = null;
    let ownTargets = false;
    if (this.targeted) {
      if (o.targets) {
        targets = o.targets;
      } else {
        targets = this.chooseTargets(x, y, labels, c, rng, counter);
        ownTargets = true;
      }
    } else if (o.targets) {
      throw new InvalidArgumentError(
        `${where}: targets given to an untargeted attack; construct it with targeted: true`,
      );
    }
    const yInt = y.dtype === 'int32' ? y : (tf.cast(y, 'int32') as tf.Tensor1D);
    let init: tf.Tensor4D | null = null;
    try {
      if (o.init) {
        if (o.init.rank !== 4 || o.init.shape.some((d, i) => d !== x.shape[i])) {
          throw new ShapeError(`${where}: init has shape [${o.init.shape}], x has [${x.shape}]`);
        }
        const start = o.init;
        init = tf.tidy(() => this.projectInto(start, x));
      }
      return this.perturb({
        x,
        y: yInt,
        targets,
        rng,
        training,
        counter,
        countAs: o.countAs ?? 'evalAttack',
        init,
      });
    } finally {
      if (ownTargets) targets?.dispose();
      if (yInt !== y) yInt.dispose();
      init?.dispose();
    }
  }

  private chooseTargets(
    x: tf.Tensor4D,
    y: tf.Tensor1D,
    labels: ArrayLike<number> | null,
    c: number,
    rng: Rng,
    counter?: PassCounter,
  ): tf.Tensor1D {
    const sel = this.targetLabels;
    if (typeof sel === 'function') return sel(x, y, c, rng);
    if (sel === 'least-likely') {
      counter?.add('forwardOnly', x.shape[0]);
      return tf.tidy(() => tf.cast(tf.argMin(this.logits(x, false), 1), 'int32') as tf.Tensor1D);
    }
    if (sel !== 'random') throw new InvalidArgumentError(`${this.kind}: unknown targetLabels '${String(sel)}'`);
    const yv = labels ?? y.dataSync();
    const t = new Int32Array(yv.length);
    for (let i = 0; i < yv.length; i++) t[i] = (yv[i] + 1 + rng.int(c - 1)) % c;
    return tf.tensor1d(t, 'int32');
  }

  /** Projection onto the attack's threat set around x: the ε-ball in its norm ∩ the clip range. */
  protected projectInto(xAdv: tf.Tensor, x: tf.Tensor): tf.Tensor4D {
    return (
      this.norm === 'Linf' ? projectLinf(xAdv, x, this.eps, this.clip) : projectL2(xAdv, x, this.eps, this.clip)
    ) as tf.Tensor4D;
  }

  /** Raw model output. */
  protected rawForward(x: tf.Tensor, training: boolean): tf.Tensor {
    return forwardRaw(this.model, x, training);
  }

  /** Logits (log-probabilities for a probability model). */
  protected logits(x: tf.Tensor, training: boolean): tf.Tensor2D {
    return logitsOf(this.model, x, this.outputKind, training);
  }

  /**
   * Per-example attack objective (to maximise): CE(z, y) or DLR(z, y) untargeted; −CE(z, t) targeted (or the
   * targeted DLR variant with the roles of y and t swapped: −DLR(z, t)).
   */
  protected objective(z: tf.Tensor2D, ctx: AttackContext, loss: AttackLoss = 'ce'): tf.Tensor1D {
    const f = loss === 'dlr' ? dlrPerExample : crossEntropyPerExample;
    if (ctx.targets) return tf.neg(f(z, ctx.targets));
    return f(z, ctx.y);
  }

  /** Per-example success (1 = the attack succeeded): misclassified (untargeted) or classified as the target. */
  protected success(z: tf.Tensor2D, ctx: AttackContext): tf.Tensor1D {
    if (ctx.targets) return correctMask(z, ctx.targets);
    return tf.sub(1, correctMask(z, ctx.y)) as tf.Tensor1D;
  }

  /**
   * One forward+backward pass at `xAdv`: ∇_x Σ_i objective_i, the per-example objective and the logits. Books
   * N passes under `ctx.countAs`. Call inside `tf.tidy`.
   */
  protected gradStep(
    xAdv: tf.Tensor4D,
    ctx: AttackContext,
    loss: AttackLoss = 'ce',
  ): { grad: tf.Tensor4D; value: tf.Tensor1D; logits: tf.Tensor2D } {
    const { grad, aux } = inputGradWithAux((xx) => {
      const z = this.logits(xx, ctx.training);
      const v = this.objective(z, ctx, loss);
      return { objective: tf.sum(v) as tf.Scalar, aux: [v, z] };
    }, xAdv);
    ctx.counter?.add(ctx.countAs, xAdv.shape[0]);
    return { grad: grad as tf.Tensor4D, value: aux[0] as tf.Tensor1D, logits: aux[1] as tf.Tensor2D };
  }

  /** Per-example objective and success at `xAdv` (forward only, inference-mode BN unless training). */
  protected score(xAdv: tf.Tensor4D, ctx: AttackContext, loss: AttackLoss = 'ce') {
    ctx.counter?.add('forwardOnly', xAdv.shape[0]);
    return tf.tidy(() => {
      const z = this.logits(xAdv, ctx.training);
      return { value: this.objective(z, ctx, loss), success: this.success(z, ctx) };
    });
  }

  /** Checks ε (≥ 0) for the constructor of a subclass. */
  protected static checkEps(kind: string, eps: unknown): number {
    return checkNonNegative(eps, 'eps', kind);
  }
}

/**
 * Keeps, per example, the better of two candidates across restarts: a successful one beats an unsuccessful one,
 * otherwise the higher objective wins (ties keep `best`). Disposes nothing; call inside `tf.tidy`.
 * @returns the merged `{x, value, success}`.
 */
export function keepBetter(
  best: { x: tf.Tensor4D; value: tf.Tensor1D; success: tf.Tensor1D },
  cand: { x: tf.Tensor4D; value: tf.Tensor1D; success: tf.Tensor1D },
) {
  const better = tf.logicalOr(
    tf.greater(cand.success, best.success),
    tf.logicalAnd(tf.equal(cand.success, best.success), tf.greater(cand.value, best.value)),
  );
  const mask4 = tf.reshape(better, [-1, 1, 1, 1]);
  return {
    x: tf.where(tf.broadcastTo(mask4, cand.x.shape), cand.x, best.x) as tf.Tensor4D,
    value: tf.where(better, cand.value, best.value) as tf.Tensor1D,
    success: tf.where(better, cand.success, best.success) as tf.Tensor1D,
  };
}

/** Projection onto the L∞ ball of radius ε around x intersected with [lo, hi]: clip to [max(x−ε, lo), min(x+ε, hi)]. */
export function projectLinf(xAdv: tf.Tensor, x: tf.Tensor, eps: number, clip: readonly [number, number]): tf.Tensor {
  return tf.tidy(() =>
    tf.minimum(tf.maximum(xAdv, tf.maximum(tf.sub(x, eps), clip[0])), tf.minimum(tf.add(x, eps), clip[1])),
  );
}

/** Per-example L2 norms of an [N, …] tensor, shaped [N, 1, 1, 1]. */
export function l2Norms(t: tf.Tensor): tf.Tensor {
  return tf.tidy(() => tf.reshape(tf.sqrt(tf.sum(tf.square(tf.reshape(t, [t.shape[0], -1])), 1)), [-1, 1, 1, 1]));
}

/**
 * Projection onto the L2 ball of radius ε around x, then clipping to [lo, hi] (torchattacks PGDL2 order:
 * δ ← δ · min(1, ε/‖δ‖₂), x_adv ← clip(x + δ)). Clipping a point of the ball towards x ∈ [lo, hi] only shrinks
 * |δ_i|, so the result stays in the ball.
 */
export function projectL2(xAdv: tf.Tensor, x: tf.Tensor, eps: number, clip: readonly [number, number]): tf.Tensor {
  return tf.tidy(() => {
    const delta = tf.sub(xAdv, x);
    const norms = l2Norms(delta);
    const factor = tf.minimum(tf.div(eps, tf.maximum(norms, 1e-12)), 1);
    return tf.clipByValue(tf.add(x, tf.mul(delta, factor)), clip[0], clip[1]);
  });
}

function isRng(o: unknown): o is Rng {
  return typeof o === 'object' && o !== null && typeof (o as Rng).fork === 'function';
}
