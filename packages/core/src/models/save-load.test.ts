import '@tensorflow/tfjs-backend-cpu';
import { execFile } from 'node:child_process';
import { promises as fs } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DownloadError,
  InvalidArgumentError,
  ModelFileNotFoundError,
  ModelFormatError,
  UnsafePathError,
} from '../errors.js';
import { cnn4 } from './cnns.js';
import { setBnMode } from './freeze.js';
import { FtBatchNorm, StandardBatchNormalization } from './ft-batch-norm.js';
import { loadModel, saveModel } from './save-load.js';

const run = promisify(execFile);
const packageDir = fileURLToPath(new URL('../..', import.meta.url));
let tmp: string;
let server: Server;
let baseUrl: string;

beforeAll(async () => {
  await tf.setBackend('cpu');
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'ft-save-load-'));
  // loopback static file server over tmp
  server = createServer(async (req, res) => {
    const file = path.join(tmp, decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname));
    try {
      const body = await fs.readFile(file);
      res.writeHead(200, { 'content-type': 'application/octet-stream' }).end(body);
    } catch {
      res.writeHead(404).end('not found');
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise((r) => server.close(r));
  await fs.rm(tmp, { recursive: true, force: true });
});

/** A small cnn4 with non-trivial BN statistics. */
function makeModel(seed = 1) {
  const { model } = cnn4({ inputShape: [8, 8, 1], numClasses: 3, seed });
  const x = tf.randomNormal([4, 8, 8, 1], 0.5, 2, 'float32', seed);
  for (let i = 0; i < 3; i++) tf.tidy(() => model.apply(x, { training: true }) as tf.Tensor); // moves the moving stats
  return model;
}
const input = () => tf.randomNormal([3, 8, 8, 1], 0, 1, 'float32', 42) as tf.Tensor4D;
const predict = (m: tfl.LayersModel) => Array.from((m.predict(input()) as tf.Tensor).dataSync());

function classNames(topology: unknown): string[] {
  const out: string[] = [];
  const visit = (v: unknown) => {
    if (Array.isArray(v)) v.forEach(visit);
    else if (v && typeof v === 'object') {
      const o = v as Record<string, unknown>;
      if (typeof o.class_name === 'string') out.push(o.class_name);
      Object.values(o).forEach(visit);
    }
  };
  visit(topology);
  return out;
}

describe('saveModel / loadModel (files)', () => {
  it('round-trips: standard class names on disk, FtBatchNorm after loading, identical predictions', async () => {
    const model = makeModel();
    const dir = path.join(tmp, 'm1');
    await saveModel(model, dir);
    expect((await fs.readdir(dir)).sort()).toEqual(['model.json', 'weights.bin']);
    const json = JSON.parse(await fs.readFile(path.join(dir, 'model.json'), 'utf8'));
    expect(json.format).toBe('layers-model');
    const names = classNames(json.modelTopology);
    expect(names).toContain('BatchNormalization');
    expect(names.some((n) => n.startsWith('Ft'))).toBe(false);
    expect((await fs.stat(path.join(dir, 'weights.bin'))).size).toBe(
      model.weights.reduce((s, w) => s + 4 * w.shape.reduce<number>((a, d) => a * (d as number), 1), 0),
    );
    const loaded = await loadModel(dir);
    expect(loaded.getLayer('block1_bn')).toBeInstanceOf(FtBatchNorm);
    expect(predict(loaded)).toEqual(predict(model));
    expect(loaded.getWeights().map((w) => Array.from(w.dataSync()))).toEqual(
      model.getWeights().map((w) => Array.from(w.dataSync())),
    );
    expect(setBnMode(loaded, 'frozen')).toHaveLength(4);
    // plain tfjs layers on request; model.json path and file:// URL accepted
    const plain = await loadModel(path.join(dir, 'model.json'), { ftBatchNorm: false });
    expect(plain.getLayer('block1_bn')).not.toBeInstanceOf(FtBatchNorm);
    expect(plain.getLayer('block1_bn')).toBeInstanceOf(StandardBatchNormalization);
    expect(predict(await loadModel(pathToFileURL(dir).toString()))).toEqual(predict(model));
    // no temp/old directories left behind
    expect((await fs.readdir(tmp)).filter((f) => f.startsWith('m1.'))).toEqual([]);
  });

  it('loads in a fresh process with plain tfjs (no @ft/core) and predicts identically', async () => {
    const model = makeModel(2);
    const dir = path.join(tmp, 'plain');
    await saveModel(model, dir);
    const x = input();
    await fs.writeFile(path.join(tmp, 'plain-x.json'), JSON.stringify(Array.from(x.dataSync())));
    const script = `
      import * as tf from '@tensorflow/tfjs-core';
      import * as tfl from '@tensorflow/tfjs-layers';
      import '@tensorflow/tfjs-backend-cpu';
      import { readFileSync } from 'node:fs';
      await tf.setBackend('cpu');
      const dir = process.env.MODEL_DIR;
      const json = JSON.parse(readFileSync(dir + '/model.json', 'utf8'));
      const buf = readFileSync(dir + '/weights.bin');
      const handler = { load: async () => ({
        modelTopology: json.modelTopology,
        weightSpecs: json.weightsManifest.flatMap((g) => g.weights),
        weightData: buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength),
      }) };
      const m = await tfl.loadLayersModel(handler);
      const x = tf.tensor(JSON.parse(readFileSync(process.env.X_FILE, 'utf8')), [3, 8, 8, 1]);
      const y = m.predict(x);
      console.log(JSON.stringify({ classes: m.layers.map((l) => l.getClassName()), y: Array.from(y.dataSync()) }));
    `;
    const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], {
      cwd: packageDir,
      env: { ...process.env, MODEL_DIR: dir, X_FILE: path.join(tmp, 'plain-x.json') },
    });
    const out = JSON.parse(stdout.trim().split('\n').at(-1)!);
    expect(out.classes).toContain('BatchNormalization');
    expect(out.classes.filter((c: string) => c === 'BatchNormalization')).toHaveLength(4);
    expect(out.y).toEqual(Array.from((model.predict(x) as tf.Tensor).dataSync()));
  });

  it('replaces an existing model directory atomically, but refuses directories with other files', async () => {
    const dir = path.join(tmp, 'm2');
    await saveModel(makeModel(3), dir);
    const m4 = makeModel(4);
    await saveModel(m4, dir);
    expect(predict(await loadModel(dir))).toEqual(predict(m4));
    const other = path.join(tmp, 'notamodel');
    await fs.mkdir(other);
    await fs.writeFile(path.join(other, 'notes.txt'), 'keep me');
    await expect(saveModel(m4, other)).rejects.toThrow(InvalidArgumentError);
    expect(await fs.readFile(path.join(other, 'notes.txt'), 'utf8')).toBe('keep me');
  });

  it('missing files ⇒ ModelFileNotFoundError naming the path', async () => {
    const missing = path.join(tmp, 'does-not-exist');
    await expect(loadModel(missing)).rejects.toThrow(ModelFileNotFoundError);
    await expect(loadModel(missing)).rejects.toThrow(path.join(missing, 'model.json'));
    const dir = path.join(tmp, 'noweights');
    await saveModel(makeModel(), dir);
    await fs.rm(path.join(dir, 'weights.bin'));
    await expect(loadModel(dir)).rejects.toThrow(ModelFileNotFoundError);
    await expect(loadModel(dir)).rejects.toThrow(/weight file not found: .*noweights\/weights\.bin/);
  });

  it('corrupt JSON, truncated weights and GraphModels ⇒ ModelFormatError', async () => {
    const dir = path.join(tmp, 'corrupt');
    await saveModel(makeModel(), dir);
    const jsonPath = path.join(dir, 'model.json');
    const good = await fs.readFile(jsonPath, 'utf8');
    await fs.writeFile(jsonPath, good.slice(0, 100));
    await expect(loadModel(dir)).rejects.toThrow(ModelFormatError);
    await expect(loadModel(dir)).rejects.toThrow(/model\.json is not valid JSON/);
    await fs.writeFile(jsonPath, good);
    const w = await fs.readFile(path.join(dir, 'weights.bin'));
    await fs.writeFile(path.join(dir, 'weights.bin'), w.subarray(0, w.length - 8));
    await expect(loadModel(dir)).rejects.toThrow(
      new RegExp(`shorter than the ${w.length} bytes the manifest describes`),
    );
    // the message names the declared size only, never the size of the file found
    await expect(loadModel(dir)).rejects.not.toThrow(new RegExp(`\\b${w.length - 8}\\b`));
    const graphDir = path.join(tmp, 'graph');
    await fs.mkdir(graphDir);
    await fs.writeFile(
      path.join(graphDir, 'model.json'),
      JSON.stringify({ format: 'graph-model', modelTopology: { node: [], versions: {} }, weightsManifest: [] }),
    );
    await expect(loadModel(graphDir)).rejects.toThrow(ModelFormatError);
    await expect(loadModel(graphDir)).rejects.toThrow(/GraphModel.*inference-only.*cannot be fine-tuned.*LayersModel/);
    // a topology naming an unregistered layer class
    const bad = JSON.parse(good);
    bad.modelTopology.config.layers[1].class_name = 'MyCustomLayer';
    await fs.writeFile(jsonPath, JSON.stringify(bad));
    await fs.writeFile(path.join(dir, 'weights.bin'), w);
    await expect(loadModel(dir)).rejects.toThrow(/Unknown layer.*registerClass/s);
  });
});

describe('loadModel: declared layer shapes are checked before tfjs allocates them', () => {
  it('a Dense with 2e8 units ⇒ ModelFormatError naming the layer, fast, strict or not (non-strict used to spin on 3 GB)', async () => {
    const dir = path.join(tmp, 'huge-units');
    const input = tfl.input({ shape: [4], name: 'in' });
    const out = tfl.layers.dense({ units: 2, name: 'd1' }).apply(input) as tfl.SymbolicTensor;
    await saveModel(tfl.model({ inputs: input, outputs: out }), dir);
    const jsonPath = path.join(dir, 'model.json');
    const json = JSON.parse(await fs.readFile(jsonPath, 'utf8'));
    json.modelTopology.config.layers[1].config.units = 2e8;
    await fs.writeFile(jsonPath, JSON.stringify(json));
    for (const strict of [true, false]) {
      const t0 = performance.now();
      await expect(loadModel(dir, { strict })).rejects.toThrow(
        /layer 'd1' declares a weight 'kernel' of shape \[4, 200000000\]/,
      );
      expect(performance.now() - t0).toBeLessThan(1000);
    }
    // outside loadModel, layers are built as before
    expect(tfl.layers.dense({ units: 3 }).apply(tfl.input({ shape: [2] }))).toBeDefined();
  });
});

describe('loadModel over HTTP (loopback server)', () => {
  it('loads a served model directory and gives identical predictions', async () => {
    const model = makeModel(5);
    await saveModel(model, path.join(tmp, 'served'));
    const loaded = await loadModel(`${baseUrl}/served`);
    expect(loaded.getLayer('block2_bn')).toBeInstanceOf(FtBatchNorm);
    expect(predict(loaded)).toEqual(predict(model));
    expect(predict(await loadModel(`${baseUrl}/served/model.json`))).toEqual(predict(model));
  });

  it('404 ⇒ ModelFileNotFoundError naming the URL; refused connection ⇒ DownloadError', async () => {
    await expect(loadModel(`${baseUrl}/nothing-here`)).rejects.toThrow(ModelFileNotFoundError);
    await expect(loadModel(`${baseUrl}/nothing-here`)).rejects.toThrow(`${baseUrl}/nothing-here/model.json`);
    await saveModel(makeModel(), path.join(tmp, 'served-noweights'));
    await fs.rm(path.join(tmp, 'served-noweights', 'weights.bin'));
    await expect(loadModel(`${baseUrl}/served-noweights`)).rejects.toThrow(
      /served-noweights\/weights\.bin \(HTTP 404\)/,
    );
    await expect(loadModel('http://127.0.0.1:1/m')).rejects.toThrow(DownloadError);
  });

  it('a served weight file longer than the manifest ⇒ ModelFormatError, not buffered past the declared size', async () => {
    await saveModel(makeModel(), path.join(tmp, 'served-long'));
    await fs.appendFile(path.join(tmp, 'served-long', 'weights.bin'), new Uint8Array(1 << 20));
    await expect(loadModel(`${baseUrl}/served-long`)).rejects.toThrow(/weight data is longer than the \d+ bytes left/);
  });

  it('weight paths that leave the model folder or the origin ⇒ UnsafePathError before any request', async () => {
    await saveModel(makeModel(), path.join(tmp, 'served-evil'));
    const jsonPath = path.join(tmp, 'served-evil', 'model.json');
    const json = JSON.parse(await fs.readFile(jsonPath, 'utf8'));
    const requested: string[] = [];
    const fetchSpy = (async (u: string | URL | Request, init?: RequestInit) => {
      requested.push(String(u));
      return fetch(u, init);
    }) as typeof fetch;
    for (const p of ['../served/weights.bin', '/etc/passwd', 'http://example.com/w.bin', '//example.com/w.bin']) {
      json.weightsManifest[0].paths = [p];
      await fs.writeFile(jsonPath, JSON.stringify(json));
      requested.length = 0;
      await expect(loadModel(`${baseUrl}/served-evil`, { fetch: fetchSpy }), p).rejects.toThrow(UnsafePathError);
      expect(requested).toEqual([`${baseUrl}/served-evil/model.json`]);
    }
  });
});
