/**
 * Pure-JS image decoding (PNG via pngjs, JPEG via jpeg-js), PNG encoding, image-file listing, channel conversion and
 * antialiased bilinear resizing.
 */
import { readdirSync, realpathSync, statSync } from 'node:fs';
import { extname, join } from 'node:path';
import * as jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import {
  DatasetFormatError,
  DatasetNotFoundError,
  InputTooLargeError,
  InvalidArgumentError,
  UnsafePathError,
} from '../errors.js';
import { isInside } from '../io/confined-path.js';
import {
  checkDeclaredBytes,
  formatBytes,
  type InputLimits,
  inflateCapped,
  MAX_IMAGE_PIXELS_ENV,
  type ResolvedInputLimits,
  readFileWithinLimit,
  resolveInputLimits,
} from './limits.js';

/** A decoded 8-bit image: `data` is RGBA, row-major, 4 bytes per pixel. */
export interface DecodedImage {
  width: number;
  height: number;
  data: Uint8Array;
  /** True when the file is greyscale (PNG colour type 0/4, JPEG with one component). */
  gray: boolean;
}

/** File extensions {@link decodeImage} understands (lowercase). */
export const IMAGE_EXTENSIONS: readonly string[] = Object.freeze(['.png', '.jpg', '.jpeg']);

/** Options of {@link listImageFiles}. */
export interface ListImageFilesOptions {
  /** Lowercase extensions (with the dot) to keep; matched case-insensitively. Default {@link IMAGE_EXTENSIONS}. */
  extensions?: readonly string[];
  /**
   * Refuse symlinks that lead outside `dir` (UnsafePathError). Default true, for folders named by files the user did
   * not write; a dataset folder the user points at may link its images from elsewhere (`false`).
   */
  confine?: boolean;
}

/**
 * The image files directly inside `dir` (no recursion), as full paths (`join(dir, name)`), sorted by name in byte
 * order (so the order does not depend on the locale). Kept: regular files (or symlinks to regular files) whose
 * extension is one of `opts.extensions`; sub-folders and other files are skipped.
 * @param dir the folder.
 * @param opts `extensions` (default {@link IMAGE_EXTENSIONS}).
 * @throws DatasetNotFoundError when `dir` is not an existing folder; UnsafePathError when a listed entry is a symlink
 *   that leads outside `dir` (the confinement rule of core's file readers).
 */
export function listImageFiles(dir: string, opts: ListImageFilesOptions = {}): string[] {
  const extensions = (opts.extensions ?? IMAGE_EXTENSIONS).map((e) => e.toLowerCase());
  let names: string[];
  let realDir: string;
  try {
    if (!statSync(dir).isDirectory()) throw new Error('not a directory');
    names = readdirSync(dir);
    realDir = realpathSync(dir);
  } catch (e) {
    throw new DatasetNotFoundError(`listImageFiles: image folder ${dir} not found`, { file: dir }, { cause: e });
  }
  const files: string[] = [];
  for (const name of names.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))) {
    if (!extensions.includes(extname(name).toLowerCase())) continue;
    const file = join(dir, name);
    let real: string;
    try {
      real = realpathSync(file);
    } catch {
      continue; // a dangling symlink
    }
    if ((opts.confine ?? true) && !isInside(realDir, real)) {
      throw new UnsafePathError(`listImageFiles: '${name}' in ${dir} is a symlink that leads outside its folder`, {
        root: dir,
        path: name,
      });
    }
    if (statSync(real).isFile()) files.push(file);
  }
  return files;
}

/** PNG colour type per channel count: grey, grey + alpha, RGB, RGBA. */
const PNG_COLOR_TYPE: Record<number, 0 | 4 | 2 | 6> = { 1: 0, 2: 4, 3: 2, 4: 6 };

/**
 * Encodes 8-bit pixels as a PNG file (8 bits per sample, colour type from `channels`: 1 grey, 2 grey + alpha, 3 RGB,
 * 4 RGBA). {@link decodeImage} of the result gives the same pixels back exactly.
 * @param pixels `height × width × channels` integers in 0..255, row-major HWC.
 * @param width image width in pixels.
 * @param height image height in pixels.
 * @param channels samples per pixel (1, 2, 3 or 4). Default 4.
 * @returns the PNG file's bytes.
 * @throws InvalidArgumentError for non-positive sizes, a wrong pixel count, or a value that is not an integer in 0..255.
 */
export function encodePng(
  pixels: ArrayLike<number>,
  width: number,
  height: number,
  channels: 1 | 2 | 3 | 4 = 4,
): Buffer {
  if (!Number.isInteger(width) || width < 1 || !Number.isInteger(height) || height < 1) {
    throw new InvalidArgumentError(`encodePng: width and height must be positive integers, got ${width}×${height}`);
  }
  const colorType = PNG_COLOR_TYPE[channels];
  if (colorType === undefined)
    throw new InvalidArgumentError(`encodePng: channels must be 1, 2, 3 or 4, got ${channels}`);
  const n = width * height;
  if (pixels.length !== n * channels) {
    throw new InvalidArgumentError(
      `encodePng: expected ${n * channels} values (${height}×${width}×${channels}), got ${pixels.length}`,
    );
  }
  const png = new PNG({ width, height });
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < channels; k++) {
      const v = pixels[i * channels + k];
      if (!Number.isInteger(v) || v < 0 || v > 255) {
        throw new InvalidArgumentError(
          `encodePng: pixel value ${v} at index ${i * channels + k} is not an integer in 0..255`,
        );
      }
    }
    const at = i * channels;
    const grey = channels <= 2;
    png.data[i * 4] = pixels[at];
    png.data[i * 4 + 1] = grey ? pixels[at] : pixels[at + 1];
    png.data[i * 4 + 2] = grey ? pixels[at] : pixels[at + 2];
    png.data[i * 4 + 3] = channels === 2 ? pixels[at + 1] : channels === 4 ? pixels[at + 3] : 255;
  }
  return PNG.sync.write(png, { colorType });
}

/** Dimensions an image header declares (PNG IHDR, JPEG SOFn), read before any pixel data is decoded. */
export interface ImageHeader {
  format: 'png' | 'jpeg';
  width: number;
  height: number;
}

const PNG_CHANNELS: Record<number, number> = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 };

interface PngIhdr extends ImageHeader {
  bitDepth: number;
  colorType: number;
  interlace: number;
}

/** The IHDR of a PNG (always the first chunk), or null when it is missing or cut short. */
function pngIhdr(buf: Uint8Array): PngIhdr | null {
  if (buf.length < 33) return null;
  const v = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  // length 13, type "IHDR"
  if (v.getUint32(8, false) !== 13 || v.getUint32(12, false) !== 0x49484452) return null;
  return {
    format: 'png',
    width: v.getUint32(16, false),
    height: v.getUint32(20, false),
    bitDepth: buf[24],
    colorType: buf[25],
    interlace: buf[28],
  };
}

/** The frame header (SOFn) of a JPEG: dimensions and component count, or null when none is found. */
function jpegFrame(buf: Uint8Array): (ImageHeader & { components: number }) | null {
  let i = 2;
  while (i + 3 < buf.length) {
    if (buf[i] !== 0xff) return null;
    const marker = buf[i + 1];
    if (marker === 0xff) {
      i++;
      continue;
    }
    if (marker === 0x01 || (marker >= 0xd0 && marker <= 0xd8)) {
      i += 2;
      continue;
    }
    const len = (buf[i + 2] << 8) | buf[i + 3];
    if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
      if (i + 9 >= buf.length) return null;
      return {
        format: 'jpeg',
        height: (buf[i + 5] << 8) | buf[i + 6],
        width: (buf[i + 7] << 8) | buf[i + 8],
        components: buf[i + 9],
      };
    }
    i += 2 + len;
  }
  return null;
}

/**
 * Throws {@link InputTooLargeError} when an image header declares more pixels than `limits.maxImagePixels`, or a
 * decoded RGBA size over `limits.maxInputBytes`.
 */
function checkImageSize(hdr: ImageHeader, limits: ResolvedInputLimits, file: string): void {
  const pixels = hdr.width * hdr.height;
  if (pixels > limits.maxImagePixels) {
    throw new InputTooLargeError(
      `${file}: ${hdr.format.toUpperCase()} declares ${hdr.width}×${hdr.height} = ${pixels} pixels, over the image limit of ${limits.maxImagePixels} pixels (raise maxImagePixels or ${MAX_IMAGE_PIXELS_ENV} if the file is trusted)`,
      { file, width: hdr.width, height: hdr.height, limitPixels: limits.maxImagePixels },
    );
  }
  checkDeclaredBytes(pixels * 4, limits, file, `${hdr.format.toUpperCase()} ${hdr.width}×${hdr.height} (RGBA)`);
}

/**
 * Size of the inflated IDAT stream a PNG header declares: every row with its filter byte, over the seven reduced
 * images of Adam7 when interlaced.
 */
function pngDataSize(h: PngIhdr): number {
  const bits = h.bitDepth * (PNG_CHANNELS[h.colorType] ?? 4);
  const rows = (w: number, n: number) => (w > 0 && n > 0 ? n * (1 + Math.ceil((w * bits) / 8)) : 0);
  if (h.interlace !== 1) return rows(h.width, h.height);
  const passes = [
    [0, 0, 8, 8],
    [4, 0, 8, 8],
    [0, 4, 4, 8],
    [2, 0, 4, 4],
    [0, 2, 2, 4],
    [1, 0, 2, 2],
    [0, 1, 1, 2],
  ];
  let total = 0;
  for (const [x0, y0, dx, dy] of passes) total += rows(Math.ceil((h.width - x0) / dx), Math.ceil((h.height - y0) / dy));
  return total;
}

/**
 * Checks that a PNG's IDAT data inflates to exactly the size its IHDR declares, before pngjs decodes it: more is a
 * bomb (`InputTooLargeError`; pngjs caps only non-interlaced images itself), less is a truncated image
 * (`DatasetFormatError`) that pngjs would otherwise fill from uninitialised memory (garbage pixels, or a filter byte
 * that changes from run to run). Corrupt zlib data or no IDAT chunk at all is a `DatasetFormatError` too.
 */
function checkPngData(buf: Uint8Array, h: PngIhdr, file: string): void {
  const v = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const parts: Uint8Array[] = [];
  let p = 8;
  while (p + 12 <= buf.length) {
    const len = v.getUint32(p, false);
    const type = v.getUint32(p + 4, false);
    if (p + 12 + len > buf.length) break; // pngjs reports the truncation
    if (type === 0x49444154) parts.push(buf.subarray(p + 8, p + 8 + len)); // IDAT
    if (type === 0x49454e44) break; // IEND
    p += 12 + len;
  }
  if (parts.length === 0) throw new DatasetFormatError(`${file}: PNG has no image data (IDAT chunk)`, { file });
  const declared = pngDataSize(h);
  const what = `its PNG header (${h.width}×${h.height}${h.interlace === 1 ? ', interlaced' : ''})`;
  const got = inflateCapped('zlib', Buffer.concat(parts), declared, file, what).length;
  if (got < declared) {
    throw new DatasetFormatError(`${file}: PNG image data holds ${got} of the ${declared} bytes ${what} declares`, {
      file,
    });
  }
}

/** The image format from the magic bytes: `'png'`, `'jpeg'`, or null for anything else. */
function sniffImageFormat(buf: Uint8Array): 'png' | 'jpeg' | null {
  if (buf.length >= 8 && buf[0] === 0x89 && buf[1] === 0x50 && buf[2] === 0x4e && buf[3] === 0x47) return 'png';
  if (buf.length >= 3 && buf[0] === 0xff && buf[1] === 0xd8 && buf[2] === 0xff) return 'jpeg';
  return null;
}

/**
 * Reads the dimensions an image declares without decoding it.
 * @returns null when `buf` is not a PNG or JPEG or its header is cut short
 */
export function readImageHeader(buf: Uint8Array): ImageHeader | null {
  const format = sniffImageFormat(buf);
  if (format === 'png') {
    const h = pngIhdr(buf);
    return h && { format: 'png', width: h.width, height: h.height };
  }
  if (format === 'jpeg') {
    const f = jpegFrame(buf);
    return f && { format: 'jpeg', width: f.width, height: f.height };
  }
  return null;
}

/**
 * Decodes a PNG or JPEG buffer (format from the magic bytes) to 8-bit RGBA. 16-bit PNGs are reduced to 8 bits.
 * The dimensions in the header (PNG IHDR, JPEG SOFn) are checked against `limits` before anything is decoded.
 * @param file name used in error messages
 * @param limits `maxImagePixels` (default `$FT_MAX_IMAGE_PIXELS`, else 8192 × 8192) and `maxInputBytes`
 * @throws DatasetFormatError for unknown formats or corrupt data, naming `file`; InputTooLargeError when the image
 *   declares more pixels than the limit (or, interlaced PNG, inflates past its declared size).
 */
export function decodeImage(buf: Uint8Array, file = '<buffer>', limits: InputLimits = {}): DecodedImage {
  const format = sniffImageFormat(buf);
  const isPng = format === 'png';
  const isJpeg = format === 'jpeg';
  const lim = resolveInputLimits(limits);
  try {
    if (isPng) {
      const h = pngIhdr(buf);
      if (h) {
        checkImageSize(h, lim, file);
        checkPngData(buf, h, file);
      }
      const png = PNG.sync.read(Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength));
      return {
        width: png.width,
        height: png.height,
        data: new Uint8Array(png.data.buffer, png.data.byteOffset, png.data.byteLength),
        gray: !png.color,
      };
    }
    if (isJpeg) {
      const frame = jpegFrame(buf);
      if (frame) checkImageSize(frame, lim, file);
      const img = jpeg.decode(buf, {
        useTArray: true,
        formatAsRGBA: true,
        tolerantDecoding: false,
        // jpeg-js's own guards, in case the frame header we read is not the one it decodes
        maxResolutionInMP: lim.maxImagePixels / 1e6,
        maxMemoryUsageInMB: Math.max(512, Math.ceil(lim.maxInputBytes / 1024 ** 2)),
      });
      if (!(img.width > 0 && img.height > 0)) throw new Error('no image data');
      return { width: img.width, height: img.height, data: img.data, gray: frame?.components === 1 };
    }
  } catch (err) {
    if (err instanceof InputTooLargeError || err instanceof DatasetFormatError) throw err;
    const msg = (err as Error)?.message ?? String(err);
    if (/maxResolutionInMP|maxMemoryUsageInMB/.test(msg)) {
      throw new InputTooLargeError(
        `${file}: JPEG decoding needs more than the limits allow (${msg}; limits: ${lim.maxImagePixels} pixels, ${formatBytes(lim.maxInputBytes)})`,
        { file },
        { cause: err },
      );
    }
    throw new DatasetFormatError(`${file}: cannot decode ${isPng ? 'PNG' : 'JPEG'} (${msg})`, { file }, { cause: err });
  }
  throw new DatasetFormatError(`${file}: not a PNG or JPEG file (unknown magic bytes)`, { file });
}

/**
 * Reads and decodes an image file.
 * @param limits see {@link decodeImage}; the file size is also checked against `maxInputBytes`
 * @throws DatasetNotFoundError when absent, DatasetFormatError when corrupt (both name the file), InputTooLargeError
 *   when it declares more pixels than the limit.
 */
export function readImageFile(path: string, limits: InputLimits = {}): DecodedImage {
  const lim = resolveInputLimits(limits);
  let buf: Buffer;
  try {
    buf = readFileWithinLimit(path, lim);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new DatasetNotFoundError(`${path}: image file not found`, { file: path });
    }
    throw err;
  }
  return decodeImage(buf, path, lim);
}

/**
 * Converts RGBA bytes to `channels` floats in [0, 1] (HWC). channels 1: luminance 0.299 R + 0.587 G + 0.114 B
 * (ITU-R BT.601, as PIL's "L"); 3: RGB; 4: RGBA.
 */
export function rgbaToFloat(img: DecodedImage, channels: 1 | 3 | 4): Float32Array {
  const n = img.width * img.height;
  const out = new Float32Array(n * channels);
  const d = img.data;
  for (let p = 0; p < n; p++) {
    const s = 4 * p;
    if (channels === 1) {
      out[p] = (0.299 * d[s] + 0.587 * d[s + 1] + 0.114 * d[s + 2]) / 255;
    } else {
      for (let c = 0; c < channels; c++) out[p * channels + c] = d[s + c] / 255;
    }
  }
  return out;
}

interface AxisWeights {
  start: Int32Array;
  count: Int32Array;
  taps: number;
  w: Float64Array;
}

function axisWeights(inSize: number, outSize: number, antialias: boolean): AxisWeights {
  const scale = inSize / outSize;
  const filterScale = antialias ? Math.max(scale, 1) : 1;
  const support = filterScale; // triangle filter has radius 1 in its own units
  const taps = Math.ceil(support) * 2 + 1;
  const start = new Int32Array(outSize);
  const count = new Int32Array(outSize);
  const w = new Float64Array(outSize * taps);
  for (let i = 0; i < outSize; i++) {
    const center = (i + 0.5) * scale;
    const lo = Math.max(0, Math.floor(center - support + 0.5));
    const hi = Math.min(inSize, Math.floor(center + support + 0.5));
    let sum = 0;
    for (let j = lo; j < hi; j++) {
      const v = Math.max(0, 1 - Math.abs((j + 0.5 - center) / filterScale));
      w[i * taps + (j - lo)] = v;
      sum += v;
    }
    if (sum === 0) {
      // Degenerate (cannot happen for support ≥ 1); fall back to the nearest pixel.
      w[i * taps] = 1;
      start[i] = Math.min(inSize - 1, Math.max(0, Math.floor(center)));
      count[i] = 1;
      continue;
    }
    for (let j = 0; j < hi - lo; j++) w[i * taps + j] /= sum;
    start[i] = lo;
    count[i] = hi - lo;
  }
  return { start, count, taps, w };
}

/**
 * Bilinear resize of an HWC float image with half-pixel centres (align_corners = false). When shrinking with
 * `antialias` (default true) the triangle filter is widened by the scale factor, as PIL's `Image.resize(BILINEAR)`;
 * when enlarging (or with antialias off) it equals `tf.image.resizeBilinear(x, size, false, true)`.
 */
export function resizeBilinear(
  src: Float32Array,
  height: number,
  width: number,
  channels: number,
  outHeight: number,
  outWidth: number,
  opts: { antialias?: boolean } = {},
): Float32Array {
  if (src.length !== height * width * channels) {
    throw new InvalidArgumentError(
      `resizeBilinear: src has ${src.length} values, expected ${height}·${width}·${channels}`,
    );
  }
  if (!(outHeight > 0 && outWidth > 0 && Number.isInteger(outHeight) && Number.isInteger(outWidth))) {
    throw new InvalidArgumentError(
      `resizeBilinear: output size must be positive integers, got ${outHeight}×${outWidth}`,
    );
  }
  if (outHeight === height && outWidth === width) return src.slice();
  const antialias = opts.antialias ?? true;
  const wx = axisWeights(width, outWidth, antialias);
  const wy = axisWeights(height, outHeight, antialias);
  // Horizontal pass: height × outWidth × channels.
  const tmp = new Float64Array(height * outWidth * channels);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < outWidth; x++) {
      const s0 = wx.start[x];
      const cnt = wx.count[x];
      for (let c = 0; c < channels; c++) {
        let acc = 0;
        for (let t = 0; t < cnt; t++) acc += wx.w[x * wx.taps + t] * src[(y * width + s0 + t) * channels + c];
        tmp[(y * outWidth + x) * channels + c] = acc;
      }
    }
  }
  // Vertical pass.
  const out = new Float32Array(outHeight * outWidth * channels);
  for (let y = 0; y < outHeight; y++) {
    const s0 = wy.start[y];
    const cnt = wy.count[y];
    for (let x = 0; x < outWidth; x++) {
      for (let c = 0; c < channels; c++) {
        let acc = 0;
        for (let t = 0; t < cnt; t++) acc += wy.w[y * wy.taps + t] * tmp[((s0 + t) * outWidth + x) * channels + c];
        out[(y * outWidth + x) * channels + c] = acc;
      }
    }
  }
  return out;
}

/** Normalises a `size` option (number = square) to `[height, width]`. */
export function normaliseSize(size: number | [number, number], where: string): [number, number] {
  const hw: [number, number] = typeof size === 'number' ? [size, size] : [size[0], size[1]];
  if (!hw.every((d) => Number.isInteger(d) && d > 0)) {
    throw new InvalidArgumentError(`${where}: size must be a positive integer or [H, W], got ${JSON.stringify(size)}`);
  }
  return hw;
}
