import * as path from 'node:path';
import { allVariablesOf, type Trainable } from '../models/module.js';
import type { Callback, EpochLogs, TrainContext } from './callback.js';
import { assignVariables, loadWeights, saveWeights } from './checkpoint.js';
import { monitoredValue, resolveMode } from './early-stopping.js';

/** Options of `bestCheckpoint`. */
export interface BestCheckpointOptions {
  /** Directory the best weights are written to (replaced atomically on each improvement). */
  dir: string;
  /** Epoch-log key to watch. Default `'val_loss'`. */
  monitor?: string;
  /** `'min'`, `'max'` or `'auto'` (see `earlyStopping`). Default `'auto'`. */
  mode?: 'min' | 'max' | 'auto';
}

/** The callback returned by `bestCheckpoint`. */
export class BestCheckpoint implements Callback {
  readonly name = 'bestCheckpoint';
  readonly dir: string;
  readonly monitor: string;
  readonly mode: 'min' | 'max';
  best: number;
  bestEpoch = -1;

  constructor(opts: BestCheckpointOptions) {
    this.dir = path.resolve(opts.dir);
    this.monitor = opts.monitor ?? 'val_loss';
    this.mode = resolveMode(this.monitor, opts.mode);
    this.best = this.mode === 'min' ? Number.POSITIVE_INFINITY : Number.NEGATIVE_INFINITY;
  }

  async onEpochEnd(epoch: number, logs: EpochLogs, ctx: TrainContext): Promise<void> {
    const v = monitoredValue(logs, this.monitor, 'bestCheckpoint');
    if (!(this.mode === 'min' ? v < this.best : v > this.best)) return;
    this.best = v;
    this.bestEpoch = epoch;
    const vars = allVariablesOf(ctx.model);
    await saveWeights(this.dir, vars, {
      names: vars.map((x) => x.name),
      meta: { epoch, step: ctx.step, monitor: this.monitor, value: v },
    });
  }

  getState(): unknown {
    return { best: this.best, bestEpoch: this.bestEpoch };
  }

  setState(state: unknown): void {
    const s = state as { best: number; bestEpoch: number };
    this.best = s.best;
    this.bestEpoch = s.bestEpoch;
  }
}

/**
 * Saves all model variables (weights and BN statistics) to `dir` whenever `logs[monitor]` improves on its best,
 * atomically with a SHA-256 manifest. Restore with `loadWeightsInto(model, dir)`.
 * @param opts `{dir, monitor = 'val_loss', mode = 'auto'}`.
 */
export function bestCheckpoint(opts: BestCheckpointOptions): BestCheckpoint {
  return new BestCheckpoint(opts);
}

/**
 * Loads weights saved by `bestCheckpoint` / `saveWeights` into every variable of `model` (same architecture).
 * Throws `CheckpointCorruptError` for a bad directory and `ShapeError` for a mismatching model.
 * @returns the stored metadata (epoch, step, monitor, value).
 */
export async function loadWeightsInto(model: Trainable, dir: string): Promise<Record<string, unknown>> {
  const { weights, meta } = await loadWeights(dir);
  try {
    assignVariables(allVariablesOf(model), weights, `loadWeightsInto: ${dir}/weights.bin`);
  } finally {
    for (const w of weights) w.dispose();
  }
  return meta;
}
