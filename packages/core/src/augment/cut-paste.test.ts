import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { InvalidArgumentError, ShapeError } from '../errors.js';
import { createRng } from '../rng.js';
import { cutPaste, cutPasteAt, cutPasteWithMask } from './cut-paste.js';
import { randomImages } from './test-helpers.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('cutPaste', () => {
  it('copies the source patch to the target exactly and leaves other pixels', () => {
    const x = randomImages(2, 6, 7, 2, 'cp');
    const { x: out, mask } = cutPasteAt(x, [
      { sy: 0, sx: 0, ty: 3, tx: 4, h: 2, w: 3 },
      { sy: 4, sx: 5, ty: 0, tx: 0, h: 2, w: 2 },
    ]);
    const xa = x.arraySync();
    const oa = out.arraySync();
    const ma = mask.arraySync();
    for (let y = 0; y < 6; y++) {
      for (let xx = 0; xx < 7; xx++) {
        const in0 = y >= 3 && y < 5 && xx >= 4 && xx < 7;
        expect(oa[0][y][xx]).toEqual(in0 ? xa[0][y - 3][xx - 4] : xa[0][y][xx]);
        expect(ma[0][y][xx][0]).toBe(in0 ? 1 : 0);
        const in1 = y < 2 && xx < 2;
        expect(oa[1][y][xx]).toEqual(in1 ? xa[1][y + 4][xx + 5] : xa[1][y][xx]);
      }
    }
    expect(() =>
      cutPasteAt(x, [
        { sy: 5, sx: 0, ty: 0, tx: 0, h: 2, w: 2 },
        { sy: 0, sx: 0, ty: 0, tx: 0, h: 1, w: 1 },
      ]),
    ).toThrow(InvalidArgumentError);
  });

  it('random patches: area within the range, deterministic, mask matches the changed region', () => {
    const x = randomImages(10, 32, 32, 1, 'cp2');
    const withMask = cutPasteWithMask()(x, createRng(4));
    const plain = cutPaste()(x, createRng(4));
    expect(Array.from(plain.dataSync())).toEqual(Array.from(withMask.x.dataSync()));
    const m = withMask.mask.dataSync();
    const o = withMask.x.dataSync();
    const xd = x.dataSync();
    for (let i = 0; i < 10; i++) {
      let area = 0;
      for (let k = 0; k < 1024; k++) {
        area += m[i * 1024 + k];
        if (!m[i * 1024 + k]) expect(o[i * 1024 + k]).toBe(xd[i * 1024 + k]);
      }
      // 0.02–0.15 of 1024 px, with rounding of the sides
      expect(area).toBeGreaterThanOrEqual(12);
      expect(area).toBeLessThanOrEqual(190);
    }
  });

  it('a patch pasted onto itself changes nothing; a whole-image patch is allowed', () => {
    const x = randomImages(1, 4, 5, 3, 'cp-self');
    const self = cutPasteAt(x, [{ sy: 1, sx: 2, ty: 1, tx: 2, h: 2, w: 3 }]);
    expect(Array.from(self.x.dataSync())).toEqual(Array.from(x.dataSync()));
    expect(tf.sum(self.mask).dataSync()[0]).toBe(6);
    const whole = cutPasteAt(x, [{ sy: 0, sx: 0, ty: 0, tx: 0, h: 4, w: 5 }]);
    expect(tf.sum(whole.mask).dataSync()[0]).toBe(20);
  });

  it('rejects a moves/batch mismatch, out-of-image targets and bad option ranges', () => {
    const x = randomImages(2, 4, 4, 1, 'cp-err');
    expect(() => cutPasteAt(x, [{ sy: 0, sx: 0, ty: 0, tx: 0, h: 1, w: 1 }])).toThrow(ShapeError);
    expect(() =>
      cutPasteAt(x, [
        { sy: 0, sx: 0, ty: 3, tx: 3, h: 2, w: 2 },
        { sy: 0, sx: 0, ty: 0, tx: 0, h: 1, w: 1 },
      ]),
    ).toThrow(InvalidArgumentError);
    expect(() => cutPaste({ area: [0, 0.1] })).toThrow(InvalidArgumentError);
    expect(() => cutPaste({ area: [0.2, 0.1] })).toThrow(InvalidArgumentError);
    expect(() => cutPaste({ area: [0.1, 1.5] })).toThrow(InvalidArgumentError);
    expect(() => cutPasteWithMask({ aspect: [0, 1] })).toThrow(InvalidArgumentError);
    expect(() => cutPasteWithMask({ aspect: [2, 1] })).toThrow(InvalidArgumentError);
  });

  it('memory is flat over repeated calls of cutPaste', () => {
    const x = randomImages(3, 8, 8, 1, 'cp-mem');
    const aug = cutPaste();
    const before = tf.memory().numTensors;
    for (let s = 0; s < 4; s++) aug(x, createRng(s)).dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});
