import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { beforeAll, describe, expect, it } from 'vitest';
import { createRng } from '../rng.js';
import { asFtBatchNorm, FtBatchNorm, ftBatchNorm, isBatchNorm } from './ft-batch-norm.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

function randn(shape: number[], seed: number, scale = 1, shift = 0): tf.Tensor {
  const rng = createRng(seed);
  const n = shape.reduce((a, b) => a * b, 1);
  const v = new Float32Array(n);
  for (let i = 0; i < n; i++) v[i] = shift + scale * rng.normal();
  return tf.tensor(v, shape);
}

/** A built BN layer (channels C) with non-trivial gamma/beta/moving statistics. */
function makeBn(layer: tfl.layers.Layer, c: number): tfl.layers.Layer {
  layer.apply(tfl.input({ shape: [3, 3, c] }));
  layer.setWeights([
    tf.tensor1d(Array.from({ length: c }, (_, i) => 1 + 0.1 * i)), // gamma
    tf.tensor1d(Array.from({ length: c }, (_, i) => -0.2 * i)), // beta
    tf.tensor1d(Array.from({ length: c }, (_, i) => 0.5 - 0.05 * i)), // moving mean
    tf.tensor1d(Array.from({ length: c }, (_, i) => 2 + 0.3 * i)), // moving variance
  ]);
  return layer;
}

const values = (ws: tf.Tensor[]) => ws.map((w) => Array.from(w.dataSync()));

describe('FtBatchNorm', () => {
  it('serialises as the standard BatchNormalization with the standard config', () => {
    const ft = ftBatchNorm({ momentum: 0.9, frozenStats: true });
    const std = tfl.layers.batchNormalization({ momentum: 0.9 });
    expect(ft.getClassName()).toBe('BatchNormalization');
    expect(FtBatchNorm.className).toBe('FtBatchNorm');
    const { name: _a, ...cfgFt } = ft.getConfig();
    const { name: _b, ...cfgStd } = std.getConfig();
    expect(cfgFt).toEqual(cfgStd);
    expect(isBatchNorm(ft)).toBe(true);
    expect(isBatchNorm(std)).toBe(true);
    // the built-in registry entry is untouched
    expect(tf.serialization.SerializationMap.getMap().classNameMap.BatchNormalization[0]).toBe(std.constructor);
  });

  it('unfrozen: identical outputs and moving-stat updates to tfjs BatchNormalization', () => {
    const c = 4;
    const ft = makeBn(ftBatchNorm({ momentum: 0.9 }), c);
    const std = makeBn(tfl.layers.batchNormalization({ momentum: 0.9 }), c);
    const x = randn([5, 3, 3, c], 1, 2, 1);
    const yFt = ft.apply(x, { training: true }) as tf.Tensor;
    const yStd = std.apply(x, { training: true }) as tf.Tensor;
    expect(Array.from(yFt.dataSync())).toEqual(Array.from(yStd.dataSync()));
    expect(values(ft.getWeights())).toEqual(values(std.getWeights()));
    // and the moving mean actually moved: m ← 0.9 m + 0.1 mean_batch
    const batchMean = Array.from(tf.mean(x, [0, 1, 2]).dataSync());
    const mm = Array.from(ft.getWeights()[2].dataSync());
    for (let i = 0; i < c; i++) expect(mm[i]).toBeCloseTo(0.9 * (0.5 - 0.05 * i) + 0.1 * batchMean[i], 5);
  });

  it('frozen: training=true uses the moving statistics and leaves them unchanged', () => {
    const c = 3;
    const ft = makeBn(ftBatchNorm({ frozenStats: true }), c) as FtBatchNorm;
    const x = randn([4, 3, 3, c], 2, 3, -1);
    const before = values(ft.getWeights());
    const yTrain = ft.apply(x, { training: true }) as tf.Tensor;
    const yInfer = ft.apply(x, { training: false }) as tf.Tensor;
    expect(values(ft.getWeights())).toEqual(before);
    expect(Array.from(yTrain.dataSync())).toEqual(Array.from(yInfer.dataSync()));
    // closed form with the moving statistics
    const xv = x.dataSync();
    const yv = yTrain.dataSync();
    for (let i = 0; i < xv.length; i++) {
      const ch = i % c;
      const expected = ((xv[i] - (0.5 - 0.05 * ch)) / Math.sqrt(2 + 0.3 * ch + 1e-3)) * (1 + 0.1 * ch) - 0.2 * ch;
      expect(yv[i]).toBeCloseTo(expected, 5);
    }
    // gradients still reach gamma: dL/dγ_c = Σ x̂ for L = Σ y
    const gamma = (ft.trainableWeights[0] as unknown as { val: tf.Variable }).val;
    const { grads } = tf.variableGrads(
      () => tf.sum(ft.apply(x, { training: true }) as tf.Tensor) as tf.Scalar,
      [gamma],
    );
    const g = grads[gamma.name].dataSync();
    for (let ch = 0; ch < c; ch++) {
      let s = 0;
      for (let i = ch; i < xv.length; i += c) s += (xv[i] - (0.5 - 0.05 * ch)) / Math.sqrt(2 + 0.3 * ch + 1e-3);
      expect(g[ch]).toBeCloseTo(s, 3);
    }
    expect(values(ft.getWeights())).toEqual(before);
    // unfreezing restores batch statistics
    ft.frozenStats = false;
    ft.apply(x, { training: true });
    expect(values(ft.getWeights())[2]).not.toEqual(before[2]);
  });

  it('asFtBatchNorm upgrades a standard layer in place without touching its weights', () => {
    const std = makeBn(tfl.layers.batchNormalization(), 2);
    const before = values(std.getWeights());
    const up = asFtBatchNorm(std);
    expect(up).toBe(std);
    expect(up).toBeInstanceOf(FtBatchNorm);
    expect(up.frozenStats).toBe(false);
    up.frozenStats = true;
    up.apply(randn([2, 3, 3, 2], 3), { training: true });
    expect(values(up.getWeights())).toEqual(before);
    expect(up.getClassName()).toBe('BatchNormalization');
    expect(() => asFtBatchNorm(tfl.layers.dense({ units: 2 }))).toThrow(/not BatchNorm/);
  });

  it('leaks no tensors over training steps (standard and frozen paths)', () => {
    const layer = makeBn(ftBatchNorm(), 2) as FtBatchNorm;
    const x = randn([2, 3, 3, 2], 5);
    const vars = layer.trainableWeights.map((w) => (w as unknown as { val: tf.Variable }).val);
    const step = () => {
      const { value, grads } = tf.variableGrads(
        () => tf.sum(layer.apply(x, { training: true }) as tf.Tensor) as tf.Scalar,
        vars,
      );
      value.dispose();
      tf.dispose(grads);
    };
    step();
    const n0 = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) step();
    layer.frozenStats = true;
    for (let i = 0; i < 3; i++) step();
    expect(tf.memory().numTensors).toBe(n0);
  });
});
