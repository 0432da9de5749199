import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-layers'; // registers the gradients of tfjs-core ops
import { beforeAll, describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '../errors.js';
import { adam, adamw } from './adam.js';
import fixture from './fixtures/optimizer-trajectories.json' with { type: 'json' };
import type { Optimizer, ParamGroup } from './optimizer.js';
import { sgd } from './sgd.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

/** Runs `steps` updates of a 1-element variable θ with constant gradient g(θ) computed by `gradOf`. */
function trajectory(opt: Optimizer, theta0: number, gradOf: (theta: number) => number, steps: number): number[] {
  const v = tf.variable(tf.scalar(theta0));
  const out: number[] = [];
  for (let i = 0; i < steps; i++) {
    const g = tf.scalar(gradOf(v.dataSync()[0]));
    opt.applyGradients([{ variable: v, grad: g }]);
    g.dispose();
    out.push(v.dataSync()[0]);
  }
  opt.dispose();
  v.dispose();
  return out;
}

describe('sgd closed forms (PyTorch semantics)', () => {
  it('plain sgd: θ ← θ − η g', () => {
    // f = θ²/2, g = θ: θ_t = θ0 (1 − η)^t
    const got = trajectory(sgd({ lr: 0.1 }), 2, (t) => t, 3);
    expect(got[0]).toBeCloseTo(1.8, 6);
    expect(got[1]).toBeCloseTo(1.62, 6);
    expect(got[2]).toBeCloseTo(1.458, 6);
  });

  it('momentum: buffer starts at g, then v ← m v + g', () => {
    // constant gradient g = 1, η = 0.1, m = 0.9: v = 1, 1.9, 2.71 → θ = −0.1, −0.29, −0.561
    const got = trajectory(sgd({ lr: 0.1, momentum: 0.9 }), 0, () => 1, 3);
    expect(got[0]).toBeCloseTo(-0.1, 6);
    expect(got[1]).toBeCloseTo(-0.29, 6);
    expect(got[2]).toBeCloseTo(-0.561, 6);
  });

  it('dampening applies from the second step on', () => {
    // g = 1, m = 0.9, d = 0.5: v = 1, 0.9 + 0.5 = 1.4, 1.26 + 0.5 = 1.76
    const got = trajectory(sgd({ lr: 1, momentum: 0.9, dampening: 0.5 }), 0, () => 1, 3);
    expect(got).toEqual([-1, -2.4, -4.16].map((x) => expect.closeTo(x, 5)));
  });

  it('nesterov: θ ← θ − η (g + m v)', () => {
    // g = 1, m = 0.9: v = 1 → step 1 + 0.9 = 1.9; v = 1.9 → step 1 + 1.71 = 2.71
    const got = trajectory(sgd({ lr: 0.1, momentum: 0.9, nesterov: true }), 0, () => 1, 2);
    expect(got[0]).toBeCloseTo(-0.19, 6);
    expect(got[1]).toBeCloseTo(-0.19 - 0.271, 6);
  });

  it('coupled weight decay enters the gradient: g ← g + λθ', () => {
    // g = 0, λ = 0.5, η = 0.1: θ ← θ (1 − 0.05)
    const got = trajectory(sgd({ lr: 0.1, weightDecay: 0.5 }), 4, () => 0, 2);
    expect(got[0]).toBeCloseTo(3.8, 6);
    expect(got[1]).toBeCloseTo(3.61, 6);
  });

  it('rejects nesterov without momentum and negative lr', () => {
    expect(() => sgd({ lr: 0.1, nesterov: true })).toThrow(InvalidArgumentError);
    expect(() => sgd({ lr: -1 })).toThrow(/lr/);
  });
});

describe('adam / adamw closed forms', () => {
  it('first Adam step moves every coordinate by ≈ η·sign(g) (bias correction)', () => {
    // t = 1: m̂ = g, v̂ = g², step = η g / (|g| + ε)
    const got = trajectory(adam({ lr: 0.01 }), 1, () => 3, 1);
    expect(got[0]).toBeCloseTo(1 - 0.01 * (3 / (3 + 1e-8)), 7);
  });

  it('two Adam steps with a changing gradient match the hand-computed update', () => {
    const b1 = 0.9;
    const b2 = 0.999;
    const lr = 0.1;
    // gradients g1 = 1, g2 = −2 (constant functions of step)
    let k = 0;
    const gs = [1, -2];
    const got = trajectory(adam({ lr }), 0, () => gs[k++], 2);
    const m1 = (1 - b1) * 1;
    const v1 = (1 - b2) * 1;
    const th1 = 0 - (lr / (1 - b1)) * (m1 / (Math.sqrt(v1) / Math.sqrt(1 - b2) + 1e-8));
    const m2 = b1 * m1 + (1 - b1) * -2;
    const v2 = b2 * v1 + (1 - b2) * 4;
    const th2 = th1 - (lr / (1 - b1 ** 2)) * (m2 / (Math.sqrt(v2) / Math.sqrt(1 - b2 ** 2) + 1e-8));
    expect(got[0]).toBeCloseTo(th1, 6);
    expect(got[1]).toBeCloseTo(th2, 6);
  });

  it('adam couples the decay into g, adamw decouples it: θ ← θ(1 − ηλ) − Adam step', () => {
    // zero data gradient: adam's g = λθ → first step −η·sign(θ); adamw: θ(1 − ηλ) − η·0/(0+ε) = θ(1 − ηλ)
    const a = trajectory(adam({ lr: 0.1, weightDecay: 0.5 }), 2, () => 0, 1);
    const w = trajectory(adamw({ lr: 0.1, weightDecay: 0.5 }), 2, () => 0, 1);
    expect(a[0]).toBeCloseTo(2 - 0.1, 6);
    expect(w[0]).toBeCloseTo(2 * (1 - 0.05), 6);
  });

  it('adamw defaults to PyTorch weight decay 0.01', () => {
    expect(adamw({ lr: 1e-3 }).weightDecay).toBe(0.01);
    expect(adam({ lr: 1e-3 }).weightDecay).toBe(0);
  });
});

describe('optimizers vs NumPy reference trajectories (scripts/train-optimizer-fixtures.py)', () => {
  const build = (kind: string, options: Record<string, unknown>) => {
    const o = { ...options } as { lr: number };
    if (kind === 'sgd') return sgd(o);
    if (kind === 'adam') return adam(o);
    return adamw(o);
  };
  for (const [ci, c] of fixture.cases.entries()) {
    it(`case ${ci}: ${c.kind} ${JSON.stringify(c.options)} groups ${JSON.stringify(c.groups)}`, () => {
      const X = tf.tensor2d(fixture.X);
      const T = tf.tensor2d(fixture.T);
      const W = tf.variable(tf.tensor2d(fixture.W0));
      const b = tf.variable(tf.tensor1d(fixture.b0));
      const params = [W, b];
      const opt = build(c.kind, c.options);
      const groups: ParamGroup[] = c.groups.map((g) => ({
        variables: [params[g.param]],
        lrMult: g.lrMult,
        weightDecay: g.weightDecay,
      }));
      opt.setGroups(groups);
      const n = fixture.X.length;
      let maxErr = 0;
      for (let s = 0; s < fixture.steps; s++) {
        const { grads } = tf.variableGrads(
          () => tf.div(tf.sum(tf.square(tf.sub(tf.add(tf.matMul(X, W), b), T))), 2 * n) as tf.Scalar,
          params,
        );
        opt.applyGradients(params.map((v) => ({ variable: v, grad: grads[v.name] })));
        tf.dispose(grads);
        const want = c.trajectory[s];
        const got = [Array.from(W.dataSync()), Array.from(b.dataSync())];
        for (let p = 0; p < 2; p++) {
          for (let j = 0; j < want[p].length; j++) {
            maxErr = Math.max(maxErr, Math.abs(got[p][j] - want[p][j]) / (1 + Math.abs(want[p][j])));
          }
        }
      }
      // float32 (tfjs) vs float64 (NumPy): measured ≤ 1.3e-7 over 15 steps; 1e-6 leaves room for rounding only
      expect(maxErr).toBeLessThan(1e-6);
      opt.dispose();
      tf.dispose([X, T, W, b]);
    });
  }
});

describe('parameter groups and state', () => {
  it('lrMult scales the step of its group only', () => {
    const a = tf.variable(tf.scalar(0));
    const b = tf.variable(tf.scalar(0));
    const opt = sgd({ lr: 0.1, groups: [{ variables: [b], lrMult: 0.25 }] });
    const g = tf.scalar(1);
    opt.applyGradients([
      { variable: a, grad: g },
      { variable: b, grad: g },
    ]);
    expect(a.dataSync()[0]).toBeCloseTo(-0.1, 7);
    expect(b.dataSync()[0]).toBeCloseTo(-0.025, 7);
    tf.dispose([a, b, g]);
    opt.dispose();
  });

  it('a group weightDecay of 0 switches decay off (e.g. BN/bias)', () => {
    const a = tf.variable(tf.scalar(1));
    const b = tf.variable(tf.scalar(1));
    const opt = sgd({ lr: 0.1, weightDecay: 1, groups: [{ variables: [b], weightDecay: 0 }] });
    const g = tf.scalar(0);
    opt.applyGradients([
      { variable: a, grad: g },
      { variable: b, grad: g },
    ]);
    expect(a.dataSync()[0]).toBeCloseTo(0.9, 7);
    expect(b.dataSync()[0]).toBe(1);
    tf.dispose([a, b, g]);
    opt.dispose();
  });

  it('rejects a variable in two groups', () => {
    const a = tf.variable(tf.scalar(1));
    expect(() => sgd({ lr: 1, groups: [{ variables: [a] }, { variables: [a] }] })).toThrow(/more than one group/);
    a.dispose();
  });

  it('exported state restored into a fresh optimizer on other variables continues identically', () => {
    const run = (opt: Optimizer, v: tf.Variable, gs: number[]) => {
      for (const x of gs) {
        const g = tf.scalar(x);
        opt.applyGradients([{ variable: v, grad: g }]);
        g.dispose();
      }
    };
    const gs = [0.3, -1, 2, 0.5, -0.7];
    const v1 = tf.variable(tf.scalar(1));
    const o1 = adam({ lr: 0.1 });
    run(o1, v1, gs);
    const v2 = tf.variable(tf.scalar(1));
    const o2 = adam({ lr: 0.1 });
    run(o2, v2, gs.slice(0, 2));
    const o3 = adam({ lr: 0.1 });
    o3.setState([v2], o2.getState([v2]));
    o2.dispose();
    run(o3, v2, gs.slice(2));
    expect(v2.dataSync()[0]).toBe(v1.dataSync()[0]);
    expect(o3.getState([v2]).entries[0]?.step).toBe(5);
    expect(() => sgd({ lr: 1 }).setState([v2], o3.getState([v2]))).toThrow(/'adam'/);
    tf.dispose([v1, v2]);
    o1.dispose();
    o3.dispose();
  });

  it('keeps the tensor count flat after the first step', () => {
    const v = tf.variable(tf.ones([3, 3]));
    const opt = sgd({ lr: 0.1, momentum: 0.9, nesterov: true, weightDecay: 0.1 });
    const g = tf.ones([3, 3]);
    opt.applyGradients([{ variable: v, grad: g }]);
    const n1 = tf.memory().numTensors;
    for (let i = 0; i < 5; i++) opt.applyGradients([{ variable: v, grad: g }]);
    expect(tf.memory().numTensors).toBe(n1);
    const a = adamw({ lr: 0.1 });
    a.applyGradients([{ variable: v, grad: g }]);
    const n2 = tf.memory().numTensors;
    for (let i = 0; i < 5; i++) a.applyGradients([{ variable: v, grad: g }]);
    expect(tf.memory().numTensors).toBe(n2);
    tf.dispose([v, g]);
    opt.dispose();
    a.dispose();
  });
});
