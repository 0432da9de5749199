import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { InvalidArgumentError, ShapeError } from '../errors.js';
import { createRng } from '../rng.js';
import { cnn4 } from './cnns.js';
import { featureExtractor } from './feature-extractor.js';
import { imprintWeights, replaceHead } from './replace-head.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const arr = (t: tf.Tensor) => Array.from(t.dataSync());

describe('imprintWeights', () => {
  it('column c = normalize(mean of normalized class-c features), bias 0 (closed form)', () => {
    const rng = createRng(5);
    const n = 9;
    const d = 4;
    const rows = Array.from({ length: n }, () => Array.from({ length: d }, () => rng.normal() * 3));
    const labels = [0, 1, 2, 0, 1, 2, 0, 0, 1];
    const { kernel, bias } = imprintWeights(tf.tensor2d(rows), labels, 3);
    expect(kernel.shape).toEqual([d, 3]);
    expect(arr(bias)).toEqual([0, 0, 0]);
    const k = kernel.arraySync();
    for (let c = 0; c < 3; c++) {
      const mean = new Array(d).fill(0);
      let cnt = 0;
      rows.forEach((r, i) => {
        if (labels[i] !== c) return;
        const nr = Math.hypot(...r);
        for (let j = 0; j < d; j++) mean[j] += r[j] / nr;
        cnt++;
      });
      const m = mean.map((v) => v / cnt);
      const nm = Math.hypot(...m);
      let norm2 = 0;
      for (let j = 0; j < d; j++) {
        expect(k[j][c]).toBeCloseTo(m[j] / nm, 5);
        norm2 += k[j][c] ** 2;
      }
      expect(Math.sqrt(norm2)).toBeCloseTo(1, 6);
    }
  });

  it('normalizeFeatures: false averages raw features; errors name the problem', () => {
    const f = tf.tensor2d([
      [10, 0],
      [0, 1],
    ]);
    const { kernel } = imprintWeights(f, [0, 0], 1, { normalizeFeatures: false });
    const k = arr(kernel); // mean (5, 0.5) normalised
    expect(k[0]).toBeCloseTo(5 / Math.hypot(5, 0.5), 6);
    const { kernel: k2 } = imprintWeights(f, [0, 0], 1);
    expect(arr(k2)[0]).toBeCloseTo(Math.SQRT1_2, 6); // mean of (1,0) and (0,1)
    expect(() => imprintWeights(f, [0, 0], 2)).toThrow(/no example for class\(es\) 1/);
    expect(() => imprintWeights(f, [0, 3], 2)).toThrow(InvalidArgumentError);
    expect(() => imprintWeights(f, [0], 2)).toThrow(ShapeError);
  });
});

describe('replaceHead', () => {
  const { model } = cnn4({ inputShape: [8, 8, 1], numClasses: 10, seed: 1 });
  const x = tf.randomNormal([6, 8, 8, 1], 0, 1, 'float32', 9) as tf.Tensor4D;

  it('keeps the backbone weights and features, new glorot head with numClasses outputs', () => {
    const before = model.getLayer('block3_conv').getWeights().map(arr);
    const m2 = replaceHead(model, { numClasses: 4, seed: 3 });
    expect((m2.predict(x) as tf.Tensor).shape).toEqual([6, 4]);
    expect(m2.getLayer('block3_conv').getWeights().map(arr)).toEqual(before);
    expect(m2.getLayer('block3_conv')).toBe(model.getLayer('block3_conv'));
    const f1 = featureExtractor(model, 'penultimate').predict(x) as tf.Tensor;
    const f2 = featureExtractor(m2, 'penultimate').predict(x) as tf.Tensor;
    expect(arr(f2)).toEqual(arr(f1));
    const [k, b] = m2.getLayer('logits').getWeights();
    expect(k.shape).toEqual([64, 4]);
    expect(arr(b)).toEqual([0, 0, 0, 0]);
    expect(m2.layers.filter((l) => l.name === 'logits')).toHaveLength(1);
    // deterministic per seed
    const m3 = replaceHead(model, { numClasses: 4, seed: 3 });
    expect(arr(m3.getLayer('logits').getWeights()[0])).toEqual(arr(k));
  });

  it('imprint init: logits = features · imprinted kernel (cosine to class means up to feature norm)', () => {
    const feats = featureExtractor(model, 'penultimate').predict(x) as tf.Tensor2D;
    const labels = [0, 1, 2, 0, 1, 2];
    const m2 = replaceHead(model, { numClasses: 3, init: { imprint: { features: feats, labels } } });
    const { kernel } = imprintWeights(feats, labels, 3);
    expect(arr(m2.getLayer('logits').getWeights()[0])).toEqual(arr(kernel));
    const logits = m2.predict(x) as tf.Tensor;
    const expected = tf.matMul(feats, kernel);
    const a = arr(logits);
    const e = arr(expected);
    for (let i = 0; i < a.length; i++) expect(a[i]).toBeCloseTo(e[i], 5);
  });

  it('validates the tap and the imprint shapes', () => {
    expect(() => replaceHead(model, { numClasses: 3, tap: 'nope' })).toThrow(/no layer named 'nope'/);
    expect(() => replaceHead(model, { numClasses: 3, tap: 'block2' })).toThrow(ShapeError);
    const pooled = replaceHead(model, { numClasses: 3, tap: 'block2', pool: 'gap' });
    expect((pooled.predict(x) as tf.Tensor).shape).toEqual([6, 3]);
    const bad = tf.zeros([6, 5]) as tf.Tensor2D;
    expect(() =>
      replaceHead(model, { numClasses: 3, init: { imprint: { features: bad, labels: [0, 1, 2, 0, 1, 2] } } }),
    ).toThrow(/expected \[N, 64\]/);
  });
});
