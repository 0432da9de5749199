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

  it("decayAt for t = 1..5: 'tf' / true (1 + t)/(10 + t), 'mean-teacher' 1 − 1/(t + 1), false d (all capped at d)", () => {
    const d = 0.7;
    const tfe = ema({ decay: d, warmup: 'tf' });
    const dflt = ema({ decay: d, warmup: true });
    const mt = ema({ decay: d, warmup: 'mean-teacher' });
    const none = ema({ decay: d, warmup: false });
    expect(dflt.warmup).toBe('tf');
    expect(mt.warmup).toBe('mean-teacher');
    for (let t = 1; t <= 5; t++) {
      expect(tfe.decayAt(t)).toBe(Math.min(d, (1 + t) / (10 + t)));
      expect(dflt.decayAt(t)).toBe(tfe.decayAt(t));
      expect(mt.decayAt(t)).toBe(Math.min(1 - 1 / (t + 1), d));
      expect(none.decayAt(t)).toBe(d);
    }
    // closed forms: mean-teacher 1/2, 2/3, then capped at 0.7; tf 2/11 … 6/15
    const closedMt = [0.5, 2 / 3, 0.7, 0.7, 0.7];
    const closedTf = [2 / 11, 3 / 12, 4 / 13, 5 / 14, 6 / 15];
    for (let k = 0; k < 5; k++) {
      expect(mt.decayAt(k + 1)).toBeCloseTo(closedMt[k], 15);
      expect(tfe.decayAt(k + 1)).toBeCloseTo(closedTf[k], 15);
    }
  });

  it("'mean-teacher' update sequence matches a float64 reference; weightDecay shrinks the trainable average", () => {
    const thetas = [
      [2, -1],
      [0.5, 4],
      [-3, 3],
      [1, 1],
      [7, -2],
    ];
    const lrs = [0.1, 0.05, 0.2, 0.1, 0.01];
    const wd = 0.5;
    for (const weightDecay of [0, wd]) {
      const m = fakeModel([1, -2], [5]);
      const e = ema({ decay: 0.75, warmup: 'mean-teacher', weightDecay });
      e.attach(m);
      let ref = [1, -2];
      thetas.forEach((th, k) => {
        m.w.assign(tf.tensor1d(th));
        m.b.assign(tf.tensor1d([10 + k]));
        e.update(lrs[k]);
        const t = k + 1;
        const d = Math.min(1 - 1 / (t + 1), 0.75);
        ref = ref.map((r, i) => d * r + (1 - d) * th[i]).map((r) => r - weightDecay * lrs[k] * r);
        const got = e.weights[0].dataSync();
        expect(got[0]).toBeCloseTo(ref[0], 5);
        expect(got[1]).toBeCloseTo(ref[1], 5);
        expect(e.weights[1].dataSync()[0]).toBe(10 + k); // buffers are copied, never decayed
      });
      // hand-computed first coordinate without decay: 1.5, 7/6, 0.125, 0.34375, 2.0078125
      if (weightDecay === 0) expect(ref[0]).toBeCloseTo(2.0078125, 12);
      e.dispose();
      tf.dispose([m.w, m.b]);
    }
  });

  it('weightDecay: first update by hand; no lr or weightDecay 0 means no decay; onStepEnd takes logs.lr', () => {
    const run = (opts: Parameters<typeof ema>[0], step: (e: ReturnType<typeof ema>) => void) => {
      const m = fakeModel([4], [2]);
      const e = ema({ decay: 0.5, warmup: false, buffers: 'ema', ...opts });
      e.attach(m);
      m.w.assign(tf.tensor1d([8]));
      m.b.assign(tf.tensor1d([6]));
      step(e);
      const out = [e.weights[0].dataSync()[0], e.weights[1].dataSync()[0]];
      e.dispose();
      tf.dispose([m.w, m.b]);
      return out;
    };
    // averaged: 0.5·4 + 0.5·8 = 6; decayed: 6 − 0.1·0.5·6 = 5.7; the buffer (2 → 4) is averaged but not decayed
    expect(run({ weightDecay: 0.1 }, (e) => e.update(0.5))[0]).toBeCloseTo(5.7, 6);
    expect(run({ weightDecay: 0.1 }, (e) => e.update(0.5))[1]).toBeCloseTo(4, 6);
    expect(run({ weightDecay: 0.1 }, (e) => e.update())).toEqual([6, 4]);
    expect(run({ weightDecay: 0 }, (e) => e.update(0.5))).toEqual([6, 4]);
    const logs = { loss: 1, lr: 0.5, batchSize: 2, epoch: 0, stepInEpoch: 0 };
    expect(run({ weightDecay: 0.1 }, (e) => e.onStepEnd(0, logs))[0]).toBeCloseTo(5.7, 6);
  });

  it('rejects a bad warmup, a negative or non-finite weightDecay, and a non-finite lr with weightDecay', () => {
    expect(() => ema({ warmup: 'linear' as never })).toThrow(InvalidArgumentError);
    expect(() => ema({ warmup: 'meanteacher' as never })).toThrow(/warmup/);
    expect(() => ema({ weightDecay: -0.1 })).toThrow(InvalidArgumentError);
    expect(() => ema({ weightDecay: Number.NaN })).toThrow(InvalidArgumentError);
    expect(() => ema({ weightDecay: Number.POSITIVE_INFINITY })).toThrow(InvalidArgumentError);
    const m = fakeModel([1], [1]);
    const e = ema({ weightDecay: 0.1 });
    e.attach(m);
    expect(() => e.update(Number.NaN)).toThrow(InvalidArgumentError);
    expect(e.updates).toBe(0);
    e.dispose();
    tf.dispose([m.w, m.b]);
  });
});
