import '@tensorflow/tfjs-backend-cpu';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { InvalidArgumentError, loadModel, saveModel } from '@ft/core';
import { maxAbsDiff } from '@ft/core/testing';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { beforeAll, describe, expect, it } from 'vitest';
import { withNormalization } from './normalization.js';
import { PGD } from './pgd.js';
import { randomImages } from './test-helpers.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

/** A 2-channel model that outputs its (flattened) input after a linear map, so normalisation is visible. */
function probe(): tfl.LayersModel {
  const m = tfl.sequential();
  m.add(tfl.layers.flatten({ inputShape: [2, 2, 2] }));
  m.add(tfl.layers.dense({ units: 3, kernelInitializer: tfl.initializers.glorotUniform({ seed: 1 }) }));
  return m;
}

describe('withNormalization', () => {
  it('computes model((x − mean)/std) per channel and is not trainable', () => {
    const inner = probe();
    const wrapped = withNormalization(inner, [0.5, 0.2], [0.25, 0.1]);
    const x = randomImages(3, [2, 2, 2], 1);
    const manual = tf.tidy(() =>
      inner.predict(tf.div(tf.sub(x, tf.tensor1d([0.5, 0.2])), tf.tensor1d([0.25, 0.1]))),
    ) as tf.Tensor;
    const got = wrapped.predict(x) as tf.Tensor;
    expect(maxAbsDiff(got, manual)).toBeLessThan(1e-5);
    // only the inner model's weights train
    expect(wrapped.trainableWeights.length).toBe(inner.trainableWeights.length);
    tf.dispose([x, manual, got]);
  });

  it('saves as a standard LayersModel and loads back with the same outputs', async () => {
    const wrapped = withNormalization(probe(), 0.5, 0.25);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'adv-norm-'));
    await saveModel(wrapped, dir);
    const json = JSON.parse(fs.readFileSync(path.join(dir, 'model.json'), 'utf8'));
    expect(JSON.stringify(json.modelTopology)).toContain('DepthwiseConv2D');
    const loaded = await loadModel(dir);
    const x = randomImages(2, [2, 2, 2], 2);
    const a = wrapped.predict(x) as tf.Tensor;
    const b = loaded.predict(x) as tf.Tensor;
    expect(maxAbsDiff(a, b)).toBeLessThan(1e-6);
    tf.dispose([x, a, b]);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('lets attacks work in [0, 1] pixel space', () => {
    const wrapped = withNormalization(probe(), 0.5, 0.25);
    const x = randomImages(2, [2, 2, 2], 3);
    const y = tf.tensor1d([0, 2], 'int32');
    const adv = new PGD(wrapped, { eps: 0.05, steps: 3 }).run(x, y);
    expect(maxAbsDiff(adv, x)).toBeLessThanOrEqual(0.05 + 1e-6);
    tf.dispose([x, y, adv]);
  });

  it('rejects wrong channel counts and std ≤ 0', () => {
    expect(() => withNormalization(probe(), [0.5], [0.2, 0.2])).toThrow(InvalidArgumentError);
    expect(() => withNormalization(probe(), 0.5, 0)).toThrow(/std\[0\] = 0 must be > 0/);
  });
});
