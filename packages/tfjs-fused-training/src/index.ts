/**
 * @ft/tfjs-fused-training: fused training steps for tfjs backends. A backend registers kernels under the names
 * this package defines and calls its installer; on that backend, tfjs' own optimizers (and models that use them,
 * e.g. `model.fit`) then update each variable with one kernel call instead of a chain of small ones. Backends
 * without the kernels, and every other dtype, keep tfjs' own code paths.
 *
 * Used by `@ft/tfjs-backend-native` (`ft-native`) and `@ft/tfjs-backend-webgpu` (`ft-webgpu`).
 */
export {
  areFusedOptimizersInstalled,
  FUSED_OPTIMIZER_KERNELS,
  installFusedOptimizers,
  isOptimizerFusionEnabled,
  setOptimizerFusion,
} from './optimizers.js';
