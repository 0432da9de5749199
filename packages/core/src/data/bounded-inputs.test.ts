/**
 * Regression tests for bounded untrusted input in the data parsers (issue 13): each case failed before the limits
 * (untyped crash, silent success, or a slow inflate ending in the wrong error).
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { crc32, deflateRawSync, deflateSync, gzipSync } from 'node:zlib';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DatasetFormatError, EmptyDatasetError, FtError, InputTooLargeError, ShapeError } from '../errors.js';
import {
  deflateBombRaw,
  gzipBomb,
  idxHeader,
  jpegWithHeader,
  npyHeader,
  npyHugeHeader,
  pngWithHeader,
  zipOne,
  zlibBomb,
} from './hostile-inputs.js';
import { readIdx, readIdxFile, writeIdx } from './idx.js';
import { imageFolder } from './image-folder.js';
import { decodeImage } from './image-io.js';
import { loadMvtec } from './mvtec.js';
import { encodeNpy, npyArray, parseNpy, parseNpz } from './npy.js';

/** Runs `fn`, returns the FtError it throws (fails the test on success or an untyped error) and the time taken. */
function ftError(fn: () => unknown): { err: FtError; ms: number } {
  const t0 = performance.now();
  try {
    fn();
  } catch (e) {
    const ms = performance.now() - t0;
    if (!(e instanceof FtError)) throw new Error(`expected an FtError, got ${String(e)}`);
    return { err: e, ms };
  }
  throw new Error('expected an error, got a result');
}

let root: string;
beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'ft-bounded-'));
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('IDX limits', () => {
  it('a gzip stream inflating far past the shape its header declares is refused at the declared size', () => {
    const bomb = gzipBomb(idxHeader([10, 28, 28]), 512); // declares 7.8 KB, inflates to 512 MiB
    const { err, ms } = ftError(() => readIdx(bomb, { file: 'bomb.gz' }));
    expect(err).toBeInstanceOf(InputTooLargeError);
    expect(err.message).toMatch(
      /bomb\.gz: gzip data inflates to more than the .* its IDX header \(shape \[10,28,28\] of uint8\)/,
    );
    expect(ms).toBeLessThan(1000);
  });

  it('a header declaring more than the limit is refused before inflating (gz) or allocating (raw)', () => {
    const gz = gzipBomb(idxHeader([4_000_000, 28, 28]), 4); // declares 2.9 GiB
    const a = ftError(() => readIdx(gz, { file: 'big.gz' }));
    expect(a.err.code).toBe('INPUT_TOO_LARGE');
    expect(a.err.message).toMatch(
      /big\.gz: IDX header \(shape \[4000000,28,28\] of uint8\) declares 2\.9 GiB, over the input limit of 2\.0 GiB/,
    );
    expect(a.ms).toBeLessThan(1000);
    // 255 dimensions of 2^32 − 1 overflow a double: refused, not wrapped around
    const raw = idxHeader(new Array(255).fill(2 ** 32 - 1));
    expect(ftError(() => readIdx(raw)).err).toBeInstanceOf(InputTooLargeError);
  });

  it('maxInputBytes and FT_MAX_INPUT_BYTES lower the ceiling; the file size itself is checked', () => {
    const good = writeIdx({ dtype: 'uint8', shape: [10, 10], data: new Uint8Array(100) });
    expect(readIdx(good).shape).toEqual([10, 10]);
    expect(ftError(() => readIdx(good, { maxInputBytes: 50 })).err).toBeInstanceOf(InputTooLargeError);
    expect(ftError(() => readIdx(gzipSync(good), { maxInputBytes: 50 })).err).toBeInstanceOf(InputTooLargeError);
    const path = join(root, 'small-idx');
    writeFileSync(path, good);
    const before = process.env.FT_MAX_INPUT_BYTES;
    process.env.FT_MAX_INPUT_BYTES = '64';
    try {
      const { err } = ftError(() => readIdxFile(path));
      expect(err).toBeInstanceOf(InputTooLargeError);
      expect(err.message).toContain(path);
      expect(err.message).toContain('FT_MAX_INPUT_BYTES');
    } finally {
      if (before === undefined) delete process.env.FT_MAX_INPUT_BYTES;
      else process.env.FT_MAX_INPUT_BYTES = before;
    }
  });

  it('small trailing garbage after gzip data is still reported as trailing bytes', () => {
    const good = writeIdx({ dtype: 'uint8', shape: [3], data: Uint8Array.of(1, 2, 3) });
    expect(() => readIdx(gzipSync(Buffer.concat([good, Buffer.alloc(5)])))).toThrow(/5 trailing bytes/);
  });
});

describe('NPY / NPZ limits', () => {
  it('a 300 KB header is an InputTooLargeError, not a stack overflow', () => {
    const { err } = ftError(() => parseNpy(npyHugeHeader(300_000), { file: 'h.npy' }));
    expect(err).toBeInstanceOf(InputTooLargeError);
    expect(err.message).toMatch(/h\.npy: NPY header is \d+ bytes, over the limit of 10000/);
  });

  it('shapes: non-literal dimensions are refused; products past the limit or 2^53 are InputTooLargeError', () => {
    const exp = Buffer.concat([npyHeader('<f8', '(1e1,)'), Buffer.alloc(80)]);
    expect(ftError(() => parseNpy(exp)).err).toBeInstanceOf(DatasetFormatError);
    const huge = npyHeader('<f8', '(1099511627776, 1099511627776)');
    expect(ftError(() => parseNpy(huge)).err).toBeInstanceOf(InputTooLargeError);
    const big = Buffer.concat([npyHeader('<f8', '(100,)'), Buffer.alloc(800)]);
    expect(parseNpy(big).shape).toEqual([100]);
    expect(ftError(() => parseNpy(big, { maxInputBytes: 500 })).err).toBeInstanceOf(InputTooLargeError);
  });

  it('an npz member inflating past its directory size is refused at that size', () => {
    const header = npyHeader('<f8', '(10,)');
    const npz = zipOne('x.npy', deflateBombRaw(header, 512), { size: header.length + 80 });
    const { err, ms } = ftError(() => parseNpz(npz, { file: 'b.npz' }));
    expect(err).toBeInstanceOf(InputTooLargeError);
    expect(err.message).toMatch(/b\.npz: member 'x\.npy': deflate data inflates to more than/);
    expect(ms).toBeLessThan(1000);
  });

  it('an npz whose directory (ZIP64) or member header declares more than the limit is refused before inflating', () => {
    const header = npyHeader('<f8', '(10,)');
    const zip64 = zipOne('x.npy', deflateBombRaw(header, 4), { size: 5 * 1024 ** 3 });
    expect(ftError(() => parseNpz(zip64)).err).toBeInstanceOf(InputTooLargeError);
    const bigShape = npyHeader('<f8', '(1000000000,)'); // 7.5 GiB
    const npz = zipOne('y.npy', deflateBombRaw(bigShape, 4), { size: 1000 });
    const { err } = ftError(() => parseNpz(npz, { file: 'c.npz' }));
    expect(err).toBeInstanceOf(InputTooLargeError);
    expect(err.message).toContain('c.npz[y.npy]');
  });

  it('a truncated ZIP64 extra field and a lying entry count are DatasetFormatErrors', () => {
    const npy = encodeNpy(npyArray('float64', [2], [1, 2]));
    const good = zipOne('x.npy', deflateRawSync(npy), { size: npy.length, crc: crc32(npy) });
    expect(parseNpz(good).x.shape).toEqual([2]);
    // a ZIP64 extra field of length 0 for a size of 0xFFFFFFFF: the reader must not read past the field
    const z64 = zipOne('x.npy', deflateRawSync(npy), { size: 0xffffffff });
    const cd = z64.indexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02]));
    z64.writeUInt16LE(0, cd + 46 + 5 + 2);
    const { err: e64 } = ftError(() => parseNpz(z64));
    expect(e64).toBeInstanceOf(DatasetFormatError);
    expect(e64.message).toMatch(/truncated ZIP64 extra field/);
    const lie = Buffer.from(good);
    lie.writeUInt16LE(0xffff, lie.length - 22 + 10);
    expect(ftError(() => parseNpz(lie)).err).toBeInstanceOf(DatasetFormatError);
  });
});

describe('image limits', () => {
  const tinyIdat = deflateSync(Buffer.alloc(64));

  it('a PNG declaring 20000×20000 is refused from its header, in milliseconds', () => {
    const { err, ms } = ftError(() => decodeImage(pngWithHeader(20000, 20000, tinyIdat), 'big.png'));
    expect(err).toBeInstanceOf(InputTooLargeError);
    expect(err.message).toMatch(
      /big\.png: PNG declares 20000×20000 = 400000000 pixels, over the image limit of 67108864/,
    );
    expect(ms).toBeLessThan(1000);
  });

  it('maxImagePixels lowers the image limit; a JPEG frame header is checked the same way', () => {
    const p = new PNG({ width: 64, height: 64 });
    const png = PNG.sync.write(p);
    expect(decodeImage(png).width).toBe(64);
    expect(ftError(() => decodeImage(png, 'p.png', { maxImagePixels: 1000 })).err).toBeInstanceOf(InputTooLargeError);
    const { err } = ftError(() => decodeImage(jpegWithHeader(60000, 60000), 'j.jpg'));
    expect(err).toBeInstanceOf(InputTooLargeError);
    expect(err.message).toContain('j.jpg: JPEG declares 60000×60000');
  });

  it('an interlaced PNG whose IDAT inflates past its declared size is refused', () => {
    const { err, ms } = ftError(() => decodeImage(pngWithHeader(16, 16, zlibBomb(Buffer.alloc(0), 256), 1), 'i.png'));
    expect(err).toBeInstanceOf(InputTooLargeError);
    expect(err.message).toMatch(/i\.png: zlib data inflates to more than/);
    expect(ms).toBeLessThan(1000);
  });
});

function writePng(path: string, w: number, h: number, gray = 0): void {
  mkdirSync(dirname(path), { recursive: true });
  const p = new PNG({ width: w, height: h });
  p.data.fill(gray);
  for (let i = 3; i < p.data.length; i += 4) p.data[i] = 255;
  writeFileSync(path, PNG.sync.write(p));
}

describe('truncated PNG image data (pngjs would fill it from uninitialised memory)', () => {
  const rows = (n: number) => deflateSync(Buffer.alloc(n * (1 + 4 * 4))); // 4×4 RGBA rows with their filter bytes

  it('decodes a 4×4 PNG whose data is complete', () => {
    expect(decodeImage(pngWithHeader(4, 4, rows(4)), 'ok.png').width).toBe(4);
  });

  it('refuses IDAT data shorter than the header declares, every time the same way', () => {
    for (let k = 0; k < 3; k++) {
      const { err } = ftError(() => decodeImage(pngWithHeader(4, 4, rows(2)), 'short.png'));
      expect(err).toBeInstanceOf(DatasetFormatError);
      expect(err.message).toMatch(
        /short\.png: PNG image data holds 34 of the 68 bytes its PNG header \(4×4\) declares/,
      );
    }
  });

  it('refuses a PNG without an IDAT chunk', () => {
    const png = pngWithHeader(4, 4, rows(4));
    png.write('xDAT', png.indexOf('IDAT'), 'latin1');
    const { err } = ftError(() => decodeImage(png, 'noidat.png'));
    expect(err).toBeInstanceOf(DatasetFormatError);
    expect(err.message).toMatch(/noidat\.png: PNG has no image data/);
  });
});

describe('dataset folders', () => {
  it('an MVTec mask whose size differs from its image is a ShapeError naming both files', () => {
    const c = join(root, 'mvtec', 'cable');
    writePng(join(c, 'train/good/000.png'), 8, 8);
    writePng(join(c, 'test/cut/000.png'), 8, 8);
    writePng(join(c, 'ground_truth/cut/000_mask.png'), 16, 8, 255);
    const { err } = ftError(() => loadMvtec(join(root, 'mvtec'), 'cable', { size: 4, split: 'test' }));
    expect(err).toBeInstanceOf(ShapeError);
    expect(err.message).toContain(join(c, 'ground_truth/cut/000_mask.png'));
    expect(err.message).toContain('16×8');
    expect(err.message).toContain(join(c, 'test/cut/000.png'));
  });

  it('an empty class folder is an EmptyDatasetError naming it, or a warning with allowEmptyClasses', () => {
    const dir = join(root, 'folder');
    writePng(join(dir, 'a/0.png'), 4, 4);
    mkdirSync(join(dir, 'b'), { recursive: true });
    writeFileSync(join(dir, 'b/notes.txt'), 'not an image');
    writePng(join(dir, 'c/0.png'), 4, 4);
    const { err } = ftError(() => imageFolder(dir));
    expect(err).toBeInstanceOf(EmptyDatasetError);
    expect(err.message).toContain(join(dir, 'b'));
    expect(err.message).toContain('allowEmptyClasses');
    const warnings: string[] = [];
    const ds = imageFolder(dir, { allowEmptyClasses: true, log: (m) => warnings.push(m) });
    expect(ds.numClasses).toBe(3);
    expect(Array.from(ds.labels)).toEqual([0, 2]);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain(join(dir, 'b'));
  });
});
