import { isLayersBatchNormPatched, setBatchNormReluFusion, setLayersBatchNormFusion } from '@ft/tfjs-fused-training';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NativeBackend } from './backend.js';
import { kernelStats } from './kernels/override.js';
import { expectClose, nativeTestsEnabled, useNative } from './testing/differential.js';
import { tinyCnn } from './testing/models.js';
import { testRng } from './testing/rng.js';
import { type TrainRun, trainFromWeights } from './testing/train.js';

/** Trains TinyCNN (8×8×2, 4 classes, width 6) from fixed weights; returns losses, weights and moving stats. */
const train = (weights: Float32Array[], steps: number) =>
  trainFromWeights(() => tinyCnn([8, 8, 2], 4, 6), weights, steps, { lr: 0.1, seed: 4 });

describe.runIf(nativeTestsEnabled())("tfjs-layers' BatchNormalization on ft-native (fused training path)", () => {
  beforeAll(useNative);
  afterAll(() => setLayersBatchNormFusion(true));

  it('is patched, and trains like the standard composition (loss, weights, moving mean/variance)', async () => {
    expect(isLayersBatchNormPatched()).toBe(true);
    const init = tinyCnn([8, 8, 2], 4, 6);
    const weights = init.getWeights().map((w) => w.dataSync() as Float32Array);
    init.dispose();
    // TinyCNN's BN feeds only a ReLU, so it trains through FtBatchNormReluTrain (BN + ReLU in one pass).
    const count = () =>
      (kernelStats().FtBatchNormTrain?.native ?? 0) + (kernelStats().FtBatchNormReluTrain?.native ?? 0);
    const before = count();
    const fused = await train(weights, 4);
    expect(count()).toBe(before + 4);
    setLayersBatchNormFusion(false);
    const plain = await train(weights, 4);
    setLayersBatchNormFusion(true);
    expect(count()).toBe(before + 4);
    for (const [i, l] of fused.losses.entries()) expect(Math.abs(l - plain.losses[i]), `loss ${i}`).toBeLessThan(1e-5);
    // Weights include BN gamma/beta and the moving mean/variance.
    for (const [i, w] of fused.weights.entries())
      expectClose(w, plain.weights[i], { atol: 1e-5, rtol: 1e-5 }, `weight ${i}`);
  });

  it('fuses a following ReLU into the BatchNorm pass with the same training results', async () => {
    const init = tinyCnn([8, 8, 2], 4, 6);
    const weights = init.getWeights().map((w) => w.dataSync() as Float32Array);
    init.dispose();
    // Count native ReLU passes (unary op 0) and ReLU-gradient passes (binary op 8).
    const addon = (tf.backend() as unknown as NativeBackend).native as unknown as Record<
      string,
      (...a: unknown[]) => unknown
    >;
    const unary = addon.unary;
    const binary = addon.binary;
    let passes = 0;
    addon.unary = (...a: unknown[]) => {
      if (a[0] === 0) passes++;
      return unary(...a);
    };
    addon.binary = (...a: unknown[]) => {
      if (a[0] === 8) passes++;
      return binary(...a);
    };
    let fused: TrainRun;
    let plain: TrainRun;
    let fusedPasses: number;
    let plainPasses: number;
    const fusedBefore = kernelStats().FtBatchNormReluTrain?.native ?? 0;
    try {
      fused = await train(weights, 3);
      fusedPasses = passes;
      expect((kernelStats().FtBatchNormReluTrain?.native ?? 0) - fusedBefore).toBe(3);
      setBatchNormReluFusion(false);
      passes = 0;
      plain = await train(weights, 3);
      plainPasses = passes;
    } finally {
      setBatchNormReluFusion(true);
      addon.unary = unary;
      addon.binary = binary;
    }
    // Unfused: one ReLU and one ReLU-gradient pass per step for the BN's ReLU; fused: none.
    expect(plainPasses - fusedPasses).toBe(6);
    for (const [i, l] of fused.losses.entries()) expect(Math.abs(l - plain.losses[i]), `loss ${i}`).toBeLessThan(1e-6);
    for (const [i, w] of fused.weights.entries())
      expectClose(w, plain.weights[i], { atol: 1e-6, rtol: 1e-6 }, `weight ${i}`);
  });

  it('predicts with BatchNorm + ReLU in one pass, equal to the unfused layers; not while recording gradients', () => {
    const model = tinyCnn([8, 8, 2], 4, 6);
    const x = tf.tensor4d(testRng(9).normal(5 * 8 * 8 * 2), [5, 8, 8, 2]);
    const calls = () => kernelStats().FtBatchNormReluInfer?.native ?? 0;
    const c0 = calls();
    const fused = (model.predict(x) as tf.Tensor).dataSync() as Float32Array;
    expect(calls()).toBe(c0 + 1);
    setBatchNormReluFusion(false);
    const plain = (model.predict(x) as tf.Tensor).dataSync() as Float32Array;
    setBatchNormReluFusion(true);
    expect(calls()).toBe(c0 + 1);
    expectClose(fused, plain, { atol: 1e-6, rtol: 1e-6 }, 'predictions');
    // Frozen-BN fine-tuning records gradients through the inference path: no fusion there.
    const g = tf.grad((inp: tf.Tensor) => tf.sum(model.apply(inp, { training: false }) as tf.Tensor))(x);
    expect(calls()).toBe(c0 + 1);
    expect(Number.isFinite(tf.sum(g).dataSync()[0])).toBe(true);
    tf.dispose([x, g]);
    model.dispose();
  });

  it('saves as the standard BatchNormalization class and loads in plain tfjs (cpu)', async () => {
    const model = tinyCnn([8, 8, 2], 4, 6);
    model.compile({ optimizer: 'sgd', loss: 'categoricalCrossentropy' });
    const g = testRng(5);
    const x = tf.tensor4d(g.normal(3 * 8 * 8 * 2), [3, 8, 8, 2]);
    await model.trainOnBatch(x, tf.oneHot(tf.tensor1d([0, 1, 2], 'int32'), 4));
    const saved = await new Promise<tf.io.ModelArtifacts>((resolve) => {
      void model.save(
        tf.io.withSaveHandler(async (a) => {
          resolve(a);
          return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
        }),
      );
    });
    expect(JSON.stringify(saved.modelTopology)).toContain('"class_name":"BatchNormalization"');
    const expected = (model.predict(x) as tf.Tensor).dataSync();
    const xs = x.dataSync();
    await tf.setBackend('cpu');
    const loaded = await tfl.loadLayersModel(tf.io.fromMemory(saved));
    const got = (loaded.predict(tf.tensor4d(xs, [3, 8, 8, 2])) as tf.Tensor).dataSync();
    await tf.setBackend('ft-native');
    expectClose(got, expected, { atol: 1e-6, rtol: 1e-5 }, 'predictions');
  });
});
