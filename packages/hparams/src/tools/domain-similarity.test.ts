/**
 * domainSimilarity on tiny seeded models: an identity-feature model where class means and EMD are computed by hand
 * (identical data → 0 / 1; a shift δ of every class → ‖δ‖; unequal class counts → the weighted distances), the
 * penultimate tap of a BN conv net against core's featureExtractor, dropped classes, no leaked tensors, typed errors.
 */
import '@tensorflow/tfjs-backend-cpu';
import {
  ArrayImageDataset,
  EmptyDatasetError,
  featureExtractor,
  type ImageDataset,
  InvalidArgumentError,
  NonFiniteValueError,
  ShapeError,
} from '@ft/core';
import { tinyConvNet, toyImages } from '@ft/core/testing';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { beforeAll, describe, expect, it } from 'vitest';
import { domainSimilarity } from './domain-similarity.js';
import { emd } from './emd.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

/** Images of shape [1, 2, 1] whose identity features are the 2 pixel values; a 3-class head on top. */
function identityModel(softmax = false): tfl.Sequential {
  const m = tfl.sequential();
  m.add(tfl.layers.flatten({ inputShape: [1, 2, 1] }));
  m.add(tfl.layers.dense({ units: 2, useBias: false, kernelInitializer: 'identity', name: 'feat' }));
  m.add(tfl.layers.dense({ units: 3, kernelInitializer: tfl.initializers.glorotUniform({ seed: 1 }), name: 'head' }));
  if (softmax) m.add(tfl.layers.activation({ activation: 'softmax' }));
  return m;
}

function points(pts: [number, number][], labels: number[], numClasses?: number): ArrayImageDataset {
  return new ArrayImageDataset({
    images: Float32Array.from(pts.flat()),
    labels: Int32Array.from(labels),
    shape: [1, 2, 1],
    numClasses,
  });
}

describe('domainSimilarity', () => {
  it('gives EMD 0 and similarity 1 for identical datasets', async () => {
    const ds = points(
      [
        [0, 0],
        [1, 0.5],
        [2, 2],
        [0.5, 3],
      ],
      [0, 0, 1, 2],
    );
    const r = await domainSimilarity({ source: ds, target: ds, extractor: identityModel() });
    expect(r.emd).toBeCloseTo(0, 6);
    expect(r.similarity).toBeCloseTo(1, 8);
    expect(Array.from(r.weights.source)).toEqual([0.5, 0.25, 0.25]);
    expect(Array.from(r.classMeans.source)).toEqual([0.5, 0.25, 2, 2, 0.5, 3]);
  });

  it('gives EMD = ‖δ‖ when every class mean is shifted by δ', async () => {
    const src: [number, number][] = [
      [0, 0],
      [1, 1],
      [4, 0],
      [0, 5],
      [3, 3],
    ];
    const labels = [0, 0, 1, 2, 2];
    const shifted = src.map(([a, b]) => [a + 3, b + 4] as [number, number]);
    const r = await domainSimilarity({
      source: points(src, labels),
      target: points(shifted, labels),
      extractor: identityModel(),
    });
    expect(r.emd).toBeCloseTo(5, 5);
    expect(r.similarity).toBeCloseTo(Math.exp(-0.05), 6);
    expect(r.gamma).toBe(0.01);
    // γ is applied as given.
    const r2 = await domainSimilarity({
      source: points(src, labels),
      target: points(shifted, labels),
      extractor: identityModel(),
      gamma: 0.5,
    });
    expect(r2.similarity).toBeCloseTo(Math.exp(-2.5), 5);
  });

  it('weights classes by their image fractions (hand-computed transport)', async () => {
    // S: class 0 has 3 images with mean (0, 0), class 1 one image at (0, 2); T: one class at (1, 0).
    const source = points(
      [
        [-1, 0],
        [1, 0],
        [0, 0],
        [0, 2],
      ],
      [0, 0, 0, 1],
    );
    const target = points(
      [
        [1, -1],
        [1, 1],
      ],
      [0, 0],
    );
    const r = await domainSimilarity({ source, target, extractor: identityModel() });
    expect(Array.from(r.weights.source)).toEqual([0.75, 0.25]);
    expect(Array.from(r.weights.target)).toEqual([1]);
    expect(r.cost[0]).toBeCloseTo(1, 6);
    expect(r.cost[1]).toBeCloseTo(Math.sqrt(5), 6);
    expect(r.emd).toBeCloseTo(0.75 + 0.25 * Math.sqrt(5), 6);
    expect(Array.from(r.flow)).toEqual([0.75, 0.25]);
    // Dropping classes with < 2 source images leaves class 0 only: EMD = 1.
    const d = await domainSimilarity({ source, target, extractor: identityModel(), minImagesPerClass: { source: 2 } });
    expect(d.source.classes).toEqual([0]);
    expect(d.emd).toBeCloseTo(1, 6);
    // An empty declared class carries no weight.
    const e = await domainSimilarity({ source: points([[0, 0]], [1], 4), target, extractor: identityModel() });
    expect(e.source.classes).toEqual([1]);
  });

  it('taps the penultimate layer (before a trailing softmax too) and a named layer alike', async () => {
    const src = points(
      [
        [0, 1],
        [2, 3],
      ],
      [0, 1],
    );
    const tgt = points(
      [
        [1, 1],
        [5, 3],
      ],
      [1, 0],
    );
    const a = await domainSimilarity({ source: src, target: tgt, extractor: identityModel() });
    const b = await domainSimilarity({ source: src, target: tgt, extractor: identityModel(true) });
    const c = await domainSimilarity({ source: src, target: tgt, extractor: identityModel(), tap: 'feat' });
    // Hand: S means (0,1), (2,3); T means (5,3), (1,1); weights ½ each.
    const cost = [Math.hypot(5, 2), 1, 3, Math.hypot(1, 2)];
    const ref = emd([0.5, 0.5], [0.5, 0.5], cost).distance;
    expect(ref).toBeCloseTo(0.5 * 3 + 0.5 * 1, 12);
    for (const r of [a, b, c]) expect(r.emd).toBeCloseTo(ref, 5);
  });

  it("on a BN conv net equals the class means of core's featureExtractor (Flatten tap), with no leaked tensors", async () => {
    const model = tinyConvNet({ seed: 3, classes: 3 });
    const flat = model.layers.find((l) => l.getClassName() === 'Flatten');
    if (!flat) throw new Error('no Flatten layer');
    const source = toyImages(20, [8, 8, 1], 1, 5);
    const target = toyImages(12, [8, 8, 1], 2, 8);
    const before = tf.memory().numTensors;
    const r = await domainSimilarity({ source, target, extractor: model, batchSize: 7 });
    expect(tf.memory().numTensors).toBe(before);
    const fe = featureExtractor(model, flat.name);
    for (const [ds, got] of [
      [source, r.source],
      [target, r.target],
    ] as const) {
      const x = tf.tensor4d(
        Float32Array.from({ length: ds.size * 64 }, (_, k) => ds.get(Math.floor(k / 64)).x[k % 64]),
        [ds.size, 8, 8, 1],
      );
      const f = (fe.predict(x) as tf.Tensor).arraySync() as number[][];
      x.dispose();
      expect(r.dim).toBe(f[0].length);
      for (const [row, k] of got.classes.entries()) {
        const members = f.filter((_, i) => ds.labels[i] === k);
        expect(got.counts[row]).toBe(members.length);
        for (let j = 0; j < r.dim; j++) {
          const mean = members.reduce((s, v) => s + v[j], 0) / members.length;
          expect(got.classMeans[row * r.dim + j]).toBeCloseTo(mean, 5);
        }
      }
    }
    expect(r.emd).toBeGreaterThan(0);
    expect(r.similarity).toBeCloseTo(Math.exp(-0.01 * r.emd), 12);
  });

  it('throws typed errors', async () => {
    const ds = points([[0, 0]], [0]);
    const model = identityModel();
    const empty = points([], [], 2);
    await expect(domainSimilarity({ source: empty, target: ds, extractor: model })).rejects.toThrow(EmptyDatasetError);
    await expect(
      domainSimilarity({ source: ds, target: ds, extractor: model, minImagesPerClass: { target: 5 } }),
    ).rejects.toThrow(/no target class has >= 5 images/);
    await expect(domainSimilarity({ source: ds, target: ds, extractor: model, gamma: -1 })).rejects.toThrow(
      InvalidArgumentError,
    );
    await expect(domainSimilarity({ source: ds, target: ds, extractor: model, tap: 'nope' })).rejects.toThrow(
      /no layer 'nope'/,
    );
    const bad = identityModel();
    bad.getLayer('feat').setWeights([tf.fill([2, 2], Number.NaN)]);
    await expect(domainSimilarity({ source: ds, target: ds, extractor: bad })).rejects.toThrow(NonFiniteValueError);
    // A custom ImageDataset whose labels leave 0..numClasses−1.
    const badLabel: ImageDataset = {
      size: 1,
      shape: [1, 2, 1],
      numClasses: 2,
      labels: Int32Array.from([3]),
      get: () => ({ x: new Float32Array(2), y: 3 }),
      copyInto: (_i, out, offset) => out.fill(0, offset, offset + 2),
    };
    await expect(domainSimilarity({ source: badLabel, target: ds, extractor: model })).rejects.toThrow(
      /source label 3 at index 0 is outside 0..1/,
    );
    const wrong = toyImages(2, [8, 8, 1], 0);
    await expect(domainSimilarity({ source: wrong, target: ds, extractor: model })).rejects.toThrow(ShapeError);
  });
});
