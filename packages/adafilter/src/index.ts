// Public API of @ft/adafilter: named exports only, grouped by concern.

// CLI commands (mounted by `ft` through the "ft" field of package.json).
export { commands } from './commands.js';
// The gate: straight-through Gumbel-Softmax and the recurrent gate shared over depth.
export { type GumbelSample, gumbelNoise, gumbelSoftmaxST } from './gate/gumbel.js';
export { type GateState, RecurrentGate, type RecurrentGateOptions } from './gate/recurrent-gate.js';
// The network: a core Module built from a pre-trained CNN.
export {
  type AdaFilterConfig,
  AdaFilterNet,
  type AdaFilterOptions,
  type AdaFilterOutput,
  type AdaFilterParamGroups,
  type GatePolicy,
} from './net/adafilter-net.js';
export { defaultGated, type GatedConv, type GatedSelection, resolveGated } from './net/gating.js';
export { type NetPlan, planFromModel, type UnitPlan, UnsupportedLayerError } from './net/plan.js';
export { adaFilter, loadAdaFilter, saveAdaFilter } from './net/save-load.js';
// Training: one protocol for AdaFilter and its baselines, gate statistics and their trace over training.
export { type GateStats, gateStats } from './train/gate-stats.js';
export { type GateTrace, type GateTracePoint, gateTrace } from './train/gate-trace.js';
export {
  ADAFILTER_METHODS,
  ADAFILTER_TRAIN_DEFAULTS,
  type AdaFilterMethod,
  GATED_METHODS,
  type GatedMethod,
  gatedNetwork,
  type TrainAdaFilterOptions,
  type TrainAdaFilterResult,
  trainAdaFilter,
} from './train/train.js';
