import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DatasetFormatError,
  DatasetNotFoundError,
  EmptyDatasetError,
  InvalidArgumentError,
  ShapeError,
} from '../errors.js';
import { loadMvtec, MvtecDataset } from './mvtec.js';
import { rgba, writeJpeg, writePng } from './test-helpers.js';

let root: string;

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'ft-mvtec-'));
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('loadMvtec', () => {
  const cat = () => join(root, 'mvtec', 'bottle');
  beforeAll(() => {
    const c = cat();
    const texture = (seed: number) => rgba(32, 32, (y, x) => [(x * 8 + seed) % 256, (y * 8) % 256, seed]);
    writePng(join(c, 'train/good/000.png'), 32, 32, texture(1));
    writePng(join(c, 'train/good/001.png'), 32, 32, texture(2));
    writeJpeg(join(c, 'train/good/002.jpg'), 32, 32, texture(3));
    writePng(join(c, 'test/good/000.png'), 32, 32, texture(4));
    writePng(join(c, 'test/crack/000.png'), 32, 32, texture(5));
    writePng(join(c, 'test/crack/001.png'), 32, 32, texture(6));
    writePng(
      join(c, 'test/scratch/000.png'),
      40,
      40,
      rgba(40, 40, () => [9, 9, 9]),
    );
    // crack/000: rows 8..23, cols 0..15 of a 32×32 mask; crack/001: one bright pixel (vanishes at 16×16);
    // scratch/000: everything (40×40 greyscale mask)
    writePng(
      join(c, 'ground_truth/crack/000_mask.png'),
      32,
      32,
      rgba(32, 32, (y, x) => (y >= 8 && y < 24 && x < 16 ? [255, 255, 255] : [0, 0, 0])),
      0,
    );
    writePng(
      join(c, 'ground_truth/crack/001_mask.png'),
      32,
      32,
      rgba(32, 32, (y, x) => (y === 5 && x === 5 ? [255, 255, 255] : [0, 0, 0])),
      0,
    );
    writePng(
      join(c, 'ground_truth/scratch/000_mask.png'),
      40,
      40,
      rgba(40, 40, () => [255, 255, 255]),
      0,
    );
  });

  it('train split: good images only, label 0, zero masks', () => {
    const ds = loadMvtec(join(root, 'mvtec'), 'bottle', { size: 16, split: 'train' });
    expect(ds.size).toBe(3);
    expect(ds.shape).toEqual([16, 16, 3]);
    expect(Array.from(ds.labels)).toEqual([0, 0, 0]);
    expect(ds.defectTypes).toEqual(['good', 'good', 'good']);
    expect(ds.masks.every((m) => m === 0)).toBe(true);
    expect(ds.files.map((f) => f.split('/').pop())).toEqual(['000.png', '001.png', '002.jpg']);
  });

  it('test split: labels, defect types, binarised resized masks', () => {
    const ds = loadMvtec(join(root, 'mvtec'), 'bottle', { size: 16, split: 'test' });
    expect(ds.defectTypes).toEqual(['crack', 'crack', 'good', 'scratch']);
    expect(ds.defectNames).toEqual(['crack', 'good', 'scratch']);
    expect(Array.from(ds.labels)).toEqual([1, 1, 0, 1]);
    expect(ds.numClasses).toBe(2);
    expect(ds.masks.length).toBe(4 * 16 * 16);
    // crack/000: the 16×16 block rows 8..23 × cols 0..15 shrinks to rows 4..11 × cols 0..7 exactly (64 pixels)
    const m0 = ds.mask(0);
    let sum = 0;
    for (let y = 0; y < 16; y++) {
      for (let x = 0; x < 16; x++) {
        const inside = y >= 4 && y < 12 && x < 8 ? 1 : 0;
        expect(m0[y * 16 + x]).toBe(inside);
        sum += m0[y * 16 + x];
      }
    }
    expect(sum).toBe(64);
    expect(ds.mask(1).every((v) => v === 0)).toBe(true); // a single pixel averages below 0.5
    expect(ds.mask(2).every((v) => v === 0)).toBe(true); // good
    expect(ds.mask(3).every((v) => v === 1)).toBe(true); // full mask, 40×40 → 16×16
    expect(ds.get(3).x.every((v) => Math.abs(v * 255 - 9) < 1e-3)).toBe(true);
    const gray = loadMvtec(join(root, 'mvtec'), 'bottle', { size: [8, 12], split: 'test', channels: 1 });
    expect(gray.shape).toEqual([8, 12, 1]);
  });

  it('errors: missing category/mask → DatasetNotFoundError; corrupt image → DatasetFormatError naming it', () => {
    expect(() => loadMvtec(join(root, 'mvtec'), 'nope', { size: 8 })).toThrow(DatasetNotFoundError);
    const c2 = join(root, 'mvtec2', 'screw');
    writePng(join(c2, 'test/thread/000.png'), 4, 4, new Uint8Array(64));
    expect(() => loadMvtec(join(root, 'mvtec2'), 'screw', { size: 4, split: 'test' })).toThrow(/000_mask\.png/);
    expect(() => loadMvtec(join(root, 'mvtec2'), 'screw', { size: 4, split: 'train' })).toThrow(DatasetNotFoundError);
    mkdirSync(join(c2, 'train/good'), { recursive: true });
    writeFileSync(join(c2, 'train/good/bad.jpg'), Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 4, 0, 0]));
    let err: unknown;
    try {
      loadMvtec(join(root, 'mvtec2'), 'screw', { size: 4, split: 'train' });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(DatasetFormatError);
    expect((err as Error).message).toContain('train/good/bad.jpg');
  });
});

describe('loadMvtec options and errors', () => {
  it('rejects a bad split or channel count; an empty split is EmptyDatasetError', () => {
    const c = join(root, 'mvtec3', 'grid');
    mkdirSync(join(c, 'train/good'), { recursive: true });
    expect(() => loadMvtec(join(root, 'mvtec3'), 'grid', { split: 'val' as 'train' })).toThrow(InvalidArgumentError);
    expect(() => loadMvtec(join(root, 'mvtec3'), 'grid', { channels: 2 as 1 })).toThrow(InvalidArgumentError);
    expect(() => loadMvtec(join(root, 'mvtec3'), 'grid', { size: 4 })).toThrow(EmptyDatasetError);
  });

  it('a mask whose size differs from its image ⇒ ShapeError naming both', () => {
    const c = join(root, 'mvtec4', 'tile');
    writePng(
      join(c, 'test/cut/000.png'),
      6,
      6,
      rgba(6, 6, () => [1, 1, 1]),
    );
    writePng(
      join(c, 'ground_truth/cut/000_mask.png'),
      5,
      6,
      rgba(5, 6, () => [255, 255, 255]),
      0,
    );
    let err: unknown;
    try {
      loadMvtec(join(root, 'mvtec4'), 'tile', { size: 4, split: 'test' });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ShapeError);
    expect((err as Error).message).toMatch(/000_mask\.png is 5×6 but its image .*000\.png is 6×6/);
  });

  it('MvtecDataset.mask(i) is a view of the H·W bytes of sample i; defectNames are sorted and distinct', () => {
    const masks = Uint8Array.from([0, 0, 0, 0, 1, 0, 0, 1]);
    const ds = new MvtecDataset({
      images: new Uint8Array(8),
      labels: Int32Array.from([0, 1]),
      shape: [2, 2, 1],
      numClasses: 2,
      files: ['a.png', 'b.png'],
      masks,
      defectTypes: ['good', 'crack'],
      category: 'x',
    });
    expect(Array.from(ds.mask(1))).toEqual([1, 0, 0, 1]);
    expect(ds.mask(1).buffer).toBe(masks.buffer);
    expect(ds.defectNames).toEqual(['crack', 'good']);
    expect(ds.category).toBe('x');
  });
});
