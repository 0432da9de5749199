/**
 * The bookkeeping of one semi-supervised run, as a `fit` callback so that it is checkpointed with the weights: the
 * per-iteration gate ratios and mask rate, ARC's feature queues, the validation curve, and the best-on-validation
 * weights (model selection never sees the test set).
 */
import type { Callback, EpochLogs, ImageDataset, TrainContext } from '@ft/core';
import { allVariablesOf, evaluateClassifier } from '@ft/core';
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import type { SslObjective } from './objective.js';

/** Per-iteration series (NaN where a part is off or ARC's gate had no batch yet). */
export interface SslSeries {
  /** Fraction of labelled ∪ weak-unlabelled examples the AKC gate kept. */
  akc: number[];
  /** Fraction of the labelled batch the ARC gate kept. */
  arcL: number[];
  /** Fraction of the weak unlabelled batch the ARC gate kept. */
  arcU: number[];
  /** FixMatch / Pseudo-Label confidence-mask rate. */
  maskRate: number[];
  /** Total training loss. */
  loss: number[];
}

/** One point of the validation curve. */
export interface SslValPoint {
  /** Iterations done. */
  step: number;
  accuracy: number;
}

/** Options of {@link SslRunLog}. */
export interface SslRunLogOptions {
  objective: SslObjective;
  validation: ImageDataset;
  /** The model evaluated on validation (the EMA teacher when on, else the student). */
  evaluated: tfl.LayersModel;
  signal?: AbortSignal;
}

interface Best {
  step: number;
  accuracy: number;
  weights: tf.Tensor[];
}

/** Records the run and keeps a copy of the weights with the best validation accuracy (the earliest on ties). */
export class SslRunLog implements Callback {
  readonly name = 'ssl-run';
  readonly series: SslSeries = { akc: [], arcL: [], arcU: [], maskRate: [], loss: [] };
  curve: SslValPoint[] = [];
  private best: Best | null = null;

  constructor(private readonly o: SslRunLogOptions) {}

  /** Commits the objective's step (ARC's queues, the gate ratios and mask rate read from the device), then records it. */
  async onStepEnd(_step: number, logs: { loss: number }): Promise<void> {
    const s = await this.o.objective.commitStep();
    const v = (x: number | undefined) => x ?? Number.NaN;
    this.series.akc.push(v(s.akcRatio));
    this.series.arcL.push(v(s.arcRatioL));
    this.series.arcU.push(v(s.arcRatioU));
    this.series.maskRate.push(v(s.maskRate));
    this.series.loss.push(logs.loss);
  }

  async onEpochEnd(_epoch: number, logs: EpochLogs, ctx: TrainContext): Promise<void> {
    const model = this.o.evaluated;
    const ev = await evaluateClassifier(model, this.o.validation, this.o.signal ? { signal: this.o.signal } : {});
    logs.val_accuracy = ev.accuracy;
    this.curve.push({ step: ctx.step, accuracy: ev.accuracy });
    if (!this.best || ev.accuracy > this.best.accuracy) {
      tf.dispose(this.best?.weights ?? []);
      this.best = {
        step: ctx.step,
        accuracy: ev.accuracy,
        weights: allVariablesOf(model).map((w) => tf.keep(w.clone())),
      };
    }
  }

  /** The best validation point so far, or null before the first evaluation. */
  get bestPoint(): SslValPoint | null {
    return this.best ? { step: this.best.step, accuracy: this.best.accuracy } : null;
  }

  /** Copies the best-on-validation weights into the evaluated model. */
  restoreBest(): void {
    if (!this.best) return;
    const w = this.best.weights;
    allVariablesOf(this.o.evaluated).forEach((v, i) => {
      v.assign(w[i]);
    });
  }

  getState(): unknown {
    const q = this.o.objective.queues;
    const nanToNull = (a: number[]) => a.map((x) => (Number.isNaN(x) ? null : x));
    return {
      series: Object.fromEntries(Object.entries(this.series).map(([k, a]) => [k, nanToNull(a)])),
      curve: this.curve,
      best: this.best,
      queues: q ? { l: q.l.peek(), u: q.u.peek() } : null,
    };
  }

  setState(state: unknown): void {
    const s = state as {
      series: Record<keyof SslSeries, (number | null)[]>;
      curve: SslValPoint[];
      best: Best | null;
      queues: { l: tf.Tensor2D | null; u: tf.Tensor2D | null } | null;
    };
    for (const k of Object.keys(this.series) as (keyof SslSeries)[]) {
      this.series[k] = (s.series[k] ?? []).map((x) => (x === null ? Number.NaN : x));
    }
    this.curve = s.curve;
    tf.dispose(this.best?.weights ?? []);
    this.best = s.best ? { ...s.best, weights: s.best.weights.map((w) => tf.keep(w.clone())) } : null;
    const q = this.o.objective.queues;
    if (q && s.queues) {
      q.l.restore(s.queues.l);
      q.u.restore(s.queues.u);
    }
  }

  /** Frees the best weights. */
  dispose(): void {
    tf.dispose(this.best?.weights ?? []);
    this.best = null;
  }
}
