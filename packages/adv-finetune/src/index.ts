export { APGD, type APGDOptions } from './apgd.js';
export {
  Attack,
  type AttackContext,
  type AttackLoss,
  type AttackRunOptions,
  type BaseAttackOptions,
  keepBetter,
  l2Norms,
  projectL2,
  projectLinf,
  type TargetSelector,
} from './attack.js';
export { FGSM, type FGSMOptions } from './fgsm.js';
export { correctMask, crossEntropyPerExample, dlrPerExample, inputGradWithAux, klPerExample } from './losses.js';
export {
  checkProbabilities,
  forwardRaw,
  lastActivation,
  logitsOf,
  type OutputKind,
  PROB_FLOOR,
  resolveOutputKind,
} from './model-output.js';
export { withNormalization } from './normalization.js';
export { PassCounter, type PassCounts, type PassKind } from './pass-counter.js';
export { PGD, PGDL2, type PGDOptions } from './pgd.js';
