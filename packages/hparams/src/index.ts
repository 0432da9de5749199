// Public API of @ft/hparams: named exports only, grouped by concern.

// CLI commands (mounted by `ft` through the "ft" field of package.json).
export { commands } from './commands.js';
// Workers and failures: heartbeats, stale trials failed and retried (Optuna's failed_trial/retry_history), the
// per-trial tensor-leak check, and child-process objectives.
export {
  type ChildProcessObjectiveOptions,
  ChildTrialError,
  childProcessObjective,
} from './engine/child-process.js';
// The define-by-run search engine (Optuna's model): studies and trials, distributions, in-memory storage and the
// storage interface, Random/Grid/TPE samplers, Median/Percentile/SuccessiveHalving/Hyperband pruners.
export {
  type CategoricalChoice,
  CategoricalDistribution,
  checkDistributionCompatibility,
  type Distribution,
  DistributionConflictError,
  type DistributionJson,
  distributionFromJson,
  distributionsEqual,
  distributionToJson,
  FloatDistribution,
  IntDistribution,
  type ParamValue,
} from './engine/distributions.js';
export { MedianPruner, PercentilePruner, type PercentilePrunerOptions } from './engine/pruners/percentile.js';
export {
  type HyperbandOptions,
  HyperbandPruner,
  type SuccessiveHalvingOptions,
  SuccessiveHalvingPruner,
} from './engine/pruners/successive-halving.js';
export {
  type PrunableTrial,
  type PruningCallbackOptions,
  pruningCallback,
} from './engine/pruning-callback.js';
export { GridSampler } from './engine/samplers/grid.js';
export { defaultWeights, type ParzenOptions } from './engine/samplers/parzen.js';
export { RandomSampler } from './engine/samplers/random.js';
export { defaultGamma, TPESampler, type TPESamplerOptions } from './engine/samplers/tpe.js';
export {
  type FrozenTrial,
  InMemoryStorage,
  type StudyDirection,
  type StudyStorage,
  type TrialState,
  type TrialTemplate,
} from './engine/storage.js';
export {
  type CreateStudyOptions,
  createStudy,
  loadStudy,
  NopPruner,
  type Objective,
  type OptimizeOptions,
  Study,
  type TellResult,
  Trial,
  TrialPruned,
} from './engine/study.js';
export type { Pruner, StudyView, TrialSampler } from './engine/types.js';
export {
  FAILED_TRIAL_ATTR,
  HEARTBEAT_ATTR,
  type HeartbeatOptions,
  LEAKED_TENSORS_ATTR,
  lastHeartbeat,
  RETRY_HISTORY_ATTR,
  retriedTrialNumber,
  retryHistory,
  type TensorLeakCheck,
  TrialTensorLeakError,
  type WorkerOptions,
} from './engine/workers.js';
// Optuna journal storage: the operation log Optuna's JournalStorage writes (op codes 0–9, Python's JSON dialect),
// its replay into studies and trials, and its two backends, a file under Optuna's lock and Redis with Optuna's keys.
export {
  JournalFile,
  type JournalFileLockKind,
  type JournalFileOptions,
  replayJournalFile,
} from './storage/journal-file.js';
export {
  decodeJournalOp,
  encodeJournalOp,
  formatJournalDatetime,
  JOURNAL_OP_CODES,
  JOURNAL_STUDY_DIRECTIONS,
  JOURNAL_TRIAL_STATES,
  type JournalAttrValue,
  type JournalCategoricalDistribution,
  type JournalDistribution,
  type JournalFloatDistribution,
  JournalFormatError,
  type JournalIntDistribution,
  type JournalOp,
  type JournalParam,
  type JournalStudyDirection,
  type JournalTrialState,
  type JournalTrialTemplate,
  journalDistributionFromJson,
  journalDistributionToJson,
  journalOpFromRecord,
  paramExternalValue,
} from './storage/journal-ops.js';
export { JournalRedis, type JournalRedisOptions, StorageUnreachableError } from './storage/journal-redis.js';
export { JournalReplay, type JournalStudy, type JournalTrial } from './storage/journal-replay.js';
// Journal-backed study storage: a StudyStorage whose view is the replay of an Optuna journal (file or Redis), shared
// by several processes.
export {
  type JournalBackend,
  JournalStorage,
  type JournalStorageOptions,
  journalFileStorage,
  journalRedisStorage,
} from './storage/journal-storage.js';
// CLI storage specifiers (`--storage memory | redis://host:port[/db] | <journal file>`), opened as a closable storage.
export { type OpenedStorage, type OpenStorageOptions, openStorage, STORAGE_SPECS } from './storage/open-storage.js';
export type { PythonJsonValue } from './storage/python-json.js';
// The paper's tools (Li et al., ICLR 2020): effective LR and weight decay, BN momentum, EMD and domain similarity,
// L2-SP, and the paper's grids.
export {
  type DomainClassSummary,
  type DomainSimilarityOptions,
  type DomainSimilarityResult,
  domainSimilarity,
} from './tools/domain-similarity.js';
export { bnMomentum, effectiveLr, effectiveWeightDecay, lrForEffectiveLr } from './tools/effective-lr.js';
export { type EmdResult, emd } from './tools/emd.js';
export { grids, type L2spAppDGrid, type LiEtAl2020Grid } from './tools/grids.js';
