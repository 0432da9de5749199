import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '../errors.js';
import { adam, adamw } from './adam.js';
import { applyGradientSequence } from './test-helpers.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

/** Reference Adam/AdamW on plain numbers (PyTorch formulas in adam.ts's TSDoc). */
function refAdam(
  theta0: number[],
  grads: number[][],
  o: { lr: number; b1: number; b2: number; eps: number; wd: number; decoupled: boolean },
): number[] {
  const th = [...theta0];
  const m = th.map(() => 0);
  const v = th.map(() => 0);
  grads.forEach((gs, k) => {
    const t = k + 1;
    for (let i = 0; i < th.length; i++) {
      let g = gs[i];
      if (o.wd !== 0) {
        if (o.decoupled) th[i] *= 1 - o.lr * o.wd;
        else g += o.wd * th[i];
      }
      m[i] = o.b1 * m[i] + (1 - o.b1) * g;
      v[i] = o.b2 * v[i] + (1 - o.b2) * g * g;
      th[i] -= (o.lr / (1 - o.b1 ** t)) * (m[i] / (Math.sqrt(v[i]) / Math.sqrt(1 - o.b2 ** t) + o.eps));
    }
  });
  return th;
}

const grads = [
  [0.5, -1, 2],
  [0.1, -0.3, 1],
  [-0.2, 0.4, 0],
];

describe('adam', () => {
  it('three steps on a 3-vector match the hand-written PyTorch update (non-default β, ε, coupled λ)', () => {
    const o = { lr: 0.05, b1: 0.8, b2: 0.95, eps: 1e-3, wd: 0.1, decoupled: false };
    const got = applyGradientSequence(
      adam({ lr: 0.05, beta1: 0.8, beta2: 0.95, eps: 1e-3, weightDecay: 0.1 }),
      [1, 2, -3],
      grads,
    );
    const want = refAdam([1, 2, -3], grads, o);
    for (let i = 0; i < 3; i++) expect(got[i]).toBeCloseTo(want[i], 5);
  });

  it('defaults: β = (0.9, 0.999), ε = 1e-8, λ = 0, kind adam', () => {
    const a = adam({ lr: 1 });
    expect([a.kind, a.beta1, a.beta2, a.eps, a.weightDecay, a.decoupled]).toEqual(['adam', 0.9, 0.999, 1e-8, 0, false]);
    const got = applyGradientSequence(a, [0, 0, 0], grads);
    const want = refAdam([0, 0, 0], grads, { lr: 1, b1: 0.9, b2: 0.999, eps: 1e-8, wd: 0, decoupled: false });
    for (let i = 0; i < 3; i++) expect(got[i]).toBeCloseTo(want[i], 4);
  });

  it('rejects β outside [0, 1) and negative ε', () => {
    expect(() => adam({ lr: 0.1, beta1: 1 })).toThrow(InvalidArgumentError);
    expect(() => adam({ lr: 0.1, beta2: -0.1 })).toThrow(InvalidArgumentError);
    expect(() => adamw({ lr: 0.1, eps: -1 })).toThrow(InvalidArgumentError);
  });
});

describe('adamw', () => {
  it('decoupled decay θ ← θ(1 − ηλ) before the Adam step, default λ = 0.01', () => {
    const a = adamw({ lr: 0.1 });
    expect([a.kind, a.weightDecay, a.decoupled]).toEqual(['adamw', 0.01, true]);
    const got = applyGradientSequence(a, [1, 2, -3], grads);
    const want = refAdam([1, 2, -3], grads, { lr: 0.1, b1: 0.9, b2: 0.999, eps: 1e-8, wd: 0.01, decoupled: true });
    for (let i = 0; i < 3; i++) expect(got[i]).toBeCloseTo(want[i], 5);
  });

  it('with a zero gradient only the decay acts: θ₁ = θ₀(1 − ηλ) exactly', () => {
    const got = applyGradientSequence(adamw({ lr: 0.5, weightDecay: 0.2 }), [2, -4], [[0, 0]]);
    expect(got[0]).toBeCloseTo(2 * 0.9, 6);
    expect(got[1]).toBeCloseTo(-4 * 0.9, 6);
  });

  it('keeps the tensor count flat after the first step (m, v slots only)', () => {
    const v = tf.variable(tf.tensor1d([1, 2]));
    const g = tf.tensor1d([0.1, 0.2]);
    const opt = adamw({ lr: 0.01 });
    opt.applyGradients([{ variable: v, grad: g }]);
    const before = tf.memory().numTensors;
    for (let k = 0; k < 5; k++) opt.applyGradients([{ variable: v, grad: g }]);
    expect(tf.memory().numTensors).toBe(before);
    opt.dispose();
    tf.dispose([v, g]);
  });
});
