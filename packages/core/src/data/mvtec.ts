/**
 * MVTec AD layout loader (Bergmann et al., CVPR 2019): `<root>/<category>/train/good/*`,
 * `<root>/<category>/test/<defect|good>/*`, `<root>/<category>/ground_truth/<defect>/<name>_mask.png`.
 */
import { existsSync, statSync } from 'node:fs';
import { basename, extname, join } from 'node:path';
import { DatasetNotFoundError, EmptyDatasetError, InvalidArgumentError, ShapeError } from '../errors.js';
import type { ImageShape } from './dataset.js';
import type { Split } from './idx-dataset.js';
import { FileImageDataset, requireDir, sortedDir, writeImageU8 } from './image-folder.js';
import { listImageFiles, normaliseSize, readImageFile, resizeBilinear, rgbaToFloat } from './image-io.js';
import type { InputLimits } from './limits.js';

/** Options of {@link loadMvtec}. */
export interface LoadMvtecOptions {
  /** Output size (number = square, or [H, W]); images and masks are resized bilinearly. Default 256. */
  size?: number | [number, number];
  /** `'train'` (normal images only) or `'test'` (normal + defects, with masks). Default `'train'`. */
  split?: Split;
  /** Output channels (greyscale categories are replicated to RGB when 3). Default 3. */
  channels?: 1 | 3 | 4;
  /** Bounds on image dimensions and file sizes (default: `FT_MAX_IMAGE_PIXELS` / `FT_MAX_INPUT_BYTES`, see limits). */
  limits?: InputLimits;
}

/** An MVTec-style split: labels 0 = normal (`good`), 1 = anomalous, plus per-pixel masks and defect types. */
export class MvtecDataset extends FileImageDataset {
  /** Binary masks, N·H·W bytes (0/1), all zero for normal images. */
  readonly masks: Uint8Array;
  /** Defect type of every sample (`'good'` for normal ones). */
  readonly defectTypes: readonly string[];
  /** Sorted distinct defect types present in this split (including `'good'` if present). */
  readonly defectNames: readonly string[];
  /** The category folder name. */
  readonly category: string;

  constructor(
    opts: ConstructorParameters<typeof FileImageDataset>[0] & {
      masks: Uint8Array;
      defectTypes: readonly string[];
      category: string;
    },
  ) {
    super(opts);
    this.masks = opts.masks;
    this.defectTypes = opts.defectTypes;
    this.defectNames = [...new Set(opts.defectTypes)].sort();
    this.category = opts.category;
  }

  /** The H·W mask of sample `i` (a view into `masks`). */
  mask(i: number): Uint8Array {
    const n = this.shape[0] * this.shape[1];
    return this.masks.subarray(i * n, (i + 1) * n);
  }
}

/**
 * Loads one MVTec AD category. Test defect images take their mask from `ground_truth/<defect>/<stem>_mask.png`,
 * converted to luminance, resized bilinearly and binarised (> 0.5); `good` images get an all-zero mask.
 * Images are sorted by folder then file name.
 * @throws DatasetNotFoundError (missing category/split folder or mask), EmptyDatasetError (no images),
 * DatasetFormatError (undecodable image, naming the file), ShapeError (a mask whose size differs from its image's,
 * naming both), InputTooLargeError (an image over the limits).
 */
export function loadMvtec(root: string, category: string, opts: LoadMvtecOptions = {}): MvtecDataset {
  const split = opts.split ?? 'train';
  if (split !== 'train' && split !== 'test') {
    throw new InvalidArgumentError(`loadMvtec: split must be 'train' or 'test', got ${JSON.stringify(split)}`);
  }
  const channels = opts.channels ?? 3;
  if (![1, 3, 4].includes(channels)) {
    throw new InvalidArgumentError(`loadMvtec: channels must be 1, 3 or 4, got ${channels}`);
  }
  const [h, w] = normaliseSize(opts.size ?? 256, 'loadMvtec');
  const catDir = join(root, category);
  requireDir(catDir, `loadMvtec(${category})`);
  const splitDir = join(catDir, split);
  requireDir(splitDir, `loadMvtec(${category}, ${split})`);

  const files: string[] = [];
  const defectTypes: string[] = [];
  const defects =
    split === 'train' ? ['good'] : sortedDir(splitDir).filter((d) => statSync(join(splitDir, d)).isDirectory());
  if (split === 'train') requireDir(join(splitDir, 'good'), `loadMvtec(${category}, train)`);
  for (const d of defects) {
    for (const f of listImageFiles(join(splitDir, d), { confine: false })) {
      files.push(f);
      defectTypes.push(d);
    }
  }
  if (files.length === 0) throw new EmptyDatasetError(`loadMvtec: no images under ${splitDir}`);

  const shape: ImageShape = [h, w, channels];
  const per = h * w * channels;
  const images = new Uint8Array(files.length * per);
  const masks = new Uint8Array(files.length * h * w);
  const labels = new Int32Array(files.length);
  for (let i = 0; i < files.length; i++) {
    const img = readImageFile(files[i], opts.limits);
    writeImageU8(img, channels, h, w, images, i * per);
    if (defectTypes[i] === 'good') continue;
    labels[i] = 1;
    const stem = basename(files[i], extname(files[i]));
    const maskPath = join(catDir, 'ground_truth', defectTypes[i], `${stem}_mask.png`);
    if (!existsSync(maskPath)) {
      throw new DatasetNotFoundError(`loadMvtec: mask ${maskPath} for ${files[i]} not found`, { file: maskPath });
    }
    const m = readImageFile(maskPath, opts.limits);
    if (m.width !== img.width || m.height !== img.height) {
      throw new ShapeError(
        `loadMvtec: mask ${maskPath} is ${m.width}×${m.height} but its image ${files[i]} is ${img.width}×${img.height}; a mask must match its image pixel for pixel`,
        { file: maskPath, image: files[i], maskSize: [m.width, m.height], imageSize: [img.width, img.height] },
      );
    }
    const mf = rgbaToFloat(m, 1);
    const r = m.height === h && m.width === w ? mf : resizeBilinear(mf, m.height, m.width, 1, h, w);
    const off = i * h * w;
    for (let k = 0; k < r.length; k++) masks[off + k] = r[k] > 0.5 ? 1 : 0;
  }
  return new MvtecDataset({
    images,
    labels,
    shape,
    numClasses: 2,
    classNames: ['good', 'anomalous'],
    files,
    masks,
    defectTypes,
    category,
  });
}
