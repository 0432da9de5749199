/**
 * Batch types shared by `fit`, `evaluate` and `predict`, the default forward pass, and iteration helpers.
 */
import * as tf from '@tensorflow/tfjs-core';
import { InvalidArgumentError } from '../errors.js';
import { isLayersModel, type Trainable } from '../models/module.js';
import type { Rng } from '../rng.js';

/**
 * One training mini-batch: inputs `x` (a tensor, or a list for multi-input LayersModels) and targets `y`. Batch
 * types may carry more fields (the data module's `Batch` with `indices`, extra tensors for a custom
 * `forward`/`loss`); every tensor found among a batch's own fields (or in arrays there) is disposed with it.
 */
export interface TrainBatch {
  x: tf.Tensor | tf.Tensor[];
  y: tf.Tensor;
}

/** A sequence of batches, synchronous or asynchronous. */
export type BatchIterable<B extends TrainBatch = TrainBatch> = Iterable<B> | AsyncIterable<B>;

/**
 * The training data of `fit`: called once per epoch with the epoch index and that epoch's RNG
 * (`rng.fork('epoch-' + epoch)`). It must be a pure function of its arguments (same epoch and RNG state ⇒ same
 * batches), which makes resuming mid-epoch exact. Batches are fresh tensors that `fit` disposes after each step.
 */
export type DataFn<B extends TrainBatch = TrainBatch> = (epoch: number, rng: Rng) => BatchIterable<B>;

/** Loss: `(yTrue, yPred, batch) => scalar`, e.g. `(y, p) => tf.losses.softmaxCrossEntropy(y, p)`. */
export type LossFn<B extends TrainBatch = TrainBatch> = (yTrue: tf.Tensor, yPred: tf.Tensor, batch: B) => tf.Scalar;

/** A batch metric `(yTrue, yPred, batch) => scalar`, averaged over batches weighted by batch size. */
export type MetricFn<B extends TrainBatch = TrainBatch> = (yTrue: tf.Tensor, yPred: tf.Tensor, batch: B) => tf.Scalar;

/** Context of a forward pass. */
export interface ForwardContext {
  training: boolean;
  /** Randomness for stochastic modules (a stream whose state is checkpointed by `fit`). */
  rng?: Rng;
  step?: number;
  epoch?: number;
}

/** Forward pass `(model, batch, ctx) => yPred`, called inside `tf.tidy` / `tf.variableGrads`. */
export type ForwardFn<B extends TrainBatch = TrainBatch> = (
  model: Trainable,
  batch: B,
  ctx: ForwardContext,
) => tf.Tensor;

/**
 * Where `evaluate`/`predict` read batches: an iterable (e.g. an array the caller owns; batches are not disposed)
 * or a function returning one (batches are treated as fresh and disposed after use).
 */
export type BatchSource<B extends TrainBatch = TrainBatch> = BatchIterable<B> | (() => BatchIterable<B>);

/**
 * Default forward pass: `model.apply(x, {training})` for a LayersModel (BN uses batch statistics and updates its
 * moving statistics when training), `model.apply(x, {training, rng})` for a `Module`.
 */
export function defaultForward(model: Trainable, batch: TrainBatch, ctx: ForwardContext): tf.Tensor {
  if (isLayersModel(model)) {
    const out = model.apply(batch.x, { training: ctx.training });
    if (Array.isArray(out)) {
      throw new InvalidArgumentError(
        `forward: model '${model.name}' has ${out.length} outputs; pass a custom forward that returns one tensor`,
      );
    }
    return out as tf.Tensor;
  }
  if (Array.isArray(batch.x)) {
    throw new InvalidArgumentError('forward: a Module takes one input tensor; batch.x is a list');
  }
  return model.apply(batch.x, { training: ctx.training, rng: ctx.rng });
}

/** Number of examples in a batch (first dimension of `y`, else of `x`). */
export function batchSizeOf(batch: TrainBatch): number {
  const t = batch.y ?? (Array.isArray(batch.x) ? batch.x[0] : batch.x);
  return t && t.shape.length > 0 ? t.shape[0] : 1;
}

/** Disposes every tensor found in the batch object. */
export function disposeBatch(batch: TrainBatch): void {
  const ts: tf.Tensor[] = [];
  const walk = (v: unknown) => {
    if (v instanceof tf.Tensor) ts.push(v);
    else if (Array.isArray(v)) v.forEach(walk);
  };
  for (const v of Object.values(batch)) walk(v);
  tf.dispose(ts.filter((t) => !t.isDisposed));
}

/** An async iterator over a sync or async iterable. */
export function toAsyncIterator<T>(src: Iterable<T> | AsyncIterable<T>): AsyncIterator<T> {
  if (src && typeof (src as AsyncIterable<T>)[Symbol.asyncIterator] === 'function') {
    return (src as AsyncIterable<T>)[Symbol.asyncIterator]();
  }
  if (src && typeof (src as Iterable<T>)[Symbol.iterator] === 'function') {
    const it = (src as Iterable<T>)[Symbol.iterator]();
    return {
      next: async () => it.next(),
      return: async (v?: unknown) => (it.return ? it.return(v) : { done: true, value: v as T }),
    };
  }
  throw new InvalidArgumentError('data: expected an Iterable or AsyncIterable of batches');
}

/** Resolves a `BatchSource` to an iterator and whether its batches should be disposed after use. */
export function openSource<B extends TrainBatch>(src: BatchSource<B>): { it: AsyncIterator<B>; owned: boolean } {
  if (typeof src === 'function') return { it: toAsyncIterator(src()), owned: true };
  return { it: toAsyncIterator(src), owned: false };
}
