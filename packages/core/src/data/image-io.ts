/**
 * Pure-JS image decoding (PNG via pngjs, JPEG via jpeg-js), channel conversion and antialiased bilinear resizing.
 */
import { readFileSync } from 'node:fs';
import * as jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import { DatasetFormatError, DatasetNotFoundError, InvalidArgumentError } from '../errors.js';

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

/**
 * Decodes a PNG or JPEG buffer (format from the magic bytes) to 8-bit RGBA. 16-bit PNGs are reduced to 8 bits.
 * @param file name used in error messages
 * @throws DatasetFormatError for unknown formats or corrupt data, naming `file`.
 */
export function decodeImage(buf: Uint8Array, file = '<buffer>'): DecodedImage {
  const isPng = buf.length >= 8 && buf[0] === 0x89 && buf[1] === 0x50 && buf[2] === 0x4e && buf[3] === 0x47;
  const isJpeg = buf.length >= 3 && buf[0] === 0xff && buf[1] === 0xd8 && buf[2] === 0xff;
  try {
    if (isPng) {
      const png = PNG.sync.read(Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength));
      return {
        width: png.width,
        height: png.height,
        data: new Uint8Array(png.data.buffer, png.data.byteOffset, png.data.byteLength),
        gray: !png.color,
      };
    }
    if (isJpeg) {
      const img = jpeg.decode(buf, { useTArray: true, formatAsRGBA: true, tolerantDecoding: false });
      if (!(img.width > 0 && img.height > 0)) throw new Error('no image data');
      return { width: img.width, height: img.height, data: img.data, gray: jpegComponents(buf) === 1 };
    }
  } catch (err) {
    throw new DatasetFormatError(
      `${file}: cannot decode ${isPng ? 'PNG' : 'JPEG'} (${(err as Error).message})`,
      { file },
      { cause: err },
    );
  }
  throw new DatasetFormatError(`${file}: not a PNG or JPEG file (unknown magic bytes)`, { file });
}

/** Number of colour components declared in the JPEG frame header (SOFn), or 0 if none found. */
function jpegComponents(buf: Uint8Array): number {
  let i = 2;
  while (i + 3 < buf.length) {
    if (buf[i] !== 0xff) return 0;
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
      return i + 9 < buf.length ? buf[i + 9] : 0;
    }
    i += 2 + len;
  }
  return 0;
}

/**
 * Reads and decodes an image file.
 * @throws DatasetNotFoundError when absent, DatasetFormatError when corrupt (both name the file).
 */
export function readImageFile(path: string): DecodedImage {
  let buf: Buffer;
  try {
    buf = readFileSync(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new DatasetNotFoundError(`${path}: image file not found`, { file: path });
    }
    throw err;
  }
  return decodeImage(buf, path);
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
