import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { EmptyDatasetError } from '../errors.js';
import { createRng } from '../rng.js';
import type { TrainBatch } from './batch.js';
import { evaluate, predict } from './evaluate.js';
import { accuracy, arrayData, denseNet, toyProblem } from './test-helpers.js';

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
