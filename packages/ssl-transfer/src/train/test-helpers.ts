/** Shared fixtures of the training-loop tests: a tiny pre-trained source and a toy split. */
import {
  ArrayImageDataset,
  bnCnn3,
  createRng,
  fit,
  type ImageDataset,
  imageDataFn,
  sgd,
  sparseCrossEntropy,
} from '@ft/core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { type SslSplit, sslSplit } from './split.js';

/** Seeded 8×8×1 images of 3 classes: class c is a bright horizontal band over rows [3c, 3c + 2), plus noise. */
export function toyData(n: number, seed: number): ImageDataset {
  const rng = createRng(seed);
  const images = new Float32Array(n * 64);
  const labels = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const c = i % 3;
    labels[i] = c;
    for (let p = 0; p < 64; p++) {
      const row = Math.floor(p / 8);
      const band = row >= 3 * c && row < 3 * c + 2 ? 0.6 : 0;
      images[i * 64 + p] = Math.min(1, Math.max(0, 0.2 + band + 0.15 * rng.normal()));
    }
  }
  return new ArrayImageDataset({ images, labels, shape: [8, 8, 1], numClasses: 3 });
}

/** A bnCnn3 (width 1/8, 8×8 input) trained briefly on toy data: the "pre-trained" source (3 classes). */
export async function tinySource(): Promise<tfl.LayersModel> {
  const model = bnCnn3({ inputShape: [8, 8, 1], numClasses: 3, width: 0.125, seed: 3 }).model;
  const ds = toyData(64, 11);
  await fit(model, {
    data: imageDataFn(ds, { batchSize: 16 }),
    loss: sparseCrossEntropy,
    optimizer: sgd({ lr: 0.05, momentum: 0.9 }),
    epochs: 2,
    rng: createRng(5),
    log: () => {},
  });
  return model;
}

/** A labelled/validation/unlabelled split of toy data (K = 6 per class, 2 held out). */
export function toySplit(seed = 1): SslSplit & { test: ImageDataset } {
  const train = toyData(120, 21);
  return { ...sslSplit(train, { labelsPerClass: 6, valPerClass: 2, seed }), test: toyData(40, 31) };
}
