/**
 * One training step's objective of Abuduweili et al. (CVPR 2021), official code `train.py`:
 * `L = CE(G_t(F_t(x_l)), y) + coef_t·L_SSL + λ_KC(t)·R_AKC + λ_RC(t)·R_ARC`, with one target forward over the
 * concatenation of the labelled batch and the unlabelled views (BatchNorm statistics over all of it), the frozen
 * source in inference mode on labelled ∪ weak unlabelled, and the SSL term of the chosen algorithm.
 */
import { InvalidArgumentError, type Rng } from '@ft/core';
import type { ForwardContext } from '@ft/core/train';
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { akcTerm } from '../regularisers/akc.js';
import { type ArcTerm, arcTerm } from '../regularisers/arc.js';
import { FeatureQueue } from '../regularisers/feature-queue.js';
import { lambdaWarmup } from '../regularisers/warmup.js';
import { sslCoefWarmup } from '../ssl/coef-warmup.js';
import { fixMatchTerm, type MaskedLossTerm } from '../ssl/fixmatch.js';
import { ictLoss, ictMix } from '../ssl/ict.js';
import { meanTeacherLoss } from '../ssl/mean-teacher.js';
import { pseudoLabelTerm } from '../ssl/pseudo-label.js';
import { keepingMovingStats } from './bn-stats.js';
import type { SslBatch } from './data.js';

/** The SSL algorithms AKC and ARC sit on. */
export type SslAlgorithm = 'supervised' | 'pseudo-label' | 'fixmatch' | 'mean-teacher' | 'ict';

/** Every algorithm, in table order. */
export const SSL_ALGORITHMS: readonly SslAlgorithm[] = [
  'supervised',
  'pseudo-label',
  'fixmatch',
  'mean-teacher',
  'ict',
];

/** AKC settings of a run. */
export interface AkcSettings {
  /** λ_KC (after its 100-iteration warm-up). */
  lambda: number;
  /** ε_KC. [0.7] */
  threshold?: number;
  /** Keep every example (the ablation ε = ∞). [false] */
  ungated?: boolean;
  /** Multiplier of the squared distance. [1e-4] */
  scale?: number;
}

/** ARC settings of a run. */
export interface ArcSettings {
  /** λ_RC (after its 100-iteration warm-up). */
  lambda: number;
  /** ε_RC. [0.7] */
  threshold?: number;
  /** Keep every example (the ablation ε = ∞). [false] */
  ungated?: boolean;
  /** Capacity of each feature queue. [128] */
  queue?: number;
}

/** What the objective needs besides the models. */
export interface ObjectiveConfig {
  alg: SslAlgorithm;
  numClasses: number;
  numSourceClasses: number;
  /** Confidence threshold τ of FixMatch / Pseudo-Label. */
  threshold: number;
  /** Weight of L_SSL after its warm-up. */
  sslCoef: number;
  /** Iterations of the linear warm-up of the SSL weight (0: none). */
  sslWarmup: number;
  /** Iterations of the linear warm-up of λ_KC and λ_RC. */
  regWarmup: number;
  /** Beta(α, α) of ICT's mixup. */
  ictAlpha: number;
  akc?: AkcSettings;
  arc?: ArcSettings;
}

/** Gate ratios and mask rate of one step (absent when that part is off), known after {@link SslObjective.commitStep}. */
export interface StepStats {
  akcRatio?: number;
  arcRatioL?: number;
  arcRatioU?: number;
  /** Whether R_ARC entered the loss at this step. */
  arcApplied?: boolean;
  maskRate?: number;
}

/** The models the objective runs: [features, logits] views of the target and the source, and the teacher. */
export interface ObjectiveModels {
  /** Target classifier (trained). */
  target: tfl.LayersModel;
  /** [features, logits] view of the target (shares its weights). */
  targetTap: tfl.LayersModel;
  /** [features, logits] view of the frozen source, for AKC. */
  sourceTap: tfl.LayersModel | null;
  /** EMA teacher classifier, for Mean Teacher and ICT. */
  teacher: tfl.LayersModel | null;
}

/** Which unlabelled views an algorithm (with or without AKC/ARC) reads. */
export function unlabeledViewsOf(
  alg: SslAlgorithm,
  regularised: boolean,
): 'none' | 'weak' | 'weak+strong' | 'weak+weak' {
  if (alg === 'fixmatch') return 'weak+strong';
  if (alg === 'mean-teacher') return 'weak+weak';
  if (alg === 'supervised' && !regularised) return 'none';
  return 'weak';
}

/** What a step leaves for {@link SslObjective.commitStep}: counts on the device and ARC's uncommitted term. */
interface PendingStep {
  mask?: { kept: tf.Scalar; n: number };
  akc?: { kept: tf.Scalar; n: number };
  arc?: ArcTerm;
}

function disposePending(p: PendingStep): void {
  p.mask?.kept.dispose();
  p.akc?.kept.dispose();
  p.arc?.dispose();
}

function sparseCe(logits: tf.Tensor2D, y: tf.Tensor1D): tf.Scalar {
  return tf.losses.softmaxCrossEntropy(tf.oneHot(tf.cast(y, 'int32') as tf.Tensor1D, logits.shape[1]), logits);
}

/**
 * The step objective: `forward(batch, ctx)` returns the total loss (a scalar inside `fit`'s tape) without reading
 * anything from the device, so it trains on any backend (`ft-webgpu` included); after the optimizer step,
 * `await commitStep()` appends the batch to ARC's queues and reads the step's gate ratios and mask rate into `last`
 * (the run log does it in `onStepEnd`). It owns ARC's two feature queues.
 */
export class SslObjective {
  readonly queues: { l: FeatureQueue; u: FeatureQueue } | null;
  /** Statistics of the latest committed step. */
  last: StepStats = {};
  private pending: PendingStep | null = null;

  constructor(
    private readonly models: ObjectiveModels,
    readonly config: ObjectiveConfig,
  ) {
    const { alg, akc, arc } = config;
    if (akc && !models.sourceTap) throw new InvalidArgumentError('SslObjective: AKC needs the source model');
    if ((alg === 'mean-teacher' || alg === 'ict') && !models.teacher) {
      throw new InvalidArgumentError(`SslObjective: ${alg} needs the EMA teacher`);
    }
    this.queues = arc ? { l: new FeatureQueue(arc.queue ?? 128), u: new FeatureQueue(arc.queue ?? 128) } : null;
  }

  /**
   * The total loss of one batch at iteration `ctx.step + 1` (the code counts from 1). Call {@link commitStep} after
   * the optimizer step, before the next forward.
   * @throws InvalidArgumentError when the previous step was not committed.
   */
  forward(batch: SslBatch, ctx: ForwardContext): tf.Scalar {
    if (this.pending) {
      throw new InvalidArgumentError(
        'SslObjective.forward: the previous step was not committed; await commitStep() after each optimizer step',
      );
    }
    const pending: PendingStep = {};
    try {
      const total = this.stepLoss(batch, ctx, pending);
      this.pending = pending;
      return total;
    } catch (e) {
      disposePending(pending);
      throw e;
    }
  }

  /**
   * After the optimizer step: reads the step's counts (`await data()`), appends the batch's selected rows to ARC's
   * queues, and returns the step's statistics (also left in `last`). Without a step to commit it returns `last`.
   */
  async commitStep(): Promise<StepStats> {
    const p = this.pending;
    if (!p) return this.last;
    this.pending = null;
    try {
      const stats: StepStats = {};
      if (p.mask) stats.maskRate = (await p.mask.kept.data())[0] / p.mask.n;
      if (p.akc) stats.akcRatio = p.akc.n === 0 ? 0 : (await p.akc.kept.data())[0] / p.akc.n;
      if (p.arc) {
        const r = await p.arc.commit();
        stats.arcRatioL = r.selectedRatio.l;
        stats.arcRatioU = r.selectedRatio.u;
        stats.arcApplied = r.applied;
      }
      this.last = stats;
      return stats;
    } finally {
      disposePending(p);
    }
  }

  private stepLoss(batch: SslBatch, ctx: ForwardContext, pending: PendingStep): tf.Scalar {
    const { config: c, models: m } = this;
    const t = (ctx.step ?? 0) + 1;
    const nl = batch.x.shape[0];
    const uw = batch.uWeak;
    const u2 = batch.uSecond;
    const nu = uw ? uw.shape[0] : 0;
    const parts: tf.Tensor4D[] = [batch.x, ...(uw ? [uw] : []), ...(u2 ? [u2] : [])];
    const input = parts.length === 1 ? batch.x : tf.concat(parts, 0);
    const [feat, logits] = m.targetTap.apply(input, { training: true }) as tf.Tensor2D[];
    const rows = (x: tf.Tensor2D, start: number, n: number) => tf.slice(x, [start, 0], [n, -1]) as tf.Tensor2D;
    const logitsL = rows(logits, 0, nl);
    let total = sparseCe(logitsL, batch.y);
    const add = (w: number, term: tf.Scalar | null) => {
      if (term && w > 0) total = tf.add(total, tf.mul(term, w)) as tf.Scalar;
    };
    if (uw) {
      const logitsUw = rows(logits, nl, nu);
      add(
        sslCoefWarmup(c.sslCoef, t, { warmupSteps: c.sslWarmup }),
        this.sslTerm(batch, logits, logitsUw, ctx, pending),
      );
      if (c.akc && m.sourceTap) {
        const lu = tf.concat([batch.x, uw], 0);
        const [sf, sl] = m.sourceTap.apply(lu, { training: false }) as tf.Tensor2D[];
        const r = akcTerm(
          { targetFeat: rows(feat, 0, nl + nu), sourceFeat: sf, sourceLogits: sl },
          {
            numSourceClasses: c.numSourceClasses,
            threshold: c.akc.threshold ?? 0.7,
            scale: c.akc.scale ?? 1e-4,
            ungated: c.akc.ungated ?? false,
          },
        );
        pending.akc = { kept: tf.keep(r.kept), n: nl + nu };
        add(lambdaWarmup(c.akc.lambda, t, { warmupSteps: c.regWarmup }), r.loss);
      }
      if (c.arc && this.queues) {
        const r = arcTerm(
          {
            labeledFeat: rows(feat, 0, nl),
            labeledLogits: logitsL,
            unlabeledFeat: rows(feat, nl, nu),
            unlabeledLogits: logitsUw,
            queues: this.queues,
          },
          { numClasses: c.numClasses, threshold: c.arc.threshold ?? 0.7, step: t, ungated: c.arc.ungated ?? false },
        );
        pending.arc = r;
        add(lambdaWarmup(c.arc.lambda, t, { warmupSteps: c.regWarmup }), r.loss);
      }
    }
    return total;
  }

  /** L_SSL of the algorithm (null for supervised). */
  private sslTerm(
    batch: SslBatch,
    logits: tf.Tensor2D,
    logitsUw: tf.Tensor2D,
    ctx: ForwardContext,
    pending: PendingStep,
  ): tf.Scalar | null {
    const { alg, threshold, ictAlpha } = this.config;
    const nl = batch.x.shape[0];
    const nu = logitsUw.shape[0];
    const second = () => tf.slice(logits, [nl + nu, 0], [nu, -1]) as tf.Tensor2D;
    const masked = (r: MaskedLossTerm) => {
      pending.mask = { kept: tf.keep(r.kept), n: nu };
      return r.loss;
    };
    switch (alg) {
      case 'supervised':
        return null;
      case 'pseudo-label': {
        return masked(pseudoLabelTerm(logitsUw, { threshold }));
      }
      case 'fixmatch': {
        return masked(fixMatchTerm(logitsUw, second(), { threshold }));
      }
      case 'mean-teacher': {
        const teacherLogits = this.teacherLogits(batch.uWeak as tf.Tensor4D);
        return meanTeacherLoss(second(), teacherLogits);
      }
      case 'ict': {
        const probs = tf.softmax(this.teacherLogits(batch.uWeak as tf.Tensor4D)) as tf.Tensor2D;
        const mix = ictMix(batch.uWeak as tf.Tensor4D, probs, ctx.rng as Rng, { alpha: ictAlpha });
        const target = this.models.target;
        const mixed = keepingMovingStats(target, () => target.apply(mix.x, { training: true }) as tf.Tensor2D);
        return ictLoss(mixed, mix.targets);
      }
    }
  }

  private teacherLogits(x: tf.Tensor4D): tf.Tensor2D {
    return (this.models.teacher as tfl.LayersModel).apply(x, { training: false }) as tf.Tensor2D;
  }

  /** Frees the feature queues (and an uncommitted step). */
  dispose(): void {
    if (this.pending) disposePending(this.pending);
    this.pending = null;
    this.queues?.l.dispose();
    this.queues?.u.dispose();
  }
}
