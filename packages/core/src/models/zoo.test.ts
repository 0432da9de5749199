import '@tensorflow/tfjs-backend-cpu';
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { InvalidArgumentError, ModelFileNotFoundError, ModelFormatError, UnsafePathError } from '../errors.js';
import { tinyCnn } from './cnns.js';
import { listZooModels, loadZooModel, readZooManifest, resolveZooDir, writeZooEntry } from './zoo.js';

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

  it('validates entries and resolves the zoo dir from option, FT_ZOO_DIR, then <repo>/zoo', async () => {
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
    expect(await fs.stat(path.join(path.dirname(repo), 'pnpm-workspace.yaml'))).toBeTruthy();
  });
});
