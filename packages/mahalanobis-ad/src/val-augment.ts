/**
 * Pseudo-anomalies for the fine-tuning validation (Rippel, Chavan, Lei, Merhof, "Transfer Learning Gaussian Anomaly
 * Detection by Fine-tuning Representations", IMPROVE 2022, arXiv 2108.04116): augmentations used for vicinal risk
 * minimisation (VRM) turn held-out normal images into "anomalies"; the AUROC between the clean and the augmented
 * copies under the current Gaussian is a label-free validation signal whose drop marks the onset of catastrophic
 * forgetting. The paper claims robustness to the choice of augmentation; the families are configurable.
 *
 * Families (all from @ft/core, one drawn uniformly per image): mixup and CutMix with another held-out normal image
 * (λ ~ Beta(1, 1)), Cutout (a grey square of half the side), CutPaste (a patch of the image moved elsewhere), and
 * AugMix-lite (a convex mix of random op chains).
 */
import {
  ArrayImageDataset,
  type Augment,
  augmixLite,
  cutmix,
  cutout,
  cutPaste,
  type ImageDataset,
  InvalidArgumentError,
  mixup,
  oneOf,
  type Rng,
} from '@ft/core';
import * as tf from '@tensorflow/tfjs-core';

/** Names of the validation augmentation families. */
export const VAL_AUGMENTS = ['mixup', 'cutmix', 'cutout', 'cutpaste', 'augmix'] as const;
/** One validation augmentation family. */
export type ValAugmentName = (typeof VAL_AUGMENTS)[number];

/** The core augmentation of one family (as `(x, rng) → x'`). */
export function valAugment(name: ValAugmentName): Augment {
  switch (name) {
    case 'mixup': {
      const m = mixup({ alpha: 1 });
      return (x, rng) => m(x, null, rng).x;
    }
    case 'cutmix': {
      const m = cutmix({ alpha: 1 });
      return (x, rng) => m(x, null, rng).x;
    }
    case 'cutout':
      return cutout({ size: 0.5 });
    case 'cutpaste':
      return cutPaste();
    case 'augmix':
      return augmixLite();
    default:
      throw new InvalidArgumentError(
        `valAugment: unknown family '${String(name)}'; choose from ${VAL_AUGMENTS.join(', ')}`,
      );
  }
}

/**
 * The validation set of the fine-tuning: the clean held-out normals (label 0) followed by one augmented copy of each
 * (label 1), one family drawn uniformly per image. Deterministic in `rng`. The augmented images are read with
 * `dataSync()`; on a GPU backend use {@link pseudoAnomalySetAsync} (same images).
 * @param val held-out normal images
 * @param families augmentation families (default all of {@link VAL_AUGMENTS}) or one custom `Augment`
 */
export function pseudoAnomalySet(
  val: ImageDataset,
  families: readonly ValAugmentName[] | Augment,
  rng: Rng,
): { images: ArrayImageDataset; labels: Uint8Array } {
  const { clean, augmented, shape } = augmentVal(val, families, rng);
  try {
    return assemble(clean, augmented.dataSync() as Float32Array, shape);
  } finally {
    augmented.dispose();
  }
}

/**
 * {@link pseudoAnomalySet} with an asynchronous read of the augmented images (any backend, GPU included): the same
 * images and labels for the same `rng`.
 */
export async function pseudoAnomalySetAsync(
  val: ImageDataset,
  families: readonly ValAugmentName[] | Augment,
  rng: Rng,
): Promise<{ images: ArrayImageDataset; labels: Uint8Array }> {
  const { clean, augmented, shape } = augmentVal(val, families, rng);
  try {
    return assemble(clean, (await augmented.data()) as Float32Array, shape);
  } finally {
    augmented.dispose();
  }
}

/** Validates the inputs and augments the clean images (the caller disposes `augmented`). */
function augmentVal(
  val: ImageDataset,
  families: readonly ValAugmentName[] | Augment,
  rng: Rng,
): { clean: Float32Array; augmented: tf.Tensor; shape: [number, number, number] } {
  if (val.size < 2) {
    throw new InvalidArgumentError(`pseudoAnomalySet: needs at least 2 held-out normal images, got ${val.size}`);
  }
  if (typeof families !== 'function' && families.length === 0) {
    throw new InvalidArgumentError('pseudoAnomalySet: families must not be empty');
  }
  const aug =
    typeof families === 'function'
      ? families
      : families.length === 1
        ? valAugment(families[0])
        : oneOf(families.map(valAugment));
  const [h, w, c] = val.shape;
  const per = h * w * c;
  const n = val.size;
  const clean = new Float32Array(n * per);
  for (let i = 0; i < n; i++) val.copyInto(i, clean, i * per);
  const augmented = tf.tidy(() => {
    const x = tf.tensor4d(clean, [n, h, w, c]);
    return tf.clipByValue(aug(x, rng), 0, 1);
  });
  return { clean, augmented, shape: [h, w, c] };
}

/** [clean; augmented] images with labels 0 then 1. */
function assemble(
  clean: Float32Array,
  augData: Float32Array,
  shape: [number, number, number],
): { images: ArrayImageDataset; labels: Uint8Array } {
  const n = clean.length / (shape[0] * shape[1] * shape[2]);
  const images = new Float32Array(2 * clean.length);
  images.set(clean, 0);
  images.set(augData, clean.length);
  const labels = new Uint8Array(2 * n);
  labels.fill(1, n);
  return {
    images: new ArrayImageDataset({ images, labels: Int32Array.from(labels), shape, numClasses: 2 }),
    labels,
  };
}
