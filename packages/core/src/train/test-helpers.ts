/**
 * Tiny models and in-memory data for the train/ tests (not exported from the package; `@ft/core/testing` re-exports
 * them). `toyImages` and `tinyConvNet` are in `../testing/index.ts`.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { createRng } from '../rng.js';
import type { DataFn, TrainBatch } from './batch.js';
import type { Optimizer } from './optimizer.js';

/** A linearly separable 2-D problem: y = 1[x0 + 0.5·x1 > 0], n points, deterministic in `seed`. */
export function toyProblem(n: number, seed: number): { xs: Float32Array; labels: Int32Array; d: number } {
  const r = createRng(seed);
  const xs = new Float32Array(2 * n);
  const labels = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    xs[2 * i] = r.normal();
    xs[2 * i + 1] = r.normal();
    labels[i] = xs[2 * i] + 0.5 * xs[2 * i + 1] > 0 ? 1 : 0;
  }
  return { xs, labels, d: 2 };
}

/**
 * A `DataFn` over in-memory arrays: shuffles with the epoch RNG and yields fresh tensors
 * `{x: [b, ...shape], y: one-hot [b, classes]}`.
 */
export function arrayData(
  src: { xs: Float32Array; labels: Int32Array; d: number },
  opts: { batchSize: number; shape?: number[]; classes?: number; shuffle?: boolean },
): DataFn {
  const n = src.labels.length;
  const classes = opts.classes ?? 2;
  const shape = opts.shape ?? [src.d];
  return (_epoch, rng) =>
    (function* (): Generator<TrainBatch> {
      const idx = opts.shuffle === false ? Int32Array.from({ length: n }, (_, i) => i) : rng.permutation(n);
      for (let s = 0; s < n; s += opts.batchSize) {
        const b = idx.slice(s, s + opts.batchSize);
        const x = new Float32Array(b.length * src.d);
        const y = new Float32Array(b.length * classes);
        b.forEach((j, k) => {
          x.set(src.xs.subarray(j * src.d, (j + 1) * src.d), k * src.d);
          y[k * classes + src.labels[j]] = 1;
        });
        yield { x: tf.tensor(x, [b.length, ...shape]), y: tf.tensor2d(y, [b.length, classes]) };
      }
    })();
}

/** Dense net 2 → hidden (relu) → 2 logits, glorot-uniform kernels seeded with `seed`. */
export function denseNet(seed: number, hidden = 8): tfl.Sequential {
  return tfl.sequential({
    layers: [
      tfl.layers.dense({
        inputShape: [2],
        units: hidden,
        activation: 'relu',
        kernelInitializer: tfl.initializers.glorotUniform({ seed }),
      }),
      tfl.layers.dense({ units: 2, kernelInitializer: tfl.initializers.glorotUniform({ seed: seed + 1 }) }),
    ],
  });
}

/** Softmax cross-entropy on logits. */
export const ce = (y: tf.Tensor, logits: tf.Tensor) => tf.losses.softmaxCrossEntropy(y, logits) as tf.Scalar;

/** Accuracy of logits against one-hot targets. */
export const accuracy = (y: tf.Tensor, logits: tf.Tensor) =>
  tf.mean(tf.cast(tf.equal(tf.argMax(y, -1), tf.argMax(logits, -1)), 'float32')) as tf.Scalar;

/** Host copies of tensors (for bitwise comparisons). */
export function snapshot(ts: readonly tf.Tensor[]): Float32Array[] {
  return ts.map((t) => Float32Array.from(t.dataSync() as Float32Array));
}

/**
 * Applies `grads` in order to one variable starting at `theta0` with `opt`, then returns the final values and
 * disposes the optimizer and the variable (optimizer tests against hand-computed trajectories).
 */
export function applyGradientSequence(opt: Optimizer, theta0: number[], grads: number[][]): number[] {
  const v = tf.variable(tf.tensor1d(theta0));
  for (const g of grads) {
    const gt = tf.tensor1d(g);
    opt.applyGradients([{ variable: v, grad: gt }]);
    gt.dispose();
  }
  const out = Array.from(v.dataSync());
  opt.dispose();
  v.dispose();
  return out;
}
