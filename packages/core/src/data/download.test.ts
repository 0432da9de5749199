import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DownloadError, InvalidArgumentError } from '../errors.js';
import { defaultCacheDir, download, sha256File } from './download.js';
import { startTestServer, type TestServer } from './test-server.js';

const body = new Uint8Array(200_000).map((_, i) => (i * 7919) % 251);
const sha = createHash('sha256').update(body).digest('hex');
const other = new TextEncoder().encode('not the file you wanted');

let server: TestServer;
let dir: string;

beforeAll(async () => {
  server = await startTestServer({
    '/data.bin': body,
    '/other.bin': other,
    '/moved': { status: 302, headers: { location: '/hop2' } },
    '/hop2': { status: 301, headers: { location: `/data.bin` } },
    '/loop': { status: 307, headers: { location: '/loop' } },
    '/short': { status: 200, headers: { 'content-length': '100' }, body: new Uint8Array(10), cut: true },
  });
  dir = mkdtempSync(join(tmpdir(), 'ft-download-'));
});
afterAll(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('download', () => {
  it('downloads, verifies and then serves from the cache without a request', async () => {
    const cacheDir = join(dir, 'a');
    const progress: number[] = [];
    const p = await download(`${server.url}/data.bin`, {
      sha256: sha,
      cacheDir,
      onProgress: (r, t) => {
        expect(t).toBe(body.length);
        progress.push(r);
      },
    });
    expect(p).toBe(join(cacheDir, 'data.bin'));
    expect(new Uint8Array(readFileSync(p))).toEqual(body);
    expect(progress.at(-1)).toBe(body.length);
    expect(server.hits.get('/data.bin')).toBe(1);
    // cache hit: no second request
    const p2 = await download(`${server.url}/data.bin`, { sha256: sha, cacheDir });
    expect(p2).toBe(p);
    expect(server.hits.get('/data.bin')).toBe(1);
    expect(readdirSync(cacheDir)).toEqual(['data.bin']);
    expect(await sha256File(p)).toBe(sha);
  });

  it('re-downloads a cached file whose checksum is wrong', async () => {
    const cacheDir = join(dir, 'b');
    await download(`${server.url}/data.bin`, { sha256: sha, cacheDir, fileName: 'sub/x.bin' });
    writeFileSync(join(cacheDir, 'sub/x.bin'), 'corrupted');
    const before = server.hits.get('/data.bin') ?? 0;
    const p = await download(`${server.url}/data.bin`, { sha256: sha, cacheDir, fileName: 'sub/x.bin' });
    expect(server.hits.get('/data.bin')).toBe(before + 1);
    expect(await sha256File(p)).toBe(sha);
  });

  it('rejects a checksum mismatch and leaves no file in the cache', async () => {
    const cacheDir = join(dir, 'c');
    const err = await download(`${server.url}/other.bin`, { sha256: sha, cacheDir }).catch((e) => e);
    expect(err).toBeInstanceOf(DownloadError);
    expect(err.message).toMatch(/SHA-256 mismatch for other\.bin/);
    expect(readdirSync(cacheDir)).toEqual([]);
  });

  it('reports HTTP 404 as DownloadError and leaves no file', async () => {
    const cacheDir = join(dir, 'd');
    const err = await download(`${server.url}/missing.bin`, { sha256: sha, cacheDir }).catch((e) => e);
    expect(err).toBeInstanceOf(DownloadError);
    expect(err.message).toMatch(/HTTP 404/);
    expect(err.details.status).toBe(404);
    expect(readdirSync(cacheDir)).toEqual([]);
  });

  it('follows redirects (302 then 301)', async () => {
    const cacheDir = join(dir, 'e');
    const hopsBefore = server.hits.get('/hop2') ?? 0;
    const p = await download(`${server.url}/moved`, { sha256: sha, cacheDir, fileName: 'redirected.bin' });
    expect(await sha256File(p)).toBe(sha);
    expect(server.hits.get('/hop2')).toBe(hopsBefore + 1);
  });

  it('stops redirect loops, truncated bodies and bad arguments', async () => {
    const cacheDir = join(dir, 'f');
    await expect(download(`${server.url}/loop`, { sha256: sha, cacheDir, maxRedirects: 3 })).rejects.toThrow(
      /more than 3 redirects/,
    );
    expect(server.hits.get('/loop')).toBe(4);
    const short = await download(`${server.url}/short`, { sha256: null, cacheDir }).catch((e) => e);
    expect(short).toBeInstanceOf(DownloadError);
    expect(short.message).toMatch(/connection lost after 10 bytes|received 10 of 100 bytes/);
    expect(readdirSync(cacheDir)).toEqual([]);
    await expect(download('ftp://example.com/x', { sha256: sha, cacheDir })).rejects.toBeInstanceOf(
      InvalidArgumentError,
    );
    await expect(download(`${server.url}/data.bin`, { sha256: 'abc', cacheDir })).rejects.toBeInstanceOf(
      InvalidArgumentError,
    );
    await expect(
      download(`${server.url}/data.bin`, { sha256: sha, cacheDir, fileName: '../escape.bin' }),
    ).rejects.toBeInstanceOf(InvalidArgumentError);
  });

  it('fails on a connection error (closed port)', async () => {
    const s = await startTestServer({});
    const url = `${s.url}/x`;
    await s.close();
    await expect(download(url, { sha256: null, cacheDir: join(dir, 'g'), timeoutMs: 2000 })).rejects.toBeInstanceOf(
      DownloadError,
    );
  });

  it('defaults the cache dir to $FT_CACHE_DIR', () => {
    const old = process.env.FT_CACHE_DIR;
    process.env.FT_CACHE_DIR = '/tmp/ft-cache-test';
    expect(defaultCacheDir()).toBe('/tmp/ft-cache-test');
    delete process.env.FT_CACHE_DIR;
    expect(defaultCacheDir()).toMatch(/\.cache\/ft$/);
    if (old !== undefined) process.env.FT_CACHE_DIR = old;
  });
});
