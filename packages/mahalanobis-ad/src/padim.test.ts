import { createRng, EmptyDatasetError, InvalidArgumentError, ShapeError } from '@ft/core';
import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { GaussianAD } from './gaussian-ad.js';
import { PadimSegmenter } from './padim.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

/** [B, h, w, C] maps with location-dependent means and correlated noise. */
function maps(b: number, h: number, w: number, c: number, seed: number): tf.Tensor4D {
  const rng = createRng(seed);
  const v = new Float32Array(b * h * w * c);
  for (let i = 0; i < b; i++) {
    for (let p = 0; p < h * w; p++) {
      const z = rng.normal();
      for (let k = 0; k < c; k++) v[(i * h * w + p) * c + k] = p * 0.1 + k + z * (k + 1) * 0.3 + 0.2 * rng.normal();
    }
  }
  return tf.tensor4d(v, [b, h, w, c]);
}

describe('PadimSegmenter', () => {
  it('each location is a Ledoit-Wolf Gaussian: location scores equal GaussianAD on that location', async () => {
    const train = maps(30, 3, 4, 5, 1);
    const test = maps(4, 3, 4, 5, 2);
    const seg = await new PadimSegmenter({ levels: ['f'], channels: 5 }).fit([{ f: train }]);
    const s = seg.locationScores({ f: test });
    expect([s.b, s.h, s.w]).toEqual([4, 3, 4]);
    const trainArr = (await train.array()) as number[][][][];
    const testArr = (await test.array()) as number[][][][];
    for (const [y, x] of [
      [0, 0],
      [1, 2],
      [2, 3],
    ]) {
      const g = await new GaussianAD().fit({ f: trainArr.map((im) => im[y][x]) });
      const ref = g.score({ f: testArr.map((im) => im[y][x]) }).total;
      for (let i = 0; i < 4; i++) expect(s.data[i * 12 + y * 4 + x]).toBeCloseTo(ref[i], 9);
    }
    tf.dispose([train, test]);
  });

  it('streaming in batches equals one batch; maps upsample to the input size and peak at a perturbed location', async () => {
    const train = maps(24, 4, 4, 3, 3);
    const parts = [tf.slice(train, [0, 0, 0, 0], [10, 4, 4, 3]), tf.slice(train, [10, 0, 0, 0], [14, 4, 4, 3])];
    const one = await new PadimSegmenter({ levels: ['f'] }).fit({ f: train });
    const two = await new PadimSegmenter({ levels: ['f'] }).fit(parts.map((p) => ({ f: p })));
    const test = maps(2, 4, 4, 3, 4);
    const bump = tf.tidy(() => {
      const m = tf.buffer([2, 4, 4, 3]);
      for (let k = 0; k < 3; k++) m.set(8, 1, 2, 1, k);
      return tf.add(test, m.toTensor()) as tf.Tensor4D;
    });
    const a = one.locationScores({ f: bump }).data;
    const b = two.locationScores({ f: bump }).data;
    for (let i = 0; i < a.length; i++) expect(b[i]).toBeCloseTo(a[i], 8);
    const up = one.anomalyMaps({ f: bump }, [16, 16]);
    expect(up.shape).toEqual([2, 16, 16]);
    const img1 = (await up.array())[1];
    let best = [-1, -1, -1];
    for (let y = 0; y < 16; y++) for (let x = 0; x < 16; x++) if (img1[y][x] > best[0]) best = [img1[y][x], y, x];
    // location (2, 1) of a 4×4 map covers rows 8..11, columns 4..7 at 16×16
    expect(best[1]).toBeGreaterThanOrEqual(8);
    expect(best[1]).toBeLessThan(12);
    expect(best[2]).toBeGreaterThanOrEqual(4);
    expect(best[2]).toBeLessThan(8);
    tf.dispose([train, ...parts, test, bump, up]);
  });

  it('concatenates levels at the first level resolution, keeps a seeded channel subset, and round-trips', async () => {
    const l1 = maps(20, 4, 4, 4, 5);
    const l2 = maps(20, 2, 2, 6, 6);
    const seg = await new PadimSegmenter({ levels: ['a', 'b'], channels: 5, seed: 9, blurSigma: 0.8 }).fit({
      a: l1,
      b: l2,
    });
    expect(seg.dim).toBe(5);
    expect(seg.resolution).toEqual([4, 4]);
    const same = await new PadimSegmenter({ levels: ['a', 'b'], channels: 5, seed: 9 }).fit({ a: l1, b: l2 });
    expect(same.serialize().json.channels).toEqual(seg.serialize().json.channels);
    const { json, data } = seg.serialize();
    const back = PadimSegmenter.deserialize(JSON.parse(JSON.stringify(json)), data);
    const m1 = seg.anomalyMaps({ a: l1, b: l2 }, [8, 8]);
    const m2 = back.anomalyMaps({ a: l1, b: l2 }, [8, 8]);
    expect(Array.from(await m2.data())).toEqual(Array.from(await m1.data()));
    expect(() => seg.locationScores({ a: l2, b: l2 })).toThrow(ShapeError);
    expect(() => seg.locationScores({ a: l1 })).toThrow(/level 'b' is missing/);
    expect(() => PadimSegmenter.deserialize(json, data.subarray(1))).toThrow(/expected/);
    tf.dispose([l1, l2, m1, m2]);
  });

  it('bad input: no data, one image, NaN maps', async () => {
    await expect(new PadimSegmenter({ levels: ['f'] }).fit([])).rejects.toThrow(EmptyDatasetError);
    const one = maps(1, 2, 2, 2, 1);
    await expect(new PadimSegmenter({ levels: ['f'] }).fit({ f: one })).rejects.toThrow(/at least 2/);
    const nan = tf.fill([2, 2, 2, 2], Number.NaN) as tf.Tensor4D;
    await expect(new PadimSegmenter({ levels: ['f'] }).fit({ f: nan })).rejects.toThrow(InvalidArgumentError);
    expect(() => new PadimSegmenter({ levels: [] })).toThrow(InvalidArgumentError);
    tf.dispose([one, nan]);
  });
});
