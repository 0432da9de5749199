/**
 * HTTP(S) load handler for LayersModels, on the global `fetch` of Node ≥ 18 (or an injected one). Like tfjs'
 * `tf.io.http`, weight paths are resolved relative to the model.json URL; unlike it, failures become typed errors:
 * 404/410 ⇒ ModelFileNotFoundError naming the URL, other HTTP or network failures ⇒ DownloadError, invalid JSON /
 * GraphModel / wrong weight byte length ⇒ ModelFormatError.
 */
import * as tf from '@tensorflow/tfjs-core';
import { DownloadError, ModelFileNotFoundError } from '../errors.js';
import { checkWeightBytes, concatBuffers, parseModelJson } from './model-artifacts.js';

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
        const buffers: ArrayBuffer[] = [];
        const urls: string[] = [];
        for (const group of manifest) {
          specs.push(...group.weights);
          for (const p of group.paths) {
            const wUrl = new URL(p, jsonUrl).toString();
            urls.push(wUrl);
            buffers.push(await (await get(wUrl, opts)).arrayBuffer());
          }
        }
        const data = concatBuffers(buffers);
        checkWeightBytes(specs, data.byteLength, urls.join(', ') || jsonUrl);
        return [specs, data];
      });
    },
  };
}
