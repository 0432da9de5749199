export {
  type Batch,
  type BatchOptions,
  batches,
  batchesSync,
  numBatches,
} from './batches.js';
export {
  type BudgetSplit,
  type BudgetSplitOptions,
  budgetSplit,
  defaultValPerClass,
} from './budget-split.js';
export {
  ArrayImageDataset,
  type ArrayImageDatasetOptions,
  type Dataset,
  type ImageDataset,
  type ImageShape,
  isImageDataset,
  type LabelledImage,
} from './dataset.js';
export {
  type DownloadOptions,
  defaultCacheDir,
  download,
  sha256File,
} from './download.js';
export {
  FASHION_MNIST_CLASSES,
  FASHION_MNIST_DEFAULT_DIR,
  FASHION_MNIST_SHA256,
  FASHION_MNIST_URL,
  type LoadFashionMnistOptions,
  loadFashionMnist,
} from './fashion-mnist.js';
export {
  type IdxDType,
  type IdxTensor,
  type ReadIdxOptions,
  readIdx,
  readIdxFile,
  writeIdx,
} from './idx.js';
export { idxFileNames, idxPairToDataset, type Split } from './idx-dataset.js';
export { FileImageDataset, type ImageFolderOptions, imageFolder } from './image-folder.js';
export {
  type DecodedImage,
  decodeImage,
  encodePng,
  IMAGE_EXTENSIONS,
  type ImageHeader,
  type ListImageFilesOptions,
  listImageFiles,
  readImageFile,
  readImageHeader,
  resizeBilinear,
  rgbaToFloat,
} from './image-io.js';
export {
  type DatasetSummary,
  formatDatasetSummary,
  inspectDataset,
} from './inspect.js';
export {
  DEFAULT_MAX_IMAGE_PIXELS,
  DEFAULT_MAX_INPUT_BYTES,
  type InputLimits,
  MAX_IMAGE_PIXELS_ENV,
  MAX_INPUT_BYTES_ENV,
  parseByteSize,
  resolveInputLimits,
} from './limits.js';
export {
  type LoadMnistOptions,
  loadMnist,
  MNIST_CLASSES,
  MNIST_SHA256,
  MNIST_URL,
} from './mnist.js';
export {
  type LoadMvtecOptions,
  loadMvtec,
  MvtecDataset,
} from './mvtec.js';
export {
  type EncodeNpyOptions,
  type EncodeNpzOptions,
  encodeNpy,
  encodeNpz,
  NPY_MAX_DIMS,
  NPY_MAX_HEADER_BYTES,
  type NpyArray,
  type NpyData,
  type NpyDType,
  npyArray,
  npyComplex,
  npyComplexParts,
  npyToFloat64,
  type ParseNpyOptions,
  parseNpy,
  parseNpz,
  readNpy,
  readNpz,
  writeNpy,
  writeNpz,
} from './npy.js';
export {
  classBalanced,
  type Sampler,
  type SamplerSource,
  sequential,
  shuffled,
  withReplacement,
} from './samplers.js';
export {
  classCounts,
  indicesByClass,
  kFold,
  type LabelBudgetOptions,
  labelBudgetSplit,
  type OneClassSplitOptions,
  oneClassSplit,
  type Seed,
  type StratifiedSplitOptions,
  stratifiedSplit,
} from './splits.js';
export {
  classSubset,
  SubsetImageDataset,
  subset,
} from './subset.js';
