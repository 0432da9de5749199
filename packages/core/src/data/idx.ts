/**
 * Reader for the IDX format of MNIST / Fashion-MNIST (http://yann.lecun.com/exdb/mnist/, "FILE FORMATS").
 */
import { DatasetFormatError, DatasetNotFoundError } from '../errors.js';
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

/** Element type of an IDX file. */
export type IdxDType = 'uint8' | 'int8' | 'int16' | 'int32' | 'float32' | 'float64';

/** A decoded IDX tensor: row-major `data` with `shape` (first dimension = number of items). */
export interface IdxTensor {
  dtype: IdxDType;
  shape: number[];
  data: Uint8Array | Int8Array | Int16Array | Int32Array | Float32Array | Float64Array;
}

const DTYPES: Record<number, { dtype: IdxDType; bytes: number }> = {
  8: { dtype: 'uint8', bytes: 1 },
  9: { dtype: 'int8', bytes: 1 },
  11: { dtype: 'int16', bytes: 2 },
  12: { dtype: 'int32', bytes: 4 },
  13: { dtype: 'float32', bytes: 4 },
  14: { dtype: 'float64', bytes: 8 },
};

/** Options of {@link readIdx}: the name for messages plus the {@link InputLimits} in force. */
export interface ReadIdxOptions extends InputLimits {
  /** Name used in error messages (default `'<buffer>'`). */
  file?: string;
}

/** Longest IDX header: magic + 255 dimensions. */
const IDX_MAX_HEADER = 4 + 4 * 255;
/** Extra inflated bytes tolerated past the declared size, so small trailing garbage is reported as such. */
const TRAILING_SLACK = 64 * 1024;

interface IdxHeader {
  info: { dtype: IdxDType; bytes: number };
  shape: number[];
  headerLen: number;
  count: number;
  /** Header + data bytes the header declares. */
  expected: number;
}

/** Parses and bounds-checks the header; `null` when `bytes` is too short to hold it. */
function parseIdxHeader(bytes: Uint8Array, file: string, limits: ResolvedInputLimits): IdxHeader | null {
  if (bytes.length < 4) return null;
  if (bytes[0] !== 0 || bytes[1] !== 0) {
    const magic = Array.from(bytes.subarray(0, 4), (b) => b.toString(16).padStart(2, '0')).join(' ');
    throw new DatasetFormatError(`${file}: bad IDX magic ${magic} (expected 00 00 <dtype> <ndim>)`, { file });
  }
  const info = DTYPES[bytes[2]];
  if (!info) {
    throw new DatasetFormatError(`${file}: unknown IDX dtype 0x${bytes[2].toString(16).padStart(2, '0')}`, { file });
  }
  const ndim = bytes[3];
  const headerLen = 4 + 4 * ndim;
  if (bytes.length < headerLen) return null;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const shape: number[] = [];
  for (let d = 0; d < ndim; d++) shape.push(view.getUint32(4 + 4 * d, false));
  // The product of up to 255 uint32 dimensions overflows doubles: bound it before multiplying by the item size.
  const count = shapeProduct(shape);
  const expected = headerLen + count * info.bytes;
  checkDeclaredBytes(expected, limits, file, `IDX header (shape [${shape}] of ${info.dtype})`);
  return { info, shape, headerLen, count, expected };
}

/**
 * Parses an IDX buffer. Gzip input (magic `1f 8b`) is inflated with a cap: the IDX header is inflated first, and the
 * rest may not inflate to more than the size that header declares.
 * Layout: magic `00 00 <dtype> <ndim>`, then `ndim` big-endian uint32 dimensions, then Π dims big-endian values.
 * dtypes: 0x08 u8, 0x09 i8, 0x0B i16, 0x0C i32, 0x0D f32, 0x0E f64.
 * @param buf file contents (raw or gzip)
 * @param opts `file`: name used in error messages (default `'<buffer>'`); `maxInputBytes`: see {@link InputLimits}
 * @throws InputTooLargeError when the header declares more than the input limit or the gzip stream inflates past
 *   the declared size; DatasetFormatError on corrupt gzip, bad magic, unknown dtype, truncated data or trailing bytes.
 */
export function readIdx(buf: Uint8Array, opts: ReadIdxOptions = {}): IdxTensor {
  const file = opts.file ?? '<buffer>';
  const limits = resolveInputLimits(opts);
  let bytes = buf;
  if (bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b) {
    const head = parseIdxHeader(inflateHead('gzip', buf, IDX_MAX_HEADER, file), file, limits);
    // Without a complete header the stream is shorter than IDX_MAX_HEADER (or corrupt): inflate it under that cap.
    const cap = head ? head.expected + TRAILING_SLACK : IDX_MAX_HEADER;
    const what = head ? `its IDX header (shape [${head.shape}] of ${head.info.dtype})` : 'an IDX header';
    bytes = inflateCapped('gzip', buf, cap, file, what);
  }
  if (bytes.length < 4) {
    throw new DatasetFormatError(`${file}: truncated IDX file (${bytes.length} bytes, header needs 4)`, { file });
  }
  const h = parseIdxHeader(bytes, file, limits);
  if (!h) {
    throw new DatasetFormatError(`${file}: truncated IDX header (${bytes.length} bytes, needs ${4 + 4 * bytes[3]})`, {
      file,
    });
  }
  const { info, shape, headerLen, count, expected } = h;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.length < expected) {
    throw new DatasetFormatError(
      `${file}: truncated IDX data (${bytes.length} bytes, shape [${shape}] of ${info.dtype} needs ${expected})`,
      { file, shape },
    );
  }
  if (bytes.length > expected) {
    throw new DatasetFormatError(
      `${file}: ${bytes.length - expected} trailing bytes after IDX data of shape [${shape}] (${info.dtype})`,
      { file, shape },
    );
  }
  const off = headerLen;
  let data: IdxTensor['data'];
  switch (info.dtype) {
    case 'uint8':
      data = new Uint8Array(bytes.buffer, bytes.byteOffset + off, count); // a view, as a plain Uint8Array
      break;
    case 'int8':
      data = new Int8Array(bytes.buffer, bytes.byteOffset + off, count);
      break;
    case 'int16': {
      const a = new Int16Array(count);
      for (let i = 0; i < count; i++) a[i] = view.getInt16(off + 2 * i, false);
      data = a;
      break;
    }
    case 'int32': {
      const a = new Int32Array(count);
      for (let i = 0; i < count; i++) a[i] = view.getInt32(off + 4 * i, false);
      data = a;
      break;
    }
    case 'float32': {
      const a = new Float32Array(count);
      for (let i = 0; i < count; i++) a[i] = view.getFloat32(off + 4 * i, false);
      data = a;
      break;
    }
    case 'float64': {
      const a = new Float64Array(count);
      for (let i = 0; i < count; i++) a[i] = view.getFloat64(off + 8 * i, false);
      data = a;
      break;
    }
  }
  return { dtype: info.dtype, shape, data };
}

/**
 * Reads and parses an IDX file (gzip or raw) from disk.
 * @param opts `hint` appended to the not-found message; `maxInputBytes` (see {@link InputLimits}) bounds both the file
 *   size and the size its header declares
 * @throws DatasetNotFoundError when the file is absent (`hint` is appended to the message), DatasetFormatError when
 * it is malformed, InputTooLargeError when it is (or declares) more than the input limit.
 */
export function readIdxFile(path: string, opts: { hint?: string } & InputLimits = {}): IdxTensor {
  const limits = resolveInputLimits(opts);
  let buf: Buffer;
  try {
    buf = readFileWithinLimit(path, limits);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') {
      throw new DatasetNotFoundError(`${path}: file not found${opts.hint ? `. ${opts.hint}` : ''}`, { file: path });
    }
    throw err;
  }
  return readIdx(buf, { ...limits, file: path });
}

/**
 * Encodes a tensor in IDX format (big-endian, uncompressed), the inverse of {@link readIdx}. Used to build
 * fixtures; gzip the result with `zlib.gzipSync` for `.gz` files.
 */
export function writeIdx(t: IdxTensor): Uint8Array {
  const codes: Record<IdxDType, number> = {
    uint8: 0x08,
    int8: 0x09,
    int16: 0x0b,
    int32: 0x0c,
    float32: 0x0d,
    float64: 0x0e,
  };
  const bytesPer = DTYPES[codes[t.dtype]].bytes;
  const count = t.shape.reduce((a, b) => a * b, 1);
  if (t.data.length !== count) {
    throw new DatasetFormatError(`writeIdx: data has ${t.data.length} values, shape [${t.shape}] needs ${count}`);
  }
  const header = 4 + 4 * t.shape.length;
  const out = new Uint8Array(header + count * bytesPer);
  const view = new DataView(out.buffer);
  out[2] = codes[t.dtype];
  out[3] = t.shape.length;
  for (let d = 0; d < t.shape.length; d++) view.setUint32(4 + 4 * d, t.shape[d], false);
  for (let i = 0; i < count; i++) {
    const v = t.data[i];
    const o = header + i * bytesPer;
    switch (t.dtype) {
      case 'uint8':
        view.setUint8(o, v);
        break;
      case 'int8':
        view.setInt8(o, v);
        break;
      case 'int16':
        view.setInt16(o, v, false);
        break;
      case 'int32':
        view.setInt32(o, v, false);
        break;
      case 'float32':
        view.setFloat32(o, v, false);
        break;
      case 'float64':
        view.setFloat64(o, v, false);
        break;
    }
  }
  return out;
}
