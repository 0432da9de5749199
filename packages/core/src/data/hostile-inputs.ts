/**
 * Builders of hostile data files for tests (decompression bombs, oversized headers), made at test time in
 * milliseconds without ever holding the inflated data. Not exported from the package.
 *
 * A deflate bomb here is a chain of independent, byte-aligned segments: each is 1 MiB of zeros deflated by a fresh
 * compressor and ended with a sync flush (an empty stored block), so it references nothing before it and can be
 * repeated; a final empty fixed-Huffman block (`03 00`) closes the stream. One segment is ~1 KiB, so a stream that
 * inflates to 3 GiB takes ~3 MiB.
 */
import { crc32, deflateRawSync, constants as zc } from 'node:zlib';

const MiB = 1024 * 1024;
let zeroSegment: Buffer | undefined;

/** Raw deflate stream of `prefix` followed by `zeroMiB` MiB of zeros (checksums are the caller's business). */
export function deflateBombRaw(prefix: Uint8Array, zeroMiB: number): Buffer {
  zeroSegment ??= deflateRawSync(Buffer.alloc(MiB), { finishFlush: zc.Z_SYNC_FLUSH });
  const head = deflateRawSync(prefix, { finishFlush: zc.Z_SYNC_FLUSH });
  const parts: Buffer[] = [head];
  for (let i = 0; i < zeroMiB; i++) parts.push(zeroSegment);
  parts.push(Buffer.from([0x03, 0x00]));
  return Buffer.concat(parts);
}

/** A gzip file of `prefix` + `zeroMiB` MiB of zeros (CRC and size trailer not matching: they are never reached). */
export function gzipBomb(prefix: Uint8Array, zeroMiB: number): Buffer {
  const header = Buffer.from([0x1f, 0x8b, 0x08, 0x00, 0, 0, 0, 0, 0x00, 0x03]);
  return Buffer.concat([header, deflateBombRaw(prefix, zeroMiB), Buffer.alloc(8)]);
}

/** A zlib stream (as in PNG IDAT) of `prefix` + `zeroMiB` MiB of zeros (Adler-32 not matching). */
export function zlibBomb(prefix: Uint8Array, zeroMiB: number): Buffer {
  return Buffer.concat([Buffer.from([0x78, 0x9c]), deflateBombRaw(prefix, zeroMiB), Buffer.alloc(4)]);
}

/** IDX header bytes for `shape` of uint8. */
export function idxHeader(shape: readonly number[]): Buffer {
  const b = Buffer.alloc(4 + 4 * shape.length);
  b[2] = 0x08;
  b[3] = shape.length;
  for (let i = 0; i < shape.length; i++) b.writeUInt32BE(shape[i], 4 + 4 * i);
  return b;
}

/** An NPY 1.0 header (magic, version, length, dict padded to 64 bytes) for `shape` of `descr`. */
export function npyHeader(descr: string, shape: string): Buffer {
  const dict = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${shape}, }`;
  const pad = 64 - ((10 + dict.length + 1) % 64);
  const text = `${dict}${' '.repeat(pad)}\n`;
  const b = Buffer.alloc(10 + text.length);
  Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]).copy(b);
  b.writeUInt16LE(text.length, 8);
  b.write(text, 10, 'latin1');
  return b;
}

/** An NPY 2.0 file whose header is `headerBytes` long (spaces, then a valid dict) and one float64 element. */
export function npyHugeHeader(headerBytes: number): Buffer {
  const dict = "{'descr': '<f8', 'fortran_order': False, 'shape': (1,), }";
  const text = `${' '.repeat(Math.max(0, headerBytes - dict.length - 1))}${dict}\n`;
  const b = Buffer.alloc(12 + text.length + 8);
  Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 2, 0]).copy(b);
  b.writeUInt32LE(text.length, 8);
  b.write(text, 12, 'latin1');
  return b;
}

/** Options of {@link zipOne}. */
export interface ZipOneOptions {
  /** Compression method in the headers (default 8, deflate). */
  method?: number;
  /** Uncompressed size the directory declares; written through a ZIP64 extra field when ≥ 0xFFFFFFFF. */
  size: number;
  /** CRC-32 the directory declares (default 0). */
  crc?: number;
}

/** A one-member ZIP archive holding `packed` as `name`, with the sizes and CRC the caller wants declared. */
export function zipOne(name: string, packed: Uint8Array, opts: ZipOneOptions): Buffer {
  const nameBuf = Buffer.from(name, 'utf8');
  const method = opts.method ?? 8;
  const zip64 = opts.size >= 0xffffffff;
  /**
   * The fields the local header and the central directory entry share, in the same order from `at` (the method):
   * method, (time, date,) CRC-32, compressed size, uncompressed size, name length.
   */
  const writeEntryFields = (b: Buffer, at: number) => {
    b.writeUInt16LE(method, at);
    b.writeUInt32LE(opts.crc ?? 0, at + 6);
    b.writeUInt32LE(packed.length, at + 10);
    b.writeUInt32LE(zip64 ? 0xffffffff : opts.size, at + 14);
    b.writeUInt16LE(nameBuf.length, at + 18);
  };
  const local = Buffer.alloc(30 + nameBuf.length);
  local.writeUInt32LE(0x04034b50, 0);
  local.writeUInt16LE(20, 4);
  writeEntryFields(local, 8);
  nameBuf.copy(local, 30);
  const extra = zip64 ? Buffer.alloc(12) : Buffer.alloc(0);
  if (zip64) {
    extra.writeUInt16LE(0x0001, 0);
    extra.writeUInt16LE(8, 2);
    extra.writeBigUInt64LE(BigInt(opts.size), 4);
  }
  const central = Buffer.alloc(46 + nameBuf.length + extra.length);
  central.writeUInt32LE(0x02014b50, 0);
  central.writeUInt16LE(45, 4);
  central.writeUInt16LE(45, 6);
  writeEntryFields(central, 10);
  central.writeUInt16LE(extra.length, 30);
  central.writeUInt32LE(0, 42);
  nameBuf.copy(central, 46);
  extra.copy(central, 46 + nameBuf.length);
  const cdOffset = local.length + packed.length;
  const eocd = Buffer.alloc(22);
  eocd.writeUInt32LE(0x06054b50, 0);
  eocd.writeUInt16LE(1, 8);
  eocd.writeUInt16LE(1, 10);
  eocd.writeUInt32LE(central.length, 12);
  eocd.writeUInt32LE(cdOffset, 16);
  return Buffer.concat([local, packed, central, eocd]);
}

function pngChunk(type: string, data: Uint8Array): Buffer {
  const b = Buffer.alloc(12 + data.length);
  b.writeUInt32BE(data.length, 0);
  b.write(type, 4, 'latin1');
  Buffer.from(data).copy(b, 8);
  b.writeUInt32BE(crc32(b.subarray(4, 8 + data.length)) >>> 0, 8 + data.length);
  return b;
}

/**
 * A PNG declaring `width`×`height` (8-bit RGBA, `interlace` 0/1) whose IDAT is `idat` (a zlib stream), e.g. a
 * 20000×20000 header over a few bytes of compressed data.
 */
export function pngWithHeader(width: number, height: number, idat: Uint8Array, interlace = 0): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 6; // RGBA
  ihdr[12] = interlace;
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    pngChunk('IHDR', ihdr),
    pngChunk('IDAT', idat),
    pngChunk('IEND', new Uint8Array(0)),
  ]);
}

/** A JPEG that is only SOI + a baseline SOF0 declaring `width`×`height` with 3 components + EOI. */
export function jpegWithHeader(width: number, height: number): Buffer {
  const sof = [0xff, 0xc0, 0x00, 0x11, 8, height >> 8, height & 0xff, width >> 8, width & 0xff, 3];
  for (let c = 1; c <= 3; c++) sof.push(c, 0x11, 0);
  return Buffer.from([0xff, 0xd8, ...sof, 0xff, 0xd9]);
}
