import {
  type Callback,
  type CommandContext,
  type CommandOption,
  type EpochLogs,
  progressBar,
  TRAIN_CLASSIFIER_DEFAULTS,
  type TrainContext,
} from '@ft/core';
import type * as tfl from '@tensorflow/tfjs-layers';

/**
 * Training callbacks for a CLI run: a progress bar on stdout when it is a TTY and `--json` is off; otherwise one
 * log line per epoch (`epoch 2/10: loss 0.4123, step 16`; stderr under `--json`), so logs and supervisors see progress.
 */
export function cliCallbacks(ctx: CommandContext): Callback[] {
  if (!ctx.json && process.stdout.isTTY) return [progressBar({ stream: process.stdout })];
  return [
    {
      name: 'epochLog',
      onEpochEnd(epoch: number, logs: EpochLogs, tc: TrainContext) {
        ctx.log(
          `epoch ${epoch + 1}${tc.epochs != null ? `/${tc.epochs}` : ''}: loss ${logs.loss.toFixed(4)}, step ${tc.step}`,
        );
      },
    },
  ];
}

/**
 * Disposes models a command built or loaded (weights and layers), ignoring ones already disposed (models that
 * share layers, e.g. a fine-tuned model and its source). Call it in `finally`, so error paths free tensors too.
 */
export function disposeModels(...models: (tfl.LayersModel | null | undefined)[]): void {
  for (const m of models) {
    if (!m) continue;
    try {
      m.dispose();
    } catch {
      // a layer was already disposed through another model sharing it (a new head on a source model):
      // dispose the remaining layers one by one
      for (const layer of m.layers) {
        try {
          layer.dispose();
        } catch {
          // already disposed
        }
      }
    }
  }
}

/** Rounds a fraction to a percentage with 2 decimals. */
export const pct = (x: number) => Math.round(x * 10000) / 100;

/** `--batch-size` of the training commands: `trainClassifier`'s default, shown in `--help`. */
export const BATCH_SIZE_OPTION: CommandOption = {
  type: 'number',
  description: 'Batch size',
  default: TRAIN_CLASSIFIER_DEFAULTS.batchSize,
  integer: true,
  min: 1,
};
