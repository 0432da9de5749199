/**
 * `@ft/core/internal`: building blocks the @ft packages share that are not a stable public API (their shapes may
 * change in any release). Application code should use the documented exports of `@ft/core` and its subpaths.
 */

// Paths read from files the user did not write (manifests, model.json) stay inside their folder.
export {
  checkRelativePath,
  isInside,
  type OpenedFile,
  openRegularFile,
  readConfinedFile,
  readRegularFile,
  resolveConfined,
  statConfinedFile,
} from '../io/confined-path.js';
// Input checks of the metrics.
export { checkNonEmpty, checkSameLength, isTensor, toBinaryLabels, toFloat64 } from '../metrics/input.js';
// Argument checks with typed errors.
export {
  checkFinite,
  checkLabelShape,
  checkLabels,
  checkNonNegative,
  checkPositiveInt,
  indexOfNonFinite,
  type LabelOptions,
  type LabelShapeOptions,
  type NonNegativeOptions,
} from '../validate.js';
