export * from './batches.js';
export {
  ArrayImageDataset,
  type ArrayImageDatasetOptions,
  type Dataset,
  type ImageDataset,
  type ImageShape,
  isImageDataset,
  type LabelledImage,
} from './dataset.js';
export * from './download.js';
export * from './fashion-mnist.js';
export * from './idx.js';
export { idxFileNames, idxPairToDataset, type Split } from './idx-dataset.js';
export { FileImageDataset, type ImageFolderOptions, imageFolder } from './image-folder.js';
export * from './image-io.js';
export * from './inspect.js';
export * from './limits.js';
export * from './mnist.js';
export * from './mvtec.js';
export * from './npy.js';
export * from './samplers.js';
export * from './splits.js';
export * from './subset.js';
