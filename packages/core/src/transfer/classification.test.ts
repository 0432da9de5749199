import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { beforeAll, describe, expect, it } from 'vitest';
import { ArrayImageDataset } from '../data/dataset.js';
import { EmptyDatasetError } from '../errors.js';
import { createRng } from '../rng.js';
import type { TrainBatch } from '../train/batch.js';
import {
  evaluateClassifier,
  imageDataFn,
  sparseAccuracy,
  sparseCrossEntropy,
  trainClassifier,
} from './classification.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

/** n 1×2×1 images: class 0 = [1, 0], class 1 = [0, 1] (linearly separable, no noise). */
function twoPixels(n: number): ArrayImageDataset {
  const images = new Float32Array(n * 2);
  const labels = Int32Array.from({ length: n }, (_, i) => i % 2);
  for (let i = 0; i < n; i++) images[i * 2 + labels[i]] = 1;
  return new ArrayImageDataset({ images, labels, shape: [1, 2, 1], numClasses: 2 });
}

/** flatten → dense(2) logits with a given kernel (2×2) and zero bias. */
function linear(kernel?: number[]): tfl.LayersModel {
  const m = tfl.sequential({
    layers: [
      tfl.layers.flatten({ inputShape: [1, 2, 1] }),
      tfl.layers.dense({ units: 2, kernelInitializer: tfl.initializers.glorotUniform({ seed: 3 }) }),
    ],
  });
  if (kernel) m.layers[1].setWeights([tf.tensor2d(kernel, [2, 2]), tf.zeros([2])]);
  return m;
}

describe('sparseCrossEntropy / sparseAccuracy', () => {
  it('CE = mean(logsumexp(z) − z_y): hand-computed for two rows', () => {
    const z = tf.tensor2d([
      [0, 0],
      [2, 0],
    ]);
    const y = tf.tensor1d([1, 1], 'int32');
    const want = (Math.log(2) + (Math.log(Math.exp(2) + 1) - 0)) / 2;
    expect(sparseCrossEntropy(y, z, {} as TrainBatch).dataSync()[0]).toBeCloseTo(want, 5);
    tf.dispose([z, y]);
  });

  it('gradient w.r.t. the logits is (softmax − one-hot)/N and matches central finite differences', () => {
    const z0 = [0.3, -1.2, 2.0, 0.5, 0.1, -0.4];
    const y = tf.tensor1d([2, 0], 'int32');
    const ce = (z: tf.Tensor) => sparseCrossEntropy(y, z, {} as TrainBatch);
    const g = tf
      .grad(ce)(tf.tensor2d(z0, [2, 3]))
      .dataSync();
    const f = (v: number[]) => tf.tidy(() => ce(tf.tensor2d(v, [2, 3])).dataSync()[0]);
    const h = 1e-2;
    for (let k = 0; k < 6; k++) {
      const up = [...z0];
      const dn = [...z0];
      up[k] += h;
      dn[k] -= h;
      expect(g[k]).toBeCloseTo((f(up) - f(dn)) / (2 * h), 3);
    }
    // closed form for row 0: (softmax(z) − e_2)/2
    const e = z0.slice(0, 3).map(Math.exp);
    const sum = e[0] + e[1] + e[2];
    expect(g[2]).toBeCloseTo((e[2] / sum - 1) / 2, 5);
    expect(g[0]).toBeCloseTo(e[0] / sum / 2, 5);
    y.dispose();
  });

  it('accuracy is the fraction of argmax hits; float labels are accepted', () => {
    const z = tf.tensor2d([
      [1, 0, 0],
      [0, 2, 1],
      [0, 0, 5],
      [3, 4, 0],
    ]);
    expect(sparseAccuracy(tf.tensor1d([0, 1, 0, 0]), z, {} as TrainBatch).dataSync()[0]).toBeCloseTo(0.5, 6);
    expect(sparseAccuracy(tf.tensor1d([0, 1, 2, 1], 'int32'), z, {} as TrainBatch).dataSync()[0]).toBe(1);
  });
});

describe('imageDataFn', () => {
  it('NHWC batches covering every sample once, remainder last, deterministic in the rng; dropLast drops it', async () => {
    const ds = twoPixels(10);
    const fn = imageDataFn(ds, { batchSize: 4 });
    const epoch = async (f: typeof fn, seed: number) => {
      const shapes: number[][] = [];
      const labels: number[] = [];
      for await (const b of f(0, createRng(seed)) as AsyncIterable<TrainBatch>) {
        shapes.push((b.x as tf.Tensor).shape);
        labels.push(...Array.from(b.y.dataSync()));
        tf.dispose([b.x as tf.Tensor, b.y]);
      }
      return { shapes, labels };
    };
    const a = await epoch(fn, 5);
    expect(a.shapes).toEqual([
      [4, 1, 2, 1],
      [4, 1, 2, 1],
      [2, 1, 2, 1],
    ]);
    expect(a.labels.filter((l) => l === 0)).toHaveLength(5);
    expect((await epoch(fn, 5)).labels).toEqual(a.labels);
    const seq = await epoch(imageDataFn(ds, { batchSize: 4, shuffle: false }), 0);
    expect(seq.labels).toEqual([0, 1, 0, 1, 0, 1, 0, 1, 0, 1]);
    const dropped = await epoch(imageDataFn(ds, { batchSize: 4, dropLast: true }), 5);
    expect(dropped.shapes).toHaveLength(2);
    const empty = new ArrayImageDataset({ images: new Float32Array(0), labels: new Int32Array(0), shape: [1, 2, 1] });
    expect(() => imageDataFn(empty, { batchSize: 1 })).toThrow(EmptyDatasetError);
  });
});

describe('evaluateClassifier', () => {
  it('exact accuracy, loss and per-class accuracy of a hand-set linear model', async () => {
    // kernel [[1, 0], [1, 0]]: both classes predict class 0 (logits [1, 0]) → class 0 all right, class 1 all wrong
    const m = linear([1, 0, 1, 0]);
    const r = await evaluateClassifier(m, twoPixels(6), { batchSize: 4 });
    expect(r.n).toBe(6);
    expect(r.accuracy).toBeCloseTo(0.5, 6);
    expect(r.perClassAccuracy).toEqual([1, 0]);
    // CE: class 0 rows log(1 + e^-1), class 1 rows log(1 + e^1)
    expect(r.loss).toBeCloseTo((Math.log(1 + Math.exp(-1)) + Math.log(1 + Math.exp(1))) / 2, 5);
    const ident = await evaluateClassifier(linear([1, 0, 0, 1]), twoPixels(4));
    expect(ident.accuracy).toBe(1);
    const empty = new ArrayImageDataset({ images: new Float32Array(0), labels: new Int32Array(0), shape: [1, 2, 1] });
    await expect(evaluateClassifier(m, empty)).rejects.toThrow(EmptyDatasetError);
    m.dispose();
  });
});

describe('trainClassifier', () => {
  it('learns a trivially separable toy problem to 100% accuracy with an explicit rng, leaking no tensors', async () => {
    const ds = twoPixels(16);
    const m = linear();
    const before = tf.memory().numTensors;
    const h = await trainClassifier(m, ds, { steps: 30, batchSize: 8, lr: 0.5, augment: null, rng: createRng(1) });
    expect(tf.memory().numTensors).toBe(before);
    expect(h.steps).toBe(30);
    expect(h.epochs.at(-1)!.loss).toBeLessThan(h.epochs[0].loss);
    const r = await evaluateClassifier(m, ds);
    expect(r.accuracy).toBe(1);
    const empty = new ArrayImageDataset({ images: new Float32Array(0), labels: new Int32Array(0), shape: [1, 2, 1] });
    await expect(trainClassifier(m, empty, { rng: createRng(1) })).rejects.toThrow(EmptyDatasetError);
    m.dispose();
  });
});
