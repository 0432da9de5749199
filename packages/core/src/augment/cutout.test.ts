import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { createRng } from '../rng.js';
import { cutout, fillBoxes } from './cutout.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('cutout', () => {
  it('fill 0 zeroes exactly side² pixels per image (side = size · 28), the rest untouched', () => {
    const x = tf.ones([6, 28, 28, 1]) as tf.Tensor4D;
    const y = cutout({ size: 0.5, fill: 0 })(x, createRng(1));
    expect(y.shape).toEqual([6, 28, 28, 1]);
    const d = y.dataSync();
    for (let i = 0; i < 6; i++) {
      let zeros = 0;
      let ones = 0;
      for (let k = 0; k < 784; k++) {
        if (d[i * 784 + k] === 0) zeros++;
        if (d[i * 784 + k] === 1) ones++;
      }
      expect(zeros).toBe(14 * 14);
      expect(ones).toBe(784 - 196);
    }
  });

  it('fills all channels with 0.5 by default, is deterministic, boxes differ per image', () => {
    const rng = createRng(2);
    const x = tf.tensor4d(
      Float32Array.from({ length: 4 * 10 * 10 * 3 }, () => rng.uniform()),
      [4, 10, 10, 3],
    );
    const a = cutout({ size: 0.3 })(x, createRng(5));
    const b = cutout({ size: 0.3 })(x, createRng(5));
    expect(Array.from(a.dataSync())).toEqual(Array.from(b.dataSync()));
    const ad = a.dataSync();
    const xd = x.dataSync();
    const where: number[][] = [];
    for (let i = 0; i < 4; i++) {
      const pos: number[] = [];
      for (let p = 0; p < 100; p++) {
        const vals = [0, 1, 2].map((c) => ad[(i * 100 + p) * 3 + c]);
        if (vals.every((v) => v === 0.5)) pos.push(p);
        else for (let c = 0; c < 3; c++) expect(ad[(i * 100 + p) * 3 + c]).toBe(xd[(i * 100 + p) * 3 + c]);
      }
      expect(pos.length).toBe(9);
      where.push(pos);
    }
    expect(new Set(where.map((p) => p[0])).size).toBeGreaterThan(1);
  });

  it('inside: false clips squares at the border (at most side² pixels); fillBoxes is exact', () => {
    const x = tf.ones([50, 8, 8, 1]) as tf.Tensor4D;
    const d = cutout({ size: 0.5, fill: 0, inside: false })(x, createRng(3)).dataSync();
    let clipped = 0;
    for (let i = 0; i < 50; i++) {
      let z = 0;
      for (let k = 0; k < 64; k++) if (d[i * 64 + k] === 0) z++;
      expect(z).toBeLessThanOrEqual(16);
      expect(z).toBeGreaterThan(0);
      if (z < 16) clipped++;
    }
    expect(clipped).toBeGreaterThan(0);
    const f = fillBoxes(tf.ones([1, 3, 3, 1]) as tf.Tensor4D, [{ y0: -1, y1: 1, x0: 1, x1: 9 }], 0.25).dataSync();
    expect(Array.from(f)).toEqual([1, 0.25, 0.25, 1, 1, 1, 1, 1, 1]);
  });
});
