import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DatasetFormatError, DatasetNotFoundError, InvalidArgumentError } from '../errors.js';
import { writeIdx } from './idx.js';
import { checkSplit, fetchIdxPair, findIdx, idxFileNames, idxPairToDataset } from './idx-dataset.js';
import { startTestServer, type TestServer } from './test-server.js';

let dir: string;
let server: TestServer;
// three 2×2 images with pixel values 10·i + k, labels 0, 2, 1
const images = writeIdx({
  dtype: 'uint8',
  shape: [3, 2, 2],
  data: Uint8Array.from({ length: 12 }, (_, k) => 10 * Math.floor(k / 4) + (k % 4)),
});
const labels = writeIdx({ dtype: 'uint8', shape: [3], data: Uint8Array.from([0, 2, 1]) });
const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ft-idx-dataset-'));
  writeFileSync(join(dir, 'img.gz'), gzipSync(images));
  writeFileSync(join(dir, 'lab'), labels);
  const gzImg = gzipSync(images);
  const gzLab = gzipSync(labels);
  server = await startTestServer({
    '/mnist/train-images-idx3-ubyte.gz': gzImg,
    '/mnist/train-labels-idx1-ubyte.gz': gzLab,
  });
});
afterAll(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('idxFileNames / checkSplit / findIdx', () => {
  it('standard MNIST names per split', () => {
    expect(idxFileNames('train')).toEqual({ images: 'train-images-idx3-ubyte', labels: 'train-labels-idx1-ubyte' });
    expect(idxFileNames('test')).toEqual({ images: 't10k-images-idx3-ubyte', labels: 't10k-labels-idx1-ubyte' });
  });

  it('checkSplit accepts train/test only', () => {
    expect(() => checkSplit('train', 'w')).not.toThrow();
    expect(() => checkSplit('val', 'w')).toThrow(InvalidArgumentError);
    expect(() => checkSplit(undefined, 'w')).toThrow(/split must be 'train' or 'test', got undefined/);
  });

  it('findIdx prefers .gz, falls back to the raw file, and names the .gz when neither exists', () => {
    const d = join(dir, 'find');
    mkdirSync(d);
    expect(findIdx(d, 'x')).toBe(join(d, 'x.gz'));
    writeFileSync(join(d, 'x'), '');
    expect(findIdx(d, 'x')).toBe(join(d, 'x'));
    writeFileSync(join(d, 'x.gz'), '');
    expect(findIdx(d, 'x')).toBe(join(d, 'x.gz'));
  });
});

describe('idxPairToDataset', () => {
  it('reads gz and raw files into a /255 dataset; limit keeps the first samples', () => {
    const ds = idxPairToDataset(join(dir, 'img.gz'), join(dir, 'lab'), { classNames: ['a', 'b', 'c'] });
    expect(ds.size).toBe(3);
    expect(ds.shape).toEqual([2, 2, 1]);
    expect(Array.from(ds.labels)).toEqual([0, 2, 1]);
    expect(ds.numClasses).toBe(3);
    expect(Array.from(ds.get(1).x)).toEqual([10, 11, 12, 13].map((v) => Math.fround(v / 255)));
    const two = idxPairToDataset(join(dir, 'img.gz'), join(dir, 'lab'), { limit: 2 });
    expect(two.size).toBe(2);
    expect(two.images.length).toBe(8);
    expect(idxPairToDataset(join(dir, 'img.gz'), join(dir, 'lab'), { limit: 99 }).size).toBe(3);
  });

  it('rejects labels ≥ numClasses, count mismatches, wrong dtypes, bad limits and missing files', () => {
    const w = (name: string, b: Uint8Array) => {
      writeFileSync(join(dir, name), b);
      return join(dir, name);
    };
    const img = join(dir, 'img.gz');
    const lab = join(dir, 'lab');
    expect(() => idxPairToDataset(img, lab, { numClasses: 2 })).toThrow(/label 2 at index 1 ≥ 2 classes/);
    const twoLabels = w('lab2', writeIdx({ dtype: 'uint8', shape: [2], data: Uint8Array.from([0, 1]) }));
    expect(() => idxPairToDataset(img, twoLabels, {})).toThrow(/2 labels but .* has 3 images/);
    const intLabels = w('lab-int', writeIdx({ dtype: 'int32', shape: [3], data: Int32Array.from([0, 1, 2]) }));
    expect(() => idxPairToDataset(img, intLabels, {})).toThrow(DatasetFormatError);
    const flatImages = w('img-flat', writeIdx({ dtype: 'uint8', shape: [3, 4], data: new Uint8Array(12) }));
    expect(() => idxPairToDataset(flatImages, lab, {})).toThrow(/expected uint8 images of shape \[N, H, W\(, C\)\]/);
    expect(() => idxPairToDataset(img, lab, { limit: -1 })).toThrow(InvalidArgumentError);
    expect(() => idxPairToDataset(join(dir, 'none'), lab, { hint: 'download it' })).toThrow(
      /file not found\. download it/,
    );
    expect(() => idxPairToDataset(join(dir, 'none'), lab, {})).toThrow(DatasetNotFoundError);
  });
});

describe('fetchIdxPair', () => {
  it('downloads <baseUrl>/<name>.gz into <cacheDir>/<subdir>/ and verifies the sha256', async () => {
    const cacheDir = join(dir, 'cache');
    const p = await fetchIdxPair(`${server.url}/mnist`, 'train', {
      subdir: 'toy',
      cacheDir,
      sha256: { 'train-images-idx3-ubyte.gz': null, 'train-labels-idx1-ubyte.gz': sha(gzipSync(labels)) },
    });
    expect(p).toEqual({
      images: join(cacheDir, 'toy', 'train-images-idx3-ubyte.gz'),
      labels: join(cacheDir, 'toy', 'train-labels-idx1-ubyte.gz'),
    });
    expect(idxPairToDataset(p.images, p.labels, {}).size).toBe(3);
    await expect(fetchIdxPair(`${server.url}/mnist/`, 'test', { subdir: 'toy', cacheDir, sha256: {} })).rejects.toThrow(
      /no sha256 given for t10k-images-idx3-ubyte\.gz/,
    );
  });
});
