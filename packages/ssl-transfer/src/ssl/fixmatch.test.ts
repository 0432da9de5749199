import '@tensorflow/tfjs-backend-cpu';
import { InvalidArgumentError, ShapeError } from '@ft/core';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { finiteDiff, maxDiff, randomRows } from '../regularisers/test-reference.js';
import { fixMatchLoss } from './fixmatch.js';
import { logSoftmaxAt, maskedCeRef, pseudoRef, softmaxRow } from './test-reference.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

// Weak-view logits: max softmax 0.9094, 0.9756, 0.3672, 0.9966 ⇒ labels [0, 1, 0, 2], mask at τ 0.95 [0, 1, 0, 1].
const WEAK = [
  [3, 0, 0],
  [0, 5, 1],
  [0.2, 0.1, 0],
  [-1, 0, 6],
];
const STRONG = [
  [1, 2, 3],
  [0.5, -0.5, 2],
  [0, 0, 0],
  [2, 1, 0],
];

describe('fixMatchLoss', () => {
  it('hand-computed batch: mean over ALL rows of mask·CE(strong, pseudo-label)', () => {
    const { loss, maskRate } = fixMatchLoss(tf.tensor2d(WEAK), tf.tensor2d(STRONG));
    // Rows 1 and 3 pass: CE(strong_1, 1) = ln(e^0.5 + e^-0.5 + e²) + 0.5, CE(strong_3, 2) = ln(e² + e + 1); divided by 4.
    const ce1 = Math.log(Math.exp(0.5) + Math.exp(-0.5) + Math.exp(2)) + 0.5;
    const ce3 = Math.log(Math.exp(2) + Math.E + 1);
    expect(ce1).toBeCloseTo(-logSoftmaxAt(STRONG[1], 1), 12);
    expect(loss.dataSync()[0]).toBeCloseTo((ce1 + ce3) / 4, 5);
    expect(maskRate).toBe(0.5);
    // τ = 0.9 adds row 0: CE(strong_0, 0) = ln(e + e² + e³) − 1.
    const ce0 = Math.log(Math.E + Math.exp(2) + Math.exp(3)) - 1;
    const r90 = fixMatchLoss(tf.tensor2d(WEAK), tf.tensor2d(STRONG), { threshold: 0.9 });
    expect(r90.loss.dataSync()[0]).toBeCloseTo((ce0 + ce1 + ce3) / 4, 5);
    expect(r90.maskRate).toBe(0.75);
  });

  it('matches the float64 reference on a seeded batch', () => {
    const weak = randomRows(32, 6, 'fw', 4);
    const strong = randomRows(32, 6, 'fs', 2);
    const { labels, mask } = pseudoRef(weak, 0.7);
    expect(mask.some((v) => v === 0) && mask.some((v) => v === 1)).toBe(true);
    const r = fixMatchLoss(tf.tensor2d(weak), tf.tensor2d(strong), { threshold: 0.7 });
    expect(r.loss.dataSync()[0]).toBeCloseTo(maskedCeRef(strong, labels, mask), 5);
    expect(r.maskRate).toBe(mask.reduce((a, b) => a + b, 0) / 32);
  });

  it('a batch where the mask selects nothing: loss 0, mask rate 0, zero gradient', () => {
    const weak = tf.zeros([6, 4]) as tf.Tensor2D;
    const strong = tf.tensor2d(randomRows(6, 4, 'z'));
    const r = fixMatchLoss(weak, strong);
    expect(r.loss.dataSync()[0]).toBe(0);
    expect(r.maskRate).toBe(0);
    const g = tf.grad((s: tf.Tensor) => fixMatchLoss(weak, s as tf.Tensor2D).loss)(strong);
    expect(Array.from(g.dataSync()).every((v) => v === 0)).toBe(true);
  });

  it('gradient: finite differences on logitsStrong; none into logitsWeak', () => {
    const weak = randomRows(8, 4, 'gw', 4);
    const strong = randomRows(8, 4, 'gs', 2);
    const { labels, mask } = pseudoRef(weak, 0.8);
    expect(mask.some((v) => v === 0) && mask.some((v) => v === 1)).toBe(true);
    const [gw, gs] = tf.grads(
      (w: tf.Tensor, s: tf.Tensor) => fixMatchLoss(w as tf.Tensor2D, s as tf.Tensor2D, { threshold: 0.8 }).loss,
    )([tf.tensor2d(weak), tf.tensor2d(strong)]);
    const fd = finiteDiff((x) => maskedCeRef(x, labels, mask), strong);
    expect(maxDiff(gs.arraySync() as number[][], fd)).toBeLessThan(1e-6);
    // Closed form of the same gradient: m_j·(softmax(s_j) − onehot(ŷ_j))/N; non-zero on the kept rows.
    const closed = strong.map((row, j) =>
      softmaxRow(row).map((p, c) => (mask[j] * (p - (c === labels[j] ? 1 : 0))) / 8),
    );
    expect(maxDiff(gs.arraySync() as number[][], closed)).toBeLessThan(1e-6);
    expect(Math.max(...Array.from(gs.dataSync()).map(Math.abs))).toBeGreaterThan(1e-3);
    expect(Array.from(gw.dataSync()).every((v) => v === 0)).toBe(true);
  });

  it('typed errors: threshold outside (0, 1] or NaN; shapes that differ, not rank 2 or empty', () => {
    const w = tf.tensor2d(WEAK);
    const s = tf.tensor2d(STRONG);
    for (const threshold of [0, 1.5, Number.NaN]) {
      expect(() => fixMatchLoss(w, s, { threshold })).toThrow(InvalidArgumentError);
    }
    expect(() => fixMatchLoss(w, tf.zeros([4, 2]) as tf.Tensor2D)).toThrow(ShapeError);
    expect(() => fixMatchLoss(w, tf.zeros([3, 3]) as tf.Tensor2D)).toThrow(ShapeError);
    expect(() => fixMatchLoss(tf.zeros([12]) as unknown as tf.Tensor2D, s)).toThrow(ShapeError);
    expect(() => fixMatchLoss(w, tf.zeros([4, 3, 1]) as unknown as tf.Tensor2D)).toThrow(ShapeError);
    expect(() => fixMatchLoss(tf.zeros([0, 3]) as tf.Tensor2D, tf.zeros([0, 3]) as tf.Tensor2D)).toThrow(ShapeError);
    expect(() => fixMatchLoss(w, tf.zeros([4, 2]) as tf.Tensor2D)).toThrow(/logitsWeak and logitsStrong/);
  });

  it('tensor count is flat over 50 calls inside tf.tidy (and with the loss disposed, and after a throw)', () => {
    const w = tf.tensor2d(WEAK);
    const s = tf.tensor2d(STRONG);
    const before = tf.memory().numTensors;
    for (let i = 0; i < 50; i++) tf.tidy(() => void fixMatchLoss(w, s));
    for (let i = 0; i < 50; i++) fixMatchLoss(w, s).loss.dispose();
    expect(() => fixMatchLoss(w, s, { threshold: 2 })).toThrow(InvalidArgumentError);
    expect(tf.memory().numTensors).toBe(before);
  });
});
