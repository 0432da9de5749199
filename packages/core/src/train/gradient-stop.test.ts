import '@tensorflow/tfjs-backend-cpu';
// tfjs-core registers no gradients by itself; tfjs-layers' import does.
import '@tensorflow/tfjs-layers';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { detach, offTape, withoutGradient } from './gradient-stop.js';

describe('gradient stops', () => {
  it('detach: same values, zero gradient', async () => {
    const x = tf.tensor1d([1, -2, 3]);
    const g = tf.grad((a: tf.Tensor) => tf.sum(tf.add(tf.mul(a, 2), tf.square(detach(a)))))(x);
    // d/da [2a + stop(a)²] = 2
    expect(Array.from(await g.data())).toEqual([2, 2, 2]);
    expect(Array.from(await detach(x).data())).toEqual([1, -2, 3]);
  });

  it('withoutGradient runs ops that have no tfjs gradient (topk, comparisons) inside a gradient, as a constant', async () => {
    const x = tf.tensor1d([0.5, 3, -1, 2]);
    const mask = (a: tf.Tensor) =>
      withoutGradient(a, (v) => {
        const cutoff = tf.slice(tf.topk(v, 2).values, [1], [1]);
        return tf.cast(tf.greaterEqual(v, cutoff), 'float32');
      });
    expect(Array.from(await mask(x).data())).toEqual([0, 1, 0, 1]);
    // d/da Σ m(a)·a = m(a): the mask itself contributes nothing
    const g = tf.grad((a: tf.Tensor) => tf.sum(tf.mul(mask(a), a)))(x);
    expect(Array.from(await g.data())).toEqual([0, 1, 0, 1]);
  });

  it('offTape returns kept tensors that no gradient reaches, and leaks nothing', async () => {
    const before = tf.memory().numTensors;
    const init = tf.tensor1d([1, 2, 3]);
    const x = tf.variable(init);
    let idx: tf.Tensor[] = [];
    const { value, grads } = tf.variableGrads(() => {
      idx = offTape(() => [tf.cast(tf.argMax(x), 'int32')]);
      return tf.sum(tf.mul(tf.gather(x, idx[0] as tf.Tensor1D), 5)) as tf.Scalar;
    }, [x]);
    expect(Array.from(await idx[0].data())).toEqual([2]);
    expect(Array.from(await grads[x.name].data())).toEqual([0, 0, 5]);
    tf.dispose([...idx, ...Object.values(grads), value, x, init]);
    expect(tf.memory().numTensors).toBe(before);
  });
});
