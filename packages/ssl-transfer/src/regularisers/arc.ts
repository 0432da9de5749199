/**
 * ARC, adaptive representation consistency (Abuduweili et al., CVPR 2021, arXiv 2103.02193; official code
 * `train.py` with `mmd_loss`): MMD² between the confident labelled and unlabelled features of the current batch and
 * the last `capacity` past ones.
 */
import { InvalidArgumentError, ShapeError } from '@ft/core';
import * as tf from '@tensorflow/tfjs-core';
import { checkFeatures } from './akc.js';
import { checkGateRatio, entropyGate } from './entropy-gate.js';
import type { FeatureQueue } from './feature-queue.js';
import { mmd2 } from './mmd.js';
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

function selectedRows(feat: tf.Tensor2D, gate: tf.Tensor1D): { rows: tf.Tensor2D; count: number } {
  const g = gate.dataSync();
  const idx: number[] = [];
  for (let i = 0; i < g.length; i++) if (g[i] > 0.5) idx.push(i);
  const rows = idx.length > 0 ? (tf.gather(feat, idx) as tf.Tensor2D) : tf.zeros<tf.Rank.R2>([0, feat.shape[1]]);
  return { rows, count: idx.length };
}

/** cat(queued past rows (detached), current rows (with gradient)), keeping the last `capacity` rows. */
function table(queue: FeatureQueue, current: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() => {
    const joined = queue.size > 0 ? tf.concat([queue.all(), current], 0) : current.clone();
    const n = joined.shape[0];
    return (
      n > queue.capacity ? tf.slice(joined, [n - queue.capacity, 0], [queue.capacity, -1]) : joined
    ) as tf.Tensor2D;
  });
}

/**
 * R_ARC = MMD²(T_l, T_u) (biased, bandwidth D; see `mmd2`). Gates m = 1[H(softmax(logits)) ≤ ε_RC·ln C] use the
 * TARGET's class count. When both gates keep ≥ 1 example, T = cat(queued past rows (detached), selected current rows
 * (with gradient)) truncated to the last `capacity` rows, and the queues store detached copies; otherwise T is the
 * queued rows alone (the loss is then a constant). The loss is returned only when |T_l| > minQueue, T_u is not empty
 * and (with `step`) step > regWarmup; else `loss` is null.
 * @param inputs features and logits of the labelled and weak unlabelled batches, and the two queues.
 * @param o `threshold` ε_RC (0.7), `numClasses` C, `minQueue` (20), `step`, `regWarmup` (10), `ungated`.
 * @throws ShapeError on mismatched shapes or a queue of another D; InvalidArgumentError on a threshold outside (0, 1].
 */
export function arcLoss(inputs: ArcInputs, o: ArcOptions): ArcResult {
  const where = 'arcLoss';
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
  const gateOpts = { ratio, numClasses: o.numClasses, ungated: o.ungated };
  const ml = entropyGate(labeledLogits, gateOpts);
  const mu = entropyGate(unlabeledLogits, gateOpts);
  const l = selectedRows(labeledFeat, ml);
  const u = selectedRows(unlabeledFeat, mu);
  ml.dispose();
  mu.dispose();
  const selectedRatio = {
    l: labeledFeat.shape[0] === 0 ? 0 : l.count / labeledFeat.shape[0],
    u: unlabeledFeat.shape[0] === 0 ? 0 : u.count / unlabeledFeat.shape[0],
  };
  const updated = l.count > 0 && u.count > 0;
  let tl: tf.Tensor2D;
  let tu: tf.Tensor2D;
  if (updated) {
    tl = table(queues.l, l.rows);
    tu = table(queues.u, u.rows);
    queues.l.push(l.rows);
    queues.u.push(u.rows);
  } else {
    tl = queues.l.all();
    tu = queues.u.all();
  }
  l.rows.dispose();
  u.rows.dispose();
  const warm = o.step === undefined || o.step > regWarmup;
  const loss = warm && tl.shape[0] > minQueue && tu.shape[0] > 0 ? mmd2(tl, tu) : null;
  tl.dispose();
  tu.dispose();
  return { loss, selectedRatio, updated };
}
