export {} from './affine.js';
export {
  AUGMIX_OPS,
  type AugMixOptions,
  augmixLite,
} from './augmix.js';
export {
  compose,
  oneOf,
  randomApply,
} from './compose.js';
export {
  type CutPasteOptions,
  cutPaste,
} from './cut-paste.js';
export {
  type CutMixOptions,
  cutmix,
  cutmixWith,
} from './cutmix.js';
export {
  type CutoutOptions,
  cutout,
} from './cutout.js';
export {
  type MixupOptions,
  mixup,
  mixupWith,
  toSoftTargets,
} from './mixup.js';
export { applyGrouped, perImage, selectImages } from './per-image.js';
export {
  RAND_AUGMENT_OPS,
  type RandAugmentOpName,
  type RandAugmentOptions,
  randAugmentLite,
} from './rand-augment.js';
export type {
  Augment,
  MixAugment,
  MixResult,
} from './types.js';
export {
  gaussianNoise,
  hflip,
  type PadCropOptions,
  padCrop,
} from './weak.js';
