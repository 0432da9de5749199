/**
 * Test helpers of @ft/adv-finetune (not exported from the package): linear classifiers with known weights (for
 * closed forms), seeded images and labels, the attack invariants and the analytic worst case of a linear model.
 * Helpers shared with other packages (`tinyConvNet`, `maxAbsDiff`) come from `@ft/core/testing`.
 */

import { ArrayImageDataset, createRng } from '@ft/core';
import { maxAbsDiff } from '@ft/core/testing';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { expect } from 'vitest';

/** A linear classifier z = W·vec(x) + b on [h, w, 1] inputs with the given weights (W: [h·w, C]). */
export function linearModel(
  w: number[][],
  b: number[],
  shape: [number, number, number] = [4, 4, 1],
  activation: 'linear' | 'softmax' | 'sigmoid' = 'linear',
): tfl.LayersModel {
  const d = shape[0] * shape[1] * shape[2];
  const c = b.length;
  const model = tfl.sequential();
  model.add(tfl.layers.flatten({ inputShape: shape }));
  model.add(tfl.layers.dense({ units: c, activation }));
  const flat = new Float32Array(d * c);
  for (let i = 0; i < d; i++) for (let j = 0; j < c; j++) flat[i * c + j] = w[i][j];
  const wt = tf.tensor2d(flat, [d, c]);
  const bt = tf.tensor1d(b);
  model.layers[1].setWeights([wt, bt]);
  tf.dispose([wt, bt]);
  return model;
}

/** Random matrix [rows, cols] with N(0, scale²) entries from a seeded stream. */
export function randomMatrix(rows: number, cols: number, seed: number, scale = 1): number[][] {
  const rng = createRng(`matrix-${seed}`);
  return Array.from({ length: rows }, () => Array.from({ length: cols }, () => scale * rng.normal()));
}

/** Random images [n, h, w, c] uniform in [lo, hi] (seeded), some pixels exactly 0 and 1 when `borders`. */
export function randomImages(
  n: number,
  shape: [number, number, number],
  seed: number,
  opts: { lo?: number; hi?: number; borders?: boolean } = {},
): tf.Tensor4D {
  const rng = createRng(`images-${seed}`);
  const lo = opts.lo ?? 0;
  const hi = opts.hi ?? 1;
  const size = n * shape[0] * shape[1] * shape[2];
  const v = new Float32Array(size);
  for (let i = 0; i < size; i++) {
    v[i] = lo + (hi - lo) * rng.uniform();
    if (opts.borders) {
      const u = rng.uniform();
      if (u < 0.1) v[i] = 0;
      else if (u < 0.2) v[i] = 1;
    }
  }
  return tf.tensor4d(v, [n, ...shape]);
}

/** Random int32 labels in [0, c). */
export function randomLabels(n: number, c: number, seed: number): tf.Tensor1D {
  const rng = createRng(`labels-${seed}`);
  return tf.tensor1d(
    Array.from({ length: n }, () => rng.int(c)),
    'int32',
  );
}

/** Per-example L2 norms of a − b. */
export function l2Dist(a: tf.Tensor, b: tf.Tensor): number[] {
  return tf.tidy(() =>
    Array.from(tf.sqrt(tf.sum(tf.square(tf.reshape(tf.sub(a, b), [a.shape[0], -1])), 1)).dataSync()),
  );
}

/**
 * Asserts the attack invariants: `adv` ∈ [0, 1] and ‖adv − x‖ ≤ ε (+1e-6 in L∞, +1e-5 in L2, float32 rounding)
 * per example in the attack's norm.
 */
export function expectInBounds(adv: tf.Tensor4D, x: tf.Tensor4D, eps: number, norm: 'Linf' | 'L2'): void {
  const [mn, mx] = tf.tidy(() => [tf.min(adv).dataSync()[0], tf.max(adv).dataSync()[0]]);
  expect(mn).toBeGreaterThanOrEqual(0);
  expect(mx).toBeLessThanOrEqual(1);
  if (norm === 'Linf') expect(maxAbsDiff(adv, x)).toBeLessThanOrEqual(eps + 1e-6);
  else for (const d of l2Dist(adv, x)) expect(d).toBeLessThanOrEqual(eps + 1e-5);
}

/**
 * Analytic L∞ worst case of a two-class linear model z = Wx + b (W: [D, 2]): the CE input gradient has sign
 * −sign(d), d = w_y − w_o, for every x, so the margin d·x' is minimised over the ε-ball ∩ [0, 1] at
 * clip(x − ε·sign(d), 0, 1).
 */
export function linfWorstCase(x: Float32Array, y: readonly number[], w: number[][], eps: number): Float32Array {
  const D = w.length;
  const out = new Float32Array(x.length);
  for (let n = 0; n < y.length; n++) {
    for (let i = 0; i < D; i++) {
      const d = w[i][y[n]] - w[i][1 - y[n]];
      const v = x[n * D + i] - eps * Math.sign(d);
      out[n * D + i] = Math.min(1, Math.max(0, v));
    }
  }
  return out;
}

/**
 * Three classes of 8×8 patterns (row stripe, column stripe, diagonal): 0.8 on the pattern, 0.2 off it, plus uniform
 * noise of width `noise` from `createRng(rngLabel)`, clipped to [0, 1]. For the tiny conv nets of the training tests.
 */
export function stripePatterns(n: number, rngLabel: string, noise: number): ArrayImageDataset {
  const rng = createRng(rngLabel);
  const images = new Float32Array(n * 64);
  const labels = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const c = i % 3;
    labels[i] = c;
    for (let r = 0; r < 8; r++) {
      for (let q = 0; q < 8; q++) {
        const on = c === 0 ? r === 3 || r === 4 : c === 1 ? q === 3 || q === 4 : r === q;
        images[i * 64 + r * 8 + q] = Math.min(1, Math.max(0, (on ? 0.8 : 0.2) + noise * (rng.uniform() - 0.5)));
      }
    }
  }
  return new ArrayImageDataset({ images, labels, shape: [8, 8, 1], numClasses: 3 });
}
