import '@tensorflow/tfjs-backend-cpu';
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { InvalidArgumentError, ModelFileNotFoundError, ModelFormatError, UnsafePathError } from '../errors.js';
import { tinyCnn } from './cnns.js';
import {
  listZooModels,
  loadZooModel,
  locateZooModel,
  readZooManifest,
  resolveZooDir,
  writeZooEntry,
  zooSearchPath,
  zooWriteDir,
} from './zoo.js';

let tmp: string;
beforeAll(async () => {
  await tf.setBackend('cpu');
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'ft-zoo-'));
});
afterAll(async () => {
  await fs.rm(tmp, { recursive: true, force: true });
});
const savedEnv = process.env.FT_ZOO_DIR;
afterEach(() => {
  if (savedEnv === undefined) delete process.env.FT_ZOO_DIR;
  else process.env.FT_ZOO_DIR = savedEnv;
});

const sha = async (f: string) =>
  createHash('sha256')
    .update(await fs.readFile(f))
    .digest('hex');
const x = () => tf.randomNormal([2, 8, 8, 1], 0, 1, 'float32', 1);
const predict = (m: { predict: (x: tf.Tensor) => unknown }) => Array.from((m.predict(x()) as tf.Tensor).dataSync());
const meta = { trainingData: 'synthetic 8x8, seed 0', accuracy: 0.5, command: 'ft pretrain --arch tinyCnn --seed 0' };

describe('model zoo', () => {
  it('writeZooEntry saves the model and records checksums; loadZooModel verifies and loads it', async () => {
    const zooDir = path.join(tmp, 'zoo1');
    const { model } = tinyCnn({ inputShape: [8, 8, 1], numClasses: 3, seed: 1 });
    const entry = await writeZooEntry({ model, zooDir, name: 'tiny-a', arch: 'tinyCnn', ...meta });
    expect(entry.files).toEqual({ modelJson: 'tiny-a/model.json', weights: 'tiny-a/weights.bin' });
    expect(entry.sha256.weights).toBe(await sha(path.join(zooDir, 'tiny-a/weights.bin')));
    expect(entry.sha256.modelJson).toBe(await sha(path.join(zooDir, 'tiny-a/model.json')));
    const manifest = await readZooManifest({ zooDir });
    expect(manifest.version).toBe(1);
    expect(manifest.models[0]).toMatchObject({ name: 'tiny-a', command: meta.command, accuracy: 0.5 });
    const loaded = await loadZooModel('tiny-a', { zooDir });
    expect(predict(loaded)).toEqual(predict(model));
    // second entry, then update of the first: sorted, replaced, not duplicated
    await writeZooEntry({ model: tinyCnn({ inputShape: [8, 8, 1], seed: 2 }).model, zooDir, name: 'b-model', ...meta });
    const m3 = tinyCnn({ inputShape: [8, 8, 1], numClasses: 3, seed: 3 }).model;
    await writeZooEntry({ model: m3, zooDir, name: 'tiny-a', ...meta, accuracy: { top1: 0.9 } });
    const names = (await listZooModels({ zooDir })).map((e) => e.name);
    expect(names).toEqual(['b-model', 'tiny-a']);
    expect(predict(await loadZooModel('tiny-a', { zooDir }))).toEqual(predict(m3));
  });

  it('checksum mismatch ⇒ ModelFormatError naming the file; unknown name / missing manifest ⇒ ModelFileNotFoundError', async () => {
    const zooDir = path.join(tmp, 'zoo2');
    await writeZooEntry({ model: tinyCnn({ inputShape: [8, 8, 1] }).model, zooDir, name: 'm', ...meta });
    const w = path.join(zooDir, 'm/weights.bin');
    const buf = await fs.readFile(w);
    buf[10] ^= 0xff; // same length, different content: only the checksum can tell
    await fs.writeFile(w, buf);
    await expect(loadZooModel('m', { zooDir })).rejects.toThrow(ModelFormatError);
    await expect(loadZooModel('m', { zooDir })).rejects.toThrow(/checksum mismatch for .*m\/weights\.bin/);
    await expect(loadZooModel('nope', { zooDir })).rejects.toThrow(ModelFileNotFoundError);
    await expect(loadZooModel('nope', { zooDir })).rejects.toThrow(/available: m/);
    await expect(loadZooModel('m', { zooDir: path.join(tmp, 'empty') })).rejects.toThrow(/zoo manifest not found/);
    expect(await listZooModels({ zooDir: path.join(tmp, 'empty') })).toEqual([]);
    await fs.writeFile(path.join(zooDir, 'manifest.json'), '{"version": 1, "models": [');
    await expect(loadZooModel('m', { zooDir })).rejects.toThrow(ModelFormatError);
  });

  it('manifest paths are confined to the zoo folder: .., absolute and symlink escapes ⇒ UnsafePathError', async () => {
    const zooDir = path.join(tmp, 'zoo3');
    await writeZooEntry({ model: tinyCnn({ inputShape: [8, 8, 1] }).model, zooDir, name: 'm', ...meta });
    const manifestPath = path.join(zooDir, 'manifest.json');
    const manifest = JSON.parse(await fs.readFile(manifestPath, 'utf8'));
    const outside = path.join(tmp, 'outside-weights.bin');
    await fs.copyFile(path.join(zooDir, 'm/weights.bin'), outside);
    await fs.symlink(outside, path.join(zooDir, 'm/link.bin'));
    for (const weights of ['../outside-weights.bin', outside, 'm/link.bin', 'm/../../outside-weights.bin']) {
      const m = structuredClone(manifest);
      m.models[0].files.weights = weights;
      m.models[0].sha256.weights = await sha(outside); // even with the right checksum
      await fs.writeFile(manifestPath, JSON.stringify(m));
      await expect(loadZooModel('m', { zooDir }), weights).rejects.toThrow(UnsafePathError);
    }
    const m = structuredClone(manifest);
    m.models[0].files.modelJson = '/etc/passwd';
    await fs.writeFile(manifestPath, JSON.stringify(m));
    await expect(readZooManifest({ zooDir })).rejects.toThrow(/files\.modelJson: '\/etc\/passwd' is absolute/);
  });

  it('validates entries and resolves the zoo dir from option, FT_ZOO_DIR, then <repo>/packages/zoo', async () => {
    const { model } = tinyCnn({ inputShape: [8, 8, 1] });
    await expect(writeZooEntry({ model, zooDir: tmp, name: '../evil', ...meta })).rejects.toThrow(InvalidArgumentError);
    await expect(loadZooModel('../../etc/x', { zooDir: tmp })).rejects.toThrow(
      /loadZooModel: zoo model name "\.\.\/\.\.\/etc\/x" is not valid/,
    );
    await expect(writeZooEntry({ model, zooDir: tmp, name: 'ok', ...meta, command: '' })).rejects.toThrow(/command/);
    expect(resolveZooDir('/a/b')).toBe('/a/b');
    process.env.FT_ZOO_DIR = '/from/env';
    expect(resolveZooDir()).toBe('/from/env');
    delete process.env.FT_ZOO_DIR;
    const repo = resolveZooDir();
    expect(path.basename(repo)).toBe('zoo');
    expect(await fs.stat(path.join(path.dirname(path.dirname(repo)), 'pnpm-workspace.yaml'))).toBeTruthy();
  });
});

describe('where zoo names are looked up', () => {
  const cwdBefore = process.cwd();
  afterEach(() => process.chdir(cwdBefore));
  const shippedZoo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../zoo');

  it('search path: the option alone, else FT_ZOO_DIR alone, else the installed @ft/zoo, then <cwd>/zoo', () => {
    const ctx = { env: {}, cwd: '/app', packageDir: '/app/node_modules/@ft/zoo' };
    expect(zooSearchPath('/mine', ctx)).toEqual([{ dir: '/mine', source: 'option' }]);
    expect(zooSearchPath('rel', ctx)).toEqual([{ dir: '/app/rel', source: 'option' }]);
    expect(zooSearchPath(undefined, { ...ctx, env: { FT_ZOO_DIR: 'z' } })).toEqual([{ dir: '/app/z', source: 'env' }]);
    expect(zooSearchPath('/mine', { ...ctx, env: { FT_ZOO_DIR: '/z' } })).toEqual([{ dir: '/mine', source: 'option' }]);
    expect(zooSearchPath(undefined, ctx)).toEqual([
      { dir: '/app/node_modules/@ft/zoo', source: 'package' },
      { dir: '/app/zoo', source: 'cwd' },
    ]);
    expect(zooSearchPath(undefined, { ...ctx, packageDir: null })).toEqual([{ dir: '/app/zoo', source: 'cwd' }]);
    // here @ft/zoo is core's devDependency: resolved by name to this repository's packages/zoo
    expect(zooSearchPath(undefined, { env: {}, cwd: '/app' })[0]).toEqual({ dir: shippedZoo, source: 'package' });
  });

  it('writes go to the option, FT_ZOO_DIR, a source checkout of @ft/zoo, else <cwd>/zoo, never an installed copy', () => {
    const ctx = { env: {}, cwd: '/app' };
    expect(zooWriteDir('/mine', { ...ctx, packageDir: shippedZoo })).toBe('/mine');
    expect(zooWriteDir(undefined, { ...ctx, env: { FT_ZOO_DIR: '/z' }, packageDir: shippedZoo })).toBe('/z');
    expect(zooWriteDir(undefined, { ...ctx, packageDir: shippedZoo })).toBe(shippedZoo);
    expect(zooWriteDir(undefined, { ...ctx, packageDir: '/app/node_modules/@ft/zoo' })).toBe('/app/zoo');
    expect(zooWriteDir(undefined, { ...ctx, packageDir: null })).toBe('/app/zoo');
  });

  it('loads the shipped models by name from the installed @ft/zoo, with checksums verified', async () => {
    delete process.env.FT_ZOO_DIR;
    process.chdir(tmp); // no zoo here: the package is found by name, not through the working directory
    const model = await loadZooModel('mnist-resnet8');
    expect(model.inputs[0].shape).toEqual([null, 28, 28, 1]);
    expect(model.outputs[0].shape).toEqual([null, 10]);
    expect((await listZooModels()).map((e) => e.name)).toEqual(['fashion-mnist-resnet8', 'mnist-resnet8']);
    const located = await locateZooModel('fashion-mnist-resnet8');
    expect(located.zooDir).toBe(shippedZoo);
    model.dispose();
  });

  it('a name missing from @ft/zoo is found in <cwd>/zoo; listZooModels lists both, the first zoo winning a name', async () => {
    delete process.env.FT_ZOO_DIR;
    const app = path.join(tmp, 'app-own-zoo');
    const { model } = tinyCnn({ inputShape: [8, 8, 1], numClasses: 3, seed: 4 });
    await writeZooEntry({ model, zooDir: path.join(app, 'zoo'), name: 'my-model', ...meta });
    await writeZooEntry({ model, zooDir: path.join(app, 'zoo'), name: 'mnist-resnet8', ...meta });
    process.chdir(app);
    expect(predict(await loadZooModel('my-model'))).toEqual(predict(model));
    expect((await locateZooModel('mnist-resnet8')).zooDir).toBe(shippedZoo);
    const listed = await listZooModels();
    expect(listed.map((e) => e.name)).toEqual(['fashion-mnist-resnet8', 'mnist-resnet8', 'my-model']);
    expect(listed[1].command).toMatch(/^ft pretrain --dataset mnist/);
    const err = await loadZooModel('absent').catch((e) => e);
    expect(err).toBeInstanceOf(ModelFileNotFoundError);
    expect(err.message).toBe(
      `no zoo model 'absent' in ${path.join(shippedZoo, 'manifest.json')}, ${path.join(app, 'zoo', 'manifest.json')}; available: fashion-mnist-resnet8, mnist-resnet8, my-model`,
    );
    // FT_ZOO_DIR replaces the search: the shipped zoo is no longer consulted
    process.env.FT_ZOO_DIR = path.join(app, 'zoo');
    expect((await listZooModels()).map((e) => e.name)).toEqual(['mnist-resnet8', 'my-model']);
    await expect(loadZooModel('fashion-mnist-resnet8')).rejects.toThrow(/available: mnist-resnet8, my-model/);
  });

  it('no zoo anywhere ⇒ ModelFileNotFoundError naming every place looked and how to fix it', async () => {
    const ctx = { env: {}, cwd: '/app', packageDir: null };
    const err = await locateZooModel('mnist-resnet8', undefined, ctx).catch((e) => e);
    expect(err).toBeInstanceOf(ModelFileNotFoundError);
    expect(err.code).toBe('MODEL_FILE_NOT_FOUND');
    expect(err.message).toBe(
      'zoo manifest not found: looked in @ft/zoo (not installed: not resolvable from @ft/core or the working directory); ' +
        '/app/zoo/manifest.json (the working directory). Fix: install the shipped zoo (npm install @ft/zoo), ' +
        'or point at a zoo folder with FT_ZOO_DIR=<dir> or --zoo-dir <dir> (the zooDir option)',
    );
    expect(err.details).toEqual({ searched: ['/app/zoo/manifest.json'], install: 'npm install @ft/zoo' });
    const empty = path.join(tmp, 'empty-zoo');
    const installed = await locateZooModel('m', undefined, { ...ctx, packageDir: empty }).catch((e) => e);
    expect(installed.message).toMatch(
      new RegExp(
        `^zoo manifest not found: looked in ${empty}/manifest.json \\(the installed @ft/zoo package\\); /app/zoo/manifest.json`,
      ),
    );
    const env = await locateZooModel('m', undefined, { ...ctx, env: { FT_ZOO_DIR: '/z' } }).catch((e) => e);
    expect(env.message).toMatch(
      /^zoo manifest not found: looked in \/z\/manifest.json \(FT_ZOO_DIR\)\. Fix: .*npm install @ft\/zoo/,
    );
    const opt = await locateZooModel('m', '/o', ctx).catch((e) => e);
    expect(opt.message).toMatch(
      /^zoo manifest not found: looked in \/o\/manifest.json \(the zooDir option \/ --zoo-dir\)\. Fix:/,
    );
  });

  it("writeZooEntry keeps a zoo's SHA256SUMS in step with the manifest", async () => {
    const zooDir = path.join(tmp, 'zoo-sums');
    await writeZooEntry({ model: tinyCnn({ inputShape: [8, 8, 1], seed: 5 }).model, zooDir, name: 'b', ...meta });
    expect(await fs.readdir(zooDir)).not.toContain('SHA256SUMS'); // only a zoo that ships one gets one
    await fs.writeFile(path.join(zooDir, 'SHA256SUMS'), '');
    await writeZooEntry({ model: tinyCnn({ inputShape: [8, 8, 1], seed: 6 }).model, zooDir, name: 'a', ...meta });
    const lines = (await fs.readFile(path.join(zooDir, 'SHA256SUMS'), 'utf8')).trim().split('\n');
    const files = ['a/model.json', 'a/weights.bin', 'b/model.json', 'b/weights.bin'];
    expect(lines).toEqual(await Promise.all(files.map(async (f) => `${await sha(path.join(zooDir, f))}  ${f}`)));
  });
});
