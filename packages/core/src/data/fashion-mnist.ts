/**
 * Fashion-MNIST loader (Xiao, Rasul & Vollgraf 2017, arXiv:1708.07747): 60,000 train / 10,000 test greyscale
 * 28×28 images of 10 clothing classes. Default source: the Debian package `dataset-fashion-mnist`.
 */
import type { ArrayImageDataset } from './dataset.js';
import { checkSplit, fetchIdxPair, findIdx, idxFileNames, idxPairToDataset, type Split } from './idx-dataset.js';
import type { InputLimits } from './limits.js';

/** Class names of Fashion-MNIST, index = label. */
export const FASHION_MNIST_CLASSES: readonly string[] = Object.freeze([
  'T-shirt/top',
  'Trouser',
  'Pullover',
  'Dress',
  'Coat',
  'Sandal',
  'Shirt',
  'Sneaker',
  'Bag',
  'Ankle boot',
]);

/** Directory of the Debian package `dataset-fashion-mnist`. */
export const FASHION_MNIST_DEFAULT_DIR = '/usr/share/datasets/fashion-mnist';

/** The upstream download location (Zalando Research). Pass it as `url` to download instead of using Debian's copy. */
export const FASHION_MNIST_URL = 'http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/';

/**
 * SHA-256 of the upstream gzip files (Debian's package recompresses them, so its files hash differently; the decoded
 * contents are the same).
 */
export const FASHION_MNIST_SHA256: Readonly<Record<string, string>> = Object.freeze({
  'train-images-idx3-ubyte.gz': '3aede38d61863908ad78613f6a32ed271626dd12800ba2636569512369268a84',
  'train-labels-idx1-ubyte.gz': 'a04f17134ac03560a47e3764e11b92fc97de4d1bfaf8ba1a3aa29af54cc90845',
  't10k-images-idx3-ubyte.gz': '346e55b948d973a97e58d2351dde16a484bd415d4595297633bb08f03db6a073',
  't10k-labels-idx1-ubyte.gz': '67da17c76eaffca5446c3361aaab5c3cd6d1c2608764d35dfb1850b086bf8dd5',
});

/** Options of {@link loadFashionMnist}. */
export interface LoadFashionMnistOptions {
  split: Split;
  /** Directory with `{train,t10k}-{images-idx3,labels-idx1}-ubyte[.gz]`. Default `$FT_FASHION_MNIST_DIR`, else
   * {@link FASHION_MNIST_DEFAULT_DIR}. Ignored when `url` is given. */
  dir?: string;
  /** Base URL to download the split's two files from (into `<cacheDir>/fashion-mnist/`), e.g. {@link FASHION_MNIST_URL}. */
  url?: string;
  /** Cache directory for `url` (default `$FT_CACHE_DIR` or `~/.cache/ft`). */
  cacheDir?: string;
  /** Expected SHA-256 per file name for `url`. Default {@link FASHION_MNIST_SHA256}. */
  sha256?: Record<string, string | null>;
  /** Keep only the first `limit` samples of the split. */
  limit?: number;
  /** Bounds on what the IDX files may declare or inflate to (default: `FT_MAX_INPUT_BYTES`, else 2 GiB). */
  limits?: InputLimits;
}

/**
 * Loads a Fashion-MNIST split as 28×28×1 images scaled by 1/255, labels 0–9 ({@link FASHION_MNIST_CLASSES}).
 * @throws DatasetNotFoundError when the files are missing (install with `apt-get install dataset-fashion-mnist`),
 * DatasetFormatError when they are malformed, DownloadError for `url` failures.
 */
export async function loadFashionMnist(opts: LoadFashionMnistOptions): Promise<ArrayImageDataset> {
  checkSplit(opts.split, 'loadFashionMnist');
  let paths: { images: string; labels: string };
  if (opts.url) {
    paths = await fetchIdxPair(opts.url, opts.split, {
      subdir: 'fashion-mnist',
      sha256: opts.sha256 ?? FASHION_MNIST_SHA256,
      cacheDir: opts.cacheDir,
    });
  } else {
    const dir = opts.dir ?? (process.env.FT_FASHION_MNIST_DIR || FASHION_MNIST_DEFAULT_DIR);
    const names = idxFileNames(opts.split);
    paths = { images: findIdx(dir, names.images), labels: findIdx(dir, names.labels) };
  }
  return idxPairToDataset(paths.images, paths.labels, {
    hint: 'Install Fashion-MNIST with `apt-get install dataset-fashion-mnist`, set FT_FASHION_MNIST_DIR, or pass dir/url',
    limit: opts.limit,
    classNames: FASHION_MNIST_CLASSES,
    limits: opts.limits,
  });
}
