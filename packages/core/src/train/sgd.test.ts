import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '../errors.js';
import { sgd } from './sgd.js';
import { applyGradientSequence } from './test-helpers.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

/** Reference PyTorch SGD on plain numbers (formulas in sgd.ts's TSDoc). */
function refSgd(
  theta0: number[],
  grads: number[][],
  o: { lr: number; m: number; d: number; wd: number; nesterov: boolean },
): number[] {
  const th = [...theta0];
  let buf: number[] | null = null;
  for (const gs of grads) {
    const g = gs.map((x, i) => x + o.wd * th[i]);
    let step = g;
    if (o.m !== 0) {
      const prev: number[] | null = buf;
      const nb: number[] = prev ? prev.map((b, i) => o.m * b + (1 - o.d) * g[i]) : [...g];
      buf = nb;
      step = o.nesterov ? g.map((x, i) => x + o.m * nb[i]) : nb;
    }
    for (let i = 0; i < th.length; i++) th[i] -= o.lr * step[i];
  }
  return th;
}

const grads = [
  [1, -2],
  [0.5, 0.5],
  [-1, 3],
  [2, 0],
];

describe('sgd', () => {
  it('plain: θ ← θ − ηg, hand-computed: θ = 1 − 0.1·(1 + 0.5 − 1 + 2) = 0.75', () => {
    const got = applyGradientSequence(sgd({ lr: 0.1 }), [1, 0], grads);
    expect(got[0]).toBeCloseTo(0.75, 6);
    expect(got[1]).toBeCloseTo(-0.1 * (-2 + 0.5 + 3 + 0), 6);
  });

  for (const o of [
    { lr: 0.1, m: 0.9, d: 0, wd: 0, nesterov: false },
    { lr: 0.05, m: 0.5, d: 0.3, wd: 0.01, nesterov: false },
    { lr: 0.2, m: 0.9, d: 0, wd: 0.1, nesterov: true },
  ]) {
    it(`momentum ${o.m}, dampening ${o.d}, λ ${o.wd}, nesterov ${o.nesterov} matches the reference over 4 steps`, () => {
      const got = applyGradientSequence(
        sgd({ lr: o.lr, momentum: o.m, dampening: o.d, weightDecay: o.wd, nesterov: o.nesterov }),
        [1, -1],
        grads,
      );
      const want = refSgd([1, -1], grads, o);
      expect(got[0]).toBeCloseTo(want[0], 5);
      expect(got[1]).toBeCloseTo(want[1], 5);
    });
  }

  it('defaults and validation', () => {
    const s = sgd({ lr: 0.1 });
    expect([s.kind, s.momentum, s.nesterov, s.dampening, s.weightDecay]).toEqual(['sgd', 0, false, 0, 0]);
    expect(() => sgd({ lr: 0.1, momentum: -0.1 })).toThrow(InvalidArgumentError);
    expect(() => sgd({ lr: 0.1, dampening: -1 })).toThrow(InvalidArgumentError);
    expect(() => sgd({ lr: 0.1, nesterov: true })).toThrow(InvalidArgumentError);
    expect(() => sgd({ lr: 0.1, momentum: 0.9, dampening: 0.1, nesterov: true })).toThrow(InvalidArgumentError);
  });

  it('keeps the tensor count flat after the first momentum step', () => {
    const v = tf.variable(tf.tensor1d([1, 2]));
    const g = tf.tensor1d([0.1, 0.2]);
    const opt = sgd({ lr: 0.01, momentum: 0.9 });
    opt.applyGradients([{ variable: v, grad: g }]);
    const before = tf.memory().numTensors;
    for (let k = 0; k < 5; k++) opt.applyGradients([{ variable: v, grad: g }]);
    expect(tf.memory().numTensors).toBe(before);
    opt.dispose();
    tf.dispose([v, g]);
  });
});
