import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { createRng } from '../rng.js';
import { gaussianNoise, hflip, padCrop, padCropAt } from './weak.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

/** Batch [b, h, w, c] with distinct values v = (index+1)/(size+1) in (0, 1). */
function ramp(b: number, h: number, w: number, c = 1): tf.Tensor4D {
  const n = b * h * w * c;
  return tf.tensor4d(
    Float32Array.from({ length: n }, (_, i) => (i + 1) / (n + 1)),
    [b, h, w, c],
  );
}

describe('padCrop', () => {
  it('offset (pad, pad) is the identity; (0, 0) shifts content down-right by pad with zeros', () => {
    const x = ramp(2, 5, 6, 2);
    const id = padCropAt(x, [2, 2, 2, 2], { pad: 2 });
    expect(Array.from(id.dataSync())).toEqual(Array.from(x.dataSync()));
    const sh = padCropAt(x, [0, 0, 2, 2], { pad: 2 }).arraySync();
    const xa = x.arraySync();
    for (let y = 0; y < 5; y++) {
      for (let xx = 0; xx < 6; xx++) {
        const expected = y >= 2 && xx >= 2 ? xa[0][y - 2][xx - 2] : [0, 0];
        expect(sh[0][y][xx]).toEqual(expected);
      }
    }
    expect(sh[1]).toEqual(xa[1]);
  });

  it("reflect mode mirrors without repeating the edge (tf.pad 'REFLECT')", () => {
    const x = tf.tensor4d([0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9], [1, 3, 3, 1]);
    // offset (0, 0) with pad 1: output(y, x) = padded(y, x), padded row −1 = row 1, column −1 = column 1
    const out = padCropAt(x, [0, 0], { pad: 1, mode: 'reflect' });
    expect(Array.from(out.dataSync(), (v) => Math.round(v * 10))).toEqual([5, 4, 5, 2, 1, 2, 5, 4, 5]);
  });

  it('draws integer shifts in [−pad, pad] per image, deterministically from the rng', () => {
    const x = ramp(64, 6, 6);
    const a = padCrop({ pad: 2 })(x, createRng(1));
    const b = padCrop({ pad: 2 })(x, createRng(1));
    expect(Array.from(a.dataSync())).toEqual(Array.from(b.dataSync()));
    expect(a.shape).toEqual([64, 6, 6, 1]);
    const c = padCrop({ pad: 2 })(x, createRng(2));
    expect(Array.from(c.dataSync())).not.toEqual(Array.from(a.dataSync()));
    // every output pixel is 0 or an input value (pure translation)
    const inVals = new Set(x.dataSync());
    for (const v of a.dataSync()) expect(v === 0 || inVals.has(v)).toBe(true);
  });
});

describe('hflip', () => {
  it('p = 1 twice is the identity, p = 0 is the identity, p = 1 mirrors columns', () => {
    const x = ramp(3, 2, 4, 3);
    const f = hflip({ p: 1 });
    const once = f(x, createRng(0));
    const twice = f(once, createRng(0));
    expect(Array.from(twice.dataSync())).toEqual(Array.from(x.dataSync()));
    expect(once.arraySync()[1][0][0]).toEqual(x.arraySync()[1][0][3]);
    expect(Array.from(hflip({ p: 0 })(x, createRng(0)).dataSync())).toEqual(Array.from(x.dataSync()));
  });

  it('p = 0.5 flips a deterministic per-image subset', () => {
    const x = ramp(40, 2, 3);
    const a = hflip()(x, createRng(7));
    expect(Array.from(a.dataSync())).toEqual(Array.from(hflip()(x, createRng(7)).dataSync()));
    const xa = x.arraySync();
    const aa = a.arraySync();
    const flipped = aa.filter((img, i) => img[0][0][0] === xa[i][0][2][0]).length;
    expect(flipped).toBeGreaterThan(8);
    expect(flipped).toBeLessThan(32);
  });
});

describe('gaussianNoise', () => {
  it('adds N(0, σ²) noise, clips to [0, 1], is deterministic; σ = 0 is the identity', () => {
    const x = tf.fill([8, 16, 16, 1], 0.5) as tf.Tensor4D;
    const y = gaussianNoise({ std: 0.05 })(x, createRng(3));
    const d = Array.from(y.dataSync(), (v) => v - 0.5);
    const mean = d.reduce((a, b) => a + b, 0) / d.length;
    const sd = Math.sqrt(d.reduce((a, b) => a + (b - mean) ** 2, 0) / d.length);
    expect(Math.abs(mean)).toBeLessThan(0.005);
    expect(sd).toBeGreaterThan(0.047);
    expect(sd).toBeLessThan(0.053);
    expect(Array.from(gaussianNoise({ std: 0.05 })(x, createRng(3)).dataSync())).toEqual(Array.from(y.dataSync()));
    const big = gaussianNoise({ std: 2 })(x, createRng(4)).dataSync();
    expect(Math.min(...big)).toBe(0);
    expect(Math.max(...big)).toBe(1);
    expect(Array.from(gaussianNoise({ std: 0 })(x, createRng(4)).dataSync())).toEqual(Array.from(x.dataSync()));
  });
});
