/**
 * Parity of a whole training run on ft-webgpu (on CI: the software OpenGL adapter) against cpu (memory.test.ts checks
 * flat memory over many steps). Speed on a software adapter says nothing about a GPU; only equality is asserted here.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { afterAll, describe, expect, it } from 'vitest';
import { disposeWebGpu, webgpuInfo } from './register.js';
import { registerForTests, values } from './test-helpers.js';

const reg = await registerForTests();

/** 48 images 8×8×2 and 3 classes: the class is the argmax of three fixed projections (learnable, deterministic). */
function data(): { x: tf.Tensor4D; y: tf.Tensor2D } {
  const n = 48;
  const xs = values(n * 8 * 8 * 2, 11);
  const proj = [values(128, 12), values(128, 13), values(128, 14)];
  const labels = new Float32Array(n * 3);
  for (let i = 0; i < n; i++) {
    const s = proj.map((p) => p.reduce((acc, v, j) => acc + v * xs[i * 128 + j], 0));
    labels[i * 3 + s.indexOf(Math.max(...s))] = 1;
  }
  return { x: tf.tensor4d(xs, [n, 8, 8, 2]), y: tf.tensor2d(labels, [n, 3]) };
}

/** Conv → BatchNorm → ReLU → MaxPool → Dense(softmax), seeded initialisers. */
function model(): tfl.LayersModel {
  const m = tfl.sequential();
  m.add(
    tfl.layers.conv2d({
      inputShape: [8, 8, 2],
      filters: 6,
      kernelSize: 3,
      padding: 'same',
      kernelInitializer: tfl.initializers.glorotUniform({ seed: 1 }),
    }),
  );
  m.add(tfl.layers.batchNormalization());
  m.add(tfl.layers.activation({ activation: 'relu' }));
  m.add(tfl.layers.maxPooling2d({ poolSize: 2 }));
  m.add(tfl.layers.flatten());
  m.add(
    tfl.layers.dense({
      units: 3,
      activation: 'softmax',
      kernelInitializer: tfl.initializers.glorotUniform({ seed: 2 }),
    }),
  );
  m.compile({ optimizer: tf.train.adam(0.01), loss: 'categoricalCrossentropy' });
  return m;
}

async function lossCurve(backend: string): Promise<number[]> {
  await tf.setBackend(backend);
  const { x, y } = data();
  const m = model();
  const h = await m.fit(x, y, { epochs: 5, batchSize: 16, shuffle: false, verbose: 0 });
  m.dispose();
  tf.dispose([x, y]);
  return h.history.loss as number[];
}

describe.skipIf(!reg.ok)('training on ft-webgpu', () => {
  afterAll(() => disposeWebGpu());

  it("a Conv-BN-Dense model trained 5 epochs gives cpu's loss curve to 5 decimals", async () => {
    const ref = await lossCurve('cpu');
    const fast = () => Object.fromEntries(Object.entries(webgpuInfo().kernels).map(([k, v]) => [k, v.fast]));
    const before = fast();
    const got = await lossCurve('ft-webgpu');
    const calls = (k: string) => fast()[k] - before[k];
    expect(got).toHaveLength(5);
    expect(ref[4]).toBeLessThan(ref[0]); // it learns
    for (let e = 0; e < 5; e++) expect(got[e]).toBeCloseTo(ref[e], 5);
    // 3 batches × 5 epochs, each step on this package's kernels: the convolution (tfjs-layers calls FusedConv2D)
    // and its filter gradient, the fused BatchNorm pair, and one fused optimizer update per variable.
    expect(calls('Conv2DBackpropFilter')).toBe(15);
    expect(calls('FusedConv2D')).toBe(15);
    expect(calls('FtBatchNormTrain')).toBe(15);
    expect(calls('FtBatchNormGrad')).toBe(15);
    expect(calls('FtSGDUpdate') + calls('FtMomentumUpdate') + calls('FtAdamUpdate')).toBeGreaterThanOrEqual(15 * 4);
  });
});
