import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { testRng } from './rng.js';

/** Losses per step and the final weights (including BN moving statistics) of {@link trainFromWeights}. */
export interface TrainRun {
  losses: number[];
  weights: Float32Array[];
}

/**
 * Builds a model, sets `weights`, and trains `steps` SGD-momentum (0.9) steps on 6 seeded normal images with labels
 * 0, 1, 2, 3, 1, 2 (4 classes); for comparing fused and unfused runs from the same start.
 * @param build makes the model (4 output classes).
 * @param weights initial weights, in `getWeights()` order.
 * @param steps training steps.
 * @param opts learning rate and the seed of the images.
 */
export async function trainFromWeights(
  build: () => tfl.LayersModel,
  weights: Float32Array[],
  steps: number,
  opts: { lr: number; seed: number },
): Promise<TrainRun> {
  const model = build();
  model.setWeights(weights.map((w, i) => tf.tensor(w, model.getWeights()[i].shape)));
  model.compile({ optimizer: tf.train.momentum(opts.lr, 0.9), loss: 'categoricalCrossentropy' });
  const shape = [6, ...(model.inputs[0].shape.slice(1) as number[])];
  const x = tf.tensor(testRng(opts.seed).normal(shape.reduce((p, d) => p * d, 1)), shape);
  const y = tf.oneHot(tf.tensor1d([0, 1, 2, 3, 1, 2], 'int32'), 4);
  const losses: number[] = [];
  for (let i = 0; i < steps; i++) losses.push((await model.trainOnBatch(x, y)) as number);
  const out = model.getWeights().map((w) => w.dataSync() as Float32Array);
  tf.dispose([x, y]);
  model.dispose();
  return { losses, weights: out };
}

/**
 * Runs `fn` with `obj[name]` replaced by `impl` (an own property shadowing the prototype's method), then restores
 * it: for reference runs of the same training with one backend behaviour switched off.
 */
export async function withMethod<T extends object, K extends keyof T, R>(
  obj: T,
  name: K,
  impl: T[K],
  fn: () => Promise<R>,
): Promise<R> {
  const own = Object.getOwnPropertyDescriptor(obj, name);
  obj[name] = impl;
  try {
    return await fn();
  } finally {
    if (own) Object.defineProperty(obj, name, own);
    else delete obj[name];
  }
}
