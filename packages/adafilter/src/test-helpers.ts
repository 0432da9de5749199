// Test helpers of @ft/adafilter: small seeded sources and data (not exported).
import { ArrayImageDataset, cnn4, createRng, resnet8 } from '@ft/core';
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';

/** cnn4 at width 0.25 (8/8/16/16 channels) on 12×12×1 inputs, 4 classes. */
export const smallCnn4 = (seed = 0): tfl.LayersModel =>
  cnn4({ width: 0.25, inputShape: [12, 12, 1], numClasses: 4, seed }).model;

/** ResNet-8 at width 0.25 (4/8/16 channels, projection shortcuts) on 12×12×1 inputs, 4 classes. */
export const smallResnet8 = (seed = 0): tfl.LayersModel =>
  resnet8({ width: 0.25, inputShape: [12, 12, 1], numClasses: 4, seed }).model;

/** Seeded images [n, 12, 12, 1] in [0, 1) and labels in [0, classes). */
export function images(n: number, seed: number, classes = 4): { x: tf.Tensor4D; y: tf.Tensor1D } {
  const rng = createRng(seed);
  const v = new Float32Array(n * 144);
  for (let i = 0; i < v.length; i++) v[i] = rng.uniform();
  const y = Int32Array.from({ length: n }, (_, i) => i % classes);
  return { x: tf.tensor4d(v, [n, 12, 12, 1]), y: tf.tensor1d(y, 'int32') };
}

/** Sets non-trivial BN moving statistics and affine parameters, so that tests see them. */
export function perturbBatchNorms(model: tfl.LayersModel, seed: number): void {
  const rng = createRng(seed);
  for (const l of model.layers) {
    if (l.getClassName() !== 'BatchNormalization') continue;
    const ws = l.getWeights();
    const next = ws.map((w, i) => {
      const vals = Float32Array.from(
        { length: w.size },
        () => (i === 3 ? 0.5 + rng.uniform() : 0.3 * rng.normal()) + (i === 0 ? 1 : 0),
      );
      return tf.tensor(vals, w.shape);
    });
    l.setWeights(next);
    tf.dispose(next);
  }
}

/** 4-class 12×12×1 images: class k has a bright 6×6 quadrant k, plus 0.2·N(0, 1) noise (learnable in a few steps). */
export function quadrantImages(n: number, seed: number): ArrayImageDataset {
  const rng = createRng(seed);
  const images = new Float32Array(n * 144);
  const labels = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const k = i % 4;
    labels[i] = k;
    for (let y = 0; y < 12; y++) {
      for (let x = 0; x < 12; x++) {
        const q = (y < 6 ? 0 : 2) + (x < 6 ? 0 : 1);
        images[i * 144 + y * 12 + x] = (q === k ? 0.8 : 0.1) + 0.2 * rng.normal();
      }
    }
  }
  return new ArrayImageDataset({ images, labels, shape: [12, 12, 1], numClasses: 4 });
}
