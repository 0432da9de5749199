import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { createRng } from '../rng.js';
import { type AffineRow, affineWarp, IDENTITY_ROW, rotateRow, shearXRow, translateRow } from './affine.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

function randomImages(b: number, h: number, w: number, c: number, seed = 0): tf.Tensor4D {
  const rng = createRng(seed);
  return tf.tensor4d(
    Float32Array.from({ length: b * h * w * c }, () => rng.uniform()),
    [b, h, w, c],
  );
}

describe('affineWarp', () => {
  it('matches tf.image.transform image by image (batch of 1, where the cpu kernel is correct)', () => {
    const x = randomImages(3, 7, 9, 2);
    const rows: AffineRow[] = [
      rotateRow(0.4, 7, 9),
      shearXRow(-0.25, 7),
      [1.1, 0.2, -0.7, -0.1, 0.9, 0.4, 0.01, -0.02],
    ];
    for (const interpolation of ['nearest', 'bilinear'] as const) {
      const ours = affineWarp(x, rows, { interpolation, fill: 0.3 });
      for (let i = 0; i < 3; i++) {
        const ref = tf.image.transform(
          tf.slice(x, [i, 0, 0, 0], [1, 7, 9, 2]),
          tf.tensor2d(rows[i], [1, 8]),
          interpolation,
          'constant',
          0.3,
        );
        const a = tf.slice(ours, [i, 0, 0, 0], [1, 7, 9, 2]).dataSync();
        const r = ref.dataSync();
        for (let k = 0; k < a.length; k++) expect(a[k]).toBeCloseTo(r[k], 5);
      }
    }
  });

  it('identity and integer translations are exact; output shape can differ', () => {
    const x = randomImages(2, 4, 5, 1, 1);
    const id = affineWarp(x, [IDENTITY_ROW, IDENTITY_ROW]);
    expect(Array.from(id.dataSync())).toEqual(Array.from(x.dataSync()));
    const t = affineWarp(x, [translateRow(1, 2), translateRow(-1, 0)], { fill: 0 }).arraySync();
    const xa = x.arraySync();
    expect(t[0][2][1]).toEqual(xa[0][0][0]);
    expect(t[0][0][0]).toEqual([0]);
    expect(t[1][3][0]).toEqual(xa[1][3][1]);
    expect(t[1][3][4]).toEqual([0]);
    const crop = affineWarp(x, [translateRow(-1, -1), IDENTITY_ROW], { outputShape: [2, 2] });
    expect(crop.shape).toEqual([2, 2, 2, 1]);
    expect(crop.arraySync()[0][0][0]).toEqual(xa[0][1][1]);
  });

  it('rotation by 90° about the centre of a square image permutes pixels exactly', () => {
    const x = randomImages(1, 5, 5, 1, 2);
    const r = affineWarp(x, [rotateRow(Math.PI / 2, 5, 5)], { interpolation: 'nearest' }).arraySync()[0];
    const xa = x.arraySync()[0];
    // row: [cos, −sin, …] = [0, −1, 4, 1, 0, 0]: output(x, y) samples input(4 − y, x)
    for (let y = 0; y < 5; y++) for (let xx = 0; xx < 5; xx++) expect(r[y][xx]).toEqual(xa[xx][4 - y]);
  });
});
