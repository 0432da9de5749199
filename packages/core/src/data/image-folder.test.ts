import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import * as jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DatasetFormatError, DatasetNotFoundError, EmptyDatasetError } from '../errors.js';
import { imageFolder } from './image-folder.js';
import { loadMvtec } from './mvtec.js';

let root: string;

/** RGBA buffer where pixel (y, x) = fn(y, x) → [r, g, b]. */
function rgba(w: number, h: number, fn: (y: number, x: number) => [number, number, number]): Uint8Array {
  const out = new Uint8Array(w * h * 4);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) out.set([...fn(y, x), 255], (y * w + x) * 4);
  }
  return out;
}

function writePng(path: string, w: number, h: number, data: Uint8Array, colorType: 0 | 2 | 6 = 2): void {
  mkdirSync(dirname(path), { recursive: true });
  const p = new PNG({ width: w, height: h });
  p.data = Buffer.from(data);
  writeFileSync(path, PNG.sync.write(p, { colorType }));
}

function writeJpeg(path: string, w: number, h: number, data: Uint8Array): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, jpeg.encode({ width: w, height: h, data }, 95).data);
}

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'ft-imgfolder-'));
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('imageFolder', () => {
  it('reads class folders in sorted order, infers channels, resizes and ignores other files', () => {
    const dir = join(root, 'folder');
    // greyscale PNGs: value = 10·(class+1) + index
    writePng(
      join(dir, 'b_dog/1.png'),
      4,
      4,
      rgba(4, 4, () => [21, 21, 21]),
      0,
    );
    writePng(
      join(dir, 'b_dog/0.png'),
      4,
      4,
      rgba(4, 4, () => [20, 20, 20]),
      0,
    );
    writePng(
      join(dir, 'a_cat/0.png'),
      4,
      4,
      rgba(4, 4, (y, x) => [y * 4 + x, y * 4 + x, y * 4 + x]),
      0,
    );
    writePng(
      join(dir, 'c_owl/0.png'),
      8,
      8,
      rgba(8, 8, () => [200, 200, 200]),
      0,
    );
    writeFileSync(join(dir, 'b_dog/notes.txt'), 'ignore me');
    const ds = imageFolder(dir);
    expect(ds.classNames).toEqual(['a_cat', 'b_dog', 'c_owl']);
    expect(ds.shape).toEqual([4, 4, 1]);
    expect(Array.from(ds.labels)).toEqual([0, 1, 1, 2]);
    expect(ds.files.map((f) => f.slice(dir.length + 1))).toEqual([
      'a_cat/0.png',
      'b_dog/0.png',
      'b_dog/1.png',
      'c_owl/0.png',
    ]);
    expect(Array.from(ds.get(0).x, (v) => Math.round(v * 255))).toEqual(Array.from({ length: 16 }, (_, i) => i));
    expect(ds.get(2).x.every((v) => Math.abs(v * 255 - 21) < 1e-4)).toBe(true);
    // 8×8 constant image resized to 4×4 stays constant
    expect(ds.get(3).x.every((v) => Math.abs(v * 255 - 200) < 1e-4)).toBe(true);

    const rgb = imageFolder(dir, { channels: 3, size: [2, 3] });
    expect(rgb.shape).toEqual([2, 3, 3]);
    expect(rgb.get(1).x.every((v) => Math.abs(v * 255 - 20) < 1e-4)).toBe(true);
  });

  it('reads JPEG and colour PNG as RGB', () => {
    const dir = join(root, 'colour');
    writeJpeg(
      join(dir, 'x/a.jpg'),
      8,
      8,
      rgba(8, 8, () => [200, 50, 10]),
    );
    writePng(
      join(dir, 'y/b.png'),
      8,
      8,
      rgba(8, 8, () => [1, 2, 3]),
    );
    const ds = imageFolder(dir);
    expect(ds.shape).toEqual([8, 8, 3]);
    const a = ds.get(0).x;
    expect(Math.abs(a[0] * 255 - 200)).toBeLessThan(6);
    expect(Math.abs(a[1] * 255 - 50)).toBeLessThan(6);
    expect(Array.from(ds.get(1).x.subarray(0, 3), (v) => Math.round(v * 255))).toEqual([1, 2, 3]);
  });

  it('errors: missing root, empty tree, corrupt image naming the file', () => {
    expect(() => imageFolder(join(root, 'missing'))).toThrow(DatasetNotFoundError);
    mkdirSync(join(root, 'empty/cls'), { recursive: true });
    expect(() => imageFolder(join(root, 'empty'))).toThrow(EmptyDatasetError);
    const bad = join(root, 'bad');
    writePng(join(bad, 'a/0.png'), 2, 2, new Uint8Array(16));
    mkdirSync(join(bad, 'b'));
    writeFileSync(join(bad, 'b/broken.png'), Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 1, 2, 3]));
    let err: unknown;
    try {
      imageFolder(bad);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(DatasetFormatError);
    expect((err as Error).message).toContain(join(bad, 'b/broken.png'));
  });
});

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
