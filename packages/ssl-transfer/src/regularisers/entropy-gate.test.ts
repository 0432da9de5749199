import '@tensorflow/tfjs-backend-cpu';
import { InvalidArgumentError, ShapeError } from '@ft/core';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { entropyGate, entropyThreshold } from './entropy-gate.js';
import { entropy, gateRef, randomRows } from './test-reference.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('entropyThreshold', () => {
  it('is ε·ln C: 4.835 nats for an ImageNet source, 1.612 for 10 classes at ε 0.7', () => {
    expect(entropyThreshold(0.7, 1000)).toBeCloseTo(4.835, 3);
    expect(entropyThreshold(0.7, 10)).toBeCloseTo(1.6118, 4);
    expect(entropyThreshold(1, 2)).toBeCloseTo(Math.LN2, 12);
  });
});

describe('entropyGate', () => {
  it('keeps the rows with H(softmax) ≤ ε·ln C, as the float64 reference does', () => {
    const logits = randomRows(64, 10, 'gate', 2.5);
    const want = gateRef(logits, 0.7);
    // The sample has both kinds of rows, none within 1e-4 nats of the threshold.
    expect(want.filter((w) => w === 1).length).toBeGreaterThan(5);
    expect(want.filter((w) => w === 0).length).toBeGreaterThan(5);
    for (const row of logits) expect(Math.abs(entropy(row) - 0.7 * Math.log(10))).toBeGreaterThan(1e-4);
    const g = entropyGate(tf.tensor2d(logits), { ratio: 0.7, numClasses: 10 });
    expect(g.shape).toEqual([64]);
    expect(Array.from(g.dataSync())).toEqual(want);
    g.dispose();
  });

  it('hand-computed rows: a uniform row (H = ln C) is dropped at ε < 1, a confident row is kept', () => {
    const logits = tf.tensor2d([
      [0, 0, 0, 0],
      [8, 0, 0, 0],
    ]);
    expect(Array.from(entropyGate(logits, { ratio: 0.7, numClasses: 4 }).dataSync())).toEqual([0, 1]);
    expect(Array.from(entropyGate(logits, { ratio: 0.999, numClasses: 4 }).dataSync())).toEqual([0, 1]);
  });

  it('uses the class count it is given: uniform over 10 of 1000 source classes (H = ln 10) passes 0.7·ln 1000 but a 10-class uniform fails 0.7·ln 10', () => {
    const source = Array.from({ length: 1000 }, (_, c) => (c < 10 ? 20 : 0));
    expect(entropy(source)).toBeCloseTo(Math.log(10), 3);
    const gs = entropyGate(tf.tensor2d([source]), { ratio: 0.7, numClasses: 1000 });
    expect(Array.from(gs.dataSync())).toEqual([1]);
    const gt = entropyGate(tf.tensor2d([new Array(10).fill(0)]), { ratio: 0.7, numClasses: 10 });
    expect(Array.from(gt.dataSync())).toEqual([0]);
  });

  it('passes no gradient to the logits', () => {
    const x = tf.tensor2d(randomRows(6, 3, 'g2', 3));
    const [g] = tf.grads((l: tf.Tensor) =>
      tf.sum(tf.mul(entropyGate(l as tf.Tensor2D, { ratio: 0.7, numClasses: 3 }), tf.sum(l, 1))),
    )([x]);
    // d/dl Σ_i w_i Σ_c l_ic = w_i (the gate is a constant): rows of the gate's value, nothing through the gate itself.
    const w = gateRef(randomRows(6, 3, 'g2', 3), 0.7);
    expect(g.arraySync()).toEqual(w.map((v) => [v, v, v]));
    const [g0] = tf.grads((l: tf.Tensor) => tf.sum(entropyGate(l as tf.Tensor2D, { ratio: 0.7, numClasses: 3 })))([x]);
    expect(Array.from(g0.dataSync()).every((v) => v === 0)).toBe(true);
  });

  it('ungated keeps every row (ε = ∞ only through the option)', () => {
    const g = entropyGate(tf.zeros([5, 3]), { numClasses: 3, ungated: true });
    expect(Array.from(g.dataSync())).toEqual([1, 1, 1, 1, 1]);
  });

  it('typed errors: ratio outside (0, 1], bad class counts, logits of another shape', () => {
    const l = tf.zeros([2, 3]) as tf.Tensor2D;
    for (const ratio of [0, -0.1, 1.01, Number.POSITIVE_INFINITY, Number.NaN, undefined]) {
      expect(() => entropyGate(l, { ratio, numClasses: 3 })).toThrow(InvalidArgumentError);
    }
    expect(() => entropyGate(l, { ratio: 1.5, numClasses: 3 })).toThrow(/ratio must be a number in \(0, 1\], got 1.5/);
    expect(() => entropyThreshold(0.7, 1)).toThrow(InvalidArgumentError);
    expect(() => entropyThreshold(2, 10)).toThrow(InvalidArgumentError);
    expect(() => entropyGate(l, { ratio: 0.7, numClasses: 4 })).toThrow(ShapeError);
    expect(() => entropyGate(tf.zeros([3]) as unknown as tf.Tensor2D, { ratio: 0.7, numClasses: 3 })).toThrow(
      ShapeError,
    );
  });
});
