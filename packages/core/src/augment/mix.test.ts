import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '../errors.js';
import { createRng } from '../rng.js';
import { augmixLite } from './augmix.js';
import { cutPaste, cutPasteAt, cutPasteWithMask } from './cut-paste.js';
import { cutmix, cutmixWith } from './cutmix.js';
import { mixup } from './mixup.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

function randomImages(b: number, h: number, w: number, c: number, seed: string | number): tf.Tensor4D {
  const rng = createRng(seed);
  return tf.tensor4d(
    Float32Array.from({ length: b * h * w * c }, () => rng.uniform()),
    [b, h, w, c],
  );
}

describe('mixup', () => {
  it('x = λ·a + (1 − λ)·b with b the partner, soft labels likewise; deterministic', () => {
    const x = randomImages(6, 4, 4, 2, 'mixup');
    const y = tf.tensor1d([0, 1, 2, 0, 1, 2], 'int32');
    const r = mixup({ alpha: 0.75, numClasses: 3 })(x, y, createRng(9));
    const xd = x.dataSync();
    const md = r.x.dataSync();
    const per = 32;
    for (let i = 0; i < 6; i++) {
      const l = r.lam[i];
      expect(l).toBeGreaterThan(0);
      expect(l).toBeLessThan(1);
      for (let k = 0; k < per; k++) {
        expect(md[i * per + k]).toBeCloseTo(l * xd[i * per + k] + (1 - l) * xd[r.index[i] * per + k], 6);
      }
    }
    expect(Array.from(r.index).sort()).toEqual([0, 1, 2, 3, 4, 5]);
    const yd = r.y!.arraySync();
    const labels = [0, 1, 2, 0, 1, 2];
    for (let i = 0; i < 6; i++) {
      const expected = [0, 0, 0];
      expected[labels[i]] += r.lam[i];
      expected[labels[r.index[i]]] += 1 - r.lam[i];
      for (let k = 0; k < 3; k++) expect(yd[i][k]).toBeCloseTo(expected[k], 6);
    }
    const again = mixup({ alpha: 0.75, numClasses: 3 })(x, y, createRng(9));
    expect(Array.from(again.x.dataSync())).toEqual(Array.from(md));
    expect(again.lam).toEqual(r.lam);
  });

  it('perBatch shares λ, maxLam keeps λ ≥ 0.5, α = 0 disables, soft targets and null labels are accepted', () => {
    const x = randomImages(5, 2, 2, 1, 'm2');
    const pb = mixup({ alpha: 1, perBatch: true })(x, null, createRng(1));
    expect(new Set(pb.lam).size).toBe(1);
    expect(pb.y).toBeNull();
    const mx = mixup({ alpha: 0.5, maxLam: true })(x, null, createRng(2));
    for (const l of mx.lam) expect(l).toBeGreaterThanOrEqual(0.5);
    const off = mixup({ alpha: 0 })(x, null, createRng(3));
    expect(Array.from(off.x.dataSync())).toEqual(Array.from(x.dataSync()));
    const soft = tf.tensor2d([1, 0, 0, 1, 0.5, 0.5, 1, 0, 0, 1], [5, 2]);
    const s = mixup({ alpha: 1 })(x, soft, createRng(4));
    for (const row of s.y!.arraySync()) expect(row[0] + row[1]).toBeCloseTo(1, 6);
    expect(() => mixup()(x, tf.tensor1d([0, 1, 0, 1, 0], 'int32'), createRng(0))).toThrow(InvalidArgumentError);
  });
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
});

describe('augmixLite', () => {
  it('keeps shape and range, is deterministic, differs from the input; fixed depth works', () => {
    const x = randomImages(6, 10, 10, 1, 'augmix');
    const a = augmixLite()(x, createRng(5));
    expect(a.shape).toEqual(x.shape);
    for (const v of a.dataSync()) {
      expect(v).toBeGreaterThanOrEqual(0);
      expect(v).toBeLessThanOrEqual(1);
    }
    expect(Array.from(augmixLite()(x, createRng(5)).dataSync())).toEqual(Array.from(a.dataSync()));
    expect(Array.from(a.dataSync())).not.toEqual(Array.from(x.dataSync()));
    const before = tf.memory().numTensors;
    const d = augmixLite({ width: 2, depth: 2 })(x, createRng(6));
    expect(tf.memory().numTensors).toBe(before + 1);
    d.dispose();
  });

  it('with only the identity op, the mix is the input (weights sum to 1)', () => {
    const x = randomImages(4, 5, 5, 3, 'aug-id');
    const y = augmixLite({ ops: ['identity'] })(x, createRng(1)).dataSync();
    const xd = x.dataSync();
    for (let k = 0; k < xd.length; k++) expect(y[k]).toBeCloseTo(xd[k], 6);
  });
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
});
