import '@tensorflow/tfjs-backend-cpu';
import { ShapeError } from '@ft/core';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { finiteDiff, maxDiff, randomRows } from '../regularisers/test-reference.js';
import { meanTeacherLoss } from './mean-teacher.js';
import { softmaxMseRef, softmaxRow } from './test-reference.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('meanTeacherLoss', () => {
  it('closed form: softmax rows (½, ½), (¾, ¼) against (¾, ¼), (½, ½) differ by ¼ everywhere ⇒ 1/16', () => {
    const student = tf.tensor2d([
      [0, 0],
      [Math.log(3), 0],
    ]);
    const teacher = tf.tensor2d([
      [Math.log(3), 0],
      [0, 0],
    ]);
    expect(meanTeacherLoss(student, teacher).dataSync()[0]).toBeCloseTo(1 / 16, 7);
    expect(meanTeacherLoss(teacher, teacher).dataSync()[0]).toBe(0);
  });

  it('matches the float64 reference: mean over all N·C elements', () => {
    const s = randomRows(16, 7, 'ms', 2);
    const t = randomRows(16, 7, 'mt', 2);
    const ref = softmaxMseRef(
      s,
      t.map((row) => softmaxRow(row)),
    );
    expect(meanTeacherLoss(tf.tensor2d(s), tf.tensor2d(t)).dataSync()[0]).toBeCloseTo(ref, 7);
  });

  it('gradient: finite differences on the student logits; none into the teacher logits', () => {
    const s = randomRows(6, 4, 'gs', 2);
    const t = randomRows(6, 4, 'gt', 2);
    const tp = t.map((row) => softmaxRow(row));
    const [gs, gt] = tf.grads((a: tf.Tensor, b: tf.Tensor) => meanTeacherLoss(a as tf.Tensor2D, b as tf.Tensor2D))([
      tf.tensor2d(s),
      tf.tensor2d(t),
    ]);
    const fd = finiteDiff((x) => softmaxMseRef(x, tp), s);
    expect(maxDiff(gs.arraySync() as number[][], fd)).toBeLessThan(1e-6);
    expect(Math.max(...Array.from(gs.dataSync()).map(Math.abs))).toBeGreaterThan(1e-3);
    expect(Array.from(gt.dataSync()).every((v) => v === 0)).toBe(true);
  });

  it('ShapeError for shapes that differ, not rank 2 or empty', () => {
    const a = tf.zeros([4, 3]) as tf.Tensor2D;
    expect(() => meanTeacherLoss(a, tf.zeros([4, 2]) as tf.Tensor2D)).toThrow(ShapeError);
    expect(() => meanTeacherLoss(a, tf.zeros([5, 3]) as tf.Tensor2D)).toThrow(ShapeError);
    expect(() => meanTeacherLoss(tf.zeros([3]) as unknown as tf.Tensor2D, a)).toThrow(ShapeError);
    expect(() => meanTeacherLoss(tf.zeros([0, 3]) as tf.Tensor2D, tf.zeros([0, 3]) as tf.Tensor2D)).toThrow(
      /studentLogits must be a non-empty \[N, C\]/,
    );
  });

  it('tensor count is flat over 50 calls inside tf.tidy', () => {
    const s = tf.tensor2d(randomRows(4, 3, 'ls'));
    const t = tf.tensor2d(randomRows(4, 3, 'lt'));
    const before = tf.memory().numTensors;
    for (let i = 0; i < 50; i++) tf.tidy(() => void meanTeacherLoss(s, t));
    for (let i = 0; i < 50; i++) meanTeacherLoss(s, t).dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});
