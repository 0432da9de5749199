import '@tensorflow/tfjs-backend-cpu';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import * as jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DatasetFormatError, DatasetNotFoundError, InvalidArgumentError, UnsafePathError } from '../errors.js';
import { createRng } from '../rng.js';
import { decodeImage, encodePng, listImageFiles, readImageFile, resizeBilinear, rgbaToFloat } from './image-io.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

function png(width: number, height: number, rgba: Uint8Array, colorType: 0 | 2 | 6 = 6): Buffer {
  const p = new PNG({ width, height });
  p.data = Buffer.from(rgba);
  return PNG.sync.write(p, { colorType });
}

describe('decodeImage', () => {
  it('decodes PNG (RGBA and greyscale) exactly', () => {
    const rgba = Uint8Array.from([255, 0, 0, 255, 0, 128, 0, 255, 1, 2, 3, 255, 10, 20, 30, 255]);
    const d = decodeImage(png(2, 2, rgba));
    expect([d.width, d.height, d.gray]).toEqual([2, 2, false]);
    expect(Array.from(d.data)).toEqual(Array.from(rgba));
    const gray = Uint8Array.from([0, 0, 0, 255, 100, 100, 100, 255, 200, 200, 200, 255, 255, 255, 255, 255]);
    const g = decodeImage(png(2, 2, gray, 0));
    expect(g.gray).toBe(true);
    expect(Array.from(rgbaToFloat(g, 1), (v) => Math.round(v * 255))).toEqual([0, 100, 200, 255]);
    expect(Array.from(rgbaToFloat(decodeImage(png(2, 2, rgba)), 3).subarray(0, 3))).toEqual([1, 0, 0]);
  });

  it('decodes JPEG close to the source and detects greyscale JPEGs', () => {
    const w = 16;
    const h = 8;
    const rgba = new Uint8Array(w * h * 4);
    for (let i = 0; i < w * h; i++) rgba.set([(i * 3) % 256, 100, 200, 255], i * 4);
    const enc = jpeg.encode({ width: w, height: h, data: rgba }, 95).data;
    const d = decodeImage(enc, 'a.jpg');
    expect([d.width, d.height, d.gray]).toEqual([w, h, false]);
    let maxErr = 0;
    for (let i = 0; i < rgba.length; i += 4) maxErr = Math.max(maxErr, Math.abs(d.data[i + 1] - 100));
    expect(maxErr).toBeLessThan(8);
    // jpeg-js always encodes 3 components, so build a minimal baseline greyscale JPEG by hand: 8×8, one
    // component, DQT of ones, one-symbol DC/AC Huffman tables, a single block with DC diff 0 and EOB ⇒ all 128.
    const hex = (t: string) => (t.replace(/\s/g, '').match(/../g) ?? []).map((x) => Number.parseInt(x, 16));
    const zeros = (n: number) => new Array<number>(n).fill(0);
    const grayJpeg = Uint8Array.from([
      ...hex('FFD8 FFDB 0043 00'),
      ...new Array<number>(64).fill(1),
      ...hex('FFC0 000B 08 0008 0008 01 01 11 00'),
      ...hex('FFC4 0014 00 01'),
      ...zeros(16),
      ...hex('FFC4 0014 10 01'),
      ...zeros(16),
      ...hex('FFDA 0008 01 01 00 00 3F 00 3F FFD9'),
    ]);
    const g = decodeImage(grayJpeg, 'gray.jpg');
    expect([g.width, g.height, g.gray]).toEqual([8, 8, true]);
    expect(Array.from(rgbaToFloat(g, 1), (v) => Math.round(v * 255))).toEqual(new Array(64).fill(128));
  });

  it('throws DatasetFormatError naming the file for unknown or corrupt data', () => {
    expect(() => decodeImage(new Uint8Array([1, 2, 3, 4]), 'x.bin')).toThrow(/x\.bin: not a PNG or JPEG/);
    const good = png(2, 2, new Uint8Array(16));
    expect(() => decodeImage(good.subarray(0, 30), 'broken.png')).toThrow(DatasetFormatError);
    expect(() => decodeImage(good.subarray(0, 30), 'broken.png')).toThrow(/broken\.png: cannot decode PNG/);
    const j = jpeg.encode({ width: 8, height: 8, data: new Uint8Array(256) }, 90).data;
    expect(() => decodeImage(j.subarray(0, 20), 'broken.jpg')).toThrow(/broken\.jpg: cannot decode JPEG/);
  });
});

describe('resizeBilinear', () => {
  it('enlarging equals tf.image.resizeBilinear(halfPixelCenters) and 2→4 has the closed form', () => {
    expect(Array.from(resizeBilinear(Float32Array.from([0, 1]), 1, 2, 1, 1, 4))).toEqual([0, 0.25, 0.75, 1]);
    const rng = createRng(3);
    const src = Float32Array.from({ length: 5 * 7 * 2 }, () => rng.uniform());
    const ours = resizeBilinear(src, 5, 7, 2, 11, 13);
    const ref = tf.tidy(() =>
      tf.image.resizeBilinear(tf.tensor4d(src, [1, 5, 7, 2]), [11, 13], false, true).dataSync(),
    );
    for (let i = 0; i < ours.length; i++) expect(ours[i]).toBeCloseTo(ref[i], 5);
    // antialias off also matches tf when shrinking
    const small = resizeBilinear(src, 5, 7, 2, 3, 4, { antialias: false });
    const refSmall = tf.tidy(() =>
      tf.image.resizeBilinear(tf.tensor4d(src, [1, 5, 7, 2]), [3, 4], false, true).dataSync(),
    );
    for (let i = 0; i < small.length; i++) expect(small[i]).toBeCloseTo(refSmall[i], 5);
  });

  it('antialiased 4→2 shrink uses the widened triangle filter (PIL BILINEAR weights)', () => {
    // output 0: centre 1.0, support 2: taps 0,1,2 with weights .75,.75,.25 (normalised by 1.75)
    const out = resizeBilinear(Float32Array.from([1, 2, 3, 4]), 1, 4, 1, 1, 2);
    expect(out[0]).toBeCloseTo((0.75 * 1 + 0.75 * 2 + 0.25 * 3) / 1.75, 6);
    expect(out[1]).toBeCloseTo((0.25 * 2 + 0.75 * 3 + 0.75 * 4) / 1.75, 6);
  });

  it('preserves constants, is the identity at the same size and keeps values in range', () => {
    const c = new Float32Array(9 * 9 * 3).fill(0.3);
    for (const v of resizeBilinear(c, 9, 9, 3, 4, 6)) expect(v).toBeCloseTo(0.3, 6);
    const rng = createRng(1);
    const src = Float32Array.from({ length: 6 * 6 }, () => rng.uniform());
    expect(resizeBilinear(src, 6, 6, 1, 6, 6)).toEqual(src);
    for (const v of resizeBilinear(src, 6, 6, 1, 17, 3)) {
      expect(v).toBeGreaterThanOrEqual(0);
      expect(v).toBeLessThanOrEqual(1);
    }
  });
});

describe('encodePng', () => {
  it('round-trips exact pixels for 1, 2, 3 and 4 channels through decodeImage', () => {
    const rng = createRng(7);
    const [w, h] = [5, 3];
    for (const c of [1, 2, 3, 4] as const) {
      const px = Uint8Array.from({ length: w * h * c }, () => Math.floor(rng.uniform() * 256));
      const d = decodeImage(encodePng(px, w, h, c));
      expect([d.width, d.height, d.gray]).toEqual([w, h, c <= 2]);
      const back: number[] = [];
      for (let i = 0; i < w * h; i++) {
        const rgba = Array.from(d.data.subarray(i * 4, i * 4 + 4));
        if (c === 1) back.push(rgba[0]);
        else if (c === 2) back.push(rgba[0], rgba[3]);
        else back.push(...rgba.slice(0, c));
        if (c <= 2) expect(rgba[1]).toBe(rgba[0]);
        if (c === 1 || c === 3) expect(rgba[3]).toBe(255);
      }
      expect(back).toEqual(Array.from(px));
    }
    // greyscale decodes to the same floats it was written from
    const g = Uint8Array.from([0, 17, 128, 255]);
    expect(Array.from(rgbaToFloat(decodeImage(encodePng(g, 2, 2, 1)), 1))).toEqual(
      Array.from(g, (v) => Math.fround(v / 255)),
    );
  });

  it('refuses wrong sizes, channel counts and values that are not bytes', () => {
    expect(() => encodePng(new Uint8Array(4), 2, 2, 3)).toThrow(InvalidArgumentError);
    expect(() => encodePng(new Uint8Array(0), 0, 2, 1)).toThrow(/positive integers/);
    expect(() => encodePng(new Uint8Array(4), 2, 2, 5 as 4)).toThrow(/channels/);
    expect(() => encodePng([0, 1, 2, 256], 2, 2, 1)).toThrow(/index 3/);
    expect(() => encodePng([0, 1, 0.5, 3], 2, 2, 1)).toThrow(InvalidArgumentError);
    expect(() => encodePng([0, 1, Number.NaN, 3], 2, 2, 1)).toThrow(InvalidArgumentError);
  });
});

describe('listImageFiles', () => {
  let tmp: string;
  beforeAll(() => {
    tmp = mkdtempSync(join(tmpdir(), 'ft-list-images-'));
  });
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));
  const one = encodePng([10, 20, 30, 40], 2, 2, 1);

  it('lists image files directly inside the folder in byte order, filtered by extension', () => {
    const dir = join(tmp, 'a');
    mkdirSync(join(dir, 'sub.png'), { recursive: true });
    mkdirSync(join(dir, 'nested'));
    for (const f of ['b.png', 'B.PNG', 'a.jpg', 'c.jpeg', 'z.txt', 'readme', '_x.png', 'nested/n.png']) {
      writeFileSync(join(dir, f), one);
    }
    expect(listImageFiles(dir)).toEqual(['B.PNG', '_x.png', 'a.jpg', 'b.png', 'c.jpeg'].map((f) => join(dir, f)));
    expect(listImageFiles(dir, { extensions: ['.png'] })).toEqual(
      ['B.PNG', '_x.png', 'b.png'].map((f) => join(dir, f)),
    );
    expect(listImageFiles(dir, { extensions: ['.TXT'] })).toEqual([join(dir, 'z.txt')]);
    expect(Array.from(readImageFile(listImageFiles(dir)[0]).data.subarray(0, 4))).toEqual([10, 10, 10, 255]);
    expect(listImageFiles(join(dir, 'nested'))).toEqual([join(dir, 'nested', 'n.png')]);
  });

  it('a missing folder or a file ⇒ DatasetNotFoundError naming it', () => {
    expect(() => listImageFiles(join(tmp, 'missing'))).toThrow(DatasetNotFoundError);
    const f = join(tmp, 'file.png');
    writeFileSync(f, one);
    expect(() => listImageFiles(f)).toThrow(/file\.png/);
  });

  it('stays confined: a symlink leading outside the folder ⇒ UnsafePathError; inside links and dangling links are fine', () => {
    const outside = join(tmp, 'outside.png');
    writeFileSync(outside, one);
    const dir = join(tmp, 'links');
    mkdirSync(dir);
    writeFileSync(join(dir, 'real.png'), one);
    symlinkSync(join(dir, 'real.png'), join(dir, 'inside.png'));
    symlinkSync(join(dir, 'missing.png'), join(dir, 'dangling.png'));
    expect(listImageFiles(dir)).toEqual([join(dir, 'inside.png'), join(dir, 'real.png')]);
    symlinkSync('../outside.png', join(dir, 'escape.png'));
    expect(() => listImageFiles(dir)).toThrow(UnsafePathError);
    expect(() => listImageFiles(dir)).toThrow(/escape\.png/);
    // a symlink to a non-image target outside is skipped by extension before it is followed
    const dir2 = join(tmp, 'links2');
    mkdirSync(dir2);
    symlinkSync('/etc/passwd', join(dir2, 'passwd'));
    expect(listImageFiles(dir2)).toEqual([]);
  });
});
