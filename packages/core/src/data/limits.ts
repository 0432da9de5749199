/**
 * Limits on untrusted input: how much data a dataset file may declare or inflate to, and how many pixels an image
 * may have, before the loaders refuse it with {@link InputTooLargeError} (code `INPUT_TOO_LARGE`).
 *
 * Every parser checks the size a file's header declares (IDX dimensions, NPY shape, ZIP directory sizes, PNG / JPEG
 * dimensions) against these limits before allocating, and inflates compressed data with a cap equal to that declared
 * size, so a decompression or allocation bomb is refused in milliseconds with memory bounded by the legitimate size.
 *
 * Defaults: {@link DEFAULT_MAX_INPUT_BYTES} (2 GiB) and {@link DEFAULT_MAX_IMAGE_PIXELS} (8192 × 8192). Override them
 * per call with {@link InputLimits} options, or process-wide with the environment variables `FT_MAX_INPUT_BYTES`
 * (bytes, optionally with a `K`/`M`/`G`/`T` suffix, binary: `512M` = 512 MiB) and `FT_MAX_IMAGE_PIXELS` (a pixel
 * count). An explicit option wins over the environment, which wins over the default.
 */
import { readFileSync, statSync } from 'node:fs';
import { gunzipSync, inflateRawSync, inflateSync, constants as zc } from 'node:zlib';
import { DatasetFormatError, InputTooLargeError, InvalidArgumentError } from '../errors.js';

/** Default ceiling on the decoded size of one input (2 GiB). */
export const DEFAULT_MAX_INPUT_BYTES = 2 * 1024 ** 3;

/** Default ceiling on the pixel count of one image (8192 × 8192 = 67,108,864 pixels). */
export const DEFAULT_MAX_IMAGE_PIXELS = 8192 * 8192;

/** Environment variable overriding {@link DEFAULT_MAX_INPUT_BYTES}. */
export const MAX_INPUT_BYTES_ENV = 'FT_MAX_INPUT_BYTES';

/** Environment variable overriding {@link DEFAULT_MAX_IMAGE_PIXELS}. */
export const MAX_IMAGE_PIXELS_ENV = 'FT_MAX_IMAGE_PIXELS';

/** Per-call limits on untrusted input; omitted fields come from the environment or the defaults. */
export interface InputLimits {
  /** Most bytes one file may declare or inflate to (decoded size). Default `$FT_MAX_INPUT_BYTES`, else 2 GiB. */
  maxInputBytes?: number;
  /** Most pixels (width × height) one image may declare. Default `$FT_MAX_IMAGE_PIXELS`, else 8192 × 8192. */
  maxImagePixels?: number;
}

/** {@link InputLimits} with every field resolved. */
export type ResolvedInputLimits = Required<InputLimits>;

const UNITS: Record<string, number> = { '': 1, K: 1024, M: 1024 ** 2, G: 1024 ** 3, T: 1024 ** 4 };

/**
 * Parses a byte count such as `1048576`, `512M`, `2GiB` or `1.5G` (binary units).
 * @throws InvalidArgumentError for anything else, naming `what`.
 */
export function parseByteSize(text: string, what: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([KMGT]?)(?:i?B)?\s*$/i.exec(text);
  const v = m ? Math.floor(Number(m[1]) * UNITS[m[2].toUpperCase()]) : Number.NaN;
  if (!(v > 0) || !Number.isSafeInteger(v)) {
    throw new InvalidArgumentError(
      `${what} must be a positive byte count such as 1073741824, 512M or 2G, got '${text}'`,
    );
  }
  return v;
}

function positive(v: number | undefined, what: string): number | undefined {
  if (v === undefined) return undefined;
  if (!(typeof v === 'number' && v > 0 && Number.isFinite(v))) {
    throw new InvalidArgumentError(`${what} must be a positive number, got ${v}`);
  }
  return Math.floor(v);
}

/**
 * Resolves the limits in force: explicit `opts` fields, then `FT_MAX_INPUT_BYTES` / `FT_MAX_IMAGE_PIXELS`, then the
 * defaults. Read on every call, so a changed environment takes effect at once.
 * @throws InvalidArgumentError for a non-positive option or a malformed environment value.
 */
export function resolveInputLimits(opts: InputLimits = {}): ResolvedInputLimits {
  const envBytes = process.env[MAX_INPUT_BYTES_ENV];
  const envPixels = process.env[MAX_IMAGE_PIXELS_ENV];
  return {
    maxInputBytes:
      positive(opts.maxInputBytes, 'maxInputBytes') ??
      (envBytes ? parseByteSize(envBytes, MAX_INPUT_BYTES_ENV) : DEFAULT_MAX_INPUT_BYTES),
    maxImagePixels:
      positive(opts.maxImagePixels, 'maxImagePixels') ??
      (envPixels ? parseByteSize(envPixels, MAX_IMAGE_PIXELS_ENV) : DEFAULT_MAX_IMAGE_PIXELS),
  };
}

/** Human-readable byte count (`3.0 GiB`, `512 B`). */
export function formatBytes(n: number): string {
  if (!Number.isFinite(n)) return String(n);
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB', 'EiB'];
  let u = 0;
  let v = n;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return u === 0 ? `${n} B` : `${v.toFixed(1)} ${units[u]}`;
}

const HINT = `raise the limit with the maxInputBytes option or ${MAX_INPUT_BYTES_ENV} if the file is trusted`;

/**
 * Throws {@link InputTooLargeError} when `bytes` (a size declared by `file`'s header) exceeds `limits.maxInputBytes`.
 * `bytes` may be a product of untrusted dimensions: a non-finite or unsafe value is refused too.
 * @param what what declares the size, e.g. `IDX shape [60000, 28, 28] of uint8`
 */
export function checkDeclaredBytes(bytes: number, limits: ResolvedInputLimits, file: string, what: string): void {
  if (!(bytes <= limits.maxInputBytes) || !Number.isSafeInteger(bytes)) {
    throw new InputTooLargeError(
      `${file}: ${what} declares ${formatBytes(bytes)}, over the input limit of ${formatBytes(limits.maxInputBytes)} (${HINT})`,
      { file, declaredBytes: bytes, limitBytes: limits.maxInputBytes },
    );
  }
}

/**
 * Reads a whole file after checking its size against `limits.maxInputBytes`. File-system errors (ENOENT, …) are
 * passed through for the caller to map.
 * @throws InputTooLargeError when the file is larger than the input limit (it is not read).
 */
export function readFileWithinLimit(path: string, limits: ResolvedInputLimits): Buffer {
  const size = statSync(path).size;
  if (size > limits.maxInputBytes) {
    throw new InputTooLargeError(
      `${path}: file is ${formatBytes(size)}, over the input limit of ${formatBytes(limits.maxInputBytes)} (raise maxInputBytes or FT_MAX_INPUT_BYTES if the file is trusted)`,
      { file: path, declaredBytes: size, limitBytes: limits.maxInputBytes },
    );
  }
  return readFileSync(path);
}

/**
 * Element count of a shape of untrusted dimensions: zero when any dimension is zero (even if the others would
 * overflow), otherwise the product as a double, which may be inexact past 2^53 or `Infinity`. Pass the byte size
 * it implies to {@link checkDeclaredBytes} before using it (that refuses anything unsafe).
 */
export function shapeProduct(dims: readonly number[]): number {
  if (dims.some((d) => d === 0)) return 0;
  let n = 1;
  for (const d of dims) n *= d;
  return n;
}

/** Kind of compressed stream: gzip (RFC 1952), zlib (RFC 1950, as in PNG) or raw deflate (RFC 1951, as in ZIP). */
export type InflateKind = 'gzip' | 'zlib' | 'deflate-raw';

function zlibInflate(kind: InflateKind, buf: Uint8Array, opts: { maxOutputLength: number; partial?: boolean }) {
  const o = {
    maxOutputLength: Math.max(1, opts.maxOutputLength),
    ...(opts.partial ? { finishFlush: zc.Z_SYNC_FLUSH } : {}),
  };
  return kind === 'gzip' ? gunzipSync(buf, o) : kind === 'zlib' ? inflateSync(buf, o) : inflateRawSync(buf, o);
}

function isTooLarge(err: unknown): boolean {
  return (err as { code?: string } | null)?.code === 'ERR_BUFFER_TOO_LARGE';
}

function corrupt(kind: InflateKind, file: string, err: unknown, details: Record<string, unknown>): DatasetFormatError {
  return new DatasetFormatError(
    `${file}: corrupt ${kind === 'deflate-raw' ? 'deflate' : kind} data (${(err as Error).message})`,
    { file, ...details },
    { cause: err },
  );
}

/**
 * Inflates just enough of a compressed stream to read its first `need` bytes (a header), without inflating the rest:
 * growing prefixes of the compressed input are inflated with a small output cap (at most ~1 MiB is ever produced,
 * whatever the stream inflates to). Returns fewer than `need` bytes only when the whole stream is shorter.
 * @throws DatasetFormatError for corrupt data.
 */
export function inflateHead(
  kind: InflateKind,
  buf: Uint8Array,
  need: number,
  file: string,
  details: Record<string, unknown> = {},
): Uint8Array {
  // One compressed byte inflates to at most ~1032 bytes (deflate's longest match per bit pair), so a prefix of p
  // bytes yields ≤ 1032·p + 64 bytes: cap each try there and bisect when a try still overflows the 1 MiB budget.
  const budget = Math.max(1 << 20, 4 * need);
  const tryPrefix = (p: number): Uint8Array | 'overflow' => {
    try {
      return zlibInflate(kind, buf.subarray(0, p), { maxOutputLength: budget, partial: true });
    } catch (err) {
      if (isTooLarge(err)) return 'overflow';
      throw corrupt(kind, file, err, details);
    }
  };
  let lo = 0; // largest prefix known not to overflow
  let p = Math.min(buf.length, 64);
  for (;;) {
    const out = tryPrefix(p);
    if (out === 'overflow') break;
    if (out.length >= need || p >= buf.length) return out;
    lo = p;
    p = Math.min(buf.length, p * 2);
  }
  // Bisect between `lo` (too little output) and `p` (overflow): some prefix in between gives need ≤ out ≤ budget.
  let hi = p;
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    const out = tryPrefix(mid);
    if (out === 'overflow') hi = mid;
    else if (out.length >= need) return out;
    else lo = mid;
  }
  // Unreachable for a well-formed zlib (a single byte cannot inflate past the budget); refuse rather than loop.
  throw new InputTooLargeError(`${file}: compressed header inflates past ${formatBytes(budget)}`, { file, ...details });
}

/**
 * Inflates a whole compressed stream, refusing with {@link InputTooLargeError} as soon as it produces more than
 * `cap` bytes (the size the file's header declares, already checked against the global limit). Memory stays
 * within `cap` whatever the stream would inflate to.
 * @param what what declared `cap`, for the message (e.g. `its IDX header (shape [10, 28, 28] of uint8)`)
 * @throws InputTooLargeError past `cap`; DatasetFormatError for corrupt data.
 */
export function inflateCapped(
  kind: InflateKind,
  buf: Uint8Array,
  cap: number,
  file: string,
  what: string,
  details: Record<string, unknown> = {},
): Uint8Array {
  try {
    return zlibInflate(kind, buf, { maxOutputLength: cap });
  } catch (err) {
    if (isTooLarge(err)) {
      throw new InputTooLargeError(
        `${file}: ${kind === 'deflate-raw' ? 'deflate' : kind} data inflates to more than the ${formatBytes(cap)} ${what} declares (decompression bomb?)`,
        { file, limitBytes: cap, ...details },
        { cause: err },
      );
    }
    throw corrupt(kind, file, err, details);
  }
}
