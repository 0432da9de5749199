import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { InvalidArgumentError, ShapeError } from '../errors.js';
import { createRng } from '../rng.js';
import { checkLabelShape } from '../validate.js';
import { mixTargets, mixup, mixupWith, toSoftTargets } from './mixup.js';
import { randomImages } from './test-helpers.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('mixup', () => {
  it('x = λ·a + (1 − λ)·b with b the partner, soft labels likewise; deterministic', () => {
    const x = randomImages(6, 4, 4, 2, 'mixup');
    const y = tf.tensor1d([0, 1, 2, 0, 1, 2], 'int32');
    const r = mixup({ alpha: 0.75, numClasses: 3 })(x, y, createRng(9));
    const xd = x.dataSync();
    const md = r.x.dataSync();
    const per = 32;
    for (let i = 0; i < 6; i++) {
      const l = r.lam[i];
      expect(l).toBeGreaterThan(0);
      expect(l).toBeLessThan(1);
      for (let k = 0; k < per; k++) {
        expect(md[i * per + k]).toBeCloseTo(l * xd[i * per + k] + (1 - l) * xd[r.index[i] * per + k], 6);
      }
    }
    expect(Array.from(r.index).sort()).toEqual([0, 1, 2, 3, 4, 5]);
    const yd = r.y!.arraySync();
    const labels = [0, 1, 2, 0, 1, 2];
    for (let i = 0; i < 6; i++) {
      const expected = [0, 0, 0];
      expected[labels[i]] += r.lam[i];
      expected[labels[r.index[i]]] += 1 - r.lam[i];
      for (let k = 0; k < 3; k++) expect(yd[i][k]).toBeCloseTo(expected[k], 6);
    }
    const again = mixup({ alpha: 0.75, numClasses: 3 })(x, y, createRng(9));
    expect(Array.from(again.x.dataSync())).toEqual(Array.from(md));
    expect(again.lam).toEqual(r.lam);
  });

  it('perBatch shares λ, maxLam keeps λ ≥ 0.5, α = 0 disables, soft targets and null labels are accepted', () => {
    const x = randomImages(5, 2, 2, 1, 'm2');
    const pb = mixup({ alpha: 1, perBatch: true })(x, null, createRng(1));
    expect(new Set(pb.lam).size).toBe(1);
    expect(pb.y).toBeNull();
    const mx = mixup({ alpha: 0.5, maxLam: true })(x, null, createRng(2));
    for (const l of mx.lam) expect(l).toBeGreaterThanOrEqual(0.5);
    const off = mixup({ alpha: 0 })(x, null, createRng(3));
    expect(Array.from(off.x.dataSync())).toEqual(Array.from(x.dataSync()));
    const soft = tf.tensor2d([1, 0, 0, 1, 0.5, 0.5, 1, 0, 0, 1], [5, 2]);
    const s = mixup({ alpha: 1 })(x, soft, createRng(4));
    for (const row of s.y!.arraySync()) expect(row[0] + row[1]).toBeCloseTo(1, 6);
    expect(() => mixup()(x, tf.tensor1d([0, 1, 0, 1, 0], 'int32'), createRng(0))).toThrow(InvalidArgumentError);
  });

  it('leaves only its outputs allocated (no leaked intermediates)', () => {
    const x = randomImages(4, 3, 3, 1, 'm-mem');
    const y = tf.tensor1d([0, 1, 1, 0], 'int32');
    const before = tf.memory().numTensors;
    for (let k = 0; k < 3; k++) {
      const r = mixup({ numClasses: 2 })(x, y, createRng(k));
      r.x.dispose();
      r.y!.dispose();
    }
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([x, y]);
  });
});

describe('mixupWith', () => {
  it('hand-computed 2-image mix of pixels and one-hot labels', () => {
    const x = tf.tensor4d([0, 1, 1, 0], [2, 1, 2, 1]);
    const r = mixupWith(x, tf.tensor1d([0, 2], 'int32'), Float32Array.from([0.25, 1]), Int32Array.from([1, 0]), 3);
    // image 0: 0.25·[0, 1] + 0.75·[1, 0] = [0.75, 0.25]; image 1 keeps itself (λ = 1)
    expect(Array.from(r.x.dataSync())).toEqual([0.75, 0.25, 1, 0]);
    // labels: 0.25·e0 + 0.75·e2, e2
    expect(r.y!.arraySync()).toEqual([
      [0.25, 0, 0.75],
      [0, 0, 1],
    ]);
    expect(r.index).toEqual(Int32Array.from([1, 0]));
  });

  it('rejects lam/index of the wrong length and labels of the wrong batch size', () => {
    const x = tf.zeros([2, 1, 1, 1]) as tf.Tensor4D;
    expect(() => mixupWith(x, null, Float32Array.from([1]), Int32Array.from([0, 1]))).toThrow(ShapeError);
    expect(() => mixupWith(x, null, Float32Array.from([1, 1]), Int32Array.from([0]))).toThrow(ShapeError);
    expect(() => checkLabelShape(tf.tensor1d([0, 1, 2], 'int32'), x.shape[0], 'labels', 'mixup')).toThrow();
    expect(() =>
      mixupWith(x, tf.tensor1d([0, 1, 2], 'int32'), Float32Array.from([1, 1]), Int32Array.from([0, 1]), 3),
    ).toThrow(ShapeError);
    expect(() => mixupWith(x, null, Float32Array.from([1, 1]), Int32Array.from([0, 1]))).not.toThrow();
  });
});

describe('toSoftTargets / mixTargets', () => {
  it('one-hot encodes int labels, casts soft targets, and mixes rows by λ', () => {
    expect(toSoftTargets(tf.tensor1d([2, 0], 'int32'), 3, 't').arraySync()).toEqual([
      [0, 0, 1],
      [1, 0, 0],
    ]);
    const soft = toSoftTargets(tf.tensor2d([0.2, 0.8], [1, 2]), undefined, 't');
    expect(soft.dtype).toBe('float32');
    expect(() => toSoftTargets(tf.tensor1d([0], 'int32'), undefined, 't')).toThrow(InvalidArgumentError);
    const y = tf.tensor2d([1, 0, 0, 1], [2, 2]);
    const m = mixTargets(y, Float32Array.from([0.6, 0.1]), Int32Array.from([1, 0])).arraySync();
    expect(m[0][0]).toBeCloseTo(0.6, 6);
    expect(m[0][1]).toBeCloseTo(0.4, 6);
    expect(m[1][0]).toBeCloseTo(0.9, 6);
    expect(m[1][1]).toBeCloseTo(0.1, 6);
  });
});
