import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { InvalidArgumentError, ShapeError } from '../errors.js';
import { createRng } from '../rng.js';
import { applyGrouped, checkBatch, checkProb, normals, perImage, pick, selectImages } from './per-image.js';
import { randomImages } from './test-helpers.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('checkBatch / checkProb', () => {
  it('accepts a float32 NHWC batch and rejects other ranks and dtypes', () => {
    expect(() => checkBatch(tf.zeros([1, 2, 2, 1]), 'w')).not.toThrow();
    expect(() => checkBatch(tf.zeros([2, 2, 1]), 'w')).toThrow(ShapeError);
    expect(() => checkBatch(tf.zeros([1, 2, 2, 1], 'int32'), 'w')).toThrow(ShapeError);
  });

  it('accepts [0, 1] and rejects values outside and NaN', () => {
    for (const p of [0, 0.5, 1]) expect(() => checkProb(p, 'p')).not.toThrow();
    for (const p of [-0.01, 1.01, Number.NaN]) expect(() => checkProb(p, 'p')).toThrow(InvalidArgumentError);
  });
});

describe('perImage / selectImages', () => {
  it('perImage is a [B, 1, 1, 1] tensor that scales image i by values[i]', () => {
    const s = perImage([2, 3]);
    expect(s.shape).toEqual([2, 1, 1, 1]);
    const out = tf.mul(s, tf.ones([2, 2, 2, 1])).dataSync();
    expect(Array.from(out)).toEqual([2, 2, 2, 2, 3, 3, 3, 3]);
  });

  it('selectImages picks whole images of b where the mask is set, matching a loop', () => {
    const a = randomImages(5, 3, 3, 2, 'sel-a');
    const b = randomImages(5, 3, 3, 2, 'sel-b');
    const mask = [true, 0, 1, false, true];
    const out = selectImages(mask, a, b).arraySync();
    const aa = a.arraySync();
    const ba = b.arraySync();
    for (let i = 0; i < 5; i++) expect(out[i]).toEqual(mask[i] ? ba[i] : aa[i]);
  });
});

describe('applyGrouped', () => {
  it('equals applying fns[assign[i]] to each image in a loop, calls each fn once with its positions', () => {
    const x = randomImages(6, 2, 2, 1, 'grp');
    const assign = [1, 0, 2, 1, 1, 0];
    const calls: number[][] = [];
    const fns = [0, 1, 2].map((j) => (sub: tf.Tensor4D, pos: Int32Array) => {
      calls.push([j, ...pos]);
      return tf.add(tf.mul(sub, j + 1), j) as tf.Tensor4D;
    });
    const out = applyGrouped(x, assign, fns).arraySync();
    const xa = x.arraySync();
    for (let i = 0; i < 6; i++) {
      const j = assign[i];
      for (let r = 0; r < 2; r++) {
        for (let c = 0; c < 2; c++) expect(out[i][r][c][0]).toBeCloseTo(xa[i][r][c][0] * (j + 1) + j, 6);
      }
    }
    expect(calls).toEqual([
      [0, 1, 5],
      [1, 0, 3, 4],
      [2, 2],
    ]);
  });

  it('a single group covering the batch gets the batch itself; memory is flat inside tidy', () => {
    const x = randomImages(3, 2, 2, 1, 'grp1');
    let seen: tf.Tensor4D | null = null;
    const out = applyGrouped(
      x,
      [1, 1, 1],
      [
        (s) => s,
        (s) => {
          seen = s;
          return tf.neg(s) as tf.Tensor4D;
        },
      ],
    );
    expect(seen).toBe(x);
    out.dispose();
    const before = tf.memory().numTensors;
    for (let k = 0; k < 3; k++) {
      tf.tidy(() => applyGrouped(x, [0, 1, 0], [(s) => tf.mul(s, 2) as tf.Tensor4D, (s) => s])).dispose();
    }
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('normals / pick', () => {
  it('normals draws n values from rng.normal in order; pick gathers by position', () => {
    const a = normals(createRng(7), 4);
    const rng = createRng(7);
    expect(Array.from(a)).toEqual(
      Array.from(Float32Array.from([rng.normal(), rng.normal(), rng.normal(), rng.normal()])),
    );
    expect(Array.from(pick(Float32Array.from([10, 20, 30]), Int32Array.from([2, 0, 2])))).toEqual([30, 10, 30]);
  });
});
