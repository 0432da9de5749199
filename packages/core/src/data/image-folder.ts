/**
 * Class-per-folder image trees (`root/<class>/<image>.{png,jpg,jpeg}`), as torchvision's `ImageFolder`.
 */
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { DatasetNotFoundError, EmptyDatasetError, InvalidArgumentError } from '../errors.js';
import { ArrayImageDataset, type ImageShape } from './dataset.js';
import {
  type DecodedImage,
  IMAGE_EXTENSIONS,
  listImageFiles,
  normaliseSize,
  readImageFile,
  resizeBilinear,
  rgbaToFloat,
} from './image-io.js';
import type { InputLimits } from './limits.js';

/** An image dataset read from files; `files[i]` is the path of sample i. */
export class FileImageDataset extends ArrayImageDataset {
  readonly files: readonly string[];
  constructor(opts: ConstructorParameters<typeof ArrayImageDataset>[0] & { files: readonly string[] }) {
    super(opts);
    this.files = opts.files;
  }
}

/** Options of {@link imageFolder}. */
export interface ImageFolderOptions {
  /** Output size (number = square, or [H, W]); images are resized bilinearly. Default: the first image's size. */
  size?: number | [number, number];
  /** Output channels: 1 (luminance), 3 (RGB) or 4 (RGBA). Default: 1 if the first image is greyscale, else 3. */
  channels?: 1 | 3 | 4;
  /**
   * Keep a class folder that holds no images as a label without samples (with a warning through `log`), e.g. to
   * keep labels aligned with another split. Default false: such a folder is an EmptyDatasetError naming it.
   */
  allowEmptyClasses?: boolean;
  /** Warning sink. Default `console.warn`. */
  log?: (msg: string) => void;
  /** Bounds on image dimensions and file sizes (default: `FT_MAX_IMAGE_PIXELS` / `FT_MAX_INPUT_BYTES`, see limits). */
  limits?: InputLimits;
}

/** Sorted entries of `dir` (byte order, so the result does not depend on the locale). */
export function sortedDir(dir: string): string[] {
  return readdirSync(dir).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

/** Throws DatasetNotFoundError unless `dir` is an existing directory. */
export function requireDir(dir: string, what: string): void {
  let ok = false;
  try {
    ok = statSync(dir).isDirectory();
  } catch {
    ok = false;
  }
  if (!ok) throw new DatasetNotFoundError(`${what}: directory ${dir} not found`, { file: dir });
}

/**
 * Decodes `img`, converts it to `channels` and resizes to `[h, w]`, writing rounded 8-bit values into `out` at
 * `offset` (storage is 8-bit; reading back divides by 255).
 */
export function writeImageU8(
  img: DecodedImage,
  channels: 1 | 3 | 4,
  h: number,
  w: number,
  out: Uint8Array,
  offset: number,
): void {
  const f = rgbaToFloat(img, channels);
  const r = img.height === h && img.width === w ? f : resizeBilinear(f, img.height, img.width, channels, h, w);
  for (let k = 0; k < r.length; k++) {
    const v = Math.round(r[k] * 255);
    out[offset + k] = Math.min(255, Math.max(0, v));
  }
}

/**
 * Loads `root/<class>/<image>` trees: classes are the sub-folders in sorted order (label = position), images are
 * sorted by name; files with other extensions are ignored. Pixels are stored as 8 bits and read as value/255.
 * @throws DatasetNotFoundError when `root` is missing, EmptyDatasetError when it holds no images or a class folder
 * holds none (unless `allowEmptyClasses`), DatasetFormatError for an undecodable image (naming the file),
 * InputTooLargeError for an image over the limits.
 */
export function imageFolder(root: string, opts: ImageFolderOptions = {}): FileImageDataset {
  requireDir(root, 'imageFolder');
  const classes = sortedDir(root).filter((d) => statSync(join(root, d)).isDirectory());
  const files: string[] = [];
  const labelList: number[] = [];
  const empty: string[] = [];
  classes.forEach((c, k) => {
    const found = listImageFiles(join(root, c), { confine: false }); // a user's folder may link images from elsewhere
    if (found.length === 0) empty.push(join(root, c));
    for (const f of found) {
      files.push(f);
      labelList.push(k);
    }
  });
  if (files.length === 0) {
    throw new EmptyDatasetError(`imageFolder: no ${IMAGE_EXTENSIONS.join('/')} images in class folders of ${root}`);
  }
  if (empty.length > 0) {
    const what = `class folder${empty.length > 1 ? 's' : ''} ${empty.join(', ')} ${empty.length > 1 ? 'hold' : 'holds'} no ${IMAGE_EXTENSIONS.join('/')} images`;
    if (!opts.allowEmptyClasses) {
      throw new EmptyDatasetError(
        `imageFolder: ${what}, which would leave ${empty.length > 1 ? 'those classes' : 'that class'} without samples; add images, remove the folder, or pass allowEmptyClasses: true`,
        { folders: empty },
      );
    }
    (opts.log ?? ((m: string) => console.warn(m)))(
      `imageFolder: ${what}; keeping ${empty.length > 1 ? 'them' : 'it'} as classes without samples`,
    );
  }
  if (opts.channels !== undefined && ![1, 3, 4].includes(opts.channels)) {
    throw new InvalidArgumentError(`imageFolder: channels must be 1, 3 or 4, got ${opts.channels}`);
  }
  const first = readImageFile(files[0], opts.limits);
  const [h, w] = opts.size !== undefined ? normaliseSize(opts.size, 'imageFolder') : [first.height, first.width];
  const channels = opts.channels ?? (first.gray ? 1 : 3);
  const shape: ImageShape = [h, w, channels];
  const per = h * w * channels;
  const images = new Uint8Array(files.length * per);
  for (let i = 0; i < files.length; i++) {
    const img = i === 0 ? first : readImageFile(files[i], opts.limits);
    writeImageU8(img, channels, h, w, images, i * per);
  }
  return new FileImageDataset({
    images,
    labels: Int32Array.from(labelList),
    shape,
    numClasses: classes.length,
    classNames: classes,
    files,
  });
}
