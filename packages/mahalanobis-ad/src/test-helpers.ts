/**
 * Test helpers of this package (not exported from it): a tiny backbone that runs in well under a second on the
 * pure-JS cpu backend. Seeded toy images are `toyImages(n, shape, seed, bright)` from `@ft/core/testing`.
 */
import { buildBackbone, type ImageShape } from '@ft/core';
import type * as tfl from '@tensorflow/tfjs-layers';

/** A cnn4 at quarter width (8/8/16/16 channels) for `shape` inputs: taps block1..block4. */
export function tinyBackbone(shape: ImageShape = [8, 8, 1], seed = 0): tfl.LayersModel {
  return buildBackbone('cnn4', { inputShape: shape, numClasses: 3, width: 0.25, seed }).model;
}
