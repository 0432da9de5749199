/**
 * The augmented views of semi-supervised learning (Sohn et al., "FixMatch", NeurIPS 2020): a weak view (flip and
 * translate) for labelled images and pseudo-labelling, and a strong view (RandAugment + Cutout) for the consistency
 * target. Every view is an `Augment` of @ft/core: NHWC in [0, 1], randomness from the given `Rng` only.
 */
import { type Augment, compose, cutout, hflip, padCrop, randAugmentLite } from '@ft/core/augment';

/** The two views used by the training loop. */
export interface SslViews {
  /** Weak augmentation: labelled batches, pseudo-label targets, AKC and ARC inputs. */
  weak: Augment;
  /** Strong augmentation: the FixMatch student view. */
  strong: Augment;
}

/** Options of {@link defaultViews}. */
export interface DefaultViewsOptions {
  /** Random translation by up to `pad` pixels (zero padding). [2] */
  pad?: number;
  /** Random horizontal flip (off for digits or text). [true] */
  flip?: boolean;
  /** Cutout side as a fraction of the image side. [0.5, FixMatch] */
  cutout?: number;
}

/**
 * FixMatch's views at small scale: weak = flip (p 0.5) + pad-and-crop translation; strong = weak + RandAugment-lite
 * (2 random ops per image) + Cutout (0.5 of the side, grey fill).
 */
export function defaultViews(o: DefaultViewsOptions = {}): SslViews {
  const shift = padCrop({ pad: o.pad ?? 2 });
  const weak = (o.flip ?? true) ? compose(hflip(), shift) : shift;
  return { weak, strong: compose(weak, randAugmentLite(), cutout({ size: o.cutout ?? 0.5 })) };
}
