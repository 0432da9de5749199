/**
 * HTTP(S) download into a local cache with atomic writes and SHA-256 verification.
 */
import { createHash, randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream, existsSync, mkdirSync, renameSync, unlinkSync } from 'node:fs';
import * as http from 'node:http';
import * as https from 'node:https';
import { homedir } from 'node:os';
import { dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { AbortedError, DownloadError, InvalidArgumentError } from '../errors.js';

/** Options of {@link download}. */
export interface DownloadOptions {
  /**
   * Expected lowercase hex SHA-256 of the file. `null` disables verification (then any existing cached file is a
   * cache hit); pass it only for trusted sources.
   */
  sha256: string | null;
  /** Cache directory. Default `$FT_CACHE_DIR`, else `~/.cache/ft`. */
  cacheDir?: string;
  /** Path of the file relative to `cacheDir`. Default: the last segment of the URL path. */
  fileName?: string;
  /** Abort when the socket is idle this long (ms). Default 60,000. */
  timeoutMs?: number;
  /** Called as bytes arrive: `(received, total)`; total is undefined without Content-Length. */
  onProgress?: (received: number, total: number | undefined) => void;
  /** Maximum number of redirects to follow. Default 5. */
  maxRedirects?: number;
  /** Cancels the download (throws AbortedError, leaves no file). */
  signal?: AbortSignal;
}

/** The default cache directory: `$FT_CACHE_DIR` if set, else `~/.cache/ft`. */
export function defaultCacheDir(): string {
  return process.env.FT_CACHE_DIR || join(homedir(), '.cache', 'ft');
}

/** SHA-256 (lowercase hex) of a file, streamed. */
export function sha256File(path: string): Promise<string> {
  return new Promise((res, rej) => {
    const h = createHash('sha256');
    createReadStream(path)
      .on('data', (chunk) => h.update(chunk))
      .on('error', rej)
      .on('end', () => res(h.digest('hex')));
  });
}

/**
 * Downloads `url` (http or https, redirects followed) into the cache and returns the local path.
 * If the cached file exists and its SHA-256 matches (or `sha256` is null), the network is not touched. Otherwise the
 * body is streamed to a temporary file in the same directory, hashed on the fly and renamed into place only when the
 * checksum matches, so a partial or wrong file never appears under the final name.
 * @throws DownloadError on HTTP status ≥ 400, too many redirects, network errors, timeouts, checksum mismatch;
 * AbortedError when `signal` fires; InvalidArgumentError for unsupported URLs or a fileName escaping cacheDir.
 */
export async function download(url: string, opts: DownloadOptions): Promise<string> {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new InvalidArgumentError(`download: invalid URL ${JSON.stringify(url)}`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new InvalidArgumentError(`download: only http(s) URLs are supported, got ${url}`);
  }
  const expected = opts.sha256 === null ? null : opts.sha256.toLowerCase();
  if (expected !== null && !/^[0-9a-f]{64}$/.test(expected)) {
    throw new InvalidArgumentError(
      `download: sha256 must be 64 hex digits or null, got ${JSON.stringify(opts.sha256)}`,
    );
  }
  const cacheDir = resolve(opts.cacheDir ?? defaultCacheDir());
  const fileName = opts.fileName ?? decodeURIComponent(parsed.pathname.split('/').filter(Boolean).pop() ?? '');
  if (!fileName) throw new InvalidArgumentError(`download: cannot derive a file name from ${url}; pass fileName`);
  const dest = resolve(cacheDir, fileName);
  const rel = relative(cacheDir, dest);
  if (rel.startsWith('..') || isAbsolute(rel)) {
    throw new InvalidArgumentError(`download: fileName ${fileName} escapes cacheDir ${cacheDir}`);
  }

  if (existsSync(dest)) {
    if (expected === null || (await sha256File(dest)) === expected) return dest;
  }
  mkdirSync(dirname(dest), { recursive: true });
  const tmp = `${dest}.${process.pid}.${randomUUID()}.part`;
  let actual: string;
  try {
    actual = await fetchToFile(url, tmp, {
      timeoutMs: opts.timeoutMs ?? 60_000,
      maxRedirects: opts.maxRedirects ?? 5,
      onProgress: opts.onProgress,
      signal: opts.signal,
    });
  } catch (err) {
    safeUnlink(tmp);
    throw err;
  }
  if (expected !== null && actual !== expected) {
    safeUnlink(tmp);
    throw new DownloadError(`download ${url}: SHA-256 mismatch for ${fileName}: expected ${expected}, got ${actual}`, {
      url,
      file: dest,
      expected,
      actual,
    });
  }
  renameSync(tmp, dest);
  return dest;
}

function safeUnlink(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // already gone
  }
}

interface FetchOpts {
  timeoutMs: number;
  maxRedirects: number;
  onProgress?: (received: number, total: number | undefined) => void;
  signal?: AbortSignal;
}

/** GETs `url` (following redirects) into `path`; resolves with the SHA-256 of the body. */
function fetchToFile(url: string, path: string, opts: FetchOpts, redirects = 0): Promise<string> {
  return new Promise<string>((res, rej) => {
    if (opts.signal?.aborted) {
      rej(new AbortedError(`download ${url}: aborted`));
      return;
    }
    const u = new URL(url);
    const mod = u.protocol === 'https:' ? https : http;
    let settled = false;
    let out: ReturnType<typeof createWriteStream> | null = null;
    const fail = (err: Error) => {
      if (settled) return;
      settled = true;
      opts.signal?.removeEventListener('abort', onAbort);
      req.destroy();
      // Reject only after the temp file is closed, so the caller's unlink cannot race its creation.
      if (out && !out.closed) {
        out.once('close', () => rej(err));
        out.destroy();
      } else rej(err);
    };
    const onAbort = () => fail(new AbortedError(`download ${url}: aborted`));
    const req = mod.get(u, { headers: { 'user-agent': '@ft/core download', accept: '*/*' } }, (resp) => {
      const status = resp.statusCode ?? 0;
      if (status >= 300 && status < 400 && resp.headers.location) {
        resp.resume();
        if (redirects >= opts.maxRedirects) {
          fail(new DownloadError(`download ${url}: more than ${opts.maxRedirects} redirects`, { url }));
          return;
        }
        const next = new URL(resp.headers.location, u).toString();
        settled = true;
        opts.signal?.removeEventListener('abort', onAbort);
        fetchToFile(next, path, opts, redirects + 1).then(res, rej);
        return;
      }
      if (status < 200 || status >= 300) {
        resp.resume();
        fail(new DownloadError(`download ${url}: HTTP ${status} ${resp.statusMessage ?? ''}`.trim(), { url, status }));
        return;
      }
      const lenHeader = resp.headers['content-length'];
      const total = lenHeader !== undefined ? Number(lenHeader) : undefined;
      const hash = createHash('sha256');
      const file = createWriteStream(path);
      out = file;
      let received = 0;
      resp.on('data', (chunk: Buffer) => {
        received += chunk.length;
        hash.update(chunk);
        opts.onProgress?.(received, total);
      });
      resp.on('error', (err) =>
        fail(
          new DownloadError(
            `download ${url}: connection lost after ${received} bytes (${err.message})`,
            { url },
            { cause: err },
          ),
        ),
      );
      resp.on('close', () => {
        if (!resp.complete) {
          fail(new DownloadError(`download ${url}: connection lost after ${received} bytes (closed early)`, { url }));
        }
      });
      file.on('error', (err) => fail(new DownloadError(`download ${url}: writing ${path}: ${err.message}`, { url })));
      file.on('close', () => {
        if (settled) return;
        if (total !== undefined && received !== total) {
          fail(new DownloadError(`download ${url}: received ${received} of ${total} bytes`, { url }));
          return;
        }
        settled = true;
        opts.signal?.removeEventListener('abort', onAbort);
        res(hash.digest('hex'));
      });
      resp.pipe(file);
    });
    req.setTimeout(opts.timeoutMs, () =>
      fail(new DownloadError(`download ${url}: timed out after ${opts.timeoutMs} ms without data`, { url })),
    );
    req.on('error', (err) => fail(new DownloadError(`download ${url}: ${err.message}`, { url }, { cause: err })));
    opts.signal?.addEventListener('abort', onAbort, { once: true });
  });
}
