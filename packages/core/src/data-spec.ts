/**
 * Dataset specifiers shared by every command line: `fashion-mnist`, `mnist`, `folder:<dir>` (one sub-folder
 * per class) and `mvtec:<root>/<category>`. Method packages reuse this so `--dataset` means the same everywhere.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { ImageDataset } from './data/dataset.js';
import { loadFashionMnist } from './data/fashion-mnist.js';
import { imageFolder } from './data/image-folder.js';
import { loadMnist } from './data/mnist.js';
import { loadMvtec } from './data/mvtec.js';
import { subset } from './data/subset.js';
import { InvalidArgumentError } from './errors.js';

/** The dataset names and prefixes `loadDatasetSpec` understands. */
export const DATASET_SPECS = ['fashion-mnist', 'mnist', 'folder:<dir>', 'mvtec:<root>/<category>'] as const;

/** Options of {@link loadDatasetSpec}. */
export interface LoadDatasetSpecOptions {
  split: 'train' | 'test';
  /** Image size for folder/MVTec datasets (default: native size for folders, 256 for MVTec). */
  size?: number;
  /** Channels for folder/MVTec datasets. */
  channels?: 1 | 3;
}

/**
 * Loads a dataset from a specifier. For `folder:<dir>` the split is the sub-folder `<dir>/<split>` when it exists,
 * otherwise `<dir>` itself.
 * @throws InvalidArgumentError naming the accepted forms for an unknown specifier.
 */
export async function loadDatasetSpec(spec: string, opts: LoadDatasetSpecOptions): Promise<ImageDataset> {
  if (spec === 'fashion-mnist') return loadFashionMnist({ split: opts.split });
  if (spec === 'mnist') return loadMnist({ split: opts.split });
  if (spec.startsWith('folder:')) {
    const dir = spec.slice('folder:'.length);
    const splitDir = path.join(dir, opts.split);
    return imageFolder(fs.existsSync(splitDir) ? splitDir : dir, {
      ...(opts.size ? { size: opts.size } : {}),
      ...(opts.channels ? { channels: opts.channels } : {}),
    });
  }
  if (spec.startsWith('mvtec:')) {
    const full = spec.slice('mvtec:'.length).replace(/\/+$/, '');
    return loadMvtec(path.dirname(full), path.basename(full), {
      split: opts.split,
      ...(opts.size ? { size: opts.size } : {}),
      ...(opts.channels ? { channels: opts.channels } : {}),
    });
  }
  throw new InvalidArgumentError(`unknown dataset "${spec}"; expected one of ${DATASET_SPECS.join(', ')}`);
}

/**
 * A `--dataset` argument as {@link loadDatasetSpec} names it: a bare path to an existing directory becomes
 * `folder:<dir>`; names and prefixed specs are returned unchanged.
 */
export function datasetSpec(arg: string): string {
  if (arg.includes(':') || arg === 'fashion-mnist' || arg === 'mnist') return arg;
  if (fs.existsSync(arg) && fs.statSync(arg).isDirectory()) return `folder:${arg}`;
  return arg;
}

/** Whether a dataset spec has a test split of its own (a folder needs a `test/` sub-folder). */
export function datasetHasTestSplit(spec: string): boolean {
  if (!spec.startsWith('folder:')) return true;
  return fs.existsSync(path.join(spec.slice('folder:'.length), 'test'));
}

/** The first `limit` images of `ds` (all of them for 0 or a limit ≥ its size), e.g. a `--test-limit`. */
export function firstImages(ds: ImageDataset, limit: number): ImageDataset {
  return limit > 0 && limit < ds.size
    ? subset(
        ds,
        Int32Array.from({ length: limit }, (_, i) => i),
      )
    : ds;
}
