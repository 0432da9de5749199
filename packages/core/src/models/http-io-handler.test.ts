import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../data/test-server.js';
import { DownloadError, ModelFileNotFoundError, ModelFormatError, UnsafePathError } from '../errors.js';
import { confinedWeightUrl, httpModelHandler, isHttpUrl, modelJsonUrl } from './http-io-handler.js';

const enc = (s: string) => new TextEncoder().encode(s);
let server: TestServer;
let model: tfl.LayersModel;
let weights: Uint8Array;
let topology: unknown;
let specs: tf.io.WeightsManifestEntry[];

const modelJson = (paths: string[], extra: object = {}) =>
  enc(
    JSON.stringify({
      format: 'layers-model',
      modelTopology: topology,
      weightsManifest: [{ paths, weights: specs }],
      ...extra,
    }),
  );

beforeAll(async () => {
  await tf.setBackend('cpu');
  model = tfl.sequential({
    layers: [
      tfl.layers.dense({
        units: 2,
        inputShape: [3],
        kernelInitializer: tfl.initializers.glorotUniform({ seed: 1 }),
        biasInitializer: 'ones',
      }),
    ],
  });
  await model.save(
    tf.io.withSaveHandler(async (a) => {
      topology = a.modelTopology;
      specs = a.weightSpecs as tf.io.WeightsManifestEntry[];
      weights = new Uint8Array(a.weightData as ArrayBuffer);
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
  const half = 12; // the 3×2 float32 kernel is 24 bytes: split it over two shards
  server = await startTestServer({
    '/m/model.json': modelJson(['w1.bin', 'sub/w2.bin']),
    '/m/w1.bin': weights.slice(0, half),
    '/m/sub/w2.bin': weights.slice(half),
    '/short/model.json': modelJson(['w.bin']),
    '/short/w.bin': weights.slice(0, 8),
    '/long/model.json': modelJson(['w.bin']),
    '/long/w.bin': new Uint8Array(weights.length + 4),
    '/gone/model.json': { status: 410 },
    '/err/model.json': { status: 500 },
    '/bad/model.json': enc('{not json'),
    '/graph/model.json': enc(JSON.stringify({ format: 'graph-model', modelTopology: { node: [] } })),
    '/evil/model.json': modelJson(['../m/w1.bin']),
  });
});
afterAll(async () => {
  await server.close();
  model.dispose();
});

describe('URL helpers', () => {
  it('isHttpUrl and modelJsonUrl', () => {
    expect(isHttpUrl('http://a/b')).toBe(true);
    expect(isHttpUrl('HTTPS://a')).toBe(true);
    expect(isHttpUrl('file:///a')).toBe(false);
    expect(isHttpUrl('/tmp/x')).toBe(false);
    expect(modelJsonUrl('http://h/dir')).toBe('http://h/dir/model.json');
    expect(modelJsonUrl('http://h/dir/')).toBe('http://h/dir/model.json');
    expect(modelJsonUrl('http://h/dir/my.json')).toBe('http://h/dir/my.json');
  });

  it('confinedWeightUrl resolves relative paths under the model folder and rejects escapes', () => {
    expect(confinedWeightUrl('http://h/a/model.json', 'w.bin', 'x')).toBe('http://h/a/w.bin');
    expect(confinedWeightUrl('http://h/a/model.json', 'sub/w.bin', 'x')).toBe('http://h/a/sub/w.bin');
    for (const p of ['../w.bin', '/w.bin', 'http://other/w.bin', '//other/w.bin']) {
      expect(() => confinedWeightUrl('http://h/a/model.json', p, 'x'), p).toThrow(UnsafePathError);
    }
  });
});

describe('httpModelHandler over a loopback server', () => {
  it('loads topology and sharded weights; the loaded model predicts like the original', async () => {
    const loaded = await tfl.loadLayersModel(httpModelHandler(`${server.url}/m`));
    const x = tf.tensor2d([[1, -2, 0.5]]);
    expect(Array.from((loaded.predict(x) as tf.Tensor).dataSync())).toEqual(
      Array.from((model.predict(x) as tf.Tensor).dataSync()),
    );
    expect(server.hits.get('/m/model.json')).toBe(1);
    expect(server.hits.get('/m/w1.bin')).toBe(1);
    expect(server.hits.get('/m/sub/w2.bin')).toBe(1);
    loaded.dispose();
  });

  it('maps failures to typed errors', async () => {
    const load = (p: string) => httpModelHandler(`${server.url}${p}`).load!();
    await expect(load('/none')).rejects.toThrow(ModelFileNotFoundError);
    await expect(load('/gone')).rejects.toThrow(/HTTP 410/);
    await expect(load('/err')).rejects.toThrow(DownloadError);
    await expect(load('/bad')).rejects.toThrow(ModelFormatError);
    await expect(load('/graph')).rejects.toThrow(ModelFormatError);
    await expect(load('/short')).rejects.toThrow(ModelFormatError);
    await expect(load('/long')).rejects.toThrow(/longer than the \d+ bytes left/);
    await expect(load('/evil')).rejects.toThrow(UnsafePathError);
    expect(server.hits.get('/m/w1.bin')).toBe(1); // the escaping path was never requested
    await expect(httpModelHandler('http://127.0.0.1:1/m').load!()).rejects.toThrow(DownloadError);
  });

  it('uses an injected fetch with the given requestInit', async () => {
    const seen: Array<[string, RequestInit | undefined]> = [];
    const f = (async (u: string | URL | Request, init?: RequestInit) => {
      seen.push([String(u), init]);
      return fetch(u, init);
    }) as typeof fetch;
    const init = { headers: { 'x-test': '1' } };
    const a = await httpModelHandler(`${server.url}/m/model.json`, { fetch: f, requestInit: init }).load!();
    expect(a.weightSpecs?.map((s) => s.name)).toEqual(specs.map((s) => s.name));
    expect(seen.map(([u]) => u)).toEqual([
      `${server.url}/m/model.json`,
      `${server.url}/m/w1.bin`,
      `${server.url}/m/sub/w2.bin`,
    ]);
    for (const [, i] of seen) expect(i).toBe(init);
  });
});
