/**
 * Callback protocol of `fit`. All hooks may be async; `fit` awaits them in list order.
 */
import type { Trainable } from '../models/module.js';
import type { Optimizer } from './optimizer.js';

/** One epoch of the training history. */
export interface EpochRecord {
  /** 0-based epoch index. */
  epoch: number;
  /** Mean training loss over the epoch's steps (data loss + `extraLoss`). */
  loss: number;
  /**
   * Training metrics (means over steps), `dataLoss`/`extraLoss` when an `extraLoss` is set, validation values
   * (`val_loss`, `val_<metric>`) and anything callbacks added to the epoch logs.
   */
  metrics: Record<string, number>;
  /** Learning rate of the epoch's last step. */
  lr: number;
  /** Training throughput (examples per second, data loading included). */
  imgPerSec: number;
  /** Wall time of the epoch's training steps in milliseconds. */
  ms: number;
  /** Number of steps in the epoch. */
  steps: number;
}

/** What `fit` returns. */
export interface History {
  epochs: EpochRecord[];
  /** Total optimizer steps taken (including those before a resume). */
  steps: number;
  /** True when a callback set `ctx.stopTraining` (e.g. early stopping). */
  stoppedEarly: boolean;
  /** The checkpoint training resumed from, if any. */
  resumedFrom?: string;
}

/** Logs passed to `onStepEnd`. */
export interface StepLogs {
  loss: number;
  lr: number;
  batchSize: number;
  epoch: number;
  /** 0-based index of this step within its epoch. */
  stepInEpoch: number;
  /** Global gradient norm before clipping (only with `clipNorm`). */
  gradNorm?: number;
  /** Training metric values of this batch. */
  [metric: string]: number | undefined;
}

/** Logs passed to `onEpochEnd`: loss, lr and metrics. Callbacks may add entries; they go into `EpochRecord.metrics`. */
export interface EpochLogs {
  loss: number;
  lr: number;
  [metric: string]: number;
}

/** Mutable training context shared with callbacks. */
export interface TrainContext {
  model: Trainable;
  optimizer: Optimizer;
  /** Number of completed optimizer steps. */
  step: number;
  /** Current (0-based) epoch. */
  epoch: number;
  /** Completed steps within the current epoch. */
  stepInEpoch: number;
  /** Requested epochs / total steps (either may be undefined). */
  epochs?: number;
  steps?: number;
  /** Steps per epoch when known (`stepsPerEpoch` option, or the length of the previous epoch). */
  stepsPerEpoch?: number;
  /** Set to true to stop after the current step (epoch logs for the partial epoch are still recorded). */
  stopTraining: boolean;
  /** Path of the newest checkpoint written or resumed from, or null. */
  lastCheckpoint: string | null;
  /** True when this run resumed from a checkpoint. */
  resumed: boolean;
  history: History;
  /** Warning sink (`fit`'s `log` option). */
  log: (msg: string) => void;
}

/**
 * A training callback. `getState`/`setState` make a stateful callback resumable: `getState` returns a JSON tree
 * that may contain `tf.Tensor` leaves (read, not disposed, when a checkpoint is written); `setState` receives the
 * restored tree before `onTrainBegin` and must copy tensors it keeps (they are disposed afterwards).
 */
export interface Callback {
  /** Name used as the checkpoint key (with the callback's index). */
  name?: string;
  onTrainBegin?(ctx: TrainContext): void | Promise<void>;
  onEpochBegin?(epoch: number, ctx: TrainContext): void | Promise<void>;
  /** `step` is the 0-based global index of the step just finished. */
  onStepEnd?(step: number, logs: StepLogs, ctx: TrainContext): void | Promise<void>;
  onEpochEnd?(epoch: number, logs: EpochLogs, ctx: TrainContext): void | Promise<void>;
  onTrainEnd?(ctx: TrainContext): void | Promise<void>;
  getState?(): unknown;
  setState?(state: unknown): void;
}
