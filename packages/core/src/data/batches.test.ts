import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { EmptyDatasetError, InvalidArgumentError } from '../errors.js';
import { createRng } from '../rng.js';
import { batches, batchesSync, numBatches } from './batches.js';
import { ArrayImageDataset } from './dataset.js';
import { shuffled, withReplacement } from './samplers.js';
import { subset } from './subset.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

/** n images of 3×2×2 where every value of image i is i/100, label i mod 3. */
function toy(n: number): ArrayImageDataset {
  const per = 12;
  const images = new Float32Array(n * per).map((_, j) => Math.floor(j / per) / 100);
  return new ArrayImageDataset({ images, labels: Int32Array.from({ length: n }, (_, i) => i % 3), shape: [3, 2, 2] });
}

describe('batches', () => {
  it('yields NHWC float32 x, int32 y and indices in sampler order; last batch kept unless dropLast', async () => {
    const ds = toy(10);
    const seen: number[][] = [];
    for await (const b of batches(ds, { batchSize: 4 })) {
      expect(b.x.shape.slice(1)).toEqual([3, 2, 2]);
      expect(b.x.dtype).toBe('float32');
      expect(b.y.dtype).toBe('int32');
      const x = b.x.dataSync();
      const y = b.y.dataSync();
      b.indices.forEach((i, k) => {
        expect(x[k * 12]).toBeCloseTo(i / 100, 6);
        expect(y[k]).toBe(i % 3);
      });
      seen.push(Array.from(b.indices));
      b.dispose();
    }
    expect(seen).toEqual([
      [0, 1, 2, 3],
      [4, 5, 6, 7],
      [8, 9],
    ]);
    const sizes: number[] = [];
    for (const b of batchesSync(ds, { batchSize: 4, dropLast: true })) {
      sizes.push(b.indices.length);
      b.dispose();
    }
    expect(sizes).toEqual([4, 4]);
    expect(numBatches(10, 4)).toBe(3);
    expect(numBatches(10, 4, true)).toBe(2);
  });

  it('is deterministic for a seed; sync and async agree; transform is applied with the rng', async () => {
    const ds = toy(9);
    const transform = (x: tf.Tensor4D, rng: { uniform(): number }) => tf.add(x, rng.uniform()) as tf.Tensor4D;
    const run = async () => {
      const out: number[] = [];
      for await (const b of batches(ds, { batchSize: 4, sampler: shuffled(), rng: createRng(5), transform })) {
        out.push(...Array.from(b.indices), b.x.dataSync()[0]);
        b.dispose();
      }
      return out;
    };
    const a = await run();
    expect(await run()).toEqual(a);
    const s: number[] = [];
    for (const b of batchesSync(ds, { batchSize: 4, sampler: shuffled(), rng: createRng(5), transform })) {
      s.push(...Array.from(b.indices), b.x.dataSync()[0]);
      b.dispose();
    }
    expect(s).toEqual(a);
  });

  it('streams: tf.memory().numTensors does not grow when each batch is disposed', async () => {
    const ds = subset(
      toy(64),
      Array.from({ length: 64 }, (_, i) => 63 - i),
    );
    const before = tf.memory().numTensors;
    let count = 0;
    let peak = 0;
    const transform = (x: tf.Tensor4D) => tf.sub(tf.add(tf.mul(x, 2), 1), 1) as tf.Tensor4D; // intermediates must be tidied
    for await (const b of batches(ds, {
      batchSize: 5,
      sampler: withReplacement(100),
      rng: createRng(1),
      transform,
    })) {
      peak = Math.max(peak, tf.memory().numTensors - before);
      b.dispose();
      count++;
      expect(tf.memory().numTensors).toBe(before);
    }
    expect(count).toBe(20);
    expect(peak).toBe(2); // exactly one batch (x and y) alive at a time
  });

  it('errors: empty dataset, batchSize ≤ 0, missing rng', () => {
    expect(() => batches(toy(0), { batchSize: 2 })).toThrow(EmptyDatasetError);
    expect(() => batches(toy(3), { batchSize: 0 })).toThrow(InvalidArgumentError);
    expect(() => batchesSync(toy(3), { batchSize: -1 })).toThrow(InvalidArgumentError);
    expect(() => batches(toy(3), { batchSize: 2, sampler: shuffled() })).toThrow(/needs opts\.rng/);
  });

  it('accepts plain Dataset<LabelledImage> with a shape option', () => {
    const plain = { size: 2, get: (i: number) => ({ x: new Float32Array(4).fill(i), y: i }) };
    const [b] = [...batchesSync(plain, { batchSize: 2, shape: [2, 2, 1] })];
    expect(Array.from(b.x.dataSync())).toEqual([0, 0, 0, 0, 1, 1, 1, 1]);
    expect(Array.from(b.y.dataSync())).toEqual([0, 1]);
    b.dispose();
    expect(() => batches(plain, { batchSize: 2 })).toThrow(/pass opts\.shape/);
  });
});
