import { ArrayImageDataset, createRng, InvalidArgumentError } from '@ft/core';
import '@tensorflow/tfjs-backend-cpu';
import { toyImages } from '@ft/core/testing';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { concatImages, oneClassTask } from './one-class.js';
import { pseudoAnomalySet, VAL_AUGMENTS } from './val-augment.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

/** 3 classes × n images; pixel value = label / 10 (so images tell their class). */
function labelled(n: number): ArrayImageDataset {
  const labels = Int32Array.from({ length: 3 * n }, (_, i) => i % 3);
  const images = Float32Array.from({ length: 3 * n * 4 }, (_, i) => labels[Math.floor(i / 4)] / 10);
  return new ArrayImageDataset({ images, labels, shape: [2, 2, 1] });
}

describe('oneClassTask', () => {
  it('normal = one class: seeded train/val split of its training images, full (or stratified) test set', () => {
    const train = labelled(50);
    const test = labelled(20);
    const t = oneClassTask(train, test, { normalClass: 1, trainSubsample: 40, seed: 3 });
    expect([t.train.size, t.val.size, t.test.size]).toEqual([32, 8, 60]);
    for (const ds of [t.train, t.val]) for (let i = 0; i < ds.size; i++) expect(ds.labels[i]).toBe(1);
    expect(t.testLabels.reduce((a, v) => a + v, 0)).toBe(40);
    const again = oneClassTask(train, test, { normalClass: 1, trainSubsample: 40, seed: 3 });
    expect(Array.from(again.train.get(0).x)).toEqual(Array.from(t.train.get(0).x));
    const sub = oneClassTask(train, test, { normalClass: 0, seed: 1, testSubsample: 30 });
    expect(sub.test.size).toBe(30);
    expect(sub.testLabels.reduce((a, v) => a + v, 0)).toBe(20);
    expect(() => oneClassTask(train, test, { normalClass: 3, seed: 0 })).toThrow(InvalidArgumentError);
  });

  it('concatImages keeps order and labels', () => {
    const a = labelled(2);
    const c = concatImages([a, a]);
    expect(c.size).toBe(12);
    expect(Array.from(c.labels.slice(6))).toEqual(Array.from(a.labels));
  });
});

describe('pseudoAnomalySet', () => {
  const val = toyImages(10, [8, 8, 1], 5);
  it('clean held-out normals (label 0) then one augmented copy each (label 1), deterministic in the rng', () => {
    const s = pseudoAnomalySet(val, VAL_AUGMENTS, createRng(1));
    expect(s.images.size).toBe(20);
    expect(Array.from(s.labels)).toEqual([...new Array(10).fill(0), ...new Array(10).fill(1)]);
    expect(Array.from(s.images.get(3).x)).toEqual(Array.from(val.get(3).x));
    const again = pseudoAnomalySet(val, VAL_AUGMENTS, createRng(1));
    expect(Array.from(again.images.get(13).x)).toEqual(Array.from(s.images.get(13).x));
  });

  it('every family changes the images, and stays in [0, 1]', () => {
    for (const f of VAL_AUGMENTS) {
      const s = pseudoAnomalySet(val, [f], createRng(2));
      let changed = 0;
      for (let i = 0; i < 10; i++) {
        const a = s.images.get(i).x;
        const b = s.images.get(10 + i).x;
        if (a.some((v, k) => Math.abs(v - b[k]) > 1e-6)) changed++;
        expect(b.every((v) => v >= 0 && v <= 1)).toBe(true);
      }
      expect(changed).toBeGreaterThanOrEqual(8);
    }
    expect(() => pseudoAnomalySet(val, ['rotate' as 'mixup'], createRng(0))).toThrow(InvalidArgumentError);
  });
});
