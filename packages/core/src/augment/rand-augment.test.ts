import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { createRng } from '../rng.js';
import { applyRandAugmentOp, RAND_AUGMENT_OPS, randAugmentLite } from './rand-augment.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

/** Greyscale batch: a bright square on a dark background plus a gradient, 8-bit quantised. */
function images(b: number, h = 12, w = 12, c = 1): tf.Tensor4D {
  const rng = createRng('img');
  const v = new Float32Array(b * h * w * c);
  for (let i = 0; i < b; i++) {
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        for (let ch = 0; ch < c; ch++) {
          const sq = y >= 3 && y < 8 && x >= 4 && x < 9 ? 0.6 : 0;
          v[((i * h + y) * w + x) * c + ch] = Math.round(255 * (0.1 + sq + 0.2 * rng.uniform())) / 255;
        }
      }
    }
  }
  return tf.tensor4d(v, [b, h, w, c]);
}

const same = (a: tf.Tensor, b: tf.Tensor) => expect(Array.from(a.dataSync())).toEqual(Array.from(b.dataSync()));

describe('RandAugment ops', () => {
  const x = images(3);
  const zeros = [0, 0, 0];
  const plus = [1, 1, 1];

  it('magnitude 0 is the identity for every op except autocontrast (8-bit data)', () => {
    for (const op of RAND_AUGMENT_OPS) {
      if (op === 'autocontrast') continue;
      const y = applyRandAugmentOp(op, x, zeros, plus);
      const a = y.dataSync();
      const b = x.dataSync();
      for (let k = 0; k < a.length; k++) expect(a[k]).toBeCloseTo(b[k], 6);
    }
  });

  it('every op keeps shape and the [0, 1] range for all magnitudes', () => {
    for (const op of RAND_AUGMENT_OPS) {
      for (const m of [0.3, 0.99]) {
        for (const s of [-1, 1]) {
          const y = applyRandAugmentOp(op, x, [m, m, m], [s, s, s]);
          expect(y.shape).toEqual(x.shape);
          for (const v of y.dataSync()) {
            expect(v).toBeGreaterThanOrEqual(0);
            expect(v).toBeLessThanOrEqual(1 + 1e-6);
          }
        }
      }
    }
  });

  it('closed forms: brightness, contrast, solarize, posterize, autocontrast, translate', () => {
    const xd = x.dataSync();
    const n = 144;
    // brightness: factor 1 + 0.9·0.5 = 1.45
    const br = applyRandAugmentOp('brightness', x, [0.5, 0.5, 0.5], plus).dataSync();
    for (let k = 0; k < xd.length; k++) expect(br[k]).toBeCloseTo(Math.min(1, 1.45 * xd[k]), 5);
    // contrast: factor 1 − 0.9·0.5 = 0.55 around the image mean
    const ct = applyRandAugmentOp('contrast', x, [0.5, 0.5, 0.5], [-1, -1, -1]).dataSync();
    for (let i = 0; i < 3; i++) {
      const mean = Array.from(xd.slice(i * n, (i + 1) * n)).reduce((a, b) => a + b, 0) / n;
      for (let k = i * n; k < (i + 1) * n; k++) expect(ct[k]).toBeCloseTo(mean + 0.55 * (xd[k] - mean), 5);
    }
    // solarize with m = 0.4: values above 0.6 are inverted
    const so = applyRandAugmentOp('solarize', x, [0.4, 0.4, 0.4], plus).dataSync();
    for (let k = 0; k < xd.length; k++) expect(so[k]).toBeCloseTo(xd[k] > 0.6 ? 1 - xd[k] : xd[k], 6);
    // posterize m = 0.99 → 4 bits: multiples of 16/255
    const po = applyRandAugmentOp('posterize', x, [0.99, 0.99, 0.99], plus).dataSync();
    for (let k = 0; k < xd.length; k++) {
      expect(po[k]).toBeCloseTo((Math.floor(Math.round(xd[k] * 255) / 16) * 16) / 255, 6);
    }
    // autocontrast stretches every image to [0, 1]
    const ac = applyRandAugmentOp('autocontrast', x, zeros, plus).dataSync();
    for (let i = 0; i < 3; i++) {
      const img = Array.from(ac.slice(i * n, (i + 1) * n));
      expect(Math.min(...img)).toBeCloseTo(0, 6);
      expect(Math.max(...img)).toBeCloseTo(1, 6);
    }
    // translateX by round(0.3·0.5·12) = 2 pixels to the right, zeros enter on the left
    const tr = applyRandAugmentOp('translateX', x, [0.5, 0.5, 0.5], plus).arraySync();
    const xa = x.arraySync();
    for (let y = 0; y < 12; y++) {
      expect(tr[0][y][0]).toEqual([0]);
      expect(tr[0][y][5]).toEqual(xa[0][y][3]);
    }
  });

  it('sharpness factor 0 gives the PIL SMOOTH filter inside and leaves the border', () => {
    const sm = applyRandAugmentOp('sharpness', x, [1 / 0.9, 1 / 0.9, 1 / 0.9], [-1, -1, -1]).arraySync()[0];
    const xa = x.arraySync()[0];
    expect(sm[0][0][0]).toBeCloseTo(xa[0][0][0], 6);
    let acc = 0;
    for (let dy = -1; dy <= 1; dy++)
      for (let dx = -1; dx <= 1; dx++) acc += (dy === 0 && dx === 0 ? 5 : 1) * xa[5 + dy][5 + dx][0];
    expect(sm[5][5][0]).toBeCloseTo(acc / 13, 5);
  });

  it('works on RGB and on sub-batches (per-image parameters differ)', () => {
    const rgb = images(2, 8, 8, 3);
    const y = applyRandAugmentOp('rotate', rgb, [0, 0.9], [1, -1]);
    same(tf.slice(y, [0, 0, 0, 0], [1, 8, 8, 3]), tf.slice(rgb, [0, 0, 0, 0], [1, 8, 8, 3]));
    expect(Array.from(tf.slice(y, [1, 0, 0, 0], [1, 8, 8, 3]).dataSync())).not.toEqual(
      Array.from(tf.slice(rgb, [1, 0, 0, 0], [1, 8, 8, 3]).dataSync()),
    );
  });
});

describe('randAugmentLite', () => {
  it('is deterministic per op and for the full pool; different seeds differ; n = 0 is the identity', () => {
    const x = images(16);
    for (const op of RAND_AUGMENT_OPS) {
      const aug = randAugmentLite({ n: 2, ops: [op] });
      same(aug(x, createRng(op)), aug(x, createRng(op)));
    }
    const aug = randAugmentLite();
    const a = aug(x, createRng(1));
    same(a, aug(x, createRng(1)));
    expect(Array.from(a.dataSync())).not.toEqual(Array.from(aug(x, createRng(2)).dataSync()));
    same(randAugmentLite({ n: 0 })(x, createRng(1)), x);
    expect(() => randAugmentLite({ ops: ['bogus' as never] })).toThrow(/unknown op bogus/);
  });

  it('does not leak tensors', () => {
    const x = images(8);
    const before = tf.memory().numTensors;
    const y = randAugmentLite({ n: 3 })(x, createRng(3));
    expect(tf.memory().numTensors).toBe(before + 1);
    y.dispose();
  });
});
