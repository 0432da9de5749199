/**
 * Hostile model files (issue 13, item 2): model.json weight paths that leave the model folder, devices, FIFOs,
 * folders, size-mismatched weights, layer graphs that used to spin tfjs-layers forever, escaping zoo manifests.
 * Every input is built here, in a temp dir, at test time. Cases that used to hang or block run in a child process
 * (`runHostileChild`) importing the BUILT @ft/core dist; the child reports the time to the typed error itself.
 */
import '@tensorflow/tfjs-backend-cpu';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { childMs, type HostileOutcome, runHostileCall, runHostileCase } from '../../../../test/hostile/harness.js';
import { loadModel, saveModel } from '../../src/models/save-load.js';
import { loadZooModel, writeZooEntry } from '../../src/models/zoo.js';

const suite = 'core';
const packageDir = fileURLToPath(new URL('../..', import.meta.url));
const distUrl = pathToFileURL(path.join(packageDir, 'dist', 'index.js')).href;
let tmp: string;
let good: string;
let goodJson: { modelTopology: { config: { layers: { inbound_nodes: unknown[][][] }[] } }; weightsManifest: unknown[] };

beforeAll(async () => {
  await tf.setBackend('cpu');
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'ft-hostile-model-'));
  good = path.join(tmp, 'good');
  const input = tfl.input({ shape: [4], name: 'in' });
  const h = tfl.layers.dense({ units: 3, name: 'd1' }).apply(input) as tfl.SymbolicTensor;
  const out = tfl.layers.dense({ units: 2, name: 'd2' }).apply(h) as tfl.SymbolicTensor;
  await saveModel(tfl.model({ inputs: input, outputs: out, name: 'f' }), good);
  goodJson = JSON.parse(await fs.readFile(path.join(good, 'model.json'), 'utf8'));
});
afterAll(async () => {
  await fs.rm(tmp, { recursive: true, force: true });
});

/** A model folder with the good weights.bin and a model.json changed by `edit`. */
async function hostileModel(name: string, edit: (j: typeof goodJson) => void): Promise<string> {
  const dir = path.join(tmp, name);
  await fs.mkdir(dir, { recursive: true });
  await fs.copyFile(path.join(good, 'weights.bin'), path.join(dir, 'weights.bin'));
  const j = structuredClone(goodJson);
  edit(j);
  await fs.writeFile(path.join(dir, 'model.json'), JSON.stringify(j));
  return dir;
}
const withPaths = (name: string, paths: string[]) =>
  hostileModel(name, (j) => {
    (j.weightsManifest[0] as { paths: string[] }).paths = paths;
  });

/** Runs loadModel(source, opts) in a child on the built dist (see `runHostileCall`). */
const childLoad = (id: string, category: 'path' | 'input', source: string, opts: Record<string, unknown> = {}) =>
  runHostileCall(
    { suite, id, category },
    {
      cwd: packageDir,
      setup: `import '@tensorflow/tfjs-backend-cpu'; const core = await import(${JSON.stringify(distUrl)});`,
      call: `core.loadModel(${JSON.stringify(source)}, ${JSON.stringify(opts)})`,
    },
  );

function expectTyped(o: HostileOutcome, code: string) {
  expect(o.kind, o.message).toBe('typed');
  expect(o.code).toBe(code);
  expect(o.ms).toBeLessThan(1000);
}

describe('hostile model.json files (core)', () => {
  it('a valid model still loads', async () => {
    const o = await runHostileCase({ suite, id: 'model-valid', category: 'input', expect: 'ok' }, () =>
      loadModel(good),
    );
    expect(o.kind).toBe('ok');
  });

  it('weights path ../../etc/passwd ⇒ UNSAFE_PATH', async () => {
    const dir = await withPaths('dotdot', ['../../../../../../../../etc/passwd']);
    expectTyped(
      await runHostileCase({ suite, id: 'weights-dotdot-etc-passwd', category: 'path' }, () => loadModel(dir)),
      'UNSAFE_PATH',
    );
  });

  it('weights path /etc/passwd (absolute) ⇒ UNSAFE_PATH', async () => {
    const dir = await withPaths('abs', ['/etc/passwd']);
    expectTyped(
      await runHostileCase({ suite, id: 'weights-absolute-etc-passwd', category: 'path' }, () => loadModel(dir)),
      'UNSAFE_PATH',
    );
  });

  it('a size-matched /etc/passwd no longer loads as weights', async () => {
    const size = (await fs.stat('/etc/passwd')).size;
    const dir = await hostileModel('passwd-matched', (j) => {
      j.weightsManifest = [{ paths: ['/etc/passwd'], weights: [{ name: 'd1/kernel', shape: [size], dtype: 'bool' }] }];
    });
    expectTyped(
      await runHostileCase({ suite, id: 'weights-size-matched-etc-passwd', category: 'path' }, () => loadModel(dir)),
      'UNSAFE_PATH',
    );
  });

  it('weights path /dev/zero ⇒ UNSAFE_PATH (child: it used to read forever)', async () => {
    const dir = await withPaths('dev-zero', ['/dev/zero']);
    const o = await childLoad('weights-dev-zero', 'path', dir);
    expect(o.kind, o.child.stderr).toBe('typed');
    expect(o.code).toBe('UNSAFE_PATH');
    expect(childMs(o.child.stderr)).toBeLessThan(1000);
    const dir2 = await withPaths('dev-zero-link', ['zero.bin']);
    await fs.symlink('/dev/zero', path.join(dir2, 'zero.bin'));
    const o2 = await childLoad('weights-dev-zero-symlink', 'path', dir2);
    expect(o2.code, o2.child.stderr).toBe('UNSAFE_PATH');
    expect(childMs(o2.child.stderr)).toBeLessThan(1000);
  });

  it('a FIFO as weights file ⇒ UNSAFE_PATH (child: opening it used to block)', async () => {
    const dir = await withPaths('fifo', ['pipe.bin']);
    execFileSync('mkfifo', [path.join(dir, 'pipe.bin')]);
    const o = await childLoad('weights-fifo', 'path', dir);
    expect(o.code, o.child.stderr).toBe('UNSAFE_PATH');
    expect(childMs(o.child.stderr)).toBeLessThan(1000);
  });

  it('model.json given as /dev/zero itself ⇒ typed, not read', async () => {
    const link = path.join(tmp, 'zero-model.json');
    await fs.symlink('/dev/zero', link);
    const o = await childLoad('model-json-dev-zero', 'path', link);
    expect(o.code, o.child.stderr).toBe('UNSAFE_PATH');
    expect(childMs(o.child.stderr)).toBeLessThan(1000);
  });

  it('a symlink that leads outside the model folder ⇒ UNSAFE_PATH', async () => {
    const outside = path.join(tmp, 'outside.bin');
    await fs.copyFile(path.join(good, 'weights.bin'), outside);
    const dir = await withPaths('symlink-escape', ['w.bin']);
    await fs.symlink(outside, path.join(dir, 'w.bin'));
    expectTyped(
      await runHostileCase({ suite, id: 'weights-symlink-escape', category: 'path' }, () => loadModel(dir)),
      'UNSAFE_PATH',
    );
  });

  it('a folder as weights file ⇒ UNSAFE_PATH', async () => {
    const dir = await withPaths('folder', ['sub']);
    await fs.mkdir(path.join(dir, 'sub'));
    expectTyped(
      await runHostileCase({ suite, id: 'weights-folder', category: 'path' }, () => loadModel(dir)),
      'UNSAFE_PATH',
    );
  });

  it('size-mismatched weights ⇒ MODEL_FORMAT, without the size found in the message', async () => {
    const dir = await withPaths('mismatch', ['weights.bin']);
    await fs.appendFile(path.join(dir, 'weights.bin'), new Uint8Array(4096));
    const o = await runHostileCase({ suite, id: 'weights-size-mismatch', category: 'input' }, () => loadModel(dir));
    expectTyped(o, 'MODEL_FORMAT');
    const size = (await fs.stat(path.join(dir, 'weights.bin'))).size;
    expect(o.message).not.toContain(String(size));
  });

  it('an inbound node from an unknown layer ⇒ MODEL_FORMAT (child: tfjs-layers spun forever)', async () => {
    const dir = await hostileModel('ghost-layer', (j) => {
      j.modelTopology.config.layers[2].inbound_nodes[0][0][0] = 'ghost';
    });
    const o = await childLoad('topology-unknown-inbound-layer', 'input', dir);
    expect(o.code, o.child.stderr).toBe('MODEL_FORMAT');
    expect(childMs(o.child.stderr)).toBeLessThan(1000);
  });

  it('a layer cycle ⇒ MODEL_FORMAT (child)', async () => {
    const dir = await hostileModel('cycle', (j) => {
      j.modelTopology.config.layers[1].inbound_nodes[0][0][0] = 'd2';
    });
    const o = await childLoad('topology-cycle', 'input', dir);
    expect(o.code, o.child.stderr).toBe('MODEL_FORMAT');
    expect(childMs(o.child.stderr)).toBeLessThan(1000);
  });

  it('a Dense declaring 2e8 units ⇒ MODEL_FORMAT before allocation (child, strict: false used to spin on GBs)', async () => {
    const dir = await hostileModel('huge-dense', (j) => {
      (j.modelTopology.config.layers[1] as unknown as { config: { units: number } }).config.units = 2e8;
    });
    for (const strict of [true, false]) {
      const o = await childLoad(`topology-huge-dense-${strict ? 'strict' : 'nonstrict'}`, 'input', dir, { strict });
      expect(o.code, o.child.stderr).toBe('MODEL_FORMAT');
      expect(childMs(o.child.stderr)).toBeLessThan(1000);
      expect(o.peakMiB ?? 0).toBeLessThan(1024);
    }
  });

  it('a zoo manifest entry whose weights leave the zoo ⇒ UNSAFE_PATH, even with a matching checksum', async () => {
    const zooDir = path.join(tmp, 'zoo');
    const { model } = await (async () => ({ model: await loadModel(good) }))();
    await writeZooEntry({ model, zooDir, name: 'm', trainingData: 't', accuracy: 0.5, command: 'c' });
    const manifestPath = path.join(zooDir, 'manifest.json');
    const m = JSON.parse(await fs.readFile(manifestPath, 'utf8'));
    m.models[0].files.weights = '../outside.bin';
    m.models[0].sha256.weights = createHash('sha256')
      .update(await fs.readFile(path.join(tmp, 'outside.bin')))
      .digest('hex');
    await fs.writeFile(manifestPath, JSON.stringify(m));
    expectTyped(
      await runHostileCase({ suite, id: 'zoo-manifest-dotdot', category: 'path' }, () => loadZooModel('m', { zooDir })),
      'UNSAFE_PATH',
    );
  });

  it('HTTP: a weight path that is an absolute URL ⇒ UNSAFE_PATH before it is requested', async () => {
    const j = structuredClone(goodJson);
    (j.weightsManifest[0] as { paths: string[] }).paths = ['http://169.254.169.254/latest/meta-data'];
    const requested: string[] = [];
    const fetchStub = (async (u: string | URL | Request) => {
      requested.push(String(u));
      return new Response(JSON.stringify(j));
    }) as typeof fetch;
    expectTyped(
      await runHostileCase({ suite, id: 'http-weights-absolute-url', category: 'path' }, () =>
        loadModel('http://models.test/m', { fetch: fetchStub }),
      ),
      'UNSAFE_PATH',
    );
    expect(requested).toEqual(['http://models.test/m/model.json']);
  });
});
