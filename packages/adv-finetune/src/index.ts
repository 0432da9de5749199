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
export {
  type AttackAccuracyOptions,
  type AttackAccuracyResult,
  attackAccuracy,
  dataSize,
  type RobustnessData,
} from './attack-accuracy.js';
export {
  attackCommand,
  attackFromArgs,
  CLI_ATTACKS,
  CLI_SCHEDULES,
  commands,
  evalCommand,
  finetuneCommand,
  loadModelRef,
  scheduleFromArgs,
  trainCommand,
} from './commands.js';
export { type EvaluateRobustnessOptions, evaluateRobustness, type RobustnessResult } from './evaluate-robustness.js';
export { FGSM, type FGSMOptions } from './fgsm.js';
export {
  type GradientMaskingOptions,
  type GradientMaskingReport,
  gradientMaskingChecks,
  type SanityCheck,
} from './gradient-masking.js';
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
export {
  constantLr,
  cyclicLr,
  fixedSchedule,
  oneCycleLr,
  piecewiseDecay,
  type ScheduleSpec,
  type SlowStartFastDecayOptions,
  scheduleCurve,
  slowStartFastDecay,
} from './schedules.js';
export { type TradesAttackOptions, tradesAttack, tradesLoss } from './trades.js';
