import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { DatasetFormatError, DatasetNotFoundError, DTypeError, ShapeError } from '../errors.js';
import {
  encodeNpy,
  encodeNpz,
  type NpyArray,
  npyArray,
  npyComplex,
  npyComplexParts,
  npyToFloat64,
  parseNpy,
  parseNpz,
  readNpy,
  readNpz,
  writeNpz,
} from './npy.js';

// Fixtures written by real numpy: python3 scripts/make-npy-fixtures.py
const dir = fileURLToPath(new URL('./fixtures/npy/', import.meta.url));
const expected = JSON.parse(readFileSync(join(dir, 'expected.json'), 'utf8')) as Record<
  string,
  { dtype: string; shape: number[]; values: (number | string | number[])[]; fortran?: boolean }
>;

function flatValues(a: NpyArray): (number | string | number[])[] {
  if (a.dtype === 'complex64' || a.dtype === 'complex128') {
    const { re, im } = npyComplexParts(a);
    return Array.from(re, (r, i) => [r, im[i]]);
  }
  if (a.dtype === 'int64' || a.dtype === 'uint64') return Array.from(a.data as BigInt64Array, (v) => v.toString());
  return Array.from(a.data as Float64Array, Number);
}

function expectClose(got: (number | string | number[])[], want: (number | string | number[])[], tol: number) {
  expect(got.length).toBe(want.length);
  for (let i = 0; i < want.length; i++) {
    const w = want[i];
    const g = got[i];
    if (typeof w === 'string') expect(g).toBe(w);
    else if (Array.isArray(w)) {
      expect((g as number[])[0]).toBeCloseTo(w[0], tol);
      expect((g as number[])[1]).toBeCloseTo(w[1], tol);
    } else expect(g as number).toBeCloseTo(w, tol);
  }
}

const single = Object.keys(expected).filter((k) => k !== 'npz');

describe('parseNpy on files written by numpy', () => {
  for (const name of single) {
    it(`reads ${name}.npy (${expected[name].dtype}, shape [${expected[name].shape}])`, () => {
      const a = readNpy(join(dir, `${name}.npy`));
      const e = expected[name];
      expect(a.dtype).toBe(e.dtype);
      expect(a.shape).toEqual(e.shape);
      // complex64 / float32 values are compared at float32 precision, float64 exactly to 12 digits
      const tol = /64$|128$/.test(e.dtype) && e.dtype !== 'complex64' ? 12 : 5;
      expectClose(flatValues(a), e.values, tol);
    });
  }

  it('returns C-order data for a Fortran-ordered 3-D array', () => {
    const a = readNpy(join(dir, 'i4_fortran.npy'));
    // numpy: np.arange(24).reshape(2,3,4) - 5, element [1,2,3] is 23 - 5 = 18 at C index 23
    expect(a.data[23]).toBe(18);
    expect(a.data[1]).toBe(-4);
  });

  it('rejects unsupported dtypes with DTypeError naming the file', () => {
    expect(() => readNpy(join(dir, 'unsupported_str.npy'))).toThrow(DTypeError);
    expect(() => readNpy(join(dir, 'unsupported_str.npy'))).toThrow(/unsupported_str\.npy.*<U/);
    expect(() => readNpy(join(dir, 'unsupported_struct.npy'))).toThrow(DTypeError);
  });

  it('throws DatasetFormatError on bad magic and truncated data, DatasetNotFoundError on a missing file', () => {
    const good = readFileSync(join(dir, 'f8_c.npy'));
    expect(() => parseNpy(good.subarray(0, good.length - 3), { file: 'cut.npy' })).toThrow(
      /cut\.npy: truncated NPY data/,
    );
    const bad = Uint8Array.from(good);
    bad[1] = 0x41;
    expect(() => parseNpy(bad)).toThrow(DatasetFormatError);
    expect(() => readNpy(join(dir, 'nope.npy'))).toThrow(DatasetNotFoundError);
  });
});

describe('encodeNpy', () => {
  // numpy.save output is reproduced byte for byte (header text, growth-axis spaces, 64-byte padding, byte order).
  const cases: [string, { endian?: 'little' | 'big'; fortranOrder?: boolean }][] = [
    ['f8_c', {}],
    ['c8', {}],
    ['bool', {}],
    ['u1', {}],
    ['i8', {}],
    ['scalar_f8', {}],
    ['empty', {}],
    ['f2', {}],
    ['f4_be', { endian: 'big' }],
    ['i2_be', { endian: 'big' }],
    ['c16_be', { endian: 'big' }],
    ['i4_fortran', { fortranOrder: true }],
    ['f8_be_fortran', { endian: 'big', fortranOrder: true }],
  ];
  for (const [name, opts] of cases) {
    it(`writes ${name}.npy byte-identical to numpy.save`, () => {
      const bytes = readFileSync(join(dir, `${name}.npy`));
      const a = parseNpy(bytes);
      expect(Buffer.from(encodeNpy(a, opts)).equals(bytes)).toBe(true);
    });
  }

  it('round-trips every dtype in both byte orders and both element orders', () => {
    const shape = [2, 3, 2];
    const vals = Array.from({ length: 12 }, (_, i) => (i % 5) - 1);
    const dtypes = [
      'bool',
      'int8',
      'uint8',
      'int16',
      'uint16',
      'int32',
      'uint32',
      'int64',
      'uint64',
      'float16',
      'float32',
      'float64',
    ] as const;
    for (const dtype of dtypes) {
      const v = dtype.startsWith('u') || dtype === 'bool' ? vals.map((x) => Math.abs(x) % 2) : vals;
      const a = npyArray(dtype, shape, v);
      for (const endian of ['little', 'big'] as const) {
        for (const fortranOrder of [false, true]) {
          const b = parseNpy(encodeNpy(a, { endian, fortranOrder }));
          expect(b.dtype).toBe(dtype);
          expect(b.shape).toEqual(shape);
          expect(Array.from(b.data as Float64Array, Number)).toEqual(Array.from(a.data as Float64Array, Number));
        }
      }
    }
    const c = npyComplex([3, 2], [1, 2, 3, 4, 5, 6], [-1, 0.5, 0, 2, -3, 7]);
    for (const dtype of ['complex64', 'complex128'] as const) {
      const a = { ...c, dtype, data: dtype === 'complex64' ? Float32Array.from(c.data as Float64Array) : c.data };
      const b = parseNpy(encodeNpy(a, { endian: 'big', fortranOrder: true }));
      expect(npyComplexParts(b)).toEqual(npyComplexParts(a));
    }
  });

  it('rounds float16 to nearest even', () => {
    const a = npyArray('float16', [4], [1 + 2 ** -11, 1 + 3 * 2 ** -11, 70000, 2 ** -25]);
    const b = parseNpy(encodeNpy(a));
    expect(Array.from(b.data as Float32Array)).toEqual([1, 1 + 2 ** -9, Number.POSITIVE_INFINITY, 0]);
  });

  it('checks data length against the shape', () => {
    expect(() => npyArray('float64', [2, 2], [1, 2, 3])).toThrow(ShapeError);
    expect(() => encodeNpy({ dtype: 'float32', shape: [3], data: new Float32Array(2) })).toThrow(ShapeError);
    expect(() => npyToFloat64(npyComplex([1], [1], [2]))).toThrow(DTypeError);
  });
});

describe('npz', () => {
  for (const file of ['savez.npz', 'savez_compressed.npz']) {
    it(`reads ${file} written by numpy (ZIP64 extras${file.includes('compressed') ? ', deflate' : ', stored'})`, () => {
      const arrays = readNpz(join(dir, file));
      expect(Object.keys(arrays).sort()).toEqual(['S', 'Y_im', 'Y_re', 'active', 'sigma2']);
      for (const [key, e] of Object.entries(expected.npz as unknown as Record<string, (typeof expected)[string]>)) {
        expect(arrays[key].dtype).toBe(e.dtype);
        expect(arrays[key].shape).toEqual(e.shape);
        expectClose(flatValues(arrays[key]), e.values, key === 'S' ? 5 : 12);
      }
    });
  }

  it('round-trips through encodeNpz stored and deflated', () => {
    const arrays = {
      S: npyComplex([2, 2], [1, 2, 3, 4], [0, -1, 0.5, 2]),
      active: npyArray('bool', [1, 2], [1, 0]),
      sigma2: npyArray('float64', [], [0.25]),
    };
    for (const compressed of [false, true]) {
      const bytes = encodeNpz(arrays, { compressed });
      const back = parseNpz(bytes);
      expect(Object.keys(back)).toEqual(['S', 'active', 'sigma2']);
      expect(npyComplexParts(back.S)).toEqual(npyComplexParts(arrays.S));
      expect(Array.from(back.active.data as Uint8Array)).toEqual([1, 0]);
      expect(back.sigma2.shape).toEqual([]);
      expect(back.sigma2.data[0]).toBe(0.25);
    }
    // deterministic bytes, and deflate actually shrinks a compressible array
    const big = { z: npyArray('float64', [1000], new Float64Array(1000)) };
    expect(Buffer.from(encodeNpz(big)).equals(Buffer.from(encodeNpz(big)))).toBe(true);
    expect(encodeNpz(big, { compressed: true }).length).toBeLessThan(encodeNpz(big).length / 10);
    const tmp = mkdtempSync(join(tmpdir(), 'npz-'));
    writeNpz(join(tmp, 'a.npz'), arrays, { compressed: true });
    expect(readNpz(join(tmp, 'a.npz')).sigma2.data[0]).toBe(0.25);
  });

  it('detects corruption: CRC mismatch, truncation, non-zip input', () => {
    const bytes = Uint8Array.from(readFileSync(join(dir, 'savez.npz')));
    // flip a data byte of the first member (past its local header and .npy header)
    bytes[200] ^= 0xff;
    expect(() => parseNpz(bytes, { file: 'x.npz' })).toThrow(/x\.npz: CRC-32 mismatch/);
    const good = readFileSync(join(dir, 'savez_compressed.npz'));
    expect(() => parseNpz(good.subarray(0, good.length - 30))).toThrow(DatasetFormatError);
    expect(() => parseNpz(new Uint8Array(100))).toThrow(/end-of-central-directory/);
  });
});
