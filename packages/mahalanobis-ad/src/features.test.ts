import { ArrayImageDataset, buildBackbone, InvalidArgumentError, ShapeError } from '@ft/core';
import '@tensorflow/tfjs-backend-cpu';
import { toyImages } from '@ft/core/testing';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  checkImageShape,
  checkInputNorm,
  defaultLevels,
  featureBatches,
  gap,
  identityNorm,
  modelInputShape,
  normalizeInput,
  tapModel,
  tapOutputs,
} from './features.js';
import { tinyBackbone } from './test-helpers.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('input normalisation', () => {
  it('identityNorm, and normalizeInput = (x − mean)/std per channel (identity returns x itself)', () => {
    expect(identityNorm(2)).toEqual({ mean: [0, 0], std: [1, 1] });
    const x = tf.tensor4d([1, 10, 3, 20], [1, 1, 2, 2]);
    expect(normalizeInput(x, identityNorm(2))).toBe(x);
    const y = normalizeInput(x, { mean: [1, 10], std: [2, 5] });
    expect(Array.from(y.dataSync())).toEqual([0, 0, 1, 2]);
    tf.dispose([x, y]);
  });

  it('checkInputNorm rejects missing arrays, wrong lengths, non-positive std and non-finite mean', () => {
    expect(() => checkInputNorm(identityNorm(3), 3, 'w')).not.toThrow();
    expect(() => checkInputNorm({} as never, 3, 'w')).toThrow(InvalidArgumentError);
    expect(() => checkInputNorm(identityNorm(1), 3, 'w')).toThrow(ShapeError);
    expect(() => checkInputNorm({ mean: [0], std: [0] }, 1, 'w')).toThrow(/std must be > 0/);
    expect(() => checkInputNorm({ mean: [Number.NaN], std: [1] }, 1, 'w')).toThrow(InvalidArgumentError);
  });
});

describe('shapes and levels', () => {
  it('modelInputShape and checkImageShape', () => {
    const m = tinyBackbone([8, 6, 1]);
    expect(modelInputShape(m)).toEqual([8, 6, 1]);
    expect(() => checkImageShape([8, 6, 1], [8, 6, 1], 'ds')).not.toThrow();
    expect(() => checkImageShape([8, 8, 1], [8, 6, 1], 'ds')).toThrow(/ds: images are 8×8×1 .* expects 8×6×1/);
    const flat = tfl.sequential({ layers: [tfl.layers.dense({ units: 1, inputShape: [3] })] });
    expect(() => modelInputShape(flat)).toThrow(ShapeError);
    expect(() => defaultLevels(flat)).toThrow(/has no stem\/blockK\/penultimate taps/);
    m.dispose();
    flat.dispose();
  });

  it('defaultLevels keeps a penultimate that is not just the GAP of the last block', () => {
    const { model } = buildBackbone('tinyCnn', { inputShape: [8, 8, 1] });
    const levels = defaultLevels(model);
    expect(levels.every((l) => /^(stem|block\d+|penultimate)$/.test(l))).toBe(true);
    expect(levels.length).toBeGreaterThan(0);
    model.dispose();
  });
});

describe('gap / tapOutputs', () => {
  it('gap averages rank-4 maps over H and W (against a loop); rank 2 passes through; others throw', () => {
    const v = Float32Array.from({ length: 2 * 3 * 2 * 4 }, (_, k) => (k * 37) % 11);
    const t = tf.tensor4d(v, [2, 3, 2, 4]);
    const g = gap(t).arraySync();
    for (let b = 0; b < 2; b++) {
      for (let c = 0; c < 4; c++) {
        let s = 0;
        for (let p = 0; p < 6; p++) s += v[(b * 6 + p) * 4 + c];
        expect(g[b][c]).toBeCloseTo(s / 6, 5);
      }
    }
    const two = tf.zeros([2, 3]);
    expect(gap(two)).toBe(two);
    expect(() => gap(tf.zeros([2, 3, 4]))).toThrow(ShapeError);
    tf.dispose([t, two]);
  });

  it('tapOutputs returns one tensor per level (an array even for one level)', () => {
    const m = tinyBackbone();
    const taps = tapModel(m, ['block2']);
    const x = tf.zeros([2, 8, 8, 1]) as tf.Tensor4D;
    const out = tf.tidy(() => tapOutputs(taps, x));
    expect(out).toHaveLength(1);
    expect(out[0].shape[0]).toBe(2);
    expect(() => tapModel(m, [])).toThrow(InvalidArgumentError);
    tf.dispose([x, ...out]);
    m.dispose();
  });
});

describe('featureBatches', () => {
  it('streams pooled features in dataset order with a remainder batch, equal to one big forward pass', async () => {
    const m = tinyBackbone([8, 8, 1], 2);
    const levels = ['block1', 'block3'];
    const taps = tapModel(m, levels);
    const ds = toyImages(5, [8, 8, 1], 4);
    const seen: number[][] = [];
    const rows: Record<string, number[][]> = { block1: [], block3: [] };
    for await (const b of featureBatches(taps, levels, ds, { batchSize: 2, pooled: ['block1'] })) {
      seen.push(Array.from(b.indices));
      rows.block1.push(...(b.features.block1.arraySync() as number[][]));
      expect(b.features.block3.rank).toBe(4); // not pooled: raw map
    }
    expect(seen).toEqual([[0, 1], [2, 3], [4]]);
    const all = new Float32Array(5 * 64);
    for (let i = 0; i < 5; i++) ds.copyInto(i, all, i * 64);
    const x = tf.tensor4d(all, [5, 8, 8, 1]);
    const ref = tf.tidy(() => gap(tapOutputs(taps, x)[0])).arraySync() as number[][];
    for (let i = 0; i < 5; i++)
      for (let c = 0; c < ref[i].length; c++) expect(rows.block1[i][c]).toBeCloseTo(ref[i][c], 4);
    x.dispose();
    m.dispose();
  });

  it('disposes its tensors (also on break): tensor count flat', async () => {
    const m = tinyBackbone();
    const taps = tapModel(m, ['block1']);
    const ds = toyImages(6, [8, 8, 1], 1);
    for await (const _ of featureBatches(taps, ['block1'], ds, { batchSize: 4 })) break; // warm-up allocations
    const before = tf.memory().numTensors;
    for await (const _ of featureBatches(taps, ['block1'], ds, { batchSize: 4 })) {
    }
    for await (const _ of featureBatches(taps, ['block1'], ds, { batchSize: 2 })) break;
    expect(tf.memory().numTensors).toBe(before);
    m.dispose();
  });

  it('NaN pixels ⇒ InvalidArgumentError naming the images; wrong image size ⇒ ShapeError; abort stops', async () => {
    const m = tinyBackbone();
    const taps = tapModel(m, ['block1']);
    const images = new Float32Array(3 * 64);
    images[64 + 5] = Number.NaN;
    const bad = new ArrayImageDataset({ images, labels: new Int32Array(3), shape: [8, 8, 1] });
    const drain = async (it: AsyncIterable<unknown>) => {
      for await (const _ of it) {
      }
    };
    await expect(drain(featureBatches(taps, ['block1'], bad, { batchSize: 2 }))).rejects.toThrow(
      /images 0\.\.1 contain NaN or ±Inf pixel values/,
    );
    await expect(
      drain(featureBatches(taps, ['block1'], bad, { batchSize: 2, checkFinite: false })),
    ).resolves.toBeUndefined();
    await expect(drain(featureBatches(taps, ['block1'], toyImages(2, [6, 6, 1], 0)))).rejects.toThrow(ShapeError);
    const ac = new AbortController();
    ac.abort(new Error('stop'));
    await expect(
      drain(featureBatches(taps, ['block1'], toyImages(2, [8, 8, 1], 0), { signal: ac.signal })),
    ).rejects.toThrow('stop');
    m.dispose();
  });
});
