import '@tensorflow/tfjs-backend-cpu';
import { InvalidArgumentError, ShapeError } from '@ft/core';
import * as tf from '@tensorflow/tfjs-core';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { arcLoss } from './arc.js';
import { FeatureQueue } from './feature-queue.js';
import { finiteDiff, maxDiff, mmdRef, type Rows, randomRows } from './test-reference.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

// Target logits over C = 3: a confident row (H ≈ 0.0025 ≤ 0.7·ln 3 = 0.769) and a uniform one (H = ln 3).
const SURE = [9, 0, 0];
const UNSURE = [0, 0, 0];
const logitsOf = (mask: number[]) => tf.tensor2d(mask.map((m) => (m ? SURE : UNSURE))) as tf.Tensor2D;
const pick = (x: Rows, mask: number[]) => x.filter((_, i) => mask[i] === 1);

let queues: { l: FeatureQueue; u: FeatureQueue };
const fresh = (capacity = 128) => {
  queues = { l: new FeatureQueue(capacity), u: new FeatureQueue(capacity) };
  return queues;
};
afterEach(() => {
  queues?.l.dispose();
  queues?.u.dispose();
});

function step(xl: Rows, ml: number[], xu: Rows, mu: number[], opts: Partial<Parameters<typeof arcLoss>[1]> = {}) {
  return arcLoss(
    {
      labeledFeat: tf.tensor2d(xl),
      labeledLogits: logitsOf(ml),
      unlabeledFeat: tf.tensor2d(xu),
      unlabeledLogits: logitsOf(mu),
      queues,
    },
    { numClasses: 3, minQueue: 1, ...opts },
  );
}

describe('arcLoss', () => {
  it('first batch, queues empty: MMD² of the selected rows; queues hold them', () => {
    fresh();
    const xl = randomRows(6, 4, 'l1');
    const xu = randomRows(5, 4, 'u1', 1.5);
    const ml = [1, 0, 1, 1, 0, 1];
    const mu = [0, 1, 1, 0, 1];
    const r = step(xl, ml, xu, mu);
    expect(r.updated).toBe(true);
    expect(r.selectedRatio).toEqual({ l: 4 / 6, u: 3 / 5 });
    expect(r.loss?.dataSync()[0]).toBeCloseTo(mmdRef(pick(xl, ml), pick(xu, mu)), 5);
    expect(queues.l.size).toBe(4);
    expect(queues.u.size).toBe(3);
    expect(maxDiff(queues.l.all().arraySync() as Rows, pick(xl, ml))).toBeLessThan(1e-6);
  });

  it('queues not yet full: T = cat(past, current selected); full: the last `capacity` rows', () => {
    fresh(8);
    const xl1 = randomRows(4, 3, 'a1');
    const xu1 = randomRows(4, 3, 'b1');
    const xl2 = randomRows(4, 3, 'a2', 2);
    const xu2 = randomRows(4, 3, 'b2', 2);
    step(xl1, [1, 1, 1, 0], xu1, [1, 0, 1, 0])?.loss?.dispose();
    const r2 = step(xl2, [1, 1, 0, 1], xu2, [1, 1, 1, 1]);
    const tl = [...pick(xl1, [1, 1, 1, 0]), ...pick(xl2, [1, 1, 0, 1])];
    const tu = [...pick(xu1, [1, 0, 1, 0]), ...xu2];
    expect(tl.length).toBe(6);
    expect(r2.loss?.dataSync()[0]).toBeCloseTo(mmdRef(tl, tu), 5);
    // Third batch overflows the labelled queue (6 + 4 > 8): the oldest 2 rows fall out of T_l and of the queue.
    const xl3 = randomRows(4, 3, 'a3');
    const xu3 = randomRows(2, 3, 'b3');
    const r3 = step(xl3, [1, 1, 1, 1], xu3, [1, 1]);
    const tl3 = [...tl, ...xl3].slice(-8);
    const tu3 = [...tu, ...xu3].slice(-8);
    expect(r3.loss?.dataSync()[0]).toBeCloseTo(mmdRef(tl3, tu3), 5);
    expect(maxDiff(queues.l.all().arraySync() as Rows, tl3)).toBeLessThan(1e-6);
    expect(queues.u.size).toBe(8);
  });

  it('a batch where a gate selects nothing: queues unchanged, loss on the queued rows only, with no gradient', () => {
    fresh();
    const xl1 = randomRows(5, 3, 'n1');
    const xu1 = randomRows(5, 3, 'n2');
    step(xl1, [1, 1, 1, 1, 1], xu1, [1, 1, 1, 1, 1]).loss?.dispose();
    const xl2 = tf.tensor2d(randomRows(4, 3, 'n3'));
    const xu2 = tf.tensor2d(randomRows(4, 3, 'n4'));
    const [gl, gu] = tf.grads((l: tf.Tensor, u: tf.Tensor) => {
      const r = arcLoss(
        {
          labeledFeat: l as tf.Tensor2D,
          labeledLogits: logitsOf([1, 1, 1, 1]),
          unlabeledFeat: u as tf.Tensor2D,
          unlabeledLogits: logitsOf([0, 0, 0, 0]),
          queues,
        },
        { numClasses: 3, minQueue: 1 },
      );
      expect(r.updated).toBe(false);
      expect(r.selectedRatio).toEqual({ l: 1, u: 0 });
      expect(r.loss?.dataSync()[0]).toBeCloseTo(mmdRef(xl1, xu1), 5);
      return tf.add(r.loss as tf.Scalar, tf.mul(tf.add(tf.sum(l), tf.sum(u)), 0));
    })([xl2, xu2]);
    expect(Array.from(gl.dataSync()).every((v) => v === 0)).toBe(true);
    expect(Array.from(gu.dataSync()).every((v) => v === 0)).toBe(true);
    expect(queues.l.size).toBe(5);
    // With empty queues and an empty side, there is no loss at all.
    fresh();
    const r = step(xl1, [1, 1, 1, 1, 1], xu1, [0, 0, 0, 0, 0]);
    expect(r.loss).toBeNull();
    expect(queues.l.size).toBe(0);
  });

  it('applied only when |T_l| > minQueue (20 by default) and after reg_warmup when a step is given; the queues fill meanwhile', () => {
    fresh();
    const all = (n: number) => new Array(n).fill(1);
    const r1 = step(randomRows(20, 2, 'm1'), all(20), randomRows(8, 2, 'm2'), all(8), { minQueue: 20 });
    expect(r1.loss).toBeNull();
    expect(queues.l.size).toBe(20);
    const r2 = step(randomRows(1, 2, 'm3'), [1], randomRows(1, 2, 'm4'), [1], { minQueue: 20 });
    expect(r2.loss).not.toBeNull();
    const r3 = step(randomRows(1, 2, 'm5'), [1], randomRows(1, 2, 'm6'), [1], { step: 10 });
    expect(r3.loss).toBeNull();
    expect(queues.l.size).toBe(22);
    const r4 = step(randomRows(1, 2, 'm7'), [1], randomRows(1, 2, 'm8'), [1], { step: 11 });
    expect(r4.loss).not.toBeNull();
  });

  it('gates with the TARGET class count: H = ln 10 rows fail 0.7·ln 10 even if they would pass 0.7·ln 1000', () => {
    fresh();
    const l = tf.tensor2d([new Array(10).fill(0), [20, ...new Array(9).fill(0)]]) as tf.Tensor2D;
    const r = arcLoss(
      { labeledFeat: tf.ones([2, 2]), labeledLogits: l, unlabeledFeat: tf.ones([2, 2]), unlabeledLogits: l, queues },
      { numClasses: 10, minQueue: 0 },
    );
    expect(r.selectedRatio).toEqual({ l: 0.5, u: 0.5 });
  });

  it('ungated (ε = ∞, the ablation) keeps every row, uniform predictions included', () => {
    fresh();
    const xl = randomRows(3, 2, 'ug1');
    const xu = randomRows(2, 2, 'ug2');
    const r = step(xl, [0, 0, 0], xu, [0, 0], { ungated: true });
    expect(r.selectedRatio).toEqual({ l: 1, u: 1 });
    expect(r.loss?.dataSync()[0]).toBeCloseTo(mmdRef(xl, xu), 5);
  });

  it('gradient: finite differences through the current selected rows, with past queued rows present', () => {
    fresh();
    const pl = randomRows(5, 3, 'p1');
    const pu = randomRows(4, 3, 'p2', 1.3);
    step(pl, [1, 1, 1, 1, 1], pu, [1, 1, 1, 1]).loss?.dispose();
    const xl = randomRows(4, 3, 'c1');
    const xu = randomRows(3, 3, 'c2', 0.8);
    const ml = [1, 0, 1, 1];
    const mu = [1, 1, 0];
    const snapshot = { l: queues.l.all().arraySync() as Rows, u: queues.u.all().arraySync() as Rows };
    const run = (l: tf.Tensor, u: tf.Tensor) => {
      const q = { l: new FeatureQueue(128), u: new FeatureQueue(128) };
      q.l.push(tf.tensor2d(snapshot.l));
      q.u.push(tf.tensor2d(snapshot.u));
      const r = arcLoss(
        {
          labeledFeat: l as tf.Tensor2D,
          labeledLogits: logitsOf(ml),
          unlabeledFeat: u as tf.Tensor2D,
          unlabeledLogits: logitsOf(mu),
          queues: q,
        },
        { numClasses: 3, minQueue: 1 },
      );
      q.l.dispose();
      q.u.dispose();
      return r.loss as tf.Scalar;
    };
    const [gl, gu] = tf.grads(run)([tf.tensor2d(xl), tf.tensor2d(xu)]);
    const ref = (l: Rows, u: Rows) => mmdRef([...pl, ...pick(l, ml)], [...pu, ...pick(u, mu)]);
    const fl = finiteDiff((l) => ref(l, xu), xl);
    const fu = finiteDiff((u) => ref(xl, u), xu);
    expect(fl[1]).toEqual([0, 0, 0]);
    expect(
      maxDiff(
        fl,
        fl.map((r) => r.map(() => 0)),
      ),
    ).toBeGreaterThan(1e-3);
    expect(maxDiff(gl.arraySync() as Rows, fl)).toBeLessThan(2e-5);
    expect(maxDiff(gu.arraySync() as Rows, fu)).toBeLessThan(2e-5);
  });

  it("no gradient reaches an earlier batch's features through the queues", () => {
    fresh();
    const prev = tf.tensor2d(randomRows(4, 3, 'e1'));
    const cur = tf.tensor2d(randomRows(4, 3, 'e2'));
    const u = tf.tensor2d(randomRows(4, 3, 'e3'));
    const sure = logitsOf([1, 1, 1, 1]);
    const [gPrev, gCur] = tf.grads((p: tf.Tensor, c: tf.Tensor) => {
      const args = { labeledLogits: sure, unlabeledFeat: u, unlabeledLogits: sure, queues } as const;
      arcLoss({ ...args, labeledFeat: p as tf.Tensor2D }, { numClasses: 3, minQueue: 1 }).loss?.dispose();
      return arcLoss({ ...args, labeledFeat: c as tf.Tensor2D }, { numClasses: 3, minQueue: 1 }).loss as tf.Scalar;
    })([prev, cur]);
    expect(Array.from(gPrev.dataSync()).every((v) => v === 0)).toBe(true);
    expect(Math.max(...Array.from(gCur.dataSync()).map(Math.abs))).toBeGreaterThan(1e-4);
  });

  it('tensor counts stay flat over 200 training iterations with the queues full', () => {
    fresh(32);
    const w = tf.variable(tf.tensor2d(randomRows(4, 6, 'w', 0.3)));
    const xl = tf.tensor2d(randomRows(16, 4, 'xl'));
    const xu = tf.tensor2d(randomRows(24, 4, 'xu'));
    const opt = tf.train.sgd(0.1);
    let applied = 0;
    const iteration = (t: number) => {
      opt.minimize(() => {
        const fl = tf.matMul(xl, w) as tf.Tensor2D;
        const fu = tf.matMul(xu, w) as tf.Tensor2D;
        const r = arcLoss(
          {
            labeledFeat: fl,
            labeledLogits: tf.slice(fl, [0, 0], [-1, 3]),
            unlabeledFeat: fu,
            unlabeledLogits: tf.slice(fu, [0, 0], [-1, 3]),
            queues,
          },
          { numClasses: 3, threshold: 1, step: t },
        );
        if (r.loss) applied++;
        return (r.loss ?? tf.mul(tf.sum(w), 0)) as tf.Scalar;
      });
    };
    for (let t = 1; t <= 20; t++) iteration(t);
    expect(queues.l.size).toBe(32);
    expect(queues.u.size).toBe(32);
    const before = tf.memory().numTensors;
    for (let t = 21; t <= 220; t++) iteration(t);
    expect(tf.memory().numTensors).toBe(before);
    expect(applied).toBeGreaterThan(190);
    opt.dispose();
  });

  it('typed errors: shapes, a queue of another D, threshold outside (0, 1], minQueue', () => {
    fresh();
    const ok = {
      labeledFeat: tf.ones([2, 4]) as tf.Tensor2D,
      labeledLogits: logitsOf([1, 1]),
      unlabeledFeat: tf.ones([3, 4]) as tf.Tensor2D,
      unlabeledLogits: logitsOf([1, 1, 1]),
      queues,
    };
    const c = { numClasses: 3 };
    expect(() => arcLoss({ ...ok, unlabeledFeat: tf.ones([3, 5]) as tf.Tensor2D }, c)).toThrow(ShapeError);
    expect(() => arcLoss({ ...ok, labeledLogits: logitsOf([1]) }, c)).toThrow(ShapeError);
    expect(() => arcLoss(ok, { numClasses: 4 })).toThrow(ShapeError);
    for (const threshold of [0, 1.5, Number.POSITIVE_INFINITY]) {
      expect(() => arcLoss(ok, { ...c, threshold })).toThrow(InvalidArgumentError);
    }
    expect(() => arcLoss(ok, { ...c, minQueue: -1 })).toThrow(InvalidArgumentError);
    queues.l.push(tf.ones([1, 7]) as tf.Tensor2D);
    expect(() => arcLoss(ok, c)).toThrow(/queue 'l' holds 7-d features/);
  });
});
