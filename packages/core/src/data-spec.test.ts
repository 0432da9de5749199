import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ArrayImageDataset } from './data/dataset.js';
import { datasetHasTestSplit, datasetSpec, firstImages } from './data-spec.js';

const dir = mkdtempSync(join(tmpdir(), 'data-spec-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('dataset spec helpers', () => {
  it('reads a bare directory as folder:<dir> and leaves named datasets alone', () => {
    expect(datasetSpec(dir)).toBe(`folder:${dir}`);
    expect(datasetSpec('fashion-mnist')).toBe('fashion-mnist');
    expect(datasetSpec('folder:/x')).toBe('folder:/x');
    expect(datasetSpec(join(dir, 'missing'))).toBe(join(dir, 'missing'));
  });

  it('knows when a folder has a test split', () => {
    expect(datasetHasTestSplit('mnist')).toBe(true);
    expect(datasetHasTestSplit(`folder:${dir}`)).toBe(false);
    mkdirSync(join(dir, 'test'));
    expect(datasetHasTestSplit(`folder:${dir}`)).toBe(true);
  });

  it('takes the first N images, or all for 0', () => {
    const ds = new ArrayImageDataset({
      images: new Float32Array(5 * 4),
      labels: Int32Array.from([0, 1, 0, 1, 1]),
      shape: [2, 2, 1],
    });
    expect(firstImages(ds, 3).size).toBe(3);
    expect(Array.from(firstImages(ds, 3).labels)).toEqual([0, 1, 0]);
    expect(firstImages(ds, 0)).toBe(ds);
    expect(firstImages(ds, 9)).toBe(ds);
  });
});
