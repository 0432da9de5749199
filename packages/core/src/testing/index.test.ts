import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { ArrayImageDataset } from '../data/dataset.js';
import { maxAbsDiff, tinyConvNet, toyImages } from './index.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('@ft/core/testing', () => {
  it('toyImages(n, seed): flat 6×6 arrays, alternating labels, class 1 brighter on the left; seeded', () => {
    const a = toyImages(6, 3);
    expect(a.d).toBe(36);
    expect(a.xs.length).toBe(6 * 36);
    expect(Array.from(a.labels)).toEqual([0, 1, 0, 1, 0, 1]);
    const mean = (i: number, left: boolean) => {
      let s = 0;
      for (let p = 0; p < 36; p++) if (p % 6 < 3 === left) s += a.xs[i * 36 + p];
      return s / 18;
    };
    expect(mean(1, true)).toBeGreaterThan(mean(1, false) + 0.5);
    expect(mean(0, false)).toBeGreaterThan(mean(0, true) + 0.5);
    expect(toyImages(6, 3).xs).toEqual(a.xs);
    expect(toyImages(6, 4).xs).not.toEqual(a.xs);
  });

  it('toyImages(n, shape, seed, bright): a dataset whose first `bright` images carry a centre square, labelled 1', () => {
    const ds = toyImages(5, [8, 8, 2], 1, 2);
    expect(ds).toBeInstanceOf(ArrayImageDataset);
    expect(ds.shape).toEqual([8, 8, 2]);
    expect(ds.numClasses).toBe(2);
    expect(Array.from(ds.labels)).toEqual([1, 1, 0, 0, 0]);
    const px = new Float32Array(8 * 8 * 2);
    ds.copyInto(0, px, 0);
    const centre = px[(4 * 8 + 4) * 2];
    const corner = px[0];
    expect(centre - corner).toBeGreaterThan(0.3);
    expect(toyImages(5, [8, 8, 2], 1, 2).images).toEqual(ds.images);
  });

  it('tinyConvNet: the 6×6 form from a seed and the 8×8 form from options, both deterministic', () => {
    const a = tinyConvNet(1);
    expect(a.inputs[0].shape).toEqual([null, 6, 6, 1]);
    expect(a.outputs[0].shape).toEqual([null, 2]);
    const b = tinyConvNet({ classes: 4, seed: 2, bn: false, activation: 'tanh' });
    expect(b.inputs[0].shape).toEqual([null, 8, 8, 1]);
    expect(b.outputs[0].shape).toEqual([null, 4]);
    expect(b.layers.some((l) => l.getClassName() === 'BatchNormalization')).toBe(false);
    const c = tinyConvNet();
    expect(c.outputs[0].shape).toEqual([null, 3]);
    expect(c.layers.some((l) => l.getClassName() === 'BatchNormalization')).toBe(true);
    const again = tinyConvNet({ classes: 4, seed: 2, bn: false, activation: 'tanh' });
    for (const [i, w] of b.getWeights().entries()) expect(maxAbsDiff(w, again.getWeights()[i])).toBe(0);
    expect(maxAbsDiff(tinyConvNet(1).getWeights()[0], a.getWeights()[0])).toBe(0);
    for (const m of [a, b, c, again]) m.dispose();
  });

  it('maxAbsDiff on tensors (float32, broadcasting) and on arrays (float64); NaN propagates', () => {
    const x = tf.tensor2d([
      [1, 2],
      [3, 4],
    ]);
    expect(maxAbsDiff(x, tf.tensor1d([1, 1]))).toBe(3);
    expect(maxAbsDiff([1, 2, 3], [1, 2.5, 1])).toBe(2);
    expect(maxAbsDiff([], [])).toBe(0);
    expect(maxAbsDiff([0, Number.NaN, 0], [0, 0, 5])).toBeNaN();
    expect(maxAbsDiff(tf.tensor1d([0, Number.NaN]), tf.tensor1d([0, 0]))).toBeNaN();
    expect(() => maxAbsDiff([1], [1, 2])).toThrow(/lengths differ/);
    expect(() => maxAbsDiff(x, [1, 2, 3, 4] as unknown as tf.Tensor)).toThrow(/two tensors or two arrays/);
  });
});
