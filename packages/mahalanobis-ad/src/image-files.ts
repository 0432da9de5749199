/**
 * Reads the images of one folder (no class sub-folders) for scoring with a saved detector: PNG/JPEG files directly
 * inside the folder (sorted by name), converted to the detector's channels and resized bilinearly to its input size
 * with core's decoders. A folder with class sub-folders is read with core `imageFolder` instead (all sub-folders).
 */
import { readdirSync, statSync } from 'node:fs';
import { extname, join } from 'node:path';
import {
  ArrayImageDataset,
  DatasetNotFoundError,
  EmptyDatasetError,
  IMAGE_EXTENSIONS,
  type ImageShape,
  imageFolder,
  readImageFile,
  resizeBilinear,
  rgbaToFloat,
} from '@ft/core';

/** Images of `dir` as a dataset of `shape`, with their file paths (labels 0). */
export function readImageDir(dir: string, shape: ImageShape): { images: ArrayImageDataset; files: string[] } {
  let entries: string[];
  try {
    if (!statSync(dir).isDirectory()) throw new Error('not a directory');
    entries = readdirSync(dir).sort();
  } catch (e) {
    throw new DatasetNotFoundError(`image folder ${dir} not found`, { file: dir }, { cause: e });
  }
  const [h, w, c] = shape;
  const files = entries
    .filter((f) => IMAGE_EXTENSIONS.includes(extname(f).toLowerCase()))
    .map((f) => join(dir, f))
    .filter((f) => statSync(f).isFile());
  if (files.length === 0) {
    const subdirs = entries.filter((f) => statSync(join(dir, f)).isDirectory());
    if (subdirs.length > 0) {
      const ds = imageFolder(dir, { size: [h, w], channels: c as 1 | 3 });
      const images = new Float32Array(ds.size * h * w * c);
      for (let i = 0; i < ds.size; i++) ds.copyInto(i, images, i * h * w * c);
      return {
        images: new ArrayImageDataset({ images, labels: new Int32Array(ds.size), shape }),
        files: [...ds.files],
      };
    }
    throw new EmptyDatasetError(`no ${IMAGE_EXTENSIONS.join('/')} images in ${dir}`);
  }
  const per = h * w * c;
  const images = new Float32Array(files.length * per);
  files.forEach((f, i) => {
    const img = readImageFile(f);
    const px = rgbaToFloat(img, c as 1 | 3 | 4);
    const r = img.height === h && img.width === w ? px : resizeBilinear(px, img.height, img.width, c, h, w);
    images.set(r, i * per);
  });
  return { images: new ArrayImageDataset({ images, labels: new Int32Array(files.length), shape }), files };
}
