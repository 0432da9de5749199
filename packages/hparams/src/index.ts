// Public API of @ft/hparams: named exports only, grouped by concern.

// CLI commands (mounted by `ft` through the "ft" field of package.json).
export { commands } from './commands.js';
// Method.
export { hparamsVersion } from './hparams.js';
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
export { type HeadMatcher, L2SP, type L2SPConfig, type L2SPOptions, l2sp, referenceWeights } from './tools/l2sp.js';
