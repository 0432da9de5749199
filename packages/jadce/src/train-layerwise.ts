/**
 * Layer-wise training of unrolled networks (LAMP: M. Borgerding, P. Schniter, S. Rangan, "AMP-inspired deep networks
 * for sparse linear inverse problems", IEEE TSP 2017; the "inner layer-by-layer, then outer layer-by-layer" schedule of
 * Shao et al., arXiv 2012.13523, as reconstructed in the spec):
 *
 *   for t = 1..T:
 *     inner: for j = 1..J, train only layer t's new variables with its first j EM steps active (lr);
 *            (one stage with all J steps when the net has no inner EM or `innerLayerwise` is false)
 *     outer: fine-tune every variable of layers 1..t jointly, once per refinement lr (default [1e-4]).
 *
 * Each stage runs `stepsPerStage` Adam steps (core `adam`, a fresh state per stage as in LAMP) on mini-batches drawn
 * with replacement from a fixed sample pool. Loss: NMSE ‖X^t − X_r‖²_F / ‖X_r‖²_F of the stage's last layer, over the
 * batch, plus `bceWeight`·BCE(π^t, a) with `loss: 'nmse+bce'`. lr 1e-3 / 1e-4 are typical LAMP values, not the paper's.
 */

import {
  adam,
  assertFiniteVariables,
  InvalidArgumentError,
  NonFiniteLossError,
  type Rng,
  yieldToEventLoop,
} from '@ft/core';
import * as tf from '@tensorflow/tfjs-core';
import { poolBatch, type SamplePool } from './training-data.js';

/** What `trainLayerwise` needs from a network. */
export interface LayerwiseNet {
  readonly T: number;
  /** Inner steps per layer (0 or absent = none). */
  readonly J?: number;
  layerVariables(t: number): tf.Variable[];
  run(Yr: tf.Tensor3D, o: { layers?: number; lastLayerEmSteps?: number }): { X: tf.Tensor3D[]; pi?: tf.Tensor2D[] };
}

/** Options of `trainLayerwise`. */
export interface TrainLayerwiseOptions {
  /** Adam steps per stage. */
  stepsPerStage: number;
  /** Learning rate of the stages that train a new layer (default 1e-3). */
  lr?: number;
  /** Learning rates of the joint fine-tuning stages (default [1e-4]). */
  refineLrs?: number[];
  /** Mini-batch size (default 128). */
  batch?: number;
  /** `'nmse'` (default) or `'nmse+bce'` (needs π outputs). */
  loss?: 'nmse' | 'nmse+bce';
  /** Weight of the BCE term (default 0.1). */
  bceWeight?: number;
  /** Grow the inner EM steps one at a time inside each layer (default true when the net has J > 0). */
  innerLayerwise?: boolean;
  /** Seeded generator for the mini-batches. */
  rng: Rng;
  /** Called after every stage. */
  onStage?: (s: StageRecord) => void;
  /**
   * Stops between steps when aborted (the net keeps its current weights and the promise resolves with the stages
   * done so far). The loop yields to the event loop after every step, so a SIGINT handler can abort it.
   */
  signal?: AbortSignal;
}

/** One finished stage. */
export interface StageRecord {
  layer: number;
  kind: 'inner' | 'outer';
  emSteps?: number;
  lr: number;
  /** Mean loss over the stage's last 10 % of steps. */
  loss: number;
}

/** NMSE of X̂ against X over the batch (ratio of sums), differentiable. */
export function nmseLoss(xHat: tf.Tensor, x: tf.Tensor): tf.Scalar {
  return tf.div(tf.sum(tf.square(tf.sub(xHat, x))), tf.add(tf.sum(tf.square(x)), 1e-12)) as tf.Scalar;
}

/**
 * Trains `net` layer by layer on `pool` (see file header); with several pools (e.g. different antenna counts, which
 * cannot share a batch) the steps cycle through them. Resolves with the stage records and the number of steps.
 * Throws `NonFiniteLossError` for a NaN/Inf loss and `NonFiniteValueError` when a variable of the net is NaN/±Inf
 * at the end of a stage (checked once per stage, one fused reduction per variable).
 */
export async function trainLayerwise(
  net: LayerwiseNet,
  pool: SamplePool | SamplePool[],
  o: TrainLayerwiseOptions,
): Promise<{ stages: StageRecord[]; steps: number }> {
  const pools = Array.isArray(pool) ? pool : [pool];
  if (pools.length === 0) throw new InvalidArgumentError('trainLayerwise: no sample pool');
  const lr = o.lr ?? 1e-3;
  const refineLrs = o.refineLrs ?? [1e-4];
  const J = net.J ?? 0;
  const inner = o.innerLayerwise ?? J > 0;
  const bce = o.loss === 'nmse+bce' ? (o.bceWeight ?? 0.1) : 0;
  if (!Number.isInteger(o.stepsPerStage) || o.stepsPerStage < 1) {
    throw new InvalidArgumentError(`trainLayerwise: stepsPerStage must be a positive integer, got ${o.stepsPerStage}`);
  }
  const stages: StageRecord[] = [];
  let steps = 0;
  const runStage = async (
    vars: tf.Variable[],
    layers: number,
    emSteps: number | undefined,
    stageLr: number,
    kind: 'inner' | 'outer',
  ) => {
    const opt = adam({ lr: stageLr });
    const losses: number[] = [];
    for (let s = 0; s < o.stepsPerStage; s++) {
      if (s > 0) await yieldToEventLoop();
      if (o.signal?.aborted) break;
      const p = pools[steps % pools.length];
      const batch = Math.min(o.batch ?? 128, p.count);
      const idx = Array.from({ length: batch }, () => o.rng.int(p.count));
      const b = poolBatch(p, idx);
      const { value, grads } = tf.variableGrads(() => {
        const out = net.run(b.Yr, { layers, lastLayerEmSteps: emSteps });
        let loss = nmseLoss(out.X[layers - 1], b.Xr);
        if (bce > 0 && out.pi) {
          const p = tf.clipByValue(out.pi[layers - 1], 1e-6, 1 - 1e-6);
          const ce = tf.neg(
            tf.mean(tf.add(tf.mul(b.active, tf.log(p)), tf.mul(tf.sub(1, b.active), tf.log(tf.sub(1, p))))),
          );
          loss = tf.add(loss, tf.mul(bce, ce)) as tf.Scalar;
        }
        return loss;
      }, vars);
      const lv = (await value.data())[0];
      if (!Number.isFinite(lv)) {
        tf.dispose([value, b.Yr, b.Xr, b.active, ...Object.values(grads)]);
        throw new NonFiniteLossError(`trainLayerwise: loss is ${lv} at layer ${layers}, ${kind} stage, step ${s}`, {
          layer: layers,
          step: s,
        });
      }
      opt.applyGradients(vars.map((v) => ({ variable: v, grad: grads[v.name] })));
      tf.dispose([value, b.Yr, b.Xr, b.active, ...Object.values(grads)]);
      losses.push(lv);
      steps++;
    }
    opt.dispose();
    await assertFiniteVariables(vars, {
      where: `trainLayerwise: layer ${layers}, ${kind} stage`,
      step: steps,
      hint: 'lower the learning rate',
    });
    const tail = losses.slice(Math.floor(losses.length * 0.9));
    const rec: StageRecord = {
      layer: layers,
      kind,
      emSteps,
      lr: stageLr,
      loss: tail.reduce((a, v) => a + v, 0) / Math.max(tail.length, 1),
    };
    stages.push(rec);
    o.onStage?.(rec);
  };
  for (let t = 0; t < net.T; t++) {
    await yieldToEventLoop();
    if (o.signal?.aborted) break;
    const own = net.layerVariables(t);
    const innerSteps = inner && J > 0 ? Array.from({ length: J }, (_, j) => j + 1) : [J];
    for (const j of innerSteps) if (own.length > 0) await runStage(own, t + 1, j, lr, 'inner');
    const all: tf.Variable[] = [];
    for (let k = 0; k <= t; k++) all.push(...net.layerVariables(k));
    if (t > 0 || own.length === 0)
      for (const r of refineLrs) if (all.length > 0) await runStage(all, t + 1, J, r, 'outer');
  }
  return { stages, steps };
}
