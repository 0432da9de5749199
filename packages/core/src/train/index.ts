/**
 * Training: optimizers with PyTorch semantics, schedules, the `fit` loop with checkpoint/resume, callbacks,
 * `evaluate` / `predict`.
 */
export { Adam, type AdamOptions, adam, adamw } from './adam.js';
export {
  type BatchIterable,
  type BatchSource,
  type DataFn,
  defaultForward,
  type ForwardContext,
  type ForwardFn,
  type LossFn,
  type MetricFn,
  type TrainBatch,
} from './batch.js';
export { BestCheckpoint, type BestCheckpointOptions, bestCheckpoint, loadWeightsInto } from './best-checkpoint.js';
export type { Callback, EpochLogs, EpochRecord, History, StepLogs, TrainContext } from './callback.js';
export {
  type CheckpointManifest,
  cleanStaleCheckpointTemps,
  disposeCheckpoint,
  type LoadedCheckpoint,
  listCheckpoints,
  loadCheckpoint,
  loadLatestCheckpoint,
  loadWeights,
  pruneCheckpoints,
  saveCheckpoint,
  saveWeights,
  type TensorSpec,
} from './checkpoint.js';
export { clipByGlobalNorm, clipByValue } from './clip.js';
export { EarlyStopping, type EarlyStoppingOptions, earlyStopping } from './early-stopping.js';
export { Ema, type EmaOptions, ema } from './ema.js';
export { type EvaluateOptions, evaluate, type PredictOptions, predict } from './evaluate.js';
export {
  assertFiniteVariables,
  type FiniteCheckContext,
  WEIGHT_MAGNITUDE_LIMIT,
} from './finite.js';
export { type CheckpointOptions, type FitOptions, fit, type RunConfigValue, type ValidationOptions } from './fit.js';
export { detach, offTape, withoutGradient } from './gradient-stop.js';
export { type HeadMatcher, L2SP, type L2SPConfig, type L2SPOptions, l2sp, referenceWeights } from './l2sp.js';
export { type MemoryGuardOptions, memoryGuard } from './memory-guard.js';
export {
  type GradientPair,
  Optimizer,
  type OptimizerOptionsBase,
  type OptimizerState,
  type ParamGroup,
} from './optimizer.js';
export { formatDuration, type ProgressBarOptions, type ProgressStream, progressBar } from './progress-bar.js';
export {
  constant,
  constantLr,
  cosine,
  cosineAnnealing,
  cyclicLr,
  cyclicTriangular,
  exponential,
  fixedSchedule,
  linearRamp,
  linearWarmup,
  multiStep,
  oneCycle,
  oneCycleLr,
  type PiecewiseDecayOptions,
  piecewiseDecay,
  piecewiseLinear,
  type Schedule,
  type ScheduleSpec,
  scheduleCurve,
  stepDecay,
} from './schedules.js';
export { Sgd, type SgdOptions, sgd } from './sgd.js';
export { yieldAndCheck, yieldToEventLoop } from './yield.js';
