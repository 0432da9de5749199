// Simulation & data I/O: the grant-free massive-access model, pilots, priors and NumPy .npz files.

// Classical baselines: one realisation at a time in Float64 on the host, and the problem/result types they share.
export { type AmpMmvOptions, type AmpMmvResult, ampMmv } from './amp-mmv.js';
export { type ChannelEstimationOptions, estimateChannels } from './channel-estimation.js';
// CLI commands: `ft jadce simulate | train | eval | bench`, mounted by @ft/cli.
export { commands } from './commands.js';
export { type CovarianceMlOptions, type CovarianceMlResult, covarianceMl } from './covariance-ml.js';
export { detectActivity } from './detect.js';
// Evaluation: run any method on a batch, score it, choose thresholds on validation data; the JADCE metrics.
export { type DetectionErrors, detectionErrors } from './detection-errors.js';
// Learned models: the feature-aided network (reconstruction), unrolled ISTA variants, training, model files.
export {
  type DimensionReductionOptions,
  type DimensionReductionResult,
  dimensionReduction,
} from './dimension-reduction.js';
export { type EmBgAmpOptions, type EmBgAmpResult, emBgAmp } from './em-bg-amp.js';
export {
  chooseThreshold,
  LEARNED_METHODS,
  type MethodName,
  type MethodScores,
  type RunMethodOptions,
  runMethod,
  runMethodAsync,
  SOLVER_METHODS,
  type SolverOverrides,
  scoreRun,
} from './evaluate.js';
export {
  FeatureAidedJadceNet,
  type FeatureAidedJadceNetOptions,
  type FeatureAidedOutput,
} from './feature-aided-net.js';
export { defaultGroupLassoMu, lambdaMax } from './group-lasso.js';
export { type GroupLassoAdmmOptions, groupLassoAdmm } from './group-lasso-admm.js';
export { type GroupLassoFistaOptions, groupLassoFista } from './group-lasso-fista.js';
export { batchItem, type CArray, type CMat } from './host-complex.js';
export type { MethodRun } from './learned-models.js';
export {
  type IstaModel,
  type JadcePredictOptions,
  type LearnedModel,
  loadLearnedModel,
  type ProposedModel,
  predictLearned,
  predictLearnedAsync,
  saveLearnedModel,
  saveLearnedModelAsync,
} from './learned-models.js';
export { type MSblOptions, type MSblResult, mSbl } from './m-sbl.js';
export { type ComplexInput, nmseDb } from './nmse.js';
export {
  jadceDataFromArrays,
  jadceDataToArrays,
  loadJadceNpz,
  type SaveJadceOptions,
  saveJadceNpz,
} from './npz-data.js';
export { type OracleLsOptions, oracleLs } from './oracle-ls.js';
export { type PriorSource, type ResolvedPriors, resolvePriors } from './priors.js';
export {
  type Fading,
  type JadceData,
  makePilots,
  noiseVariance,
  pathLossBeta,
  type SimulateOptions,
  simulateMassiveAccess,
} from './simulate.js';
export {
  type DampedOptions,
  DEFAULT_THRESHOLD,
  type IterOptions,
  type JadceProblem,
  type SolverResult,
} from './solver.js';
export { ampMmvStateEvolution, type StateEvolutionOptions } from './state-evolution.js';
export type { StageRecord } from './train-layerwise.js';
export {
  TRAINABLE_METHODS,
  type TrainableMethod,
  type TrainModelsOptions,
  type TrainModelsResult,
  trainJadceModels,
} from './train-models.js';
export {
  alista,
  alistaGs,
  lista,
  listaCp,
  listaCpSs,
  listaGs,
  UnrolledIsta,
  type UnrolledIstaFactoryOptions,
  type UnrolledIstaOptions,
} from './unrolled-ista.js';
