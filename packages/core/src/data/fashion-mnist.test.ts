import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DatasetFormatError, DatasetNotFoundError, DownloadError } from '../errors.js';
import { FASHION_MNIST_CLASSES, loadFashionMnist } from './fashion-mnist.js';
import { writeIdx } from './idx.js';
import { classCounts } from './splits.js';
import { startTestServer, type TestServer } from './test-server.js';

/** A tiny Fashion-MNIST-layout set: n images of h×w, pixel (i, k) = (i + k) mod 256, label i mod 10. */
function fakeFiles(n: number, h = 4, w = 3): Record<string, Uint8Array> {
  const px = new Uint8Array(n * h * w).map((_, j) => (Math.floor(j / (h * w)) + (j % (h * w))) % 256);
  const lab = new Uint8Array(n).map((_, i) => i % 10);
  const images = gzipSync(writeIdx({ dtype: 'uint8', shape: [n, h, w], data: px }));
  const labels = gzipSync(writeIdx({ dtype: 'uint8', shape: [n], data: lab }));
  return { images, labels };
}

let tmp: string;
beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), 'ft-fmnist-'));
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('loadFashionMnist (Debian package)', () => {
  it('loads the 10,000 test images: shape, labels, range, first pixels', async () => {
    const ds = await loadFashionMnist({ split: 'test' });
    expect(ds.size).toBe(10000);
    expect(ds.shape).toEqual([28, 28, 1]);
    expect(ds.numClasses).toBe(10);
    expect(ds.classNames).toEqual(FASHION_MNIST_CLASSES);
    expect(Array.from(classCounts(ds.labels))).toEqual(new Array(10).fill(1000));
    expect(Array.from(ds.labels.subarray(0, 10))).toEqual([9, 2, 1, 1, 6, 1, 4, 6, 5, 7]);
    const s = ds.get(0);
    expect(s.y).toBe(9);
    expect(s.x.length).toBe(784);
    // Sum of the raw bytes of test image 0 is 33456 (numpy on the same file).
    expect(s.x.reduce((a, b) => a + b, 0) * 255).toBeCloseTo(33456, 1);
    expect(Math.min(...s.x)).toBe(0);
    expect(Math.max(...s.x)).toBeLessThanOrEqual(1);
  });

  it('loads the 60,000 train images (6,000 per class) and honours limit', async () => {
    const ds = await loadFashionMnist({ split: 'train' });
    expect(ds.size).toBe(60000);
    expect(Array.from(classCounts(ds.labels))).toEqual(new Array(10).fill(6000));
    expect(Array.from(ds.labels.subarray(0, 5))).toEqual([9, 0, 0, 3, 0]);
    const small = await loadFashionMnist({ split: 'train', limit: 5 });
    expect(small.size).toBe(5);
    expect(small.get(4).x).toEqual(ds.get(4).x);
  });

  it('missing files: DatasetNotFoundError that names the apt package', async () => {
    const err = await loadFashionMnist({ split: 'test', dir: join(tmp, 'nope') }).catch((e) => e);
    expect(err).toBeInstanceOf(DatasetNotFoundError);
    expect(err.message).toMatch(/t10k-images-idx3-ubyte\.gz/);
    expect(err.message).toMatch(/apt-get install dataset-fashion-mnist/);
  });

  it('honours FT_FASHION_MNIST_DIR and reads raw (non-gz) files too; rejects mismatched counts', async () => {
    const dir = join(tmp, 'env');
    const { images } = fakeFiles(12);
    mkdirSync(dir);
    writeFileSync(join(dir, 't10k-images-idx3-ubyte.gz'), images);
    writeFileSync(
      join(dir, 't10k-labels-idx1-ubyte'),
      writeIdx({ dtype: 'uint8', shape: [12], data: new Uint8Array(12).map((_, i) => i % 10) }),
    );
    const old = process.env.FT_FASHION_MNIST_DIR;
    process.env.FT_FASHION_MNIST_DIR = dir;
    try {
      const ds = await loadFashionMnist({ split: 'test' });
      expect(ds.size).toBe(12);
      expect(ds.shape).toEqual([4, 3, 1]);
      expect(ds.labels[11]).toBe(1);
      expect(ds.get(2).x[5] * 255).toBeCloseTo(7, 4);
      writeFileSync(
        join(dir, 't10k-labels-idx1-ubyte'),
        writeIdx({ dtype: 'uint8', shape: [3], data: new Uint8Array(3) }),
      );
      await expect(loadFashionMnist({ split: 'test' })).rejects.toThrow(DatasetFormatError);
    } finally {
      if (old === undefined) delete process.env.FT_FASHION_MNIST_DIR;
      else process.env.FT_FASHION_MNIST_DIR = old;
    }
  });
});

describe('loadFashionMnist (url)', () => {
  let server: TestServer;
  const files = fakeFiles(20);
  const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
  beforeAll(async () => {
    server = await startTestServer({
      '/fm/train-images-idx3-ubyte.gz': files.images,
      '/fm/train-labels-idx1-ubyte.gz': files.labels,
    });
  });
  afterAll(() => server.close());

  it('downloads the split into <cache>/fashion-mnist, verifies checksums, then hits the cache', async () => {
    const cacheDir = join(tmp, 'cache');
    const sha256 = {
      'train-images-idx3-ubyte.gz': sha(files.images),
      'train-labels-idx1-ubyte.gz': sha(files.labels),
    };
    const ds = await loadFashionMnist({ split: 'train', url: `${server.url}/fm`, cacheDir, sha256 });
    expect(ds.size).toBe(20);
    expect(ds.labels[13]).toBe(3);
    expect(readdirSync(join(cacheDir, 'fashion-mnist')).sort()).toEqual(Object.keys(sha256).sort());
    expect(server.total()).toBe(2);
    await loadFashionMnist({ split: 'train', url: `${server.url}/fm/`, cacheDir, sha256 });
    expect(server.total()).toBe(2);
  });

  it('fails with DownloadError under the default (upstream) checksums', async () => {
    const err = await loadFashionMnist({ split: 'train', url: `${server.url}/fm`, cacheDir: join(tmp, 'c2') }).catch(
      (e) => e,
    );
    expect(err).toBeInstanceOf(DownloadError);
    expect(err.message).toMatch(/SHA-256 mismatch/);
  });
});
