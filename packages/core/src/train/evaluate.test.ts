import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { EmptyDatasetError, NonFiniteValueError } from '../errors.js';
import { createRng } from '../rng.js';
import type { TrainBatch } from './batch.js';
import { evaluate, predict } from './evaluate.js';
import { accuracy, arrayData, ce, denseNet, toyProblem } from './test-helpers.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('evaluate / predict', () => {
  const toy = toyProblem(20, 4);

  it('evaluate = batch-size-weighted mean over uneven batches = metric on the whole set', async () => {
    const model = denseNet(1);
    const data = arrayData(toy, { batchSize: 8, shuffle: false }); // batches of 8, 8, 4
    const before = tf.memory().numTensors;
    const res = await evaluate(model, () => data(0, createRng(0)), {
      acc: accuracy,
      mse: (y, p) => tf.mean(tf.square(tf.sub(y, tf.softmax(p)))) as tf.Scalar,
    });
    expect(tf.memory().numTensors).toBe(before); // batches from a function are disposed
    const all = [...(data(0, createRng(0)) as Iterable<TrainBatch>)];
    const x = tf.concat(all.map((b) => b.x as tf.Tensor));
    const y = tf.concat(all.map((b) => b.y));
    const p = model.predict(x) as tf.Tensor;
    expect(res.acc).toBeCloseTo(accuracy(y, p).dataSync()[0], 6);
    expect(res.mse).toBeCloseTo(tf.mean(tf.square(tf.sub(y, tf.softmax(p)))).dataSync()[0], 6);

    // predict: tensor input in batches of 3 and a batch source both equal model.predict on everything
    const p1 = await predict(model, x, { batchSize: 3 });
    const p2 = await predict(model, all);
    expect(Array.from(p1.dataSync())).toEqual(Array.from(p.dataSync()));
    expect(Array.from(p2.dataSync())).toEqual(Array.from(p.dataSync()));
    expect(all[0].x as tf.Tensor).toHaveProperty('isDisposed', false); // arrays are caller-owned
    await expect(evaluate(model, [], { acc: accuracy })).rejects.toThrow(EmptyDatasetError);
    tf.dispose([x, y, p, p1, p2]);
    for (const b of all) tf.dispose([b.x as tf.Tensor, b.y]);
    model.dispose();
  });
});

describe('evaluate: non-finite results and abort', () => {
  const toy = toyProblem(20, 4);
  const data = arrayData(toy, { batchSize: 8, shuffle: false });

  it('a model with a NaN weight throws NonFiniteValueError instead of reporting accuracy/loss', async () => {
    const model = denseNet(2);
    const k = model.layers[1].getWeights()[0];
    const bad = tf.fill(k.shape, Number.NaN);
    model.layers[1].setWeights([bad, model.layers[1].getWeights()[1]]);
    bad.dispose();
    const before = tf.memory().numTensors;
    const err = await evaluate(model, () => data(0, createRng(0)), { acc: accuracy, loss: ce }).catch((e) => e);
    expect(err).toBeInstanceOf(NonFiniteValueError);
    expect(err.code).toBe('NON_FINITE_VALUE');
    expect(err.message).toMatch(/batch 0.*NaN/);
    expect(tf.memory().numTensors).toBe(before);
    // opting out gives the old (meaningless) numbers
    const res = await evaluate(model, () => data(0, createRng(0)), { acc: accuracy }, { checkFinite: false });
    expect(res.acc).toBeGreaterThanOrEqual(0);
    model.dispose();
  });

  it('a non-finite metric with finite logits is named', async () => {
    const model = denseNet(3);
    const err = await evaluate(model, () => data(0, createRng(0)), {
      weird: () => tf.scalar(Number.POSITIVE_INFINITY),
    }).catch((e) => e);
    expect(err).toBeInstanceOf(NonFiniteValueError);
    expect(err.message).toMatch(/metric 'weird' is Infinity/);
    model.dispose();
  });

  it('an abort from a timer callback stops evaluate and predict between batches', async () => {
    const model = denseNet(4);
    const many = arrayData(toyProblem(400, 5), { batchSize: 2, shuffle: false }); // 200 batches
    let seen = 0;
    const counted = () =>
      (function* () {
        for (const b of many(0, createRng(0)) as Iterable<TrainBatch>) {
          seen++;
          yield b;
        }
      })();
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 0);
    await expect(evaluate(model, counted, { acc: accuracy }, { signal: ac.signal })).rejects.toThrow();
    expect(seen).toBeLessThanOrEqual(3);
    const ac2 = new AbortController();
    setImmediate(() => ac2.abort());
    seen = 0;
    await expect(predict(model, counted, { signal: ac2.signal })).rejects.toThrow();
    expect(seen).toBeLessThanOrEqual(2);
    model.dispose();
  });
});
