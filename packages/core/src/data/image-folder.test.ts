import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DatasetFormatError, DatasetNotFoundError, EmptyDatasetError } from '../errors.js';
import { imageFolder } from './image-folder.js';
import { rgba, writeJpeg, writePng } from './test-helpers.js';

let root: string;

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
