/**
 * Test helpers (not exported from the package): tiny seeded image datasets and backbones that run in well under a
 * second on the pure-JS cpu backend.
 */
import { ArrayImageDataset, buildBackbone, createRng, type ImageShape } from '@ft/core';
import type * as tfl from '@tensorflow/tfjs-layers';

/**
 * Images whose pixels are a smooth seeded texture plus noise; `bright` adds a square of +0.6 (an "anomaly") in the
 * image centre. Labels are 1 for bright images, else 0.
 */
export function toyImages(n: number, shape: ImageShape, seed: number, bright = 0): ArrayImageDataset {
  const [h, w, c] = shape;
  const rng = createRng(seed);
  const per = h * w * c;
  const images = new Float32Array(n * per);
  const labels = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const phase = rng.uniform() * 6.283;
    const isBright = i < bright;
    labels[i] = isBright ? 1 : 0;
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        for (let k = 0; k < c; k++) {
          let v = 0.4 + 0.2 * Math.sin(x * 0.9 + phase) + 0.05 * rng.normal();
          if (isBright && Math.abs(y - h / 2) < h / 4 && Math.abs(x - w / 2) < w / 4) v += 0.6;
          images[i * per + (y * w + x) * c + k] = v;
        }
      }
    }
  }
  return new ArrayImageDataset({ images, labels, shape, numClasses: 2 });
}

/** A cnn4 at quarter width (8/8/16/16 channels) for `shape` inputs: taps block1..block4. */
export function tinyBackbone(shape: ImageShape = [8, 8, 1], seed = 0): tfl.LayersModel {
  return buildBackbone('cnn4', { inputShape: shape, numClasses: 3, width: 0.25, seed }).model;
}
