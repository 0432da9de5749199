import '@tensorflow/tfjs-backend-cpu';
import { ArrayImageDataset, createRng } from '@ft/core';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { type SslBatch, sslDataFn } from './data.js';
import { toyData } from './test-helpers.js';
import { defaultViews } from './views.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const labeled = toyData(9, 1);
const unlabeled = toyData(30, 2);
const fn = (unlabeledViews: 'none' | 'weak' | 'weak+strong' | 'weak+weak') =>
  sslDataFn({
    labeled,
    unlabeled,
    batch: { labeled: 4, unlabeled: 6 },
    stepsPerEpoch: 5,
    views: defaultViews(),
    unlabeledViews,
  });

const disposeBatch = (b: SslBatch) =>
  tf.dispose([b.x, b.y, ...(b.uWeak ? [b.uWeak] : []), ...(b.uSecond ? [b.uSecond] : [])]);
const collect = (it: Iterable<SslBatch>) => Array.from(it as Iterable<SslBatch>);

describe('sslDataFn', () => {
  it('yields stepsPerEpoch batches of the requested views and sizes', () => {
    const bs = collect(fn('weak+strong')(0, createRng(1)) as Iterable<SslBatch>);
    expect(bs).toHaveLength(5);
    for (const b of bs) {
      expect(b.x.shape).toEqual([4, 8, 8, 1]);
      expect(b.y.shape).toEqual([4]);
      expect(b.uWeak?.shape).toEqual([6, 8, 8, 1]);
      expect(b.uSecond?.shape).toEqual([6, 8, 8, 1]);
      disposeBatch(b);
    }
    const none = collect(fn('none')(0, createRng(1)) as Iterable<SslBatch>);
    expect(none[0].uWeak).toBeUndefined();
    none.forEach(disposeBatch);
    const weak = collect(fn('weak')(0, createRng(1)) as Iterable<SslBatch>);
    expect(weak[0].uWeak).toBeDefined();
    expect(weak[0].uSecond).toBeUndefined();
    weak.forEach(disposeBatch);
  });

  it('samples with replacement: an epoch of 5 × 4 draws from 9 images repeats images, and batches differ', () => {
    // image i is the constant i/10, views are the identity, so a batch's pixel 0 names the images drawn
    const images = new Float32Array(9 * 64).map((_, p) => Math.floor(p / 64) / 10);
    const ids = new ArrayImageDataset({ images, labels: new Int32Array(9).map((_, i) => i % 3), shape: [8, 8, 1] });
    const identity = (x: tf.Tensor4D) => x.clone();
    const data = sslDataFn({
      labeled: ids,
      unlabeled: ids,
      batch: { labeled: 4, unlabeled: 6 },
      stepsPerEpoch: 5,
      views: { weak: identity, strong: identity },
      unlabeledViews: 'weak',
    });
    const drawn: number[] = [];
    for (const b of collect(data(0, createRng(2)) as Iterable<SslBatch>)) {
      const x = b.x.dataSync();
      for (let i = 0; i < 4; i++) drawn.push(Math.round(x[i * 64] * 10));
      disposeBatch(b);
    }
    expect(drawn).toHaveLength(20);
    expect(new Set(drawn).size).toBeLessThan(20);
    expect(drawn.every((i) => i >= 0 && i < 9)).toBe(true);
  });

  it('is a pure function of (epoch, rng): the same stream gives the same batches', () => {
    const a = collect(fn('weak+weak')(3, createRng(9)) as Iterable<SslBatch>);
    const b = collect(fn('weak+weak')(3, createRng(9)) as Iterable<SslBatch>);
    a.forEach((x, i) => {
      expect(Array.from(x.x.dataSync())).toEqual(Array.from(b[i].x.dataSync()));
      expect(Array.from(x.uSecond?.dataSync() ?? [])).toEqual(Array.from(b[i].uSecond?.dataSync() ?? []));
      // the two weak views of one unlabelled draw differ (independent augmentations)
      expect(Array.from(x.uWeak?.dataSync() ?? [])).not.toEqual(Array.from(x.uSecond?.dataSync() ?? []));
    });
    [...a, ...b].forEach(disposeBatch);
  });

  it('leaks no tensors', () => {
    const n0 = tf.memory().numTensors;
    for (const b of fn('weak+strong')(0, createRng(4)) as Iterable<SslBatch>) disposeBatch(b);
    expect(tf.memory().numTensors).toBe(n0);
  });
});
