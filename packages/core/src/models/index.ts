export type {
  ActUnit,
  Backbone,
  BackboneOptions,
  BackboneSpec,
  BackboneUnit,
  BnUnit,
  ConvUnit,
  DenseUnit,
  FlattenUnit,
  PoolUnit,
  ResidualUnit,
  UnitBase,
} from './backbone-spec.js';
export { type CloneModelOptions, cloneModel } from './clone-model.js';
export {
  bnCnn3,
  cnn4,
  smallCnn,
  tinyCnn,
} from './cnns.js';
export {
  type FeatureExtractorOptions,
  featureExtractor,
  layerNames,
} from './feature-extractor.js';
export {
  MAX_MODEL_JSON_BYTES,
  MODEL_JSON_FILE,
  modelJsonPath,
  nodeFileHandler,
  readModelArtifacts,
  WEIGHTS_FILE,
  writeModelArtifacts,
} from './file-io-handler.js';
export {
  type FreezeOptions,
  freeze,
  getBnModes,
  type LayerSelector,
  selectLayers,
  setBnMode,
  unfreeze,
} from './freeze.js';
export {
  type BatchNormalization,
  type BatchNormalizationArgs,
  FtBatchNorm,
  type FtBatchNormArgs,
  ftBatchNorm,
} from './ft-batch-norm.js';
export {
  type HttpModelHandlerOptions,
  httpModelHandler,
} from './http-io-handler.js';
export { assertModelFitsData } from './input-shape.js';
export {
  GRAPH_MODEL_MESSAGE,
  MAX_TOPOLOGY_LAYERS,
  MAX_WEIGHT_BYTES,
  useFtBatchNormInTopology,
} from './model-artifacts.js';
export {
  loadModelRef,
  ZOO_REF_PREFIX,
} from './model-ref.js';
export {
  type ApplyOptions,
  allVariablesOf,
  isLayersModel,
  type Module,
  type Trainable,
  trainableVariablesOf,
} from './module.js';
export {
  countParams,
  isBnOrBias,
  noDecayGroups,
  type ParamGroupsOptions,
  paramGroups,
  type VariableGroup,
  type WeightInfo,
  type WeightMatcher,
  weightInfos,
} from './param-groups.js';
export {
  type BackboneFactory,
  buildBackbone,
  describeBackbone,
  listBackbones,
  type RegisterBackboneOptions,
  registerBackbone,
  unregisterBackbone,
} from './registry.js';
export {
  type ImprintedHead,
  type ImprintInit,
  imprintWeights,
  type ReplaceHeadOptions,
  replaceHead,
} from './replace-head.js';
export {
  type ResNetOptions,
  type ResNetSpec,
  resnet8,
  resnet20,
  resnetCifar,
} from './resnet.js';
export {
  type LoadModelOptions,
  loadModel,
  loadModelArtifacts,
  MAX_UNLISTED_WEIGHT_ELEMENTS,
  type SaveModelOptions,
  saveModel,
} from './save-load.js';
export {
  listZooModels,
  loadZooModel,
  readZooManifest,
  resolveZooDir,
  verifyZooEntry,
  type WriteZooEntryOptions,
  writeZooEntry,
  ZOO_MANIFEST_FILE,
  ZOO_NAME_PATTERN,
  type ZooEntry,
  type ZooManifest,
} from './zoo.js';
