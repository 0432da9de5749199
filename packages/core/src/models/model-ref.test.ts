import '@tensorflow/tfjs-backend-cpu';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InvalidArgumentError, ModelFileNotFoundError, UnsafePathError } from '../errors.js';
import { tinyCnn } from './cnns.js';
import { loadModelRef } from './model-ref.js';
import { saveModel } from './save-load.js';
import { writeZooEntry } from './zoo.js';

let tmp: string;
beforeAll(async () => {
  await tf.setBackend('cpu');
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'ft-model-ref-'));
});
afterAll(async () => {
  await fs.rm(tmp, { recursive: true, force: true });
});

const x = () => tf.randomNormal([2, 8, 8, 1], 0, 1, 'float32', 1);
const predict = (m: { predict: (x: tf.Tensor) => unknown }) => Array.from((m.predict(x()) as tf.Tensor).dataSync());
const meta = { trainingData: 'synthetic', accuracy: 0.5, command: 'test' };

describe('loadModelRef', () => {
  it('zoo:<name> loads the zoo entry; a directory or a model.json path loads the saved model', async () => {
    const zooDir = path.join(tmp, 'zoo');
    const zooModel = tinyCnn({ inputShape: [8, 8, 1], numClasses: 3, seed: 1 }).model;
    await writeZooEntry({ model: zooModel, zooDir, name: 'tiny', ...meta });
    const fromZoo = await loadModelRef('zoo:tiny', { zooDir });
    expect(predict(fromZoo)).toEqual(predict(zooModel));

    const dir = path.join(tmp, 'saved');
    const saved = tinyCnn({ inputShape: [8, 8, 1], numClasses: 3, seed: 2 }).model;
    await saveModel(saved, dir);
    expect(predict(await loadModelRef(dir))).toEqual(predict(saved));
    expect(predict(await loadModelRef(path.join(dir, 'model.json')))).toEqual(predict(saved));
    // a path that happens to hold a zoo entry's name is a path, not a zoo name
    await expect(loadModelRef('tiny', { zooDir })).rejects.toBeInstanceOf(ModelFileNotFoundError);
  });

  it('a missing file or an unknown zoo name ⇒ ModelFileNotFoundError', async () => {
    await expect(loadModelRef(path.join(tmp, 'nope'))).rejects.toBeInstanceOf(ModelFileNotFoundError);
    await expect(loadModelRef(path.join(tmp, 'nope', 'model.json'))).rejects.toThrow(/nope/);
    await expect(loadModelRef('zoo:absent', { zooDir: path.join(tmp, 'zoo') })).rejects.toBeInstanceOf(
      ModelFileNotFoundError,
    );
  });

  it('stays confined: zoo names holding paths ⇒ InvalidArgumentError, escaping weight paths ⇒ UnsafePathError', async () => {
    const zooDir = path.join(tmp, 'zoo');
    for (const bad of ['zoo:../saved', 'zoo:/etc/passwd', 'zoo:a/b', 'zoo:', 'zoo:.hidden']) {
      await expect(loadModelRef(bad, { zooDir })).rejects.toBeInstanceOf(InvalidArgumentError);
    }
    await expect(loadModelRef('')).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(loadModelRef(undefined as unknown as string)).rejects.toBeInstanceOf(InvalidArgumentError);
    // a model.json whose weights manifest points outside its folder
    const dir = path.join(tmp, 'escape');
    await saveModel(tinyCnn({ inputShape: [8, 8, 1], numClasses: 3 }).model, dir);
    const json = JSON.parse(await fs.readFile(path.join(dir, 'model.json'), 'utf8'));
    json.weightsManifest[0].paths = ['../saved/weights.bin'];
    await fs.writeFile(path.join(dir, 'model.json'), JSON.stringify(json));
    await expect(loadModelRef(dir)).rejects.toBeInstanceOf(UnsafePathError);
  });
});
