/**
 * ARC, adaptive representation consistency (Abuduweili et al., CVPR 2021, arXiv 2103.02193; official code
 * `train.py` with `mmd_loss`): MMD² between the confident labelled and unlabelled features of the current batch and
 * the last `capacity` past ones.
 */
import { InvalidArgumentError, ShapeError } from '@ft/core';
import { detach, offTape } from '@ft/core/train';
import * as tf from '@tensorflow/tfjs-core';
import { checkFeatures } from './akc.js';
import { checkGateRatio, type EntropyGateOptions, entropyGate } from './entropy-gate.js';
import type { FeatureQueue } from './feature-queue.js';
import { mmd2Masked } from './mmd.js';
import { ARC_REG_WARMUP } from './warmup.js';

/** Inputs of {@link arcLoss}. */
export interface ArcInputs {
  /** The target's pooled features of the labelled batch [N_l, D]. */
  labeledFeat: tf.Tensor2D;
  /** The target's logits on the labelled batch [N_l, C]. */
  labeledLogits: tf.Tensor2D;
  /** The target's pooled features of the (weak) unlabelled batch [N_u, D]. */
  unlabeledFeat: tf.Tensor2D;
  /** The target's logits on the (weak) unlabelled batch [N_u, C]. */
  unlabeledLogits: tf.Tensor2D;
  /** The labelled (`l`) and unlabelled (`u`) queues, updated in place; same capacity expected (128 in the paper). */
  queues: { l: FeatureQueue; u: FeatureQueue };
}

/** Options of {@link arcLoss}. */
export interface ArcOptions {
  /** ε_RC ∈ (0, 1]: keep examples with H(p_t) ≤ ε_RC·ln C. [0.7] */
  threshold?: number;
  /** C, the TARGET model's class count. */
  numClasses: number;
  /** The loss is applied only when |T_l| > minQueue. [20] */
  minQueue?: number;
  /**
   * The current iteration (counted from 1, as the code does). When given, the loss is null while step ≤ `regWarmup`
   * (the queues still update). Omit it to skip this warm-up.
   */
  step?: number;
  /** Iterations without ARC at the start (the code's `reg_warmup`). [10] */
  regWarmup?: number;
  /** Keep every example (ε = ∞), the ablation. [false] */
  ungated?: boolean;
}

/** Result of {@link arcLoss}. */
export interface ArcResult {
  /** R_ARC (scalar, caller disposes), or null when not applied (warm-up, |T_l| ≤ minQueue, or an empty side). */
  loss: tf.Scalar | null;
  /** Fractions of the labelled (`l`) and unlabelled (`u`) batch the gate kept. */
  selectedRatio: { l: number; u: number };
  /** Whether this batch was appended to the queues (both gates kept ≥ 1 example). */
  updated: boolean;
}

/** What {@link ArcTerm.commit} reports about one step. */
export interface ArcStats {
  /** Fractions of the labelled (`l`) and unlabelled (`u`) batch the gate kept. */
  selectedRatio: { l: number; u: number };
  /** Whether this batch was appended to the queues (both gates kept ≥ 1 example). */
  updated: boolean;
  /** Whether R_ARC entered the loss (it was not 0 for warm-up, |T_l| ≤ minQueue or an empty T_u). */
  applied: boolean;
}

/** Result of {@link arcTerm}: the loss as a tensor; the queues change at {@link ArcTerm.commit}. */
export interface ArcTerm {
  /**
   * R_ARC when it applies at this step and 0 when it does not (a scalar, caller disposes); null when it cannot apply
   * whatever the gates say (warm-up, or even a full batch would leave |T_l| ≤ minQueue or T_u empty).
   */
  loss: tf.Scalar | null;
  /**
   * After the step: reads the gates (`await data()`, any backend), appends this batch's selected rows to the queues
   * when both gates kept ≥ 1 example, frees what the term held and reports the step. Call it once, before the next
   * {@link arcTerm} on the same queues.
   */
  commit(): Promise<ArcStats>;
  /** {@link ArcTerm.commit} with a synchronous read (`dataSync`: cpu, ft-native, tensorflow; not ft-webgpu). */
  commitSync(): ArcStats;
  /** Frees what the term holds without touching the queues (a step abandoned before its commit). */
  dispose(): void;
}

/** Queues whose {@link arcTerm} has not been committed yet. */
const uncommitted = new WeakSet<FeatureQueue>();

/** cat(queued past rows (detached), current rows (with gradient)). */
function joined(queue: FeatureQueue, current: tf.Tensor2D): tf.Tensor2D {
  return queue.size > 0 ? (tf.concat([queue.all(), current], 0) as tf.Tensor2D) : current;
}

/**
 * Where the rows of T sit in cat(queue, current), without reading the gate: `valid` marks the queued rows and the
 * current rows to add, `keep` the last `capacity` valid ones. `pick` [R, M] (R = min(capacity, M)) is the 0/1 matrix
 * whose product with cat(queue, current) [M, D] lists the kept rows first, in order (exact copies: one 1 per row), then
 * zero rows; `w` is 1 on its first `n` = Σ keep rows. Runs off the tape (see `offTape`).
 */
function layout(queue: FeatureQueue, add: tf.Tensor1D): { pick: tf.Tensor2D; w: tf.Tensor1D; n: tf.Scalar } {
  const q = queue.size;
  const valid = q > 0 ? (tf.concat([tf.ones([q]), add]) as tf.Tensor1D) : add;
  const m = valid.shape[0];
  // valid rows at or after each position: the total minus the exclusive prefix sum
  const fromEnd = tf.sub(tf.sum(valid), tf.cumsum(valid, 0, true));
  const keep = tf.mul(valid, tf.cast(tf.lessEqual(fromEnd, queue.capacity), 'float32'));
  const n = tf.sum(keep) as tf.Scalar;
  // slot of a kept row: the kept rows before it; the others go past every slot
  const slot = tf.where(tf.greater(keep, 0), tf.cumsum(keep, 0, true), tf.fill([m], m));
  const r = Math.min(queue.capacity, m);
  const slots = tf.range(0, r, 1, 'float32');
  const pick = tf.cast(tf.equal(tf.reshape(slots, [r, 1]), tf.reshape(slot, [1, m])), 'float32') as tf.Tensor2D;
  return { pick, w: tf.cast(tf.less(slots, n), 'float32') as tf.Tensor1D, n };
}

/** The checks shared by {@link arcTerm} and {@link arcLoss}; returns minQueue, regWarmup and the gate options. */
function checkArc(
  inputs: ArcInputs,
  o: ArcOptions,
  where: string,
): { minQueue: number; regWarmup: number; gate: EntropyGateOptions } {
  const { labeledFeat, labeledLogits, unlabeledFeat, unlabeledLogits, queues } = inputs;
  checkFeatures(labeledFeat, 'labeledFeat', where);
  const d = labeledFeat.shape[1];
  checkFeatures(unlabeledFeat, 'unlabeledFeat', where, undefined, d);
  for (const [name, logits, n] of [
    ['labeledLogits', labeledLogits, labeledFeat.shape[0]],
    ['unlabeledLogits', unlabeledLogits, unlabeledFeat.shape[0]],
  ] as const) {
    if (logits.rank !== 2 || logits.shape[0] !== n) {
      throw new ShapeError(`${where}: ${name} must have shape [${n}, C], got [${logits.shape.join(', ')}]`, {
        parameter: name,
        shape: logits.shape,
      });
    }
  }
  for (const [name, q] of Object.entries(queues)) {
    if (q.dim !== undefined && q.dim !== d) {
      throw new ShapeError(`${where}: queue '${name}' holds ${q.dim}-d features, the batch has ${d}-d`, {
        queue: name,
        dim: q.dim,
      });
    }
  }
  const minQueue = o.minQueue ?? 20;
  const regWarmup = o.regWarmup ?? ARC_REG_WARMUP;
  for (const [name, v] of [
    ['minQueue', minQueue],
    ['regWarmup', regWarmup],
  ] as const) {
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) {
      throw new InvalidArgumentError(`${where}: ${name} must be an integer >= 0, got ${String(v)}`, {
        parameter: name,
        value: v,
      });
    }
  }
  const ratio = o.ungated ? undefined : checkGateRatio(o.threshold ?? 0.7, 'threshold', where);
  return { minQueue, regWarmup, gate: { ratio, numClasses: o.numClasses, ungated: o.ungated } };
}

/**
 * {@link arcLoss} in two phases, with no host read inside the step, so that it runs in a training step on any backend
 * (`ft-webgpu` included). The loss is computed on fixed shapes: T = cat(queued rows, current rows) with the kept rows
 * moved first (a product with a 0/1 matrix computed on the device) and the others weighted 0; it equals `arcLoss`'s bit for bit on the cpu backend. The queues change only at
 * {@link ArcTerm.commit}, after the step: call it before the next term on the same queues.
 * @param inputs features and logits of the labelled and weak unlabelled batches, and the two queues.
 * @param o as for {@link arcLoss}.
 * @throws ShapeError on mismatched shapes or a queue of another D; InvalidArgumentError on a threshold outside (0, 1],
 *   a bad minQueue / regWarmup, or queues whose previous term was not committed.
 */
export function arcTerm(inputs: ArcInputs, o: ArcOptions): ArcTerm {
  const where = 'arcLoss';
  const { minQueue, regWarmup, gate } = checkArc(inputs, o, where);
  const { labeledFeat, labeledLogits, unlabeledFeat, unlabeledLogits, queues } = inputs;
  if (uncommitted.has(queues.l) || uncommitted.has(queues.u)) {
    throw new InvalidArgumentError(`${where}: the previous ARC term on these queues was not committed (commit())`);
  }
  const nl = labeledFeat.shape[0];
  const nu = unlabeledFeat.shape[0];
  // For the commit: the gates (off the tape) and detached copies of the features (on it, with a zero gradient, as
  // the queued rows always were: a later step's loss reaches them, and their gradient is 0).
  const [ml, mu] = offTape(() => [entropyGate(labeledLogits, gate), entropyGate(unlabeledLogits, gate)]) as [
    tf.Tensor1D,
    tf.Tensor1D,
  ];
  const held = [ml, mu, tf.keep(detach(labeledFeat)), tf.keep(detach(unlabeledFeat))] as const;
  let loss: tf.Scalar | null = null;
  let applied: tf.Tensor | null = null;
  const warm = o.step === undefined || o.step > regWarmup;
  if (warm && Math.min(queues.l.capacity, queues.l.size + nl) > minQueue && queues.u.size + nu > 0) {
    const plan = offTape(() => {
      const both = tf.cast(tf.logicalAnd(tf.greater(tf.sum(ml), 0), tf.greater(tf.sum(mu), 0)), 'float32');
      const l = layout(queues.l, tf.mul(ml, both) as tf.Tensor1D);
      const u = layout(queues.u, tf.mul(mu, both) as tf.Tensor1D);
      const on = tf.logicalAnd(tf.greater(l.n, minQueue), tf.greater(u.n, 0));
      return [l.pick, l.w, l.n, u.pick, u.w, u.n, on];
    });
    const [pickL, wL, nL, pickU, wU, nU, on] = plan as [
      tf.Tensor2D,
      tf.Tensor1D,
      tf.Scalar,
      tf.Tensor2D,
      tf.Tensor1D,
      tf.Scalar,
      tf.Scalar,
    ];
    try {
      loss = tf.tidy(() => {
        const tl = tf.matMul(pickL, joined(queues.l, labeledFeat)) as tf.Tensor2D;
        const tu = tf.matMul(pickU, joined(queues.u, unlabeledFeat)) as tf.Tensor2D;
        const mmd = mmd2Masked(tl, wL, nL, tu, wU, nU, labeledFeat.shape[1]);
        return tf.where(on, mmd, tf.zerosLike(mmd)) as tf.Scalar;
      });
      applied = tf.keep(on.clone());
    } finally {
      tf.dispose(plan);
    }
  }
  uncommitted.add(queues.l);
  uncommitted.add(queues.u);
  let open = true;
  const release = () => {
    if (!open) return;
    open = false;
    tf.dispose([...held, ...(applied ? [applied] : [])]);
    uncommitted.delete(queues.l);
    uncommitted.delete(queues.u);
  };
  const finish = (gl: ArrayLike<number>, gu: ArrayLike<number>, on: ArrayLike<number> | null): ArcStats => {
    if (!open) throw new InvalidArgumentError(`${where}: this ARC term was already committed or disposed`);
    try {
      const pick = (g: ArrayLike<number>) => Array.from(g, (v, i) => (v > 0.5 ? i : -1)).filter((i) => i >= 0);
      const il = pick(gl);
      const iu = pick(gu);
      const updated = il.length > 0 && iu.length > 0;
      if (updated) {
        for (const [queue, feat, idx] of [
          [queues.l, held[2], il],
          [queues.u, held[3], iu],
        ] as const) {
          const rows = tf.gather(feat, idx) as tf.Tensor2D;
          queue.push(rows);
          rows.dispose();
        }
      }
      return {
        selectedRatio: { l: nl === 0 ? 0 : il.length / nl, u: nu === 0 ? 0 : iu.length / nu },
        updated,
        applied: on !== null && on[0] > 0,
      };
    } finally {
      release();
    }
  };
  return {
    loss,
    async commit() {
      const [gl, gu, on] = await Promise.all([ml.data(), mu.data(), applied ? applied.data() : null]);
      return finish(gl, gu, on);
    },
    commitSync() {
      return finish(ml.dataSync(), mu.dataSync(), applied ? applied.dataSync() : null);
    },
    dispose: release,
  };
}

/**
 * R_ARC = MMD²(T_l, T_u) (biased, bandwidth D; see `mmd2`). Gates m = 1[H(softmax(logits)) ≤ ε_RC·ln C] use the
 * TARGET's class count. When both gates keep ≥ 1 example, T = cat(queued past rows (detached), selected current rows
 * (with gradient)) truncated to the last `capacity` rows, and the queues store detached copies; otherwise T is the
 * queued rows alone (the loss is then a constant). The loss is returned only when |T_l| > minQueue, T_u is not empty
 * and (with `step`) step > regWarmup; else `loss` is null. It reads the gates synchronously (`dataSync`), which
 * `ft-webgpu` refuses: there, use {@link arcTerm} and `await commit()` after the step.
 * @param inputs features and logits of the labelled and weak unlabelled batches, and the two queues.
 * @param o `threshold` ε_RC (0.7), `numClasses` C, `minQueue` (20), `step`, `regWarmup` (10), `ungated`.
 * @throws ShapeError on mismatched shapes or a queue of another D; InvalidArgumentError on a threshold outside (0, 1].
 */
export function arcLoss(inputs: ArcInputs, o: ArcOptions): ArcResult {
  const term = arcTerm(inputs, o);
  let stats: ArcStats;
  try {
    stats = term.commitSync();
  } catch (e) {
    term.dispose();
    term.loss?.dispose();
    throw e;
  }
  let loss = term.loss;
  if (loss && !stats.applied) {
    loss.dispose();
    loss = null;
  }
  return { loss, selectedRatio: stats.selectedRatio, updated: stats.updated };
}
