/**
 * NumPy `.npy` / `.npz` reader and writer, the array format researchers exchange data in.
 *
 * - `.npy` follows the NPY format spec (numpy/lib/format.py, "NEP 1"): magic `\x93NUMPY`, version byte pair
 *   (1.0: uint16 header length; 2.0 / 3.0: uint32, 3.0 UTF-8), then a Python-literal header dict
 *   `{'descr': '<f8', 'fortran_order': False, 'shape': (2, 3), }` padded with spaces and `\n` so the data starts at
 *   a multiple of 64 bytes, then the raw elements. Both byte orders (`<`, `>`, `|`, `=`) and both element orders
 *   (C and Fortran) are read; arrays always come back in C (row-major) order with host values.
 * - `.npz` is a ZIP archive of `<key>.npy` members (`numpy.savez` stores them, `numpy.savez_compressed` deflates
 *   them). The minimal ZIP reader here handles stored (0) and deflate (8) entries, the ZIP64 extra fields numpy
 *   always writes (`force_zip64=True`), and checks each member's CRC-32; the writer emits plain ZIP (≤ 4 GiB).
 *   Inflate / deflate / CRC-32 come from `node:zlib`.
 *
 * Supported dtypes: bool, int8/16/32/64, uint8/16/32/64, float16/32/64, complex64/128. Complex data is stored
 * interleaved (re, im, re, im, ...) in a `Float32Array` (complex64) or `Float64Array` (complex128). 64-bit integers
 * use `BigInt64Array` / `BigUint64Array`; float16 is widened to `Float32Array` on read and rounded to nearest-even on
 * write. Strings, objects, datetimes and structured dtypes throw `DTypeError`.
 *
 * Untrusted input is bounded (see `./limits.ts`): headers longer than {@link NPY_MAX_HEADER_BYTES}, shapes with more
 * than {@link NPY_MAX_DIMS} dimensions, arrays declaring more than the input limit and ZIP members inflating past
 * their declared size throw `InputTooLargeError` before anything large is allocated.
 */
import { existsSync, writeFileSync } from 'node:fs';
import { crc32, deflateRawSync } from 'node:zlib';
import {
  DatasetFormatError,
  DatasetNotFoundError,
  DTypeError,
  InputTooLargeError,
  InvalidArgumentError,
  ShapeError,
} from '../errors.js';
import {
  checkDeclaredBytes,
  type InputLimits,
  inflateCapped,
  inflateHead,
  type ResolvedInputLimits,
  readFileWithinLimit,
  resolveInputLimits,
  shapeProduct,
} from './limits.js';

/** Element type of an NPY array (numpy's names). */
export type NpyDType =
  | 'bool'
  | 'int8'
  | 'uint8'
  | 'int16'
  | 'uint16'
  | 'int32'
  | 'uint32'
  | 'int64'
  | 'uint64'
  | 'float16'
  | 'float32'
  | 'float64'
  | 'complex64'
  | 'complex128';

/** Host storage of an NPY array (see `NpyArray`). */
export type NpyData =
  | Uint8Array
  | Int8Array
  | Int16Array
  | Uint16Array
  | Int32Array
  | Uint32Array
  | BigInt64Array
  | BigUint64Array
  | Float32Array
  | Float64Array;

/**
 * A decoded array: `data` in C (row-major) order with `Π shape` elements (`2·Π shape` numbers for complex dtypes,
 * interleaved re/im). A 0-d array (numpy scalar) has `shape: []` and one element. bool is a `Uint8Array` of 0/1.
 */
export interface NpyArray {
  dtype: NpyDType;
  shape: number[];
  data: NpyData;
}

interface DTypeInfo {
  /** numpy kind + itemsize, e.g. `f8`. */
  code: string;
  /** Bytes per element (a complex element counts both parts). */
  itemsize: number;
  /** Bytes per scalar component (half of `itemsize` for complex). */
  component: number;
  complex: boolean;
  make(n: number): NpyData;
}

const DTYPES: Record<NpyDType, DTypeInfo> = {
  bool: { code: 'b1', itemsize: 1, component: 1, complex: false, make: (n) => new Uint8Array(n) },
  int8: { code: 'i1', itemsize: 1, component: 1, complex: false, make: (n) => new Int8Array(n) },
  uint8: { code: 'u1', itemsize: 1, component: 1, complex: false, make: (n) => new Uint8Array(n) },
  int16: { code: 'i2', itemsize: 2, component: 2, complex: false, make: (n) => new Int16Array(n) },
  uint16: { code: 'u2', itemsize: 2, component: 2, complex: false, make: (n) => new Uint16Array(n) },
  int32: { code: 'i4', itemsize: 4, component: 4, complex: false, make: (n) => new Int32Array(n) },
  uint32: { code: 'u4', itemsize: 4, component: 4, complex: false, make: (n) => new Uint32Array(n) },
  int64: { code: 'i8', itemsize: 8, component: 8, complex: false, make: (n) => new BigInt64Array(n) },
  uint64: { code: 'u8', itemsize: 8, component: 8, complex: false, make: (n) => new BigUint64Array(n) },
  float16: { code: 'f2', itemsize: 2, component: 2, complex: false, make: (n) => new Float32Array(n) },
  float32: { code: 'f4', itemsize: 4, component: 4, complex: false, make: (n) => new Float32Array(n) },
  float64: { code: 'f8', itemsize: 8, component: 8, complex: false, make: (n) => new Float64Array(n) },
  complex64: { code: 'c8', itemsize: 8, component: 4, complex: true, make: (n) => new Float32Array(2 * n) },
  complex128: { code: 'c16', itemsize: 16, component: 8, complex: true, make: (n) => new Float64Array(2 * n) },
};

const BY_CODE: Record<string, NpyDType> = Object.fromEntries(
  (Object.keys(DTYPES) as NpyDType[]).map((d) => [DTYPES[d].code, d]),
);

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY

/**
 * Longest NPY header accepted, in bytes (numpy's own `max_header_size` default is 10000: "Header info length is
 * large and may not be safe to load securely").
 */
export const NPY_MAX_HEADER_BYTES = 10_000;

/** Most dimensions an NPY shape may have (numpy's `NPY_MAXDIMS` is 64 since numpy 2.0). */
export const NPY_MAX_DIMS = 64;

function sizeOf(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** Number of typed-array entries `data` must have for `dtype` and `shape`. */
function storageLength(dtype: NpyDType, shape: readonly number[]): number {
  return (DTYPES[dtype].complex ? 2 : 1) * sizeOf(shape);
}

/**
 * Builds a checked `NpyArray`. Plain number arrays are converted to the dtype's typed array (complex: interleaved
 * re/im; int64/uint64: through `BigInt`).
 * @param dtype element type
 * @param shape dimensions (`[]` for a scalar)
 * @param data values in C order
 * @throws ShapeError when the length does not match `shape`; InvalidArgumentError for a bad shape.
 */
export function npyArray(dtype: NpyDType, shape: readonly number[], data: NpyData | ArrayLike<number>): NpyArray {
  if (!DTYPES[dtype]) throw new DTypeError(`npyArray: unsupported dtype '${dtype}'`);
  for (const d of shape) {
    if (!Number.isInteger(d) || d < 0) throw new InvalidArgumentError(`npyArray: invalid shape (${shape.join(', ')})`);
  }
  const n = storageLength(dtype, shape);
  if (data.length !== n) {
    throw new ShapeError(
      `npyArray: ${dtype} array of shape (${shape.join(', ')}) needs ${n} values, got ${data.length}`,
    );
  }
  const info = DTYPES[dtype];
  const out = info.make(sizeOf(shape));
  if (out instanceof BigInt64Array || out instanceof BigUint64Array) {
    for (let i = 0; i < n; i++) (out as BigInt64Array)[i] = BigInt((data as ArrayLike<number | bigint>)[i] as number);
  } else {
    for (let i = 0; i < n; i++) (out as Float64Array)[i] = Number((data as ArrayLike<number | bigint>)[i]);
  }
  return { dtype, shape: [...shape], data: out };
}

/**
 * The values of a real array as `Float64Array` (int64 through `Number`, bool as 0/1).
 * @throws DTypeError for complex arrays (use `npyComplexParts`).
 */
export function npyToFloat64(a: NpyArray, name = 'array'): Float64Array {
  if (DTYPES[a.dtype].complex) throw new DTypeError(`${name}: expected a real array, got ${a.dtype}`);
  if (a.data instanceof Float64Array) return a.data;
  const out = new Float64Array(a.data.length);
  for (let i = 0; i < out.length; i++) out[i] = Number(a.data[i]);
  return out;
}

/**
 * Real and imaginary parts of an array as two `Float64Array`s (a real array gets zero imaginary parts).
 */
export function npyComplexParts(a: NpyArray): { re: Float64Array; im: Float64Array } {
  const n = sizeOf(a.shape);
  if (!DTYPES[a.dtype].complex) return { re: Float64Array.from(npyToFloat64(a)), im: new Float64Array(n) };
  const re = new Float64Array(n);
  const im = new Float64Array(n);
  const d = a.data as Float32Array | Float64Array;
  for (let i = 0; i < n; i++) {
    re[i] = d[2 * i];
    im[i] = d[2 * i + 1];
  }
  return { re, im };
}

/** A complex128 array from separate real and imaginary parts (C order). */
export function npyComplex(shape: readonly number[], re: ArrayLike<number>, im: ArrayLike<number>): NpyArray {
  const n = sizeOf(shape);
  if (re.length !== n || im.length !== n) {
    throw new ShapeError(
      `npyComplex: shape (${shape.join(', ')}) needs ${n} values, got re ${re.length}, im ${im.length}`,
    );
  }
  const data = new Float64Array(2 * n);
  for (let i = 0; i < n; i++) {
    data[2 * i] = re[i];
    data[2 * i + 1] = im[i];
  }
  return { dtype: 'complex128', shape: [...shape], data };
}

// ---------------------------------------------------------------------------------------------------------------
// float16

function halfToFloat(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const f = h & 0x3ff;
  if (e === 0) return s * f * 2 ** -24;
  if (e === 31) return f ? Number.NaN : s * Number.POSITIVE_INFINITY;
  return s * (1 + f / 1024) * 2 ** (e - 15);
}

function floatToHalf(x: number): number {
  if (Number.isNaN(x)) return 0x7e00;
  const sign = x < 0 || Object.is(x, -0) ? 0x8000 : 0;
  const a = Math.abs(x);
  if (a === Number.POSITIVE_INFINITY) return sign | 0x7c00;
  if (a < 2 ** -24 / 2) return sign; // rounds to zero
  if (a < 2 ** -14) {
    // subnormal: value = f · 2^-24, round half to even
    const f = roundHalfEven(a / 2 ** -24);
    return sign | f; // f may reach 1024 = smallest normal, still encoded correctly
  }
  let e = Math.floor(Math.log2(a));
  if (2 ** e > a) e -= 1;
  if (2 ** (e + 1) <= a) e += 1;
  let f = roundHalfEven((a / 2 ** e - 1) * 1024);
  if (f === 1024) {
    f = 0;
    e += 1;
  }
  if (e > 15) return sign | 0x7c00;
  return sign | ((e + 15) << 10) | f;
}

function roundHalfEven(v: number): number {
  const r = Math.round(v);
  return Math.abs(v - Math.trunc(v)) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

// ---------------------------------------------------------------------------------------------------------------
// header

interface Header {
  dtype: NpyDType;
  littleEndian: boolean;
  fortranOrder: boolean;
  shape: number[];
}

function parseHeader(text: string, file: string): Header {
  const descrMatch = /'descr'\s*:\s*(['"])([^'"]*)\1/.exec(text);
  if (!descrMatch) {
    if (/'descr'\s*:\s*\[/.test(text)) throw new DTypeError(`${file}: structured dtypes are not supported`, { file });
    throw new DatasetFormatError(`${file}: NPY header has no 'descr' entry: ${text.trim()}`, { file });
  }
  const descr = descrMatch[2];
  const fortranMatch = /'fortran_order'\s*:\s*(True|False)/.exec(text);
  if (!fortranMatch) throw new DatasetFormatError(`${file}: NPY header has no 'fortran_order' entry`, { file });
  const shapeMatch = /'shape'\s*:\s*\(([^)]*)\)/.exec(text);
  if (!shapeMatch) throw new DatasetFormatError(`${file}: NPY header has no 'shape' tuple`, { file });
  const parts = shapeMatch[1]
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
  if (parts.length > NPY_MAX_DIMS) {
    throw new DatasetFormatError(`${file}: NPY shape has ${parts.length} dimensions (at most ${NPY_MAX_DIMS})`, {
      file,
    });
  }
  const shape = parts.map((s) => {
    // Python int literals only (no `1e9`, `0x10`, `-1`), and exact: a dimension past 2^53 cannot be a real array.
    const v = /^\d+L?$/.test(s) ? Number(s.replace(/L$/, '')) : Number.NaN;
    if (!Number.isSafeInteger(v)) {
      throw new DatasetFormatError(`${file}: bad NPY shape (${shapeMatch[1].slice(0, 200)})`, { file });
    }
    return v;
  });
  const order = descr[0];
  let code = descr;
  let littleEndian = true;
  if (order === '<' || order === '>' || order === '|' || order === '=') {
    code = descr.slice(1);
    littleEndian = order !== '>';
  }
  const dtype = BY_CODE[code === '?' ? 'b1' : code];
  if (!dtype) {
    throw new DTypeError(
      `${file}: unsupported NPY dtype '${descr}' (supported: bool, int8–64, uint8–64, float16/32/64, complex64/128)`,
      { file, descr },
    );
  }
  return { dtype, littleEndian, fortranOrder: fortranMatch[1] === 'True', shape };
}

/** Python tuple literal of a shape: `()`, `(3,)`, `(2, 3)`. */
function shapeLiteral(shape: readonly number[]): string {
  if (shape.length === 0) return '()';
  if (shape.length === 1) return `(${shape[0]},)`;
  return `(${shape.join(', ')})`;
}

// ---------------------------------------------------------------------------------------------------------------
// element order

/**
 * Reorders elements between C order and Fortran order (`itemWords` typed-array entries per element).
 * `toC: true` reads Fortran-ordered `src` and writes C order; `false` does the reverse.
 */
function reorder<T extends NpyData>(
  src: T,
  shape: readonly number[],
  itemWords: number,
  make: (n: number) => T,
  toC: boolean,
): T {
  const n = sizeOf(shape);
  const nd = shape.length;
  const out = make(n);
  if (nd <= 1 || n === 0) {
    out.set(src as never);
    return out;
  }
  // Fortran strides (in elements).
  const fstride = new Array<number>(nd);
  fstride[0] = 1;
  for (let d = 1; d < nd; d++) fstride[d] = fstride[d - 1] * shape[d - 1];
  const idx = new Array<number>(nd).fill(0);
  const o = out as Float64Array;
  const i = src as Float64Array;
  let f = 0;
  for (let c = 0; c < n; c++) {
    const [to, from] = toC ? [c, f] : [f, c];
    for (let w = 0; w < itemWords; w++) o[to * itemWords + w] = i[from * itemWords + w];
    // increment the C-order multi-index (last axis fastest) and track the Fortran offset
    for (let d = nd - 1; d >= 0; d--) {
      idx[d]++;
      f += fstride[d];
      if (idx[d] < shape[d]) break;
      f -= fstride[d] * shape[d];
      idx[d] = 0;
    }
  }
  return out;
}

/** Permutes Fortran-ordered element indices to C order. */
function fortranToC<T extends NpyData>(src: T, shape: readonly number[], itemWords: number, make: (n: number) => T): T {
  return reorder(src, shape, itemWords, make, true);
}

/** Permutes C-ordered element indices to Fortran order. */
function cToFortran<T extends NpyData>(src: T, shape: readonly number[], itemWords: number, make: (n: number) => T): T {
  return reorder(src, shape, itemWords, make, false);
}

// ---------------------------------------------------------------------------------------------------------------
// .npy

/** Options of {@link parseNpy} / {@link parseNpz}: the name for messages plus the {@link InputLimits} in force. */
export interface ParseNpyOptions extends InputLimits {
  /** Name used in error messages (default `'<buffer>'`). */
  file?: string;
}

interface NpyLayout {
  h: Header;
  /** Offset of the first element. */
  offset: number;
  /** Bytes of element data the header declares. */
  nbytes: number;
}

/**
 * Reads and checks the magic, version and header of an NPY buffer; `null` when `buf` ends inside the header (or
 * before its length field). The declared data size is checked against `limits`.
 */
function npyLayout(buf: Uint8Array, file: string, limits: ResolvedInputLimits): NpyLayout | null {
  if (buf.length < 8) return null;
  if (MAGIC.some((b, i) => buf[i] !== b)) {
    throw new DatasetFormatError(`${file}: not an NPY file (missing \\x93NUMPY magic)`, { file });
  }
  const major = buf[6];
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  let headerLen: number;
  let start: number;
  if (major === 1) {
    if (buf.length < 10) return null;
    headerLen = view.getUint16(8, true);
    start = 10;
  } else if (major === 2 || major === 3) {
    if (buf.length < 12) return null;
    headerLen = view.getUint32(8, true);
    start = 12;
  } else {
    throw new DatasetFormatError(`${file}: unsupported NPY format version ${major}.${buf[7]}`, { file });
  }
  if (headerLen > NPY_MAX_HEADER_BYTES) {
    throw new InputTooLargeError(
      `${file}: NPY header is ${headerLen} bytes, over the limit of ${NPY_MAX_HEADER_BYTES} (numpy refuses such headers too)`,
      { file, declaredBytes: headerLen, limitBytes: NPY_MAX_HEADER_BYTES },
    );
  }
  if (buf.length < start + headerLen) return null;
  const headerBytes = buf.subarray(start, start + headerLen);
  // latin1 maps every byte to one char without spreading the bytes into call arguments (a stack overflow).
  const text =
    major === 3
      ? new TextDecoder('utf-8').decode(headerBytes)
      : Buffer.from(headerBytes.buffer, headerBytes.byteOffset, headerBytes.byteLength).toString('latin1');
  const h = parseHeader(text, file);
  const info = DTYPES[h.dtype];
  const n = shapeProduct(h.shape);
  const nbytes = n * info.itemsize;
  checkDeclaredBytes(nbytes, limits, file, `NPY shape ${shapeLiteral(h.shape)} of ${h.dtype}`);
  return { h, offset: start + headerLen, nbytes };
}

/**
 * Decodes one `.npy` buffer (NPY format 1.0, 2.0 or 3.0).
 * @param buf file contents
 * @param opts `file`: name used in error messages (default `'<buffer>'`); `maxInputBytes`: see {@link InputLimits}
 * @returns the array in C order with host-endian values
 * @throws DatasetFormatError for a bad magic, an unknown version, a malformed header or truncated data;
 *   DTypeError for an unsupported dtype (strings, objects, structured, datetime); InputTooLargeError for a header
 *   over {@link NPY_MAX_HEADER_BYTES} or a shape declaring more than the input limit.
 */
export function parseNpy(buf: Uint8Array, opts: ParseNpyOptions = {}): NpyArray {
  const file = opts.file ?? '<buffer>';
  if (buf.length < 10 || MAGIC.some((b, i) => buf[i] !== b)) {
    throw new DatasetFormatError(`${file}: not an NPY file (missing \\x93NUMPY magic)`, { file });
  }
  const layout = npyLayout(buf, file, resolveInputLimits(opts));
  if (!layout) throw new DatasetFormatError(`${file}: truncated NPY header (${buf.length} bytes)`, { file });
  const { h, offset, nbytes } = layout;
  const info = DTYPES[h.dtype];
  const n = nbytes / info.itemsize;
  if (buf.length < offset + nbytes) {
    throw new DatasetFormatError(
      `${file}: truncated NPY data (shape ${shapeLiteral(h.shape)} of ${h.dtype} needs ${nbytes} bytes, file has ${buf.length - offset})`,
      { file, shape: h.shape },
    );
  }
  // Copy into an aligned buffer, swapping bytes to little endian when needed.
  const raw = new Uint8Array(nbytes);
  raw.set(buf.subarray(offset, offset + nbytes));
  const comp = info.component;
  if (!h.littleEndian && comp > 1) {
    for (let i = 0; i < nbytes; i += comp) {
      for (let a = i, b = i + comp - 1; a < b; a++, b--) {
        const t = raw[a];
        raw[a] = raw[b];
        raw[b] = t;
      }
    }
  }
  let data: NpyData;
  const ab = raw.buffer;
  switch (h.dtype) {
    case 'bool': {
      const u = new Uint8Array(ab);
      for (let i = 0; i < u.length; i++) u[i] = u[i] ? 1 : 0;
      data = u;
      break;
    }
    case 'int8':
      data = new Int8Array(ab);
      break;
    case 'uint8':
      data = new Uint8Array(ab);
      break;
    case 'int16':
      data = new Int16Array(ab);
      break;
    case 'uint16':
      data = new Uint16Array(ab);
      break;
    case 'int32':
      data = new Int32Array(ab);
      break;
    case 'uint32':
      data = new Uint32Array(ab);
      break;
    case 'int64':
      data = new BigInt64Array(ab);
      break;
    case 'uint64':
      data = new BigUint64Array(ab);
      break;
    case 'float16': {
      const u = new Uint16Array(ab);
      const f = new Float32Array(n);
      for (let i = 0; i < n; i++) f[i] = halfToFloat(u[i]);
      data = f;
      break;
    }
    case 'float32':
    case 'complex64':
      data = new Float32Array(ab);
      break;
    default:
      data = new Float64Array(ab);
  }
  if (h.fortranOrder) data = fortranToC(data, h.shape, info.complex ? 2 : 1, (k) => info.make(k));
  return { dtype: h.dtype, shape: h.shape, data };
}

/** Options of `encodeNpy` / `writeNpy`. */
export interface EncodeNpyOptions {
  /** Byte order of the written elements (default `'little'`, numpy's `<`). */
  endian?: 'little' | 'big';
  /** Write the elements in Fortran (column-major) order with `fortran_order: True` (default false). */
  fortranOrder?: boolean;
}

/**
 * Encodes an array as `.npy` bytes, byte-identical to `numpy.save` for little-endian C-order input: format 1.0
 * (2.0 when the header exceeds 65535 bytes), header padded with spaces and `\n` to a 64-byte boundary.
 * @param a the array (C order)
 * @param opts `endian` (default little), `fortranOrder` (default false)
 * @throws ShapeError when `a.data` does not match `a.shape`.
 */
export function encodeNpy(a: NpyArray, opts: EncodeNpyOptions = {}): Uint8Array {
  const info = DTYPES[a.dtype];
  if (!info) throw new DTypeError(`encodeNpy: unsupported dtype '${a.dtype}'`);
  const n = sizeOf(a.shape);
  if (a.data.length !== storageLength(a.dtype, a.shape)) {
    throw new ShapeError(
      `encodeNpy: ${a.dtype} data has ${a.data.length} values, shape ${shapeLiteral(a.shape)} needs ${storageLength(a.dtype, a.shape)}`,
    );
  }
  const big = opts.endian === 'big';
  const order = info.itemsize === 1 ? '|' : big ? '>' : '<';
  // numpy adds spare spaces after the dict so the growth axis can be rewritten in place (GROWTH_AXIS_MAX_DIGITS = 21).
  const growth = a.shape.length > 0 ? 21 - String(a.shape[opts.fortranOrder ? a.shape.length - 1 : 0]).length : 0;
  const dict = `{'descr': '${order}${info.code}', 'fortran_order': ${opts.fortranOrder ? 'True' : 'False'}, 'shape': ${shapeLiteral(a.shape)}, }${' '.repeat(growth)}`;
  // Same padding rule as numpy's _wrap_header: padlen = 64 − ((prefix + len + 1) mod 64), which is 64 (not 0) when
  // the unpadded header is already aligned.
  let major = 1;
  let pre = 10;
  let pad = 64 - ((pre + dict.length + 1) % 64);
  if (dict.length + 1 + pad > 0xffff) {
    major = 2;
    pre = 12;
    pad = 64 - ((pre + dict.length + 1) % 64);
  }
  const header = `${dict}${' '.repeat(pad)}\n`;
  const padded = pre + header.length;
  const nbytes = n * info.itemsize;
  const out = new Uint8Array(padded + nbytes);
  out.set(MAGIC, 0);
  out[6] = major;
  out[7] = 0;
  const view = new DataView(out.buffer);
  if (major === 1) view.setUint16(8, header.length, true);
  else view.setUint32(8, header.length, true);
  for (let i = 0; i < header.length; i++) out[pre + i] = header.charCodeAt(i);
  let data: NpyData = a.data;
  if (opts.fortranOrder) data = cToFortran(data, a.shape, info.complex ? 2 : 1, (k) => info.make(k));
  const body = new DataView(out.buffer, padded);
  const le = !big;
  const m = data.length;
  switch (a.dtype) {
    case 'bool':
      for (let i = 0; i < m; i++) out[padded + i] = data[i] ? 1 : 0;
      break;
    case 'int8':
      for (let i = 0; i < m; i++) body.setInt8(i, data[i] as number);
      break;
    case 'uint8':
      for (let i = 0; i < m; i++) body.setUint8(i, data[i] as number);
      break;
    case 'int16':
      for (let i = 0; i < m; i++) body.setInt16(2 * i, data[i] as number, le);
      break;
    case 'uint16':
      for (let i = 0; i < m; i++) body.setUint16(2 * i, data[i] as number, le);
      break;
    case 'int32':
      for (let i = 0; i < m; i++) body.setInt32(4 * i, data[i] as number, le);
      break;
    case 'uint32':
      for (let i = 0; i < m; i++) body.setUint32(4 * i, data[i] as number, le);
      break;
    case 'int64':
      for (let i = 0; i < m; i++) body.setBigInt64(8 * i, BigInt(data[i]), le);
      break;
    case 'uint64':
      for (let i = 0; i < m; i++) body.setBigUint64(8 * i, BigInt(data[i]), le);
      break;
    case 'float16':
      for (let i = 0; i < m; i++) body.setUint16(2 * i, floatToHalf(data[i] as number), le);
      break;
    case 'float32':
    case 'complex64':
      for (let i = 0; i < m; i++) body.setFloat32(4 * i, data[i] as number, le);
      break;
    default:
      for (let i = 0; i < m; i++) body.setFloat64(8 * i, data[i] as number, le);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------------
// ZIP (.npz)

const SIG_LOCAL = 0x04034b50;
const SIG_CENTRAL = 0x02014b50;
const SIG_EOCD = 0x06054b50;
const SIG_EOCD64 = 0x06064b50;
const SIG_EOCD64_LOCATOR = 0x07064b50;

interface ZipEntry {
  name: string;
  method: number;
  flags: number;
  crc: number;
  compressedSize: number;
  size: number;
  localOffset: number;
}

function readZipDirectory(buf: Uint8Array, file: string): ZipEntry[] {
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const fail = (why: string): never => {
    throw new DatasetFormatError(`${file}: not a valid .npz (zip) archive: ${why}`, { file });
  };
  // End of central directory: scan back over at most a 64 KiB comment.
  let eocd = -1;
  for (let i = buf.length - 22; i >= Math.max(0, buf.length - 22 - 0xffff); i--) {
    if (view.getUint32(i, true) === SIG_EOCD) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) fail('end-of-central-directory record not found');
  let count = view.getUint16(eocd + 10, true);
  let cdSize = view.getUint32(eocd + 12, true);
  let cdOffset = view.getUint32(eocd + 16, true);
  // ZIP64 end of central directory (locator sits right before the EOCD).
  if (eocd >= 20 && view.getUint32(eocd - 20, true) === SIG_EOCD64_LOCATOR) {
    const at = Number(view.getBigUint64(eocd - 20 + 8, true));
    if (at + 56 > buf.length || view.getUint32(at, true) !== SIG_EOCD64) fail('bad ZIP64 end-of-central-directory');
    count = Number(view.getBigUint64(at + 32, true));
    cdSize = Number(view.getBigUint64(at + 40, true));
    cdOffset = Number(view.getBigUint64(at + 48, true));
  }
  if (cdOffset + cdSize > buf.length) fail(`central directory (offset ${cdOffset}, ${cdSize} bytes) lies past the end`);
  // Every central entry takes at least 46 bytes: a larger count is a lie (and would spin the loop below).
  if (count > Math.floor(cdSize / 46) + 1 || count > Math.floor(buf.length / 46)) {
    fail(`central directory claims ${count} entries in ${cdSize} bytes`);
  }
  const entries: ZipEntry[] = [];
  let p = cdOffset;
  for (let k = 0; k < count; k++) {
    if (p + 46 > buf.length || view.getUint32(p, true) !== SIG_CENTRAL) fail(`bad central directory entry ${k}`);
    const flags = view.getUint16(p + 8, true);
    const method = view.getUint16(p + 10, true);
    const crc = view.getUint32(p + 16, true);
    let compressedSize = view.getUint32(p + 20, true);
    let size = view.getUint32(p + 24, true);
    const nameLen = view.getUint16(p + 28, true);
    const extraLen = view.getUint16(p + 30, true);
    const commentLen = view.getUint16(p + 32, true);
    let localOffset = view.getUint32(p + 42, true);
    if (p + 46 + nameLen + extraLen + commentLen > buf.length) fail(`central directory entry ${k} runs past the end`);
    const name = new TextDecoder('utf-8').decode(buf.subarray(p + 46, p + 46 + nameLen));
    // ZIP64 extended information: only the fields whose 32-bit value is 0xFFFFFFFF are present, in this order.
    let e = p + 46 + nameLen;
    const extraEnd = e + extraLen;
    while (e + 4 <= extraEnd) {
      const id = view.getUint16(e, true);
      const len = view.getUint16(e + 2, true);
      const fieldEnd = Math.min(e + 4 + len, extraEnd);
      if (id === 0x0001) {
        let q = e + 4;
        const u64 = (): number => {
          if (q + 8 > fieldEnd) fail(`truncated ZIP64 extra field in central directory entry ${k}`);
          const v = Number(view.getBigUint64(q, true));
          q += 8;
          return v;
        };
        if (size === 0xffffffff) size = u64();
        if (compressedSize === 0xffffffff) compressedSize = u64();
        if (localOffset === 0xffffffff) localOffset = u64();
      }
      e += 4 + len;
    }
    entries.push({ name, method, flags, crc, compressedSize, size, localOffset });
    p = extraEnd + commentLen;
  }
  return entries;
}

/** Extra inflated bytes tolerated past an NPY member's declared size (reported as a size mismatch, not a bomb). */
const MEMBER_SLACK = 64 * 1024;

function readZipEntry(buf: Uint8Array, entry: ZipEntry, file: string, limits: ResolvedInputLimits): Uint8Array {
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const at = entry.localOffset;
  if (at + 30 > buf.length || view.getUint32(at, true) !== SIG_LOCAL) {
    throw new DatasetFormatError(`${file}: bad local header for member '${entry.name}'`, { file, member: entry.name });
  }
  if (entry.flags & 1) {
    throw new DatasetFormatError(`${file}: member '${entry.name}' is encrypted`, { file, member: entry.name });
  }
  const start = at + 30 + view.getUint16(at + 26, true) + view.getUint16(at + 28, true);
  const end = start + entry.compressedSize;
  if (end > buf.length) {
    throw new DatasetFormatError(`${file}: member '${entry.name}' is truncated`, { file, member: entry.name });
  }
  const packed = buf.subarray(start, end);
  const details = { file, member: entry.name };
  let data: Uint8Array;
  if (entry.method === 0) data = packed;
  else if (entry.method === 8) {
    // Inflate the member's NPY header first, then the rest with a cap: the smaller of the directory's size and
    // the size the NPY header declares (plus a little slack, so a small mismatch is reported as such).
    const label = `${file}: member '${entry.name}'`;
    const head = inflateHead('deflate-raw', packed, 12 + NPY_MAX_HEADER_BYTES, label, details);
    let layout: NpyLayout | null = null;
    try {
      layout = npyLayout(head, `${file}[${entry.name}]`, limits);
    } catch (err) {
      if (err instanceof InputTooLargeError) throw err;
      layout = null; // a malformed header is reported by parseNpy with its usual message
    }
    const declared = layout ? layout.offset + layout.nbytes + MEMBER_SLACK : Number.POSITIVE_INFINITY;
    const cap = Math.min(entry.size, declared);
    const what =
      cap === entry.size
        ? `its zip directory entry`
        : `its NPY header (shape ${shapeLiteral(layout?.h.shape ?? [])} of ${layout?.h.dtype})`;
    data = inflateCapped('deflate-raw', packed, cap, label, what, details);
  } else {
    throw new DatasetFormatError(
      `${file}: member '${entry.name}' uses zip compression method ${entry.method} (supported: 0 stored, 8 deflate)`,
      { file, member: entry.name },
    );
  }
  if (data.length !== entry.size) {
    throw new DatasetFormatError(
      `${file}: member '${entry.name}' has ${data.length} bytes, directory says ${entry.size}`,
      {
        file,
        member: entry.name,
      },
    );
  }
  if (crc32(data) >>> 0 !== entry.crc >>> 0) {
    throw new DatasetFormatError(`${file}: CRC-32 mismatch in member '${entry.name}' (corrupt archive)`, {
      file,
      member: entry.name,
    });
  }
  return data;
}

/**
 * Decodes an `.npz` archive (from `numpy.savez`, `numpy.savez_compressed` or `encodeNpz`) into its arrays, keyed by
 * member name without the `.npy` suffix. Members that are not `.npy` files are ignored.
 * @param buf archive contents
 * @param opts `file`: name used in error messages (default `'<buffer>'`); `maxInputBytes`: see {@link InputLimits}
 * @throws DatasetFormatError for a damaged archive (no end record, bad headers, CRC mismatch, unknown compression);
 *   InputTooLargeError when the directory or a member's NPY header declares more than the input limit, or a
 *   member inflates past its declared size (a decompression bomb); the `parseNpy` errors for a bad member (its name
 *   is part of the message).
 */
export function parseNpz(buf: Uint8Array, opts: ParseNpyOptions = {}): Record<string, NpyArray> {
  const file = opts.file ?? '<buffer>';
  const limits = resolveInputLimits(opts);
  const out: Record<string, NpyArray> = {};
  const members = readZipDirectory(buf, file).filter((e) => e.name.endsWith('.npy'));
  // The decoded arrays must fit together: bound the sum of the sizes the directory declares before inflating any.
  const total = members.reduce((s, e) => s + e.size, 0);
  checkDeclaredBytes(total, limits, file, `the zip directory (${members.length} .npy members)`);
  for (const entry of members) {
    const key = entry.name.slice(0, -4);
    out[key] = parseNpy(readZipEntry(buf, entry, file, limits), { ...limits, file: `${file}[${key}]` });
  }
  return out;
}

/** Options of `encodeNpz` / `writeNpz`. */
export interface EncodeNpzOptions extends EncodeNpyOptions {
  /** Deflate the members like `numpy.savez_compressed` (default false, like `numpy.savez`). */
  compressed?: boolean;
}

/**
 * Encodes arrays as an `.npz` archive that `numpy.load` reads: one `<key>.npy` member per array, stored or
 * deflated (`compressed`), fixed 1980-01-01 timestamps so identical input gives identical bytes.
 * @param arrays arrays by key (keys become member names `<key>.npy`)
 * @param opts `compressed` (default false) plus the `encodeNpy` options for every member
 * @throws InvalidArgumentError when the archive would need ZIP64 (> 4 GiB or > 65535 members).
 */
export function encodeNpz(arrays: Record<string, NpyArray>, opts: EncodeNpzOptions = {}): Uint8Array {
  const enc = new TextEncoder();
  const keys = Object.keys(arrays);
  if (keys.length > 0xffff)
    throw new InvalidArgumentError(`encodeNpz: ${keys.length} arrays exceed the zip limit 65535`);
  const locals: Uint8Array[] = [];
  const centrals: Uint8Array[] = [];
  let offset = 0;
  const DOS_DATE = (0 << 9) | (1 << 5) | 1; // 1980-01-01
  for (const key of keys) {
    const name = enc.encode(`${key}.npy`);
    const raw = encodeNpy(arrays[key], opts);
    const packed = opts.compressed ? deflateRawSync(raw) : raw;
    const method = opts.compressed ? 8 : 0;
    const crc = crc32(raw) >>> 0;
    if (raw.length > 0xfffffffe || offset > 0xfffffffe) {
      throw new InvalidArgumentError(`encodeNpz: array '${key}' makes the archive exceed 4 GiB (ZIP64 not written)`);
    }
    const local = new Uint8Array(30 + name.length + packed.length);
    const lv = new DataView(local.buffer);
    lv.setUint32(0, SIG_LOCAL, true);
    lv.setUint16(4, 20, true);
    lv.setUint16(6, 0, true);
    lv.setUint16(8, method, true);
    lv.setUint16(10, 0, true);
    lv.setUint16(12, DOS_DATE, true);
    lv.setUint32(14, crc, true);
    lv.setUint32(18, packed.length, true);
    lv.setUint32(22, raw.length, true);
    lv.setUint16(26, name.length, true);
    lv.setUint16(28, 0, true);
    local.set(name, 30);
    local.set(packed, 30 + name.length);
    const central = new Uint8Array(46 + name.length);
    const cv = new DataView(central.buffer);
    cv.setUint32(0, SIG_CENTRAL, true);
    cv.setUint16(4, 20, true);
    cv.setUint16(6, 20, true);
    cv.setUint16(8, 0, true);
    cv.setUint16(10, method, true);
    cv.setUint16(12, 0, true);
    cv.setUint16(14, DOS_DATE, true);
    cv.setUint32(16, crc, true);
    cv.setUint32(20, packed.length, true);
    cv.setUint32(24, raw.length, true);
    cv.setUint16(28, name.length, true);
    cv.setUint32(38, 0o100644 * 0x10000, true); // external attributes: regular file, rw-r--r--
    cv.setUint32(42, offset, true);
    central.set(name, 46);
    locals.push(local);
    centrals.push(central);
    offset += local.length;
  }
  const cdSize = centrals.reduce((s, c) => s + c.length, 0);
  const eocd = new Uint8Array(22);
  const ev = new DataView(eocd.buffer);
  ev.setUint32(0, SIG_EOCD, true);
  ev.setUint16(8, keys.length, true);
  ev.setUint16(10, keys.length, true);
  ev.setUint32(12, cdSize, true);
  ev.setUint32(16, offset, true);
  const out = new Uint8Array(offset + cdSize + 22);
  let p = 0;
  for (const part of [...locals, ...centrals, eocd]) {
    out.set(part, p);
    p += part.length;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------------
// files

function readFileOrThrow(path: string, limits: ResolvedInputLimits): Uint8Array {
  if (!existsSync(path)) throw new DatasetNotFoundError(`${path}: file not found`, { file: path });
  return readFileWithinLimit(path, limits);
}

/**
 * Reads a `.npy` file (see `parseNpy`).
 * @throws DatasetNotFoundError when the file is absent; InputTooLargeError when it is (or declares) more than the
 *   input limit.
 */
export function readNpy(path: string, limits: InputLimits = {}): NpyArray {
  const l = resolveInputLimits(limits);
  return parseNpy(readFileOrThrow(path, l), { ...l, file: path });
}

/** Writes a `.npy` file (see `encodeNpy`). */
export function writeNpy(path: string, a: NpyArray, opts: EncodeNpyOptions = {}): void {
  writeFileSync(path, encodeNpy(a, opts));
}

/**
 * Reads a `.npz` file (see `parseNpz`).
 * @throws DatasetNotFoundError when the file is absent; InputTooLargeError when it is (or declares, or inflates to)
 *   more than the input limit.
 */
export function readNpz(path: string, limits: InputLimits = {}): Record<string, NpyArray> {
  const l = resolveInputLimits(limits);
  return parseNpz(readFileOrThrow(path, l), { ...l, file: path });
}

/** Writes a `.npz` file (see `encodeNpz`; `compressed: true` matches `numpy.savez_compressed`). */
export function writeNpz(path: string, arrays: Record<string, NpyArray>, opts: EncodeNpzOptions = {}): void {
  writeFileSync(path, encodeNpz(arrays, opts));
}
