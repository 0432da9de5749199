export { aupr } from './aupr.js';
export { type AuproOptions, aupro, type ProCurve, proCurve } from './aupro.js';
export { auroc, MASK_THRESHOLD, pixelAuroc } from './auroc.js';
export { type PrCurve, prCurve, type RocCurve, type RocCurveOptions, rocCurve } from './binary-curve.js';
export {
  accuracy,
  argmaxRows,
  averageClassError,
  confusionMatrix,
  type NumClassesOptions,
  perClassAccuracy,
  topKAccuracy,
  topKError,
} from './classification.js';
export {
  type ConnectedComponents,
  type ConnectedComponentsOptions,
  labelConnectedComponents,
} from './connected-components.js';
export {
  applyThreshold,
  type BinaryConfusion,
  binaryConfusion,
  type F1MaxResult,
  f1AdaptiveThreshold,
  f1Max,
  f1Score,
} from './f1.js';
export type { LabelInput, MapBatchInput, NumericInput, ScoreMatrixInput } from './input.js';
export { type MeanStd, meanStd, median, sem } from './summary-stats.js';
