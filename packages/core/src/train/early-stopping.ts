import * as tf from '@tensorflow/tfjs-core';
import { InvalidArgumentError } from '../errors.js';
import { allVariablesOf, type Trainable } from '../models/module.js';
import type { Callback, EpochLogs, TrainContext } from './callback.js';
import { assignVariables } from './checkpoint.js';

/** Options of `earlyStopping`. */
export interface EarlyStoppingOptions {
  /** Epoch-log key to watch (e.g. `'val_loss'`, `'val_acc'`, `'loss'`). Default `'val_loss'`. */
  monitor?: string;
  /** `'min'`, `'max'`, or `'auto'` (max if the name contains acc/auc/auroc/f1/ap, else min). Default `'auto'`. */
  mode?: 'min' | 'max' | 'auto';
  /** Epochs without improvement before stopping. Default 0 (Keras). */
  patience?: number;
  /** Minimum change that counts as improvement. Default 0. */
  minDelta?: number;
  /** Keep the best epoch's variables (weights and BN statistics) and put them back at the end of training. Default false. */
  restoreBest?: boolean;
}

/** Resolves `'auto'` to min/max from the monitored name. */
export function resolveMode(monitor: string, mode: 'min' | 'max' | 'auto' = 'auto'): 'min' | 'max' {
  if (mode !== 'auto') return mode;
  return /acc|auc|auroc|aupr|f1|(^|_)ap$|precision|recall/i.test(monitor) ? 'max' : 'min';
}

/** Reads `logs[monitor]`, throwing a helpful error when it is absent. */
export function monitoredValue(logs: EpochLogs, monitor: string, who: string): number {
  const v = logs[monitor];
  if (typeof v !== 'number') {
    throw new InvalidArgumentError(
      `${who}: monitor '${monitor}' is not in the epoch logs (have: ${Object.keys(logs).join(', ')}); add a validation set or pick another key`,
    );
  }
  return v;
}

/** The callback returned by `earlyStopping`. */
export class EarlyStopping implements Callback {
  readonly name = 'earlyStopping';
  readonly monitor: string;
  readonly mode: 'min' | 'max';
  readonly patience: number;
  readonly minDelta: number;
  readonly restoreBest: boolean;
  /** Best monitored value so far (±Infinity before the first epoch). */
  best: number;
  /** Epoch of the best value (−1 before the first epoch). */
  bestEpoch = -1;
  /** Epochs since the last improvement. */
  wait = 0;
  /** Epoch after which training was stopped, or −1. */
  stoppedEpoch = -1;
  private bestWeights: tf.Tensor[] | null = null;
  private model: Trainable | null = null;

  constructor(opts: EarlyStoppingOptions = {}) {
    this.monitor = opts.monitor ?? 'val_loss';
    this.mode = resolveMode(this.monitor, opts.mode);
    this.patience = opts.patience ?? 0;
    this.minDelta = Math.abs(opts.minDelta ?? 0);
    this.restoreBest = opts.restoreBest ?? false;
    if (!Number.isInteger(this.patience) || this.patience < 0) {
      throw new InvalidArgumentError(`earlyStopping: patience must be an integer >= 0, got ${opts.patience}`);
    }
    this.best = this.mode === 'min' ? Number.POSITIVE_INFINITY : Number.NEGATIVE_INFINITY;
  }

  onTrainBegin(ctx: TrainContext): void {
    this.model = ctx.model;
  }

  onEpochEnd(epoch: number, logs: EpochLogs, ctx: TrainContext): void {
    const v = monitoredValue(logs, this.monitor, 'earlyStopping');
    const improved = this.mode === 'min' ? v < this.best - this.minDelta : v > this.best + this.minDelta;
    if (improved) {
      this.best = v;
      this.bestEpoch = epoch;
      this.wait = 0;
      if (this.restoreBest) {
        tf.dispose(this.bestWeights ?? []);
        this.bestWeights = allVariablesOf(ctx.model).map((w) => tf.keep(w.clone()));
      }
      return;
    }
    this.wait += 1;
    if (this.wait >= this.patience && epoch > 0) {
      this.stoppedEpoch = epoch;
      ctx.stopTraining = true;
    }
  }

  onTrainEnd(ctx: TrainContext): void {
    if (this.restoreBest && this.bestWeights && this.model) {
      assignVariables(allVariablesOf(this.model), this.bestWeights, 'earlyStopping: best weights');
      ctx.log(`earlyStopping: restored the weights of epoch ${this.bestEpoch} (${this.monitor} = ${this.best})`);
    }
  }

  getState(): unknown {
    return {
      best: this.best,
      bestEpoch: this.bestEpoch,
      wait: this.wait,
      stoppedEpoch: this.stoppedEpoch,
      bestWeights: this.bestWeights,
    };
  }

  setState(state: unknown): void {
    const s = state as {
      best: number;
      bestEpoch: number;
      wait: number;
      stoppedEpoch: number;
      bestWeights: tf.Tensor[] | null;
    };
    this.best = s.best;
    this.bestEpoch = s.bestEpoch;
    this.wait = s.wait;
    this.stoppedEpoch = s.stoppedEpoch;
    tf.dispose(this.bestWeights ?? []);
    this.bestWeights = s.bestWeights ? s.bestWeights.map((t) => tf.keep(t.clone())) : null;
  }

  /** Frees the stored best weights. */
  dispose(): void {
    tf.dispose(this.bestWeights ?? []);
    this.bestWeights = null;
  }
}

/**
 * Early stopping (Prechelt 1998; Keras `EarlyStopping` semantics): after each epoch, `logs[monitor]` improves when
 * it beats the best by more than `minDelta`; after `patience` epochs without improvement training stops. With
 * `restoreBest` the best epoch's variables are restored when training ends (stopped or not). State (best, wait,
 * best weights) is checkpointed.
 * @param opts `{monitor = 'val_loss', mode = 'auto', patience = 0, minDelta = 0, restoreBest = false}`.
 */
export function earlyStopping(opts: EarlyStoppingOptions = {}): EarlyStopping {
  return new EarlyStopping(opts);
}
