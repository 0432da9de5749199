import '@tensorflow/tfjs-backend-cpu';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '../errors.js';
import { cloneModel } from './clone-model.js';
import { bnCnn3 } from './cnns.js';
import { freeze, getBnModes, setBnMode } from './freeze.js';
import { FtBatchNorm } from './ft-batch-norm.js';
import { resnet8 } from './resnet.js';
import { loadModel, saveModel } from './save-load.js';
import { loadZooModel, writeZooEntry } from './zoo.js';

let tmp: string;
beforeAll(async () => {
  await tf.setBackend('cpu');
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'ft-clone-'));
});
afterAll(async () => {
  await fs.rm(tmp, { recursive: true, force: true });
});

const batch = () => tf.randomNormal([4, 8, 8, 1], 0, 1, 'float32', 7) as tf.Tensor4D;
function predict(m: tfl.LayersModel): number[] {
  return tf.tidy(() => Array.from((m.predict(batch()) as tf.Tensor).dataSync()));
}
/** Moves the BN moving statistics away from their initial values. */
function moveBnStats(m: tfl.LayersModel): void {
  const x = tf.randomNormal([6, 8, 8, 1], 0.7, 2, 'float32', 3);
  for (let i = 0; i < 3; i++) tf.tidy(() => m.apply(x, { training: true }) as tf.Tensor);
  x.dispose();
}
const values = (m: tfl.LayersModel) => m.getWeights().map((w) => Array.from(w.dataSync()));

describe('cloneModel', () => {
  it('gives identical predictions with new variables (bnCnn3 and resnet8)', async () => {
    for (const build of [bnCnn3, resnet8]) {
      const { model } = build({ inputShape: [8, 8, 1], numClasses: 3, seed: 1 });
      moveBnStats(model);
      const copy = await cloneModel(model);
      expect(predict(copy)).toEqual(predict(model));
      expect(values(copy)).toEqual(values(model));
      expect(copy.layers.map((l) => l.name)).toEqual(model.layers.map((l) => l.name));
      expect(copy.name).toBe(model.name);
      const ids = new Set(model.weights.map((w) => w.read().id));
      for (const w of copy.weights) expect(ids.has(w.read().id)).toBe(false);
      copy.dispose();
      model.dispose();
    }
  });

  it('copies the BN moving statistics', async () => {
    const { model } = bnCnn3({ inputShape: [8, 8, 1], numClasses: 3, seed: 2 });
    moveBnStats(model);
    const stats = (m: tfl.LayersModel) =>
      m.weights
        .filter((w) => /moving_(mean|variance)/.test(w.originalName))
        .map((w) => Array.from(w.read().dataSync()));
    const before = stats(model);
    expect(before.length).toBeGreaterThan(0);
    expect(before.some((s) => s.some((v) => v !== 0 && v !== 1))).toBe(true);
    const copy = await cloneModel(model);
    expect(stats(copy)).toEqual(before);
    copy.dispose();
    model.dispose();
  });

  it('is independent: training or assigning the copy leaves the original unchanged', async () => {
    const { model } = resnet8({ inputShape: [8, 8, 1], numClasses: 3, seed: 3 });
    const copy = await cloneModel(model, { name: 'teacher' });
    expect(copy.name).toBe('teacher');
    const before = values(model);
    const p0 = predict(model);
    // a gradient step on the copy, BN stats updated by a training-mode forward, and a direct assign
    const x = tf.randomNormal([4, 8, 8, 1], 0, 1, 'float32', 5);
    const opt = tf.train.sgd(0.5);
    opt.minimize(() => tf.mean(tf.square(copy.apply(x, { training: true }) as tf.Tensor)) as tf.Scalar);
    const three = tf.fill(copy.weights[0].shape as number[], 3);
    copy.weights[0].write(three);
    three.dispose();
    expect(values(copy)).not.toEqual(before);
    expect(values(model)).toEqual(before);
    expect(predict(model)).toEqual(p0);
    opt.dispose();
    x.dispose();
    copy.dispose();
    model.dispose();
  });

  it('keeps frozen layers frozen and the BN modes', async () => {
    const { model } = bnCnn3({ inputShape: [8, 8, 1], numClasses: 3, seed: 4 });
    const frozen = freeze(model, { upTo: model.layers[3].name });
    setBnMode(model, 'frozen');
    setBnMode(model, 'train', { upTo: 'block1_bn' });
    const copy = await cloneModel(model);
    expect(copy.layers.map((l) => l.trainable)).toEqual(model.layers.map((l) => l.trainable));
    expect(frozen.length).toBeGreaterThan(0);
    for (const n of frozen) expect(copy.getLayer(n).trainable).toBe(false);
    expect(copy.getLayer('block2_conv').trainable).toBe(true);
    expect(copy.trainableWeights.map((w) => w.originalName)).toEqual(model.trainableWeights.map((w) => w.originalName));
    expect(getBnModes(copy)).toEqual(getBnModes(model));
    expect(getBnModes(copy)).toMatchObject({ block1_bn: 'train', block2_bn: 'frozen', block3_bn: 'frozen' });
    for (const l of copy.layers) if (l.getClassName() === 'BatchNormalization') expect(l).toBeInstanceOf(FtBatchNorm);
    // frozen BN: a training-mode forward of the copy does not move its statistics
    const w0 = values(copy);
    tf.tidy(() => {
      copy.apply(batch(), { training: true });
    });
    const frozenBn = copy.layers.filter((l) => getBnModes(copy)[l.name] === 'frozen');
    const idx = (m: tfl.LayersModel) =>
      m.weights.map((w, i) => (frozenBn.some((l) => w.originalName.startsWith(`${l.name}/`)) ? i : -1));
    const after = values(copy);
    for (const i of idx(copy)) if (i >= 0) expect(after[i]).toEqual(w0[i]);
    copy.dispose();
    model.dispose();
  });

  it('disposing the copy leaves the original usable and frees every tensor of the copy', async () => {
    const { model } = resnet8({ inputShape: [8, 8, 1], numClasses: 3, seed: 6 });
    const p0 = predict(model);
    const baseline = tf.memory().numTensors;
    const copy = await cloneModel(model);
    expect(tf.memory().numTensors).toBeGreaterThan(baseline);
    predict(copy);
    copy.dispose();
    expect(tf.memory().numTensors).toBe(baseline);
    expect(predict(model)).toEqual(p0);
    expect(tf.memory().numTensors).toBe(baseline);
    model.dispose();
  });

  it('clones a zoo model; the clone saves and loads back with the same predictions', async () => {
    const zooDir = path.join(tmp, 'zoo');
    const { model: src } = bnCnn3({ inputShape: [8, 8, 1], numClasses: 3, seed: 8 });
    moveBnStats(src);
    await writeZooEntry({
      model: src,
      zooDir,
      name: 'bn-a',
      arch: 'bnCnn3',
      trainingData: 'synthetic',
      accuracy: 0.5,
      command: 'test',
    });
    const zoo = await loadZooModel('bn-a', { zooDir });
    const copy = await cloneModel(zoo);
    expect(predict(copy)).toEqual(predict(zoo));
    // original and clone saved side by side: same names in both artifacts, both load back
    await saveModel(zoo, path.join(tmp, 'orig'));
    await saveModel(copy, path.join(tmp, 'copy'));
    const json = async (d: string) => JSON.parse(await fs.readFile(path.join(tmp, d, 'model.json'), 'utf8'));
    const names = (j: { weightsManifest: { weights: { name: string }[] }[] }) =>
      j.weightsManifest.flatMap((g) => g.weights.map((w) => w.name));
    expect(names(await json('copy'))).toEqual(names(await json('orig')));
    const back = await loadModel(path.join(tmp, 'copy'));
    expect(predict(back)).toEqual(predict(zoo));
    for (const m of [back, copy, zoo, src]) m.dispose();
  });

  it('rejects a non-model and an empty name', async () => {
    await expect(cloneModel({} as tfl.LayersModel)).rejects.toThrow(InvalidArgumentError);
    const { model } = bnCnn3({ inputShape: [8, 8, 1], numClasses: 3, seed: 9 });
    await expect(cloneModel(model, { name: '' })).rejects.toThrow(InvalidArgumentError);
    model.dispose();
  });
});
