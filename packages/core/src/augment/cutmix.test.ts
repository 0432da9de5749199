import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { ShapeError } from '../errors.js';
import { createRng } from '../rng.js';
import { cutmix, cutmixWith } from './cutmix.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('cutmix', () => {
  it('λ equals the fraction of pixels that kept their own value', () => {
    // image i is constant i + 1 (distinct), so pasted pixels are recognisable
    const b = 8;
    const x = tf.tensor4d(
      Float32Array.from({ length: b * 10 * 12 }, (_, k) => Math.floor(k / 120) + 1),
      [b, 10, 12, 1],
    );
    const y = tf.tensor1d([0, 1, 2, 3, 0, 1, 2, 3], 'int32');
    const r = cutmix({ alpha: 1, numClasses: 4 })(x, y, createRng(11));
    const d = r.x.dataSync();
    let someMixed = false;
    for (let i = 0; i < b; i++) {
      let own = 0;
      for (let k = 0; k < 120; k++) {
        const v = d[i * 120 + k];
        if (v === i + 1) own++;
        else expect(v).toBe(r.index[i] + 1);
      }
      if (r.index[i] !== i) {
        expect(r.lam[i]).toBeCloseTo(own / 120, 6);
        if (own < 120) someMixed = true;
      }
    }
    expect(someMixed).toBe(true);
    const yd = r.y!.arraySync();
    for (let i = 0; i < b; i++) {
      const e = [0, 0, 0, 0];
      e[i % 4] += r.lam[i];
      e[r.index[i] % 4] += 1 - r.lam[i];
      for (let k = 0; k < 4; k++) expect(yd[i][k]).toBeCloseTo(e[k], 6);
    }
    const again = cutmix({ alpha: 1, numClasses: 4 })(x, y, createRng(11));
    expect(Array.from(again.x.dataSync())).toEqual(Array.from(d));
  });

  it('cutmixWith clips boxes and recomputes λ from the clipped area', () => {
    const x = tf.tensor4d([1, 1, 1, 1, 2, 2, 2, 2], [2, 2, 2, 1]);
    const r = cutmixWith(
      x,
      null,
      [
        { y0: -3, y1: 1, x0: 1, x1: 5 },
        { y0: 0, y1: 0, x0: 0, x1: 2 },
      ],
      Int32Array.from([1, 0]),
    );
    expect(Array.from(r.x.dataSync())).toEqual([1, 2, 1, 1, 2, 2, 2, 2]);
    expect(Array.from(r.lam)).toEqual([0.75, 1]);
  });

  it('perBatch: one box for all images, so every λ is equal and equals the pasted fraction', () => {
    const b = 6;
    const x = tf.tensor4d(
      Float32Array.from({ length: b * 8 * 8 }, (_, k) => Math.floor(k / 64) + 1),
      [b, 8, 8, 1],
    );
    const r = cutmix({ alpha: 1, perBatch: true })(x, null, createRng(3));
    expect(new Set(r.lam).size).toBe(1);
    expect(r.y).toBeNull();
    const d = r.x.dataSync();
    for (let i = 0; i < b; i++) {
      if (r.index[i] === i) continue;
      let own = 0;
      for (let k = 0; k < 64; k++) if (d[i * 64 + k] === i + 1) own++;
      expect(r.lam[i]).toBeCloseTo(own / 64, 6);
    }
  });

  it('α = 0 pastes nothing (λ = 1, images unchanged), and bad boxes/index lengths throw', () => {
    const x = tf.tensor4d(
      Float32Array.from({ length: 3 * 4 * 4 }, (_, k) => k),
      [3, 4, 4, 1],
    );
    const r = cutmix({ alpha: 0 })(x, null, createRng(1));
    expect(Array.from(r.lam)).toEqual([1, 1, 1]);
    expect(Array.from(r.x.dataSync())).toEqual(Array.from(x.dataSync()));
    expect(() => cutmixWith(x, null, [], Int32Array.from([0, 1, 2]))).toThrow(ShapeError);
  });

  it('soft targets mix by λ; no tensors leak across repeated calls', () => {
    const x = tf.ones([4, 6, 6, 1]) as tf.Tensor4D;
    const y = tf.tensor2d([1, 0, 0, 1, 1, 0, 0, 1], [4, 2]);
    const before = tf.memory().numTensors;
    for (let s = 0; s < 3; s++) {
      const r = cutmix()(x, y, createRng(s));
      const yd = r.y!.arraySync();
      for (let i = 0; i < 4; i++) {
        const own = i % 2;
        const other = r.index[i] % 2;
        const e = [0, 0];
        e[own] += r.lam[i];
        e[other] += 1 - r.lam[i];
        expect(yd[i][0]).toBeCloseTo(e[0], 6);
        expect(yd[i][1]).toBeCloseTo(e[1], 6);
      }
      tf.dispose([r.x, r.y!]);
    }
    expect(tf.memory().numTensors).toBe(before);
  });
});
