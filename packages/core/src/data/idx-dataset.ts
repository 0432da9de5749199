/**
 * Shared plumbing of the MNIST-style loaders: locating the four standard IDX files in a directory or fetching them
 * from a base URL, and turning an (images, labels) pair into an {@link ArrayImageDataset}.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { DatasetFormatError, InvalidArgumentError } from '../errors.js';
import { ArrayImageDataset } from './dataset.js';
import { download } from './download.js';
import { type IdxTensor, readIdxFile } from './idx.js';
import type { InputLimits } from './limits.js';

/** Which half of a dataset to load. */
export type Split = 'train' | 'test';

/** Base names (without `.gz`) of the standard MNIST-layout files. */
export function idxFileNames(split: Split): { images: string; labels: string } {
  const prefix = split === 'train' ? 'train' : 't10k';
  return { images: `${prefix}-images-idx3-ubyte`, labels: `${prefix}-labels-idx1-ubyte` };
}

/** Throws unless split is 'train' or 'test'. */
export function checkSplit(split: unknown, where: string): asserts split is Split {
  if (split !== 'train' && split !== 'test') {
    throw new InvalidArgumentError(`${where}: split must be 'train' or 'test', got ${JSON.stringify(split)}`);
  }
}

/** Path of `base` in `dir`, preferring `base.gz`; the `.gz` path when neither exists (for the error message). */
export function findIdx(dir: string, base: string): string {
  const gz = join(dir, `${base}.gz`);
  if (existsSync(gz)) return gz;
  const raw = join(dir, base);
  return existsSync(raw) ? raw : gz;
}

/**
 * Downloads the two files of `split` from `baseUrl` (`<baseUrl>/<name>.gz`) into `<cacheDir>/<subdir>/` and returns
 * their local paths.
 */
export async function fetchIdxPair(
  baseUrl: string,
  split: Split,
  opts: { subdir: string; sha256: Record<string, string | null>; cacheDir?: string; timeoutMs?: number },
): Promise<{ images: string; labels: string }> {
  const names = idxFileNames(split);
  const base = baseUrl.endsWith('/') ? baseUrl : `${baseUrl}/`;
  const get = (name: string) => {
    const file = `${name}.gz`;
    const sha = opts.sha256[file];
    if (sha === undefined) {
      throw new InvalidArgumentError(`no sha256 given for ${file}; pass sha256: {'${file}': '<hex>' | null}`);
    }
    return download(new URL(file, base).toString(), {
      sha256: sha,
      cacheDir: opts.cacheDir,
      fileName: `${opts.subdir}/${file}`,
      timeoutMs: opts.timeoutMs,
    });
  };
  const images = await get(names.images);
  const labels = await get(names.labels);
  return { images, labels };
}

/**
 * Reads an IDX image file (u8, [N, H, W] or [N, H, W, C]) and label file (u8, [N]) into a dataset with values /255.
 * @param limit keep only the first `limit` samples (the kept pixels are copied so the rest can be freed)
 * @param limits bounds on what the files may declare or inflate to (see {@link InputLimits})
 */
export function idxPairToDataset(
  imagesPath: string,
  labelsPath: string,
  opts: { hint?: string; limit?: number; classNames?: readonly string[]; numClasses?: number; limits?: InputLimits },
): ArrayImageDataset {
  const img = readIdxFile(imagesPath, { ...opts.limits, hint: opts.hint });
  const lab = readIdxFile(labelsPath, { ...opts.limits, hint: opts.hint });
  const shape = imageShape(img, imagesPath);
  if (lab.dtype !== 'uint8' || lab.shape.length !== 1) {
    throw new DatasetFormatError(`${labelsPath}: expected uint8 labels of shape [N], got ${lab.dtype} [${lab.shape}]`, {
      file: labelsPath,
    });
  }
  const n = img.shape[0];
  if (lab.shape[0] !== n) {
    throw new DatasetFormatError(`${labelsPath}: ${lab.shape[0]} labels but ${imagesPath} has ${n} images`, {
      file: labelsPath,
    });
  }
  let keep = n;
  if (opts.limit !== undefined) {
    if (!Number.isInteger(opts.limit) || opts.limit < 0) {
      throw new InvalidArgumentError(`limit must be a non-negative integer, got ${opts.limit}`);
    }
    keep = Math.min(n, opts.limit);
  }
  const per = shape[0] * shape[1] * shape[2];
  const images = keep === n ? (img.data as Uint8Array) : (img.data as Uint8Array).slice(0, keep * per);
  const labels = Int32Array.from((lab.data as Uint8Array).subarray(0, keep));
  const numClasses = opts.numClasses ?? opts.classNames?.length;
  for (let i = 0; i < keep; i++) {
    if (numClasses !== undefined && labels[i] >= numClasses) {
      throw new DatasetFormatError(`${labelsPath}: label ${labels[i]} at index ${i} ≥ ${numClasses} classes`, {
        file: labelsPath,
      });
    }
  }
  return new ArrayImageDataset({ images, labels, shape, numClasses, classNames: opts.classNames });
}

function imageShape(t: IdxTensor, file: string): [number, number, number] {
  if (t.dtype !== 'uint8' || (t.shape.length !== 3 && t.shape.length !== 4)) {
    throw new DatasetFormatError(
      `${file}: expected uint8 images of shape [N, H, W(, C)], got ${t.dtype} [${t.shape}]`,
      {
        file,
      },
    );
  }
  return [t.shape[1], t.shape[2], t.shape.length === 4 ? t.shape[3] : 1];
}
