// Public API of @ft/ssl-transfer: named exports only, grouped by concern.

// CLI commands (mounted by `ft` through the "ft" field of package.json).
export { commands } from './commands.js';
// Regularisers (AKC, ARC) of Abuduweili et al., CVPR 2021: usable with any model that has a feature tap.
export { type AkcInputs, type AkcOptions, type AkcResult, type AkcTerm, akcLoss, akcTerm } from './regularisers/akc.js';
export {
  type ArcInputs,
  type ArcOptions,
  type ArcResult,
  type ArcStats,
  type ArcTerm,
  arcLoss,
  arcTerm,
} from './regularisers/arc.js';
export { type EntropyGateOptions, entropyGate, entropyThreshold } from './regularisers/entropy-gate.js';
export { FeatureQueue } from './regularisers/feature-queue.js';
export { featureTap } from './regularisers/feature-tap.js';
export { type Mmd2Options, mmd2 } from './regularisers/mmd.js';
export { ARC_REG_WARMUP, type LambdaWarmupOptions, lambdaWarmup } from './regularisers/warmup.js';
// SSL losses (FixMatch, Pseudo-Label, Mean Teacher, ICT)
export { type SslCoefWarmupOptions, sslCoefWarmup } from './ssl/coef-warmup.js';
export {
  type FixMatchOptions,
  fixMatchLoss,
  fixMatchTerm,
  type MaskedLossResult,
  type MaskedLossTerm,
} from './ssl/fixmatch.js';
export { type IctMix, type IctMixOptions, ictLoss, ictMix } from './ssl/ict.js';
export { meanTeacherLoss } from './ssl/mean-teacher.js';
export { type PseudoLabelLossOptions, pseudoLabelLoss, pseudoLabelTerm } from './ssl/pseudo-label.js';
export {
  FIXMATCH_THRESHOLD,
  type PseudoLabelOptions,
  type PseudoLabels,
  pseudoLabels,
  pseudoLabelTargets,
} from './ssl/pseudo-labels.js';
// Training: the official code's loop (imprinting, SSL algorithm + AKC/ARC, SGD-Nesterov, 7/16 cosine, EMA teacher,
// selection on validation, checkpoint/resume), its data split and views.
export { keepingMovingStats } from './train/bn-stats.js';
export { type SslBatch, type SslDataOptions, sslDataFn } from './train/data.js';
export { EmaTeacher, type EmaTeacherOptions } from './train/ema-teacher.js';
export {
  type AkcSettings,
  type ArcSettings,
  SSL_ALGORITHMS,
  type SslAlgorithm,
  SslObjective,
  type StepStats,
} from './train/objective.js';
export type { SslSeries, SslValPoint } from './train/run-log.js';
export { type SslSplit, type SslSplitOptions, sslSplit } from './train/split.js';
export {
  SSL_COEF_DEFAULTS,
  SSL_TRANSFER_DEFAULTS,
  type SslTransferResult,
  type TrainSslTransferOptions,
  trainSslTransfer,
} from './train/train.js';
export { type DefaultViewsOptions, defaultViews, type SslViews } from './train/views.js';
