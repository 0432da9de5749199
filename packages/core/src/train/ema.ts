import * as tf from '@tensorflow/tfjs-core';
import { InvalidArgumentError } from '../errors.js';
import { allVariablesOf, type Trainable, trainableVariablesOf } from '../models/module.js';
import type { Callback, TrainContext } from './callback.js';

/** Options of `ema`. */
export interface EmaOptions {
  /** Decay d. Default 0.999. */
  decay?: number;
  /** TF-style warm-up d_t = min(d, (1 + t)/(10 + t)). Default true. */
  warmup?: boolean;
  /** Non-trainable variables (BN moving statistics): `'copy'` them (default) or average them too (`'ema'`). */
  buffers?: 'copy' | 'ema';
}

/** The callback returned by `ema`. */
export class Ema implements Callback {
  readonly name = 'ema';
  readonly decay: number;
  readonly warmup: boolean;
  readonly buffers: 'copy' | 'ema';
  /** Number of updates so far. */
  updates = 0;
  private shadow: tf.Tensor[] | null = null;
  private averaged: boolean[] = [];
  private model: Trainable | null = null;

  constructor(opts: EmaOptions = {}) {
    this.decay = opts.decay ?? 0.999;
    this.warmup = opts.warmup ?? true;
    this.buffers = opts.buffers ?? 'copy';
    if (!(this.decay >= 0 && this.decay < 1)) {
      throw new InvalidArgumentError(`ema: decay must be in [0, 1), got ${opts.decay}`);
    }
  }

  /** Decay used for update number t (1-based). */
  decayAt(t: number): number {
    return this.warmup ? Math.min(this.decay, (1 + t) / (10 + t)) : this.decay;
  }

  /** Binds the model and initialises the shadow to its current variables (unless restored from a checkpoint). */
  attach(model: Trainable): void {
    this.model = model;
    const trainable = new Set(trainableVariablesOf(model).map((v) => v.name));
    const vars = allVariablesOf(model);
    this.averaged = vars.map((v) => this.buffers === 'ema' || trainable.has(v.name));
    if (!this.shadow) this.shadow = vars.map((v) => tf.keep(v.clone()));
  }

  onTrainBegin(ctx: TrainContext): void {
    this.attach(ctx.model);
  }

  /** One EMA update θ̄ ← d_t·θ̄ + (1 − d_t)·θ (buffers copied unless `buffers: 'ema'`). */
  update(): void {
    if (!this.model || !this.shadow)
      throw new InvalidArgumentError('ema: not attached to a model (call attach or use as a fit callback)');
    this.updates += 1;
    const d = this.decayAt(this.updates);
    const vars = allVariablesOf(this.model);
    const shadow = this.shadow;
    tf.tidy(() => {
      vars.forEach((v, i) => {
        const next = this.averaged[i] ? tf.add(tf.mul(shadow[i], d), tf.mul(v, 1 - d)) : tf.clone(v);
        shadow[i].dispose();
        shadow[i] = tf.keep(next);
      });
    });
  }

  onStepEnd(): void {
    this.update();
  }

  /** The averaged tensors, in `allVariablesOf(model)` order (live; do not dispose). */
  get weights(): readonly tf.Tensor[] {
    return this.shadow ?? [];
  }

  /**
   * Runs `fn` with the averaged weights swapped into the model (e.g. for evaluation) and swaps the training weights
   * back afterwards, even if `fn` throws.
   */
  async withAveraged<T>(fn: () => T | Promise<T>): Promise<T> {
    if (!this.model || !this.shadow) throw new InvalidArgumentError('ema: not attached to a model');
    const vars = allVariablesOf(this.model);
    const saved = vars.map((v) => tf.keep(v.clone()));
    vars.forEach((v, i) => {
      v.assign(this.shadow![i]);
    });
    try {
      return await fn();
    } finally {
      vars.forEach((v, i) => {
        v.assign(saved[i]);
      });
      tf.dispose(saved);
    }
  }

  /** Copies the averaged weights into the model permanently. */
  apply(): void {
    if (!this.model || !this.shadow) throw new InvalidArgumentError('ema: not attached to a model');
    allVariablesOf(this.model).forEach((v, i) => {
      v.assign(this.shadow![i]);
    });
  }

  getState(): unknown {
    return { updates: this.updates, shadow: this.shadow };
  }

  setState(state: unknown): void {
    const s = state as { updates: number; shadow: tf.Tensor[] | null };
    this.updates = s.updates;
    tf.dispose(this.shadow ?? []);
    this.shadow = s.shadow ? s.shadow.map((t) => tf.keep(t.clone())) : null;
  }

  /** Frees the shadow tensors. */
  dispose(): void {
    tf.dispose(this.shadow ?? []);
    this.shadow = null;
  }
}

/**
 * Exponential moving average of the weights (Polyak averaging; mean-teacher / FixMatch EMA model), updated after
 * every optimizer step: θ̄ ← d_t·θ̄ + (1 − d_t)·θ with d_t = min(d, (1 + t)/(10 + t)) under warm-up
 * (TensorFlow `ExponentialMovingAverage(num_updates)`), t = 1, 2, … the update count. Non-trainable variables (BN
 * statistics) are copied by default. Use `withAveraged(fn)` to evaluate with the averaged weights; the shadow is
 * checkpointed.
 * @param opts `{decay = 0.999, warmup = true, buffers = 'copy'}`.
 */
export function ema(opts: EmaOptions = {}): Ema {
  return new Ema(opts);
}
