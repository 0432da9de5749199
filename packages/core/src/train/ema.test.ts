import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '../errors.js';
import type { Module } from '../models/module.js';
import { ema } from './ema.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

function fakeModel(w0: number[], b0: number[]): Module & { w: tf.Variable; b: tf.Variable } {
  const w = tf.variable(tf.tensor1d(w0), true);
  const b = tf.variable(tf.tensor1d(b0), false);
  return {
    w,
    b,
    apply: (x) => x,
    trainableVariables: [w],
    nonTrainableVariables: [b],
    getConfig: () => ({}),
  };
}

describe('ema', () => {
  it('decayAt: warm-up min(d, (1 + t)/(10 + t)); without warm-up the constant d', () => {
    const e = ema({ decay: 0.9 });
    expect(e.decayAt(1)).toBeCloseTo(2 / 11, 12);
    expect(e.decayAt(10)).toBeCloseTo(11 / 20, 12);
    expect(e.decayAt(1000)).toBe(0.9);
    expect(ema({ decay: 0.5, warmup: false }).decayAt(1)).toBe(0.5);
  });

  it('matches θ̄ ← d_t·θ̄ + (1 − d_t)·θ step by step; buffers are copied by default', () => {
    const m = fakeModel([1, -2], [5]);
    const e = ema({ decay: 0.8 });
    e.attach(m);
    let ref = [1, -2];
    const thetas = [
      [2, 0],
      [0, 4],
      [3, 3],
    ];
    thetas.forEach((th, k) => {
      m.w.assign(tf.tensor1d(th));
      m.b.assign(tf.tensor1d([100 + k]));
      e.update();
      const d = Math.min(0.8, (1 + (k + 1)) / (10 + (k + 1)));
      ref = ref.map((r, i) => d * r + (1 - d) * th[i]);
      const got = e.weights[0].dataSync();
      expect(got[0]).toBeCloseTo(ref[0], 5);
      expect(got[1]).toBeCloseTo(ref[1], 5);
      expect(e.weights[1].dataSync()[0]).toBe(100 + k);
    });
    expect(e.updates).toBe(3);
    e.dispose();
    tf.dispose([m.w, m.b]);
  });

  it("buffers: 'ema' averages non-trainable variables too", () => {
    const m = fakeModel([0], [0]);
    const e = ema({ decay: 0.5, warmup: false, buffers: 'ema' });
    e.attach(m);
    m.b.assign(tf.tensor1d([4]));
    e.onStepEnd();
    expect(e.weights[1].dataSync()[0]).toBeCloseTo(2, 6);
    e.dispose();
    tf.dispose([m.w, m.b]);
  });

  it('withAveraged swaps the shadow in and back (also on throw); apply copies it permanently', async () => {
    const m = fakeModel([0], [0]);
    const e = ema({ decay: 0.5, warmup: false });
    e.attach(m);
    m.w.assign(tf.tensor1d([8]));
    e.update(); // shadow = 4
    const inside = await e.withAveraged(() => m.w.dataSync()[0]);
    expect(inside).toBe(4);
    expect(m.w.dataSync()[0]).toBe(8);
    await expect(
      e.withAveraged(() => {
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect(m.w.dataSync()[0]).toBe(8);
    e.apply();
    expect(m.w.dataSync()[0]).toBe(4);
    e.dispose();
    tf.dispose([m.w, m.b]);
  });

  it('state round-trips; errors when unattached or decay out of range; memory flat over updates', () => {
    expect(() => ema({ decay: 1 })).toThrow(InvalidArgumentError);
    expect(() => ema({ decay: -0.1 })).toThrow(InvalidArgumentError);
    expect(() => ema().update()).toThrow(InvalidArgumentError);
    expect(() => ema().apply()).toThrow(InvalidArgumentError);
    const m = fakeModel([1, 2], [3]);
    const e = ema({ decay: 0.9 });
    e.attach(m);
    e.update();
    const before = tf.memory().numTensors;
    for (let k = 0; k < 5; k++) e.update();
    expect(tf.memory().numTensors).toBe(before);
    const e2 = ema({ decay: 0.9 });
    e2.setState(e.getState());
    e2.attach(m); // keeps the restored shadow
    expect(e2.updates).toBe(6);
    expect(Array.from(e2.weights[0].dataSync())).toEqual(Array.from(e.weights[0].dataSync()));
    e.dispose();
    e2.dispose();
    tf.dispose([m.w, m.b]);
  });
});
