/**
 * `@ft/mahalanobis-ad`: Gaussian anomaly detection on pre-trained features (Rippel et al., ICPR 2020) with
 * Mahalanobis fine-tuning and an augmentation-validated early stop (Rippel et al., IMPROVE 2022), PaDiM-style
 * segmentation and a synthetic MVTec-format generator. Load a backbone with core `loadModelRef`.
 */

// Gaussians on feature vectors: per-level fits, distances, scores and thresholds

export { distances, l2ToMean, mahalanobis, standardizedEuclidean } from './distances.js';
export {
  COVARIANCE_ESTIMATORS,
  type CovarianceEstimator,
  type DistanceKind,
  type FeatureBatch,
  type FeatureInput,
  GaussianAD,
  type GaussianADJSON,
  type GaussianADOptions,
  type GaussianScores,
  hostFeatures,
  type LevelGaussian,
} from './gaussian-ad.js';

// Features from a backbone

export { withInputShape } from './backbone.js';
export {
  defaultLevels,
  type FeatureBatchOptions,
  featureBatches,
  gap,
  type InputNorm,
  identityNorm,
  modelInputShape,
  type TapBatch,
  tapModel,
} from './features.js';

// The detector: backbone → levels → Gaussians (+ PaDiM maps), thresholds, evaluation, save/load

export {
  type DetectorEvaluation,
  type DetectorScores,
  MahalanobisDetector,
  type MahalanobisDetectorOptions,
  MissingThresholdError,
  type ScoreStats,
  type Threshold,
} from './detector.js';
export { type PadimJSON, type PadimOptions, PadimSegmenter } from './padim.js';

// Mahalanobis fine-tuning and its pseudo-anomaly validation

export {
  earlyStopEpoch,
  type FinetuneEpoch,
  type FinetuneLoss,
  type FinetuneResult,
  type MahalanobisFinetuneOptions,
  mahalanobisFinetune,
} from './mahalanobis-finetune.js';
export { pseudoAnomalySet, pseudoAnomalySetAsync, VAL_AUGMENTS, type ValAugmentName } from './val-augment.js';

// Tasks and data

export {
  type MvtecTaskOptions,
  mvtecTask,
  type OneClassTask,
  type OneClassTaskOptions,
  oneClassTask,
} from './one-class.js';
export {
  SYNTHETIC_DEFECTS,
  SYNTHETIC_TEXTURES,
  type SyntheticMvtecOptions,
  type SyntheticMvtecResult,
  writeSyntheticMvtec,
} from './synthetic-mvtec.js';

// Command line: `ft ad fit | score | eval | finetune`, mounted by @ft/cli

export { commands } from './commands.js';
