import * as tf from '@tensorflow/tfjs-core';
import { EmptyDatasetError, InvalidArgumentError, NonFiniteValueError } from '../errors.js';
import type { Trainable } from '../models/module.js';
import {
  type BatchSource,
  batchSizeOf,
  defaultForward,
  disposeBatch,
  type ForwardFn,
  type MetricFn,
  openSource,
  type TrainBatch,
} from './batch.js';
import { yieldAndCheck } from './yield.js';

/** Options of `evaluate`. */
export interface EvaluateOptions<B extends TrainBatch = TrainBatch> {
  /** Forward pass (default `defaultForward`, called with `training: false`). */
  forward?: ForwardFn<B>;
  /** Dispose batches after use. Default: true when `data` is a function, false for a plain iterable. */
  disposeBatches?: boolean;
  /** Stop early when aborted (throws the signal's reason). Checked before every batch, after yielding to the event loop. */
  signal?: AbortSignal;
  /**
   * Throw `NonFiniteValueError` when a batch's model output (logits) or a metric value is NaN/±Inf. Default true:
   * a model with non-finite weights must not report an accuracy. The check is one fused reduction per batch.
   */
  checkFinite?: boolean;
}

/**
 * Inference over `data` in batches (each under `tf.tidy`) and batch-size-weighted means of `metrics`:
 * value = Σ_b n_b · metric_b / Σ_b n_b. Exact for metrics that are means over examples (accuracy, MSE, CE);
 * for rank metrics (AUROC) use `predict` and compute on the concatenated outputs.
 *
 * Between batches the loop yields to the event loop and checks `signal` (an abort throws the signal's reason).
 * Unless `checkFinite: false`, NaN/±Inf model outputs or metric values throw `NonFiniteValueError` (code
 * `NON_FINITE_VALUE`) naming the batch and the metric: a NaN-weight model gets an error, not `accuracy 0.5`.
 * @returns `{name: value}` for every metric. Throws `EmptyDatasetError` when `data` yields no batch.
 */
export async function evaluate<B extends TrainBatch = TrainBatch>(
  model: Trainable,
  data: BatchSource<B>,
  metrics: Record<string, MetricFn<B>>,
  opts: EvaluateOptions<B> = {},
): Promise<Record<string, number>> {
  const forward: ForwardFn<B> = opts.forward ?? defaultForward;
  const { it, owned } = openSource(data);
  const dispose = opts.disposeBatches ?? owned;
  const names = Object.keys(metrics);
  const sums = new Float64Array(names.length);
  let n = 0;
  const checkFinite = opts.checkFinite ?? true;
  let b = 0;
  try {
    for (;;) {
      await yieldAndCheck(opts.signal);
      const r = await it.next();
      if (r.done) break;
      const batch = r.value;
      try {
        const bs = batchSizeOf(batch);
        const vals = tf.tidy(() => {
          const yPred = forward(model, batch, { training: false });
          const ms = names.map((k) => metrics[k](batch.y, yPred, batch));
          return checkFinite ? [...ms, tf.all(tf.isFinite(yPred))] : ms;
        });
        let host: Array<ArrayLike<number>>;
        try {
          host = await Promise.all(vals.map((v) => v.data() as Promise<ArrayLike<number>>));
        } finally {
          tf.dispose(vals);
        }
        if (checkFinite) {
          const where = `evaluate: batch ${b} (examples ${n}..${n + bs - 1})`;
          if (!host[names.length][0]) {
            throw new NonFiniteValueError(
              `${where}: the model output contains NaN or ±Inf; the model's weights are probably non-finite (diverged training or a corrupt weights file)`,
              { batch: b, what: 'output' },
            );
          }
          names.forEach((k, i) => {
            if (!Number.isFinite(host[i][0])) {
              throw new NonFiniteValueError(`${where}: metric '${k}' is ${host[i][0]}`, {
                batch: b,
                what: k,
                value: host[i][0],
              });
            }
          });
        }
        names.forEach((_k, i) => {
          sums[i] += host[i][0] * bs;
        });
        n += bs;
        b += 1;
      } finally {
        if (dispose) disposeBatch(batch);
      }
    }
  } finally {
    await it.return?.();
  }
  if (n === 0) throw new EmptyDatasetError('evaluate: data yielded no batches');
  const out: Record<string, number> = {};
  names.forEach((k, i) => {
    out[k] = sums[i] / n;
  });
  return out;
}

/** Options of `predict`. */
export interface PredictOptions<B extends TrainBatch = TrainBatch> {
  /** Batch size when `x` is a tensor. Default 128. */
  batchSize?: number;
  /** Forward pass (default `defaultForward`, `training: false`); for tensor input it gets `{x: slice, y: slice}`. */
  forward?: ForwardFn<B>;
  /** Dispose batches of a `BatchSource` after use (default as in `evaluate`). */
  disposeBatches?: boolean;
  /** Stop early when aborted (throws the signal's reason); checked between batches after yielding to the event loop. */
  signal?: AbortSignal;
}

/**
 * Model outputs for `x` (a tensor, sliced into batches along axis 0) or for every batch of a `BatchSource`,
 * concatenated along axis 0. Each batch runs under `tf.tidy`; the caller disposes the result.
 */
export async function predict<B extends TrainBatch = TrainBatch>(
  model: Trainable,
  x: tf.Tensor | BatchSource<B>,
  opts: PredictOptions<B> = {},
): Promise<tf.Tensor> {
  const forward: ForwardFn<B> = opts.forward ?? defaultForward;
  const parts: tf.Tensor[] = [];
  let result: tf.Tensor | null = null;
  try {
    if (x instanceof tf.Tensor) {
      const bs = opts.batchSize ?? 128;
      if (!Number.isInteger(bs) || bs <= 0) throw new InvalidArgumentError(`predict: batchSize must be > 0, got ${bs}`);
      const n = x.shape[0];
      if (!n) throw new EmptyDatasetError(`predict: input has shape [${x.shape}], no examples`);
      for (let i = 0; i < n; i += bs) {
        await yieldAndCheck(opts.signal);
        parts.push(
          tf.tidy(() => {
            const xb = tf.slice(x, i, Math.min(bs, n - i));
            return forward(model, { x: xb, y: xb } as B, { training: false });
          }),
        );
      }
    } else {
      const { it, owned } = openSource(x);
      const dispose = opts.disposeBatches ?? owned;
      try {
        for (;;) {
          await yieldAndCheck(opts.signal);
          const r = await it.next();
          if (r.done) break;
          try {
            parts.push(tf.tidy(() => forward(model, r.value, { training: false })));
          } finally {
            if (dispose) disposeBatch(r.value);
          }
        }
      } finally {
        await it.return?.();
      }
      if (parts.length === 0) throw new EmptyDatasetError('predict: data yielded no batches');
    }
    result = parts.length === 1 ? parts[0] : tf.concat(parts, 0);
    return result;
  } finally {
    tf.dispose(parts.filter((p) => p !== result));
  }
}
