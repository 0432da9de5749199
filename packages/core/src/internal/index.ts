/**
 * `@ft/core/internal`: building blocks the @ft packages share that are not a stable public API (their shapes may
 * change in any release). Application code should use the documented exports of `@ft/core` and its subpaths.
 */

export { checkNonEmpty, checkSameLength, isTensor, toBinaryLabels, toFloat64 } from '../metrics/input.js';
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
