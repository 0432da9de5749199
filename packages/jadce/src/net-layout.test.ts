import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { realify } from './complex-tensor.js';
import { type CArray, carray, cmatmul } from './host-complex.js';
import {
  applyRealified,
  colMean,
  colSum,
  fromNetLayout,
  groupNorms2,
  sampleNorms2,
  scaleGroups,
  scaleSamples,
  toNetLayout,
} from './net-layout.js';
import { cmatToTensor, randomCMat } from './test-helpers.js';

let startTensors = 0;
beforeAll(async () => {
  await tf.setBackend('cpu');
  startTensors = tf.memory().numTensors;
});
afterAll(() => {
  expect(tf.memory().numTensors).toBe(startTensors);
});

/** A seeded batch [B, rows, c] of float32-representable complex values. */
function batch(B: number, rows: number, c: number, seed: number): CArray {
  const z = carray([B, rows, c]);
  const m = randomCMat(B * rows, c, seed, true);
  z.re.set(m.re);
  z.im.set(m.im);
  return z;
}

describe('network layout [2·rows, B, c]', () => {
  const B = 3;
  const N = 4;
  const c = 2;
  const z = batch(B, N, c, 1);

  it('packs Re/Im on the first axis and round-trips exactly', () => {
    tf.tidy(() => {
      const t = toNetLayout(z);
      expect(t.shape).toEqual([2 * N, B, c]);
      const v = t.arraySync();
      // element (b = 2, row 1, col 1): Re at [1][2][1], Im at [N + 1][2][1]
      expect(v[1][2][1]).toBe(z.re[(2 * N + 1) * c + 1]);
      expect(v[N + 1][2][1]).toBe(z.im[(2 * N + 1) * c + 1]);
      const back = fromNetLayout(t);
      expect(back.shape).toEqual([B, N, c]);
      expect(back.re).toEqual(z.re);
      expect(back.im).toEqual(z.im);
    });
  });

  it('applyRealified(realify(A), Z) is A·Z_b for every realisation b', () => {
    const A = randomCMat(5, N, 2, true);
    tf.tidy(() => {
      const out = fromNetLayout(applyRealified(realify(cmatToTensor(A)) as tf.Tensor2D, toNetLayout(z)));
      for (let b = 0; b < B; b++) {
        const zb = {
          rows: N,
          cols: c,
          re: z.re.subarray(b * N * c, (b + 1) * N * c),
          im: z.im.subarray(b * N * c, (b + 1) * N * c),
        };
        const ref = cmatmul(A, zb);
        for (let i = 0; i < 5 * c; i++) {
          expect(out.re[b * 5 * c + i]).toBeCloseTo(ref.re[i], 4);
          expect(out.im[b * 5 * c + i]).toBeCloseTo(ref.im[i], 4);
        }
      }
    });
  });

  it('group norms, sample norms, column sums and means match host sums', () => {
    tf.tidy(() => {
      const t = toNetLayout(z);
      const g = groupNorms2(t).arraySync();
      const s = sampleNorms2(t).arraySync();
      for (let b = 0; b < B; b++) {
        let total = 0;
        for (let n = 0; n < N; n++) {
          let e = 0;
          for (let k = 0; k < c; k++) {
            const i = (b * N + n) * c + k;
            e += z.re[i] ** 2 + z.im[i] ** 2;
          }
          expect(g[n][b]).toBeCloseTo(e, 4);
          total += e;
        }
        expect(s[b]).toBeCloseTo(total, 4);
      }
      const x = tf.tensor2d([
        [1, 2],
        [3, 4],
        [5, 9],
      ]);
      expect(Array.from(colSum(x).dataSync())).toEqual([9, 15]);
      const mean = colMean(x).dataSync();
      expect(mean[0]).toBeCloseTo(3, 6);
      expect(mean[1]).toBeCloseTo(5, 6);
    });
  });

  it('scaleGroups scales device n of realisation b (Re and Im); scaleSamples scales realisation b', () => {
    tf.tidy(() => {
      const t = toNetLayout(z);
      const f = tf.tensor2d(
        Array.from({ length: N * B }, (_, i) => i + 1),
        [N, B],
      );
      const fv = f.arraySync();
      const scaled = fromNetLayout(scaleGroups(t, f));
      const w = tf.tensor1d([2, -1, 0.5]);
      const bySample = fromNetLayout(scaleSamples(t, w));
      for (let b = 0; b < B; b++) {
        for (let n = 0; n < N; n++) {
          for (let k = 0; k < c; k++) {
            const i = (b * N + n) * c + k;
            expect(scaled.re[i]).toBeCloseTo(z.re[i] * fv[n][b], 4);
            expect(scaled.im[i]).toBeCloseTo(z.im[i] * fv[n][b], 4);
            expect(bySample.re[i]).toBeCloseTo(z.re[i] * [2, -1, 0.5][b], 5);
          }
        }
      }
    });
  });
});
