export {
  type ClassifierEvaluation,
  evaluateClassifier,
  type ImageDataFnOptions,
  imageDataFn,
  sparseAccuracy,
  sparseCrossEntropy,
  TRAIN_CLASSIFIER_DEFAULTS,
  type TrainClassifierOptions,
  trainClassifier,
} from './classification.js';
export {
  DEFAULT_TRANSFER_LR,
  type PrepareTransferOptions,
  prepareTransferModel,
  TRANSFER_DEFAULTS,
  TRANSFER_METHODS,
  type TransferMethod,
  type TransferRunOptions,
  type TransferRunResult,
  transferRun,
  transferSteps,
} from './transfer.js';
