/**
 * A training callback for `@ft/core`'s `fit` that reports an epoch metric to a trial and prunes it (Optuna's
 * `TFKerasPruningCallback` for core's training loop).
 */
import { type Callback, type EpochLogs, InvalidArgumentError } from '@ft/core';
import { TrialPruned } from './study.js';

/** The trial methods the callback uses (a {@link Trial}, or a child-process trial's proxy). */
export interface PrunableTrial {
  readonly number: number;
  report(value: number, step: number): void | Promise<void>;
  shouldPrune(): boolean | Promise<boolean>;
}

/** Options of {@link pruningCallback}. */
export interface PruningCallbackOptions {
  /** The epoch log to report, e.g. `'val_loss'` (fit's validation) or `'val_acc'`. Default `'val_loss'`. */
  monitor?: string;
}

/**
 * A `fit` callback that, at the end of every epoch, reports `logs[monitor]` to the trial at step `epoch` (0-based, as
 * Optuna's Keras callback) and, when the study's pruner says so, throws {@link TrialPruned} out of `fit`; `optimize`
 * then records the trial as pruned with its last reported value. Epochs without validation logs (fit's
 * `validation.every` > 1) are skipped. A metric missing from an epoch that has other validation logs, or from every
 * epoch of the run (no `validation` given to fit), is an `InvalidArgumentError` naming the keys that exist: a search
 * that silently never prunes would waste its budget.
 * @example await fit(model, { ...opts, validation: { data: val }, callbacks: [pruningCallback(trial)] })
 */
export function pruningCallback(trial: PrunableTrial, options: PruningCallbackOptions = {}): Callback {
  const monitor = options.monitor ?? 'val_loss';
  if (typeof monitor !== 'string' || monitor === '')
    throw new InvalidArgumentError('pruningCallback: monitor must be a metric name such as val_loss', { monitor });
  const missing = (logs: EpochLogs) =>
    new InvalidArgumentError(
      `pruningCallback: monitor '${monitor}' is not in the epoch logs (${Object.keys(logs).join(', ')})${monitor.startsWith('val_') ? '; give fit a validation set' : ''}`,
      { monitor, available: Object.keys(logs) },
    );
  let lastLogs: EpochLogs | undefined;
  let reported = false;
  return {
    name: 'pruning',
    onTrainBegin() {
      lastLogs = undefined;
      reported = false;
    },
    async onEpochEnd(epoch: number, logs: EpochLogs) {
      lastLogs = logs;
      const value = logs[monitor];
      if (value === undefined) {
        const validated = Object.keys(logs).some((k) => k.startsWith('val_'));
        if (!validated && monitor.startsWith('val_')) return; // not a validation epoch
        throw missing(logs);
      }
      reported = true;
      await trial.report(value, epoch);
      if (await trial.shouldPrune()) {
        throw new TrialPruned(`trial ${trial.number} pruned at epoch ${epoch} (${monitor} ${value})`);
      }
    },
    onTrainEnd() {
      if (lastLogs && !reported) throw missing(lastLogs);
    },
  };
}
