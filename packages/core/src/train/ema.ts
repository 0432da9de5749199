import * as tf from '@tensorflow/tfjs-core';
import { InvalidArgumentError } from '../errors.js';
import { allVariablesOf, type Trainable, trainableVariablesOf } from '../models/module.js';
import type { Callback, StepLogs, TrainContext } from './callback.js';

/** Options of `ema`. */
export interface EmaOptions {
  /** Decay d. Default 0.999. */
  decay?: number;
  /**
   * Warm-up of the decay over the update count t = 1, 2, …: `true` / `'tf'` (default): TensorFlow's
   * d_t = min(d, (1 + t)/(10 + t)); `'mean-teacher'`: d_t = min(1 − 1/(t + 1), d) (Tarvainen & Valpola 2017; the
   * official code of Abuduweili et al. 2021); `false`: the constant d.
   */
  warmup?: boolean | 'tf' | 'mean-teacher';
  /**
   * EMA weight decay wd ≥ 0 (FixMatch code's `ema_teacher`): after each update θ̄ ← θ̄ − wd·lr·θ̄ for the averaged
   * trainable variables, when `update(lr)` gets an lr (as a fit callback: the step's `logs.lr`). Default 0 (none).
   */
  weightDecay?: number;
  /** Non-trainable variables (BN moving statistics): `'copy'` them (default) or average them too (`'ema'`). */
  buffers?: 'copy' | 'ema';
}

/** The callback returned by `ema`. */
export class Ema implements Callback {
  readonly name = 'ema';
  readonly decay: number;
  /** The warm-up mode (`true` normalised to `'tf'`). */
  readonly warmup: false | 'tf' | 'mean-teacher';
  /** EMA weight decay wd (0: none). */
  readonly weightDecay: number;
  readonly buffers: 'copy' | 'ema';
  /** Number of updates so far. */
  updates = 0;
  private shadow: tf.Tensor[] | null = null;
  private averaged: boolean[] = [];
  private decayed: boolean[] = [];
  private model: Trainable | null = null;

  constructor(opts: EmaOptions = {}) {
    this.decay = opts.decay ?? 0.999;
    const w = opts.warmup ?? true;
    if (w !== true && w !== false && w !== 'tf' && w !== 'mean-teacher') {
      throw new InvalidArgumentError(
        `ema: warmup must be true, false, 'tf' or 'mean-teacher', got ${JSON.stringify(opts.warmup)}`,
      );
    }
    this.warmup = w === true ? 'tf' : w;
    this.weightDecay = opts.weightDecay ?? 0;
    this.buffers = opts.buffers ?? 'copy';
    if (!(this.decay >= 0 && this.decay < 1)) {
      throw new InvalidArgumentError(`ema: decay must be in [0, 1), got ${opts.decay}`);
    }
    if (!(typeof this.weightDecay === 'number' && Number.isFinite(this.weightDecay) && this.weightDecay >= 0)) {
      throw new InvalidArgumentError(`ema: weightDecay must be a finite number >= 0, got ${opts.weightDecay}`);
    }
  }

  /**
   * Decay used for update number t (1-based): min(d, (1 + t)/(10 + t)) under `'tf'`, min(1 − 1/(t + 1), d) under
   * `'mean-teacher'`, d without warm-up.
   */
  decayAt(t: number): number {
    if (this.warmup === 'tf') return Math.min(this.decay, (1 + t) / (10 + t));
    if (this.warmup === 'mean-teacher') return Math.min(1 - 1 / (t + 1), this.decay);
    return this.decay;
  }

  /** Binds the model and initialises the shadow to its current variables (unless restored from a checkpoint). */
  attach(model: Trainable): void {
    this.model = model;
    const trainable = new Set(trainableVariablesOf(model).map((v) => v.name));
    const vars = allVariablesOf(model);
    this.averaged = vars.map((v) => this.buffers === 'ema' || trainable.has(v.name));
    this.decayed = vars.map((v) => trainable.has(v.name));
    if (!this.shadow) this.shadow = vars.map((v) => tf.keep(v.clone()));
  }

  onTrainBegin(ctx: TrainContext): void {
    this.attach(ctx.model);
  }

  /**
   * One EMA update θ̄ ← d_t·θ̄ + (1 − d_t)·θ (buffers copied unless `buffers: 'ema'`), then, when `weightDecay` > 0
   * and `lr` is given, θ̄ ← θ̄ − wd·lr·θ̄ for the trainable variables.
   * @param lr the learning rate of the optimizer step just taken (only used by `weightDecay`).
   */
  update(lr?: number): void {
    if (!this.model || !this.shadow)
      throw new InvalidArgumentError('ema: not attached to a model (call attach or use as a fit callback)');
    if (this.weightDecay > 0 && lr !== undefined && !Number.isFinite(lr)) {
      throw new InvalidArgumentError(`ema: lr must be a finite number, got ${lr}`);
    }
    this.updates += 1;
    const d = this.decayAt(this.updates);
    const wdLr = this.weightDecay > 0 && lr !== undefined ? this.weightDecay * lr : 0;
    const vars = allVariablesOf(this.model);
    const shadow = this.shadow;
    tf.tidy(() => {
      vars.forEach((v, i) => {
        let next = this.averaged[i] ? tf.add(tf.mul(shadow[i], d), tf.mul(v, 1 - d)) : tf.clone(v);
        if (wdLr !== 0 && this.decayed[i]) next = tf.sub(next, tf.mul(next, wdLr));
        shadow[i].dispose();
        shadow[i] = tf.keep(next);
      });
    });
  }

  /** Updates after every optimizer step, with the step's `logs.lr` for `weightDecay`. */
  onStepEnd(_step?: number, logs?: StepLogs): void {
    this.update(logs?.lr);
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
 * every optimizer step: θ̄ ← d_t·θ̄ + (1 − d_t)·θ with d_t = min(d, (1 + t)/(10 + t)) under the default warm-up
 * (TensorFlow `ExponentialMovingAverage(num_updates)`) or d_t = min(1 − 1/(t + 1), d) under `warmup: 'mean-teacher'`
 * (Tarvainen & Valpola 2017), t = 1, 2, … the update count. With `weightDecay` wd > 0 the trainable averages then
 * shrink by θ̄ ← θ̄ − wd·lr·θ̄ (FixMatch code's EMA teacher; lr from `update(lr)` / the step logs). Non-trainable
 * variables (BN statistics) are copied by default. Use `withAveraged(fn)` to evaluate with the averaged weights; the shadow is
 * checkpointed.
 * @param opts `{decay = 0.999, warmup = true ('tf'), weightDecay = 0, buffers = 'copy'}`.
 */
export function ema(opts: EmaOptions = {}): Ema {
  return new Ema(opts);
}
