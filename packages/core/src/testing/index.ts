/**
 * `@ft/core/testing`: tiny models and seeded in-memory data for the tests of every @ft package. Not part of the
 * stable API: names here may change in any release.
 */
export {
  accuracy,
  arrayData,
  ce,
  denseNet,
  snapshot,
  tinyConvNet,
  toyImages,
  toyProblem,
} from '../train/test-helpers.js';
