import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { beforeAll, describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '../errors.js';
import type { Module } from '../models/module.js';
import { createRng } from '../rng.js';
import { batchSizeOf, defaultForward, disposeBatch, openSource, type TrainBatch, toAsyncIterator } from './batch.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

async function collect<T>(it: AsyncIterator<T>): Promise<T[]> {
  const out: T[] = [];
  for (let r = await it.next(); !r.done; r = await it.next()) out.push(r.value);
  return out;
}

describe('batchSizeOf', () => {
  it('reads the first dimension of y, else of x (or x[0]); scalars count as 1', () => {
    expect(batchSizeOf({ x: tf.zeros([5, 2]), y: tf.zeros([3]) })).toBe(3);
    expect(batchSizeOf({ x: tf.zeros([5, 2]), y: undefined as unknown as tf.Tensor })).toBe(5);
    expect(batchSizeOf({ x: [tf.zeros([7, 1]), tf.zeros([2])], y: undefined as unknown as tf.Tensor })).toBe(7);
    expect(batchSizeOf({ x: tf.zeros([2]), y: tf.scalar(1) })).toBe(1);
  });
});

describe('disposeBatch', () => {
  it('disposes every tensor field and array entry (extra fields too), tolerating already-disposed ones', () => {
    const before = tf.memory().numTensors;
    const extra = tf.ones([2]);
    const b = { x: [tf.zeros([2]), tf.zeros([3])], y: tf.zeros([2]), extra, note: 'keep', n: 3 };
    extra.dispose();
    disposeBatch(b as TrainBatch);
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('toAsyncIterator / openSource', () => {
  it('iterates sync and async iterables in order; return() is forwarded', async () => {
    expect(await collect(toAsyncIterator([1, 2, 3]))).toEqual([1, 2, 3]);
    async function* gen() {
      yield 'a';
      yield 'b';
    }
    expect(await collect(toAsyncIterator(gen()))).toEqual(['a', 'b']);
    let closed = false;
    function* sync() {
      try {
        yield 1;
        yield 2;
      } finally {
        closed = true;
      }
    }
    const it = toAsyncIterator(sync());
    expect((await it.next()).value).toBe(1);
    await it.return?.();
    expect(closed).toBe(true);
    expect(() => toAsyncIterator(42 as unknown as Iterable<number>)).toThrow(InvalidArgumentError);
  });

  it('a function source is owned (its batches are disposed by the caller), an iterable is not', async () => {
    const arr = [{ x: tf.zeros([1]), y: tf.zeros([1]) }];
    const a = openSource(arr);
    expect(a.owned).toBe(false);
    expect((await collect(a.it)).length).toBe(1);
    const f = openSource(() => arr);
    expect(f.owned).toBe(true);
    expect(await collect(f.it)).toEqual(arr);
    disposeBatch(arr[0]);
  });
});

describe('defaultForward', () => {
  it('calls Module.apply with training and rng', () => {
    const seen: unknown[] = [];
    const m: Module = {
      apply: (x, o) => {
        seen.push(o);
        return tf.mul(x, 2);
      },
      trainableVariables: [],
      nonTrainableVariables: [],
      getConfig: () => ({}),
    };
    const rng = createRng(1);
    const y = defaultForward(m, { x: tf.tensor1d([1, 2]), y: tf.zeros([2]) }, { training: true, rng });
    expect(Array.from(y.dataSync())).toEqual([2, 4]);
    expect(seen).toEqual([{ training: true, rng }]);
    expect(() =>
      defaultForward(m, { x: [tf.zeros([1]), tf.zeros([1])], y: tf.zeros([1]) }, { training: false }),
    ).toThrow(InvalidArgumentError);
  });

  it('applies a LayersModel (same output as predict in inference mode); rejects multi-output models', () => {
    const model = tfl.sequential({
      layers: [tfl.layers.dense({ units: 2, inputShape: [3], kernelInitializer: 'ones', biasInitializer: 'ones' })],
    });
    const x = tf.tensor2d([[1, 2, 3]]);
    const y = defaultForward(model, { x, y: tf.zeros([1]) }, { training: false });
    expect(Array.from(y.dataSync())).toEqual([7, 7]);
    const inp = tfl.input({ shape: [3] });
    const two = tfl.model({
      inputs: inp,
      outputs: [tfl.layers.dense({ units: 1 }).apply(inp) as tfl.SymbolicTensor, inp],
    });
    expect(() => defaultForward(two, { x, y: tf.zeros([1]) }, { training: false })).toThrow(/2 outputs/);
  });
});
