/**
 * @ft/adv-finetune: adversarial robustness for TensorFlow.js — attacks, robustness evaluation, adversarial training
 * and adversarial fine-tuning with the "slow start, fast decay" schedule (Jeddi et al., arXiv 2012.13628).
 * The generic length-relative schedules (`piecewiseDecay`, `cyclicLr`, `oneCycleLr`, `constantLr`, `fixedSchedule`,
 * `scheduleCurve`, `ScheduleSpec`) come from `@ft/core`.
 */

// ---- adversarial training and fine-tuning ----
export {
  type AdversarialFinetuneOptions,
  type AdversarialTrainOptions,
  type AdversarialTrainResult,
  type AdversarialValidation,
  adversarialFinetune,
  adversarialTrain,
  type TrainingMethod,
  type ValPoint,
} from './adversarial-train.js';
// ---- attacks ----
export { APGD, type APGDOptions } from './apgd.js';
export {
  Attack,
  type AttackContext,
  type AttackLoss,
  type AttackRunOptions,
  type BaseAttackOptions,
  projectL2,
  projectLinf,
  type TargetSelector,
} from './attack.js';
// ---- robustness evaluation ----
export {
  type AttackAccuracyOptions,
  type AttackAccuracyResult,
  attackAccuracy,
  type RobustnessData,
} from './attack-accuracy.js';
// ---- CLI (`ft adv …`, discovered by @ft/cli) ----
export { commands } from './commands.js';
export { type EvaluateRobustnessOptions, evaluateRobustness, type RobustnessResult } from './evaluate-robustness.js';
export { FGSM, type FGSMOptions } from './fgsm.js';
export {
  type GradientMaskingOptions,
  type GradientMaskingReport,
  gradientMaskingChecks,
  type SanityCheck,
} from './gradient-masking.js';
// ---- losses and model outputs ----
export { correctMask, crossEntropyPerExample, dlrPerExample, klPerExample } from './losses.js';
export { logitsOf, type OutputKind, resolveOutputKind } from './model-output.js';
export { withNormalization } from './normalization.js';
// ---- cost accounting ----
export { PassCounter, type PassCounts, type PassKind } from './pass-counter.js';
export { PGD, PGDL2, type PGDOptions } from './pgd.js';
export { type SlowStartFastDecayOptions, slowStartFastDecay } from './schedules.js';
export { type TradesAttackOptions, tradesAttack, tradesLoss } from './trades.js';
