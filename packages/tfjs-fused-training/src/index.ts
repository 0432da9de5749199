/**
 * @ft/tfjs-fused-training: fused training steps for tfjs backends. A backend registers kernels under the names
 * this package defines and calls its installers; on that backend, tfjs' own optimizers and tfjs-layers' standard
 * `BatchNormalization` (and models that use them, e.g. `model.fit`) then run one kernel where tfjs runs a chain of
 * small ones. Backends without the kernels, and every other dtype or layout, keep tfjs' own code paths.
 *
 * Used by `@ft/tfjs-backend-native` (`ft-native`) and `@ft/tfjs-backend-webgpu` (`ft-webgpu`).
 */
export {
  type BatchNormTrainResult,
  batchNormTrain,
  FUSED_BATCH_NORM_KERNELS,
  fusedBatchNormActive,
  registerBatchNormGradients,
} from './batch-norm.js';
export { type AnyFn, isPlainRelu, type LayerLike, soleConsumer, wrapLayersMethod } from './layer-graph.js';
export {
  installFusedBatchNorm,
  isLayersBatchNormPatched,
  patchLayersBatchNorm,
  setBatchNormReluFusion,
  setLayersBatchNormFusion,
} from './layers-batch-norm.js';
export {
  areFusedOptimizersInstalled,
  FUSED_OPTIMIZER_KERNELS,
  installFusedOptimizers,
  isOptimizerFusionEnabled,
  setOptimizerFusion,
} from './optimizers.js';
