import '@tensorflow/tfjs-backend-cpu';
import { InvalidArgumentError, ShapeError } from '@ft/core';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { akcLoss } from './akc.js';
import { akcRef, finiteDiff, gateRef, maxDiff, randomRows } from './test-reference.js';

const ones = (s: [number, number]) => tf.ones(s) as tf.Tensor2D;
const zeros = (s: [number, number]) => tf.zeros(s) as tf.Tensor2D;

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('akcLoss', () => {
  it('hand-computed batch: gated mean of squared distances times 1e-4', () => {
    // Source logits over C_s = 2: rows 0 and 2 confident (H ≈ 0.001 ≤ 0.7·ln 2 = 0.485), row 1 uniform (H = ln 2).
    const { loss, selectedRatio } = akcLoss(
      {
        targetFeat: tf.tensor2d([
          [1, 2],
          [5, 5],
          [0, -1],
        ]),
        sourceFeat: tf.tensor2d([
          [0, 0],
          [0, 0],
          [3, 3],
        ]),
        sourceLogits: tf.tensor2d([
          [9, 0],
          [0, 0],
          [0, 9],
        ]),
      },
      { numSourceClasses: 2 },
    );
    // (‖(1,2)‖² + ‖(−3,−4)‖²)·1e-4 / 2 = (5 + 25)·1e-4 / 2.
    expect(loss.dataSync()[0]).toBeCloseTo(15e-4, 9);
    expect(selectedRatio).toBeCloseTo(2 / 3, 12);
  });

  it('matches the float64 reference on a seeded batch (threshold 0.5, scale 1)', () => {
    const t = randomRows(20, 8, 't');
    const s = randomRows(20, 8, 's');
    const logits = randomRows(20, 5, 'l', 3);
    const w = gateRef(logits, 0.5);
    const { loss, selectedRatio } = akcLoss(
      { targetFeat: tf.tensor2d(t), sourceFeat: tf.tensor2d(s), sourceLogits: tf.tensor2d(logits) },
      { numSourceClasses: 5, threshold: 0.5, scale: 1 },
    );
    expect(w.some((v) => v === 0) && w.some((v) => v === 1)).toBe(true);
    expect(loss.dataSync()[0]).toBeCloseTo(akcRef(t, s, w, 1), 4);
    expect(selectedRatio).toBe(w.reduce((a, b) => a + b, 0) / 20);
  });

  it('a batch where the gate selects nothing gives 0 (divides by max(Σw, 1))', () => {
    const { loss, selectedRatio } = akcLoss(
      { targetFeat: ones([4, 3]), sourceFeat: zeros([4, 3]), sourceLogits: zeros([4, 10]) },
      { numSourceClasses: 10 },
    );
    expect(loss.dataSync()[0]).toBe(0);
    expect(selectedRatio).toBe(0);
  });

  it('gates with the SOURCE class count: H = ln 10 passes 0.7·ln 1000 (4.835) but not 0.7·ln 10 (1.612)', () => {
    const row = Array.from({ length: 1000 }, (_, c) => (c < 10 ? 20 : 0));
    const args = { targetFeat: ones([1, 2]), sourceFeat: zeros([1, 2]) } as const;
    const r1000 = akcLoss({ ...args, sourceLogits: tf.tensor2d([row]) }, { numSourceClasses: 1000, scale: 1 });
    expect(r1000.selectedRatio).toBe(1);
    expect(r1000.loss.dataSync()[0]).toBeCloseTo(2, 6);
    const r10 = akcLoss({ ...args, sourceLogits: zeros([1, 10]) }, { numSourceClasses: 10, scale: 1 });
    expect(r10.selectedRatio).toBe(0);
  });

  it('gradient: finite differences on targetFeat; none into sourceFeat or sourceLogits', () => {
    const t = randomRows(6, 4, 'gt');
    const s = randomRows(6, 4, 'gs');
    const logits = randomRows(6, 3, 'gl', 3);
    const w = gateRef(logits, 0.7);
    expect(w.some((v) => v === 0) && w.some((v) => v === 1)).toBe(true);
    const f = (tt: tf.Tensor, ss: tf.Tensor, ll: tf.Tensor) =>
      akcLoss(
        { targetFeat: tt as tf.Tensor2D, sourceFeat: ss as tf.Tensor2D, sourceLogits: ll as tf.Tensor2D },
        { numSourceClasses: 3, scale: 0.5 },
      ).loss;
    const [gt, gs, gl] = tf.grads(f)([tf.tensor2d(t), tf.tensor2d(s), tf.tensor2d(logits)]);
    const fd = finiteDiff((x) => akcRef(x, s, w, 0.5), t);
    expect(maxDiff(gt.arraySync() as number[][], fd)).toBeLessThan(1e-5);
    expect(Array.from(gs.dataSync()).every((v) => v === 0)).toBe(true);
    expect(Array.from(gl.dataSync()).every((v) => v === 0)).toBe(true);
  });

  it('leaks no tensors', () => {
    const args = { targetFeat: ones([4, 3]), sourceFeat: zeros([4, 3]), sourceLogits: zeros([4, 2]) } as const;
    akcLoss(args, { numSourceClasses: 2 }).loss.dispose();
    const before = tf.memory().numTensors;
    for (let i = 0; i < 5; i++) akcLoss(args, { numSourceClasses: 2 }).loss.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('typed errors: shapes, class count, threshold outside (0, 1], scale', () => {
    const ok = { targetFeat: ones([4, 3]), sourceFeat: zeros([4, 3]), sourceLogits: zeros([4, 2]) } as const;
    expect(() => akcLoss({ ...ok, sourceFeat: zeros([4, 2]) }, { numSourceClasses: 2 })).toThrow(ShapeError);
    expect(() => akcLoss({ ...ok, sourceFeat: zeros([3, 3]) }, { numSourceClasses: 2 })).toThrow(ShapeError);
    expect(() => akcLoss({ ...ok, sourceLogits: zeros([3, 2]) }, { numSourceClasses: 2 })).toThrow(ShapeError);
    expect(() => akcLoss(ok, { numSourceClasses: 5 })).toThrow(ShapeError);
    for (const threshold of [0, 1.2, Number.POSITIVE_INFINITY]) {
      expect(() => akcLoss(ok, { numSourceClasses: 2, threshold })).toThrow(InvalidArgumentError);
    }
    expect(() => akcLoss(ok, { numSourceClasses: 2, scale: 0 })).toThrow(InvalidArgumentError);
    expect(akcLoss(ok, { numSourceClasses: 2, ungated: true }).selectedRatio).toBe(1);
  });
});
