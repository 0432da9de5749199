import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { DatasetFormatError, DatasetNotFoundError } from '../errors.js';
import { type IdxTensor, readIdx, readIdxFile, writeIdx } from './idx.js';

describe('readIdx', () => {
  it('decodes a hand-built big-endian file', () => {
    // int16, 2 dims [2, 3], values -2..3
    const bytes = new Uint8Array([
      0, 0, 0x0b, 2, 0, 0, 0, 2, 0, 0, 0, 3, 0xff, 0xfe, 0xff, 0xff, 0, 0, 0, 1, 0, 2, 0, 3,
    ]);
    const t = readIdx(bytes);
    expect(t.dtype).toBe('int16');
    expect(t.shape).toEqual([2, 3]);
    expect(Array.from(t.data)).toEqual([-2, -1, 0, 1, 2, 3]);
  });

  it('round-trips every dtype, raw and gzipped', () => {
    const cases: IdxTensor[] = [
      { dtype: 'uint8', shape: [2, 2], data: new Uint8Array([0, 1, 254, 255]) },
      { dtype: 'int8', shape: [4], data: new Int8Array([-128, -1, 0, 127]) },
      { dtype: 'int16', shape: [3], data: new Int16Array([-32768, 258, 32767]) },
      { dtype: 'int32', shape: [1, 3], data: new Int32Array([-2147483648, 16909060, 2147483647]) },
      { dtype: 'float32', shape: [2], data: new Float32Array([Math.fround(Math.PI), -0.5]) },
      { dtype: 'float64', shape: [2, 1, 1], data: new Float64Array([Math.E, -1e300]) },
    ];
    for (const c of cases) {
      const raw = writeIdx(c);
      for (const buf of [raw, gzipSync(raw)]) {
        const t = readIdx(buf);
        expect(t.dtype).toBe(c.dtype);
        expect(t.shape).toEqual(c.shape);
        expect(t.data.constructor).toBe(c.data.constructor);
        expect(Array.from(t.data)).toEqual(Array.from(c.data));
      }
    }
    // float32 bytes are big-endian: 1.0f = 3f 80 00 00
    const one = writeIdx({ dtype: 'float32', shape: [1], data: new Float32Array([1]) });
    expect(Array.from(one.subarray(8))).toEqual([0x3f, 0x80, 0, 0]);
  });

  it('accepts a 0-item file', () => {
    const t = readIdx(writeIdx({ dtype: 'uint8', shape: [0, 28, 28], data: new Uint8Array(0) }));
    expect(t.shape).toEqual([0, 28, 28]);
    expect(t.data.length).toBe(0);
  });

  const good = writeIdx({ dtype: 'uint8', shape: [2, 2], data: new Uint8Array([1, 2, 3, 4]) });
  const bad: Array<[string, Uint8Array, RegExp]> = [
    ['bad magic', Uint8Array.from([1, 0, 8, 2, ...good.subarray(4)]), /bad IDX magic 01 00 08 02/],
    ['unknown dtype', Uint8Array.from([0, 0, 0x0a, 2, ...good.subarray(4)]), /unknown IDX dtype 0x0a/],
    ['tiny file', new Uint8Array([0, 0]), /truncated IDX file/],
    ['truncated header', good.subarray(0, 9), /truncated IDX header/],
    ['truncated data', good.subarray(0, good.length - 1), /truncated IDX data/],
    ['trailing bytes', Uint8Array.from([...good, 0, 0]), /2 trailing bytes/],
    ['corrupt gzip', gzipSync(good).subarray(0, 15), /corrupt gzip/],
  ];
  for (const [name, buf, re] of bad) {
    it(`throws DatasetFormatError naming the file on ${name}`, () => {
      let err: unknown;
      try {
        readIdx(buf, { file: 'weird.idx' });
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(DatasetFormatError);
      expect((err as Error).message).toMatch(/^weird\.idx: /);
      expect((err as Error).message).toMatch(re);
    });
  }

  it('readIdxFile: missing file is DatasetNotFoundError with the hint; reads the Debian Fashion-MNIST header', () => {
    expect(() => readIdxFile('/nonexistent/x.gz', { hint: 'install it' })).toThrow(DatasetNotFoundError);
    expect(() => readIdxFile('/nonexistent/x.gz', { hint: 'install it' })).toThrow(
      /x\.gz: file not found\. install it/,
    );
    const t = readIdxFile('/usr/share/datasets/fashion-mnist/t10k-labels-idx1-ubyte.gz');
    expect(t.dtype).toBe('uint8');
    expect(t.shape).toEqual([10000]);
    expect(Array.from(t.data.subarray(0, 10))).toEqual([9, 2, 1, 1, 6, 1, 4, 6, 5, 7]);
  });
});
