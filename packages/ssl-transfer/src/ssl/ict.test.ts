import '@tensorflow/tfjs-backend-cpu';
import { createRng, InvalidArgumentError, ShapeError } from '@ft/core';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { finiteDiff, maxDiff, randomRows } from '../regularisers/test-reference.js';
import { ictLoss, ictMix } from './ict.js';
import { meanTeacherLoss } from './mean-teacher.js';
import { softmaxMseRef, softmaxRow } from './test-reference.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

/** 5 images of 2×1×2, image i filled with values 10·i + k, and teacher probabilities over 3 classes. */
const N = 5;
const X = Array.from({ length: N }, (_, i) => [0, 1, 2, 3].map((k) => 10 * i + k));
const PROBS = randomRows(N, 3, 'tp', 2).map((row) => softmaxRow(row));
const xTensor = () => tf.tensor4d(X.flat(), [N, 2, 1, 2]);

describe('ictMix', () => {
  it('one λ ~ Beta(α, α) then a permutation, from the rng in that order; x and targets are the hand mix', () => {
    const r = ictMix(xTensor(), tf.tensor2d(PROBS), createRng('ict'), { alpha: 0.75 });
    const rng = createRng('ict');
    const lam = Math.fround(rng.beta(0.75, 0.75));
    const perm = Array.from(rng.permutation(N));
    expect(r.lam).toBe(lam);
    expect(Array.from(r.perm)).toEqual(perm);
    expect(r.lam > 0 && r.lam < 1).toBe(true);
    expect(perm.some((p, i) => p !== i)).toBe(true);
    const xs = r.x.arraySync() as number[][][][];
    expect(r.x.shape).toEqual([N, 2, 1, 2]);
    for (let i = 0; i < N; i++) {
      const flat = xs[i].flat(2);
      for (let k = 0; k < 4; k++) expect(flat[k]).toBeCloseTo(lam * X[i][k] + (1 - lam) * X[perm[i]][k], 4);
    }
    const t = r.targets.arraySync() as number[][];
    for (let i = 0; i < N; i++) {
      for (let c = 0; c < 3; c++) expect(t[i][c]).toBeCloseTo(lam * PROBS[i][c] + (1 - lam) * PROBS[perm[i]][c], 6);
      expect(t[i].reduce((a, b) => a + b, 0)).toBeCloseTo(1, 6);
    }
  });

  it('same seed ⇒ same λ and permutation; another seed ⇒ another λ; α defaults to 0.75', () => {
    const a = ictMix(xTensor(), tf.tensor2d(PROBS), createRng(7));
    const b = ictMix(xTensor(), tf.tensor2d(PROBS), createRng(7));
    const c = ictMix(xTensor(), tf.tensor2d(PROBS), createRng(8));
    expect(a.lam).toBe(b.lam);
    expect(Array.from(a.perm)).toEqual(Array.from(b.perm));
    expect(Array.from(a.x.dataSync())).toEqual(Array.from(b.x.dataSync()));
    expect(c.lam).not.toBe(a.lam);
    expect(a.lam).toBe(Math.fround(createRng(7).beta(0.75, 0.75)));
    // λ stays in (0, 1) over many draws.
    const rng = createRng('many');
    for (let i = 0; i < 50; i++) {
      const { lam, x, targets } = ictMix(xTensor(), tf.tensor2d(PROBS), rng);
      expect(lam > 0 && lam < 1).toBe(true);
      x.dispose();
      targets.dispose();
    }
  });

  it('the targets carry no gradient to the teacher probabilities', () => {
    const g = tf.grad((p: tf.Tensor) => tf.sum(ictMix(xTensor(), p as tf.Tensor2D, createRng(1)).targets))(
      tf.tensor2d(PROBS),
    );
    expect(Array.from(g.dataSync()).every((v) => v === 0)).toBe(true);
  });

  it('typed errors: α ≤ 0, x not [N, H, W, C] float32, targets not [N, C]', () => {
    const p = tf.tensor2d(PROBS);
    const rng = createRng(0);
    expect(() => ictMix(xTensor(), p, rng, { alpha: 0 })).toThrow(InvalidArgumentError);
    expect(() => ictMix(xTensor(), p, rng, { alpha: Number.NaN })).toThrow(InvalidArgumentError);
    expect(() => ictMix(tf.zeros([N, 4]) as unknown as tf.Tensor4D, p, rng)).toThrow(ShapeError);
    expect(() => ictMix(tf.zeros([N, 2, 1, 2], 'int32') as tf.Tensor4D, p, rng)).toThrow(ShapeError);
    expect(() => ictMix(xTensor(), tf.tensor2d(PROBS.slice(1)), rng)).toThrow(ShapeError);
    expect(() => ictMix(xTensor(), tf.zeros([N]) as unknown as tf.Tensor2D, rng)).toThrow(ShapeError);
  });

  it('tensor count is flat over 50 calls inside tf.tidy', () => {
    const x = xTensor();
    const p = tf.tensor2d(PROBS);
    const rng = createRng('leak');
    const before = tf.memory().numTensors;
    for (let i = 0; i < 50; i++) tf.tidy(() => void ictMix(x, p, rng));
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('ictLoss', () => {
  it('closed form: uniform predictions against one-hot targets ⇒ ¼; equals the reference on a seeded batch', () => {
    const targets = tf.tensor2d([
      [1, 0],
      [0, 1],
    ]);
    expect(ictLoss(tf.zeros([2, 2]) as tf.Tensor2D, targets).dataSync()[0]).toBeCloseTo(0.25, 7);
    const l = randomRows(12, 5, 'il', 2);
    const t = randomRows(12, 5, 'it', 2).map((row) => softmaxRow(row));
    expect(ictLoss(tf.tensor2d(l), tf.tensor2d(t)).dataSync()[0]).toBeCloseTo(softmaxMseRef(l, t), 7);
  });

  it('shares its formula with meanTeacherLoss: ictLoss(s, softmax(t)) = meanTeacherLoss(s, t)', () => {
    const s = tf.tensor2d(randomRows(6, 4, 'ss', 2));
    const t = tf.tensor2d(randomRows(6, 4, 'st', 2));
    const a = ictLoss(s, tf.softmax(t) as tf.Tensor2D).dataSync()[0];
    expect(a).toBe(meanTeacherLoss(s, t).dataSync()[0]);
  });

  it('gradient: finite differences on mixedLogits; none into mixedTargets', () => {
    const l = randomRows(6, 4, 'gl', 2);
    const t = randomRows(6, 4, 'gt', 2).map((row) => softmaxRow(row));
    const [gl, gt] = tf.grads((a: tf.Tensor, b: tf.Tensor) => ictLoss(a as tf.Tensor2D, b as tf.Tensor2D))([
      tf.tensor2d(l),
      tf.tensor2d(t),
    ]);
    const fd = finiteDiff((x) => softmaxMseRef(x, t), l);
    expect(maxDiff(gl.arraySync() as number[][], fd)).toBeLessThan(1e-6);
    expect(Math.max(...Array.from(gl.dataSync()).map(Math.abs))).toBeGreaterThan(1e-3);
    expect(Array.from(gt.dataSync()).every((v) => v === 0)).toBe(true);
  });

  it('ShapeError for shapes that differ, not rank 2 or empty; flat tensor count over 50 calls', () => {
    const a = tf.zeros([4, 3]) as tf.Tensor2D;
    expect(() => ictLoss(a, tf.zeros([4, 2]) as tf.Tensor2D)).toThrow(ShapeError);
    expect(() => ictLoss(a, tf.zeros([12]) as unknown as tf.Tensor2D)).toThrow(ShapeError);
    expect(() => ictLoss(tf.zeros([0, 3]) as tf.Tensor2D, tf.zeros([0, 3]) as tf.Tensor2D)).toThrow(ShapeError);
    const t = tf.fill([4, 3], 1 / 3) as tf.Tensor2D;
    const before = tf.memory().numTensors;
    for (let i = 0; i < 50; i++) tf.tidy(() => void ictLoss(a, t));
    for (let i = 0; i < 50; i++) ictLoss(a, t).dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});
