/**
 * HTTP(S) load handler for LayersModels, on the global `fetch` of Node ≥ 18 (or an injected one). Like tfjs'
 * `tf.io.http`, weight paths are resolved relative to the model.json URL; unlike it, failures become typed errors:
 * 404/410 ⇒ ModelFileNotFoundError naming the URL, other HTTP or network failures ⇒ DownloadError, invalid JSON /
 * GraphModel / wrong weight byte length ⇒ ModelFormatError. Weight paths are confined like on disk: relative, on
 * the same origin and under the folder of the model.json URL (else UnsafePathError), and a weight response
 * longer than the manifest declares is cut off with a ModelFormatError instead of being buffered.
 */
import * as tf from '@tensorflow/tfjs-core';
import { DownloadError, ModelFileNotFoundError, ModelFormatError, UnsafePathError } from '../errors.js';
import { checkRelativePath } from '../io/confined-path.js';
import { checkWeightBytes, concatBuffers, parseModelJson, weightsByteLength } from './model-artifacts.js';

/** Options of {@link httpModelHandler}. */
export interface HttpModelHandlerOptions {
  /** fetch implementation. Default `globalThis.fetch`. */
  fetch?: typeof fetch;
  /** Extra request options (headers, credentials, signal). */
  requestInit?: RequestInit;
}

/** True for `http://` and `https://` URLs. */
export function isHttpUrl(s: string | URL): boolean {
  return /^https?:\/\//i.test(String(s));
}

/** The model.json URL for a model directory URL or a `.json` URL. */
export function modelJsonUrl(url: string | URL): string {
  const u = new URL(String(url));
  if (!u.pathname.endsWith('.json')) u.pathname = `${u.pathname.replace(/\/?$/, '/')}model.json`;
  return u.toString();
}

async function get(url: string, opts: HttpModelHandlerOptions): Promise<Response> {
  const f = opts.fetch ?? globalThis.fetch;
  let res: Response;
  try {
    res = await f(url, opts.requestInit);
  } catch (err) {
    throw new DownloadError(`request to ${url} failed: ${(err as Error).message}`, { url }, { cause: err });
  }
  if (res.status === 404 || res.status === 410) {
    throw new ModelFileNotFoundError(`model file not found: ${url} (HTTP ${res.status})`, { url, status: res.status });
  }
  if (!res.ok) {
    throw new DownloadError(`request to ${url} failed with HTTP ${res.status} ${res.statusText}`, {
      url,
      status: res.status,
    });
  }
  return res;
}

/**
 * The URL of a weight file listed in the model.json at `jsonUrl`: `rel` must be a relative path (see
 * `checkRelativePath`) that stays on the same origin and under the folder of `jsonUrl`, else UnsafePathError.
 * @param jsonUrl the model.json URL.
 * @param rel the path as written in the manifest.
 * @param what what the path is, for the message.
 */
export function confinedWeightUrl(jsonUrl: string, rel: unknown, what: string): string {
  const base = new URL(jsonUrl);
  const folder = base.pathname.slice(0, base.pathname.lastIndexOf('/') + 1);
  checkRelativePath(rel, what, `${base.origin}${folder}`);
  if (/^[a-zA-Z][a-zA-Z0-9+.-]*:/.test(rel as string) || (rel as string).startsWith('//')) {
    throw new UnsafePathError(`${what}: '${String(rel)}' is an absolute URL; weight paths must be relative`, {
      url: jsonUrl,
      path: rel,
    });
  }
  const u = new URL(rel as string, base);
  if (u.origin !== base.origin || !u.pathname.startsWith(folder)) {
    throw new UnsafePathError(`${what}: '${String(rel)}' leaves the folder of ${jsonUrl}`, { url: jsonUrl, path: rel });
  }
  return u.toString();
}

/** Reads a response body, failing as soon as it passes `limit` bytes (a server cannot make us buffer more). */
async function readLimited(res: Response, limit: number, url: string, jsonUrl: string): Promise<ArrayBuffer> {
  const tooLong = () =>
    new ModelFormatError(
      `${url}: weight data is longer than the ${limit} bytes left of what the manifest of ${jsonUrl} describes`,
      { url, expected: limit },
    );
  const declared = Number(res.headers.get('content-length'));
  if (Number.isFinite(declared) && declared > limit) {
    await res.body?.cancel().catch(() => {});
    throw tooLong();
  }
  if (!res.body) {
    const b = await res.arrayBuffer();
    if (b.byteLength > limit) throw tooLong();
    return b;
  }
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let n = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    n += value.byteLength;
    if (n > limit) {
      await reader.cancel().catch(() => {});
      throw tooLong();
    }
    chunks.push(value);
  }
  const out = new Uint8Array(n);
  let off = 0;
  for (const c of chunks) {
    out.set(c, off);
    off += c.byteLength;
  }
  return out.buffer;
}

/**
 * A load-only `tf.io.IOHandler` for a model served over HTTP(S).
 * @param url model.json URL, or a directory URL (then `<url>/model.json`).
 * @param opts `fetch` (default global fetch), `requestInit`.
 */
export function httpModelHandler(url: string | URL, opts: HttpModelHandlerOptions = {}): tf.io.IOHandler {
  const jsonUrl = modelJsonUrl(url);
  return {
    load: async () => {
      const text = await (await get(jsonUrl, opts)).text();
      const modelJSON = parseModelJson(text, jsonUrl);
      return tf.io.getModelArtifactsForJSON(modelJSON, async (manifest) => {
        const specs: tf.io.WeightsManifestEntry[] = [];
        const urls: string[] = [];
        for (const [gi, group] of manifest.entries()) {
          specs.push(...group.weights);
          for (const [pi, p] of group.paths.entries()) {
            urls.push(confinedWeightUrl(jsonUrl, p, `${jsonUrl}: weightsManifest[${gi}].paths[${pi}]`));
          }
        }
        const expected = weightsByteLength(specs, jsonUrl);
        const buffers: ArrayBuffer[] = [];
        let got = 0;
        for (const wUrl of urls) {
          const b = await readLimited(await get(wUrl, opts), expected - got, wUrl, jsonUrl);
          got += b.byteLength;
          buffers.push(b);
        }
        const data = concatBuffers(buffers);
        checkWeightBytes(specs, data.byteLength, urls.join(', ') || jsonUrl);
        return [specs, data];
      });
    },
  };
}
