import { buildBackbone, ShapeError } from '@ft/core';
import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { beforeAll, describe, expect, it } from 'vitest';
import { withInputShape } from './backbone.js';
import { modelInputShape } from './features.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('withInputShape', () => {
  it('rebuilds a conv net for another input size with the same weights, and it predicts at that size', async () => {
    const { model } = buildBackbone('cnn4', { inputShape: [8, 8, 1], numClasses: 3, width: 0.25, seed: 1 });
    const big = await withInputShape(model, [12, 10, 1]);
    expect(big).not.toBe(model);
    expect(modelInputShape(big)).toEqual([12, 10, 1]);
    const w0 = model.getWeights();
    const w1 = big.getWeights();
    expect(w1.length).toBe(w0.length);
    for (let i = 0; i < w0.length; i++) expect(Array.from(w1[i].dataSync())).toEqual(Array.from(w0[i].dataSync()));
    const y = big.predict(tf.randomUniform([2, 12, 10, 1], 0, 1, 'float32', 3)) as tf.Tensor;
    expect(y.shape).toEqual([2, 3]);
    expect(await withInputShape(model, [8, 8, 1])).toBe(model);
    tf.dispose(y);
    big.dispose();
    model.dispose();
  });

  it('a channel change or a flatten→dense net fails with ShapeError', async () => {
    const { model } = buildBackbone('cnn4', { inputShape: [8, 8, 1], numClasses: 2, width: 0.25 });
    await expect(withInputShape(model, [8, 8, 3])).rejects.toThrow(/takes 1 channel\(s\), the images have 3/);
    const inp = tfl.input({ shape: [4, 4, 1] });
    const out = tfl.layers.dense({ units: 2 }).apply(tfl.layers.flatten().apply(inp)) as tfl.SymbolicTensor;
    const flat = tfl.model({ inputs: inp, outputs: out });
    await expect(withInputShape(flat, [6, 6, 1])).rejects.toThrow(/do not fit a 6×6×1 input/);
    await expect(withInputShape(flat, [6, 6, 1])).rejects.toThrow(ShapeError);
    model.dispose();
    flat.dispose();
  });

  // A tfl.sequential() model serialises without an InputLayer entry: its first layer carries the input shape.
  it('rebuilds a fully convolutional tfl.sequential() model too', async () => {
    const seq = tfl.sequential({
      layers: [
        tfl.layers.conv2d({ filters: 2, kernelSize: 3, padding: 'same', inputShape: [8, 8, 1] }),
        tfl.layers.globalAveragePooling2d({}),
        tfl.layers.dense({ units: 2 }),
      ],
    });
    try {
      const big = await withInputShape(seq, [12, 12, 1]);
      expect(modelInputShape(big)).toEqual([12, 12, 1]);
    } finally {
      seq.dispose();
    }
  });
});
