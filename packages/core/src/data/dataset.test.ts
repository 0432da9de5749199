import { describe, expect, it } from 'vitest';
import { InvalidArgumentError, ShapeError } from '../errors.js';
import { ArrayImageDataset, checkIndex, type Dataset, isImageDataset } from './dataset.js';

describe('ArrayImageDataset', () => {
  it('uint8 pixels are scaled by 1/255 on read; get and copyInto agree; labels and defaults', () => {
    // two 1×2×2 images: [0, 51, 102, 255] and [255, 0, 0, 255]
    const ds = new ArrayImageDataset({
      images: Uint8Array.from([0, 51, 102, 255, 255, 0, 0, 255]),
      labels: Int32Array.from([2, 0]),
      shape: [1, 2, 2],
    });
    expect(ds.size).toBe(2);
    expect(ds.numClasses).toBe(3); // max label + 1
    expect(ds.scale).toBeCloseTo(1 / 255, 12);
    const a = ds.get(0);
    expect(a.y).toBe(2);
    expect(Array.from(a.x)).toEqual([0, 0.2, 0.4, 1].map(Math.fround));
    const out = new Float32Array(6).fill(-1);
    ds.copyInto(1, out, 1);
    expect(Array.from(out)).toEqual([-1, 1, 0, 0, 1, -1]);
    expect(ds.get(0).x).not.toBe(ds.get(0).x); // a fresh copy each time
  });

  it('float32 pixels are returned as stored (scale 1) unless a scale is given; empty dataset has 0 classes', () => {
    const images = Float32Array.from([0.25, 0.5, 0.75, 1]);
    const ds = new ArrayImageDataset({ images, labels: Int32Array.from([0, 1]), shape: [1, 1, 2] });
    expect(ds.scale).toBe(1);
    expect(Array.from(ds.get(1).x)).toEqual([0.75, 1]);
    const scaled = new ArrayImageDataset({ images, labels: Int32Array.from([0, 1]), shape: [1, 1, 2], scale: 2 });
    expect(Array.from(scaled.get(0).x)).toEqual([0.5, 1]);
    const empty = new ArrayImageDataset({ images: new Uint8Array(0), labels: new Int32Array(0), shape: [2, 2, 1] });
    expect([empty.size, empty.numClasses]).toEqual([0, 0]);
  });

  it('validates shape, length, labels and classNames', () => {
    const mk = (o: Partial<ConstructorParameters<typeof ArrayImageDataset>[0]>) => () =>
      new ArrayImageDataset({ images: new Uint8Array(8), labels: Int32Array.from([0, 1]), shape: [2, 2, 1], ...o });
    expect(mk({})).not.toThrow();
    expect(mk({ shape: [2, 2] as unknown as [number, number, number] })).toThrow(ShapeError);
    expect(mk({ shape: [2, 0, 1] })).toThrow(ShapeError);
    expect(mk({ images: new Uint8Array(7) })).toThrow(/images has 7 values, expected 2 × 2×2×1 = 8/);
    expect(mk({ labels: Int32Array.from([0, -1]) })).toThrow(InvalidArgumentError);
    expect(mk({ numClasses: 1 })).toThrow(/label 1 ≥ numClasses 1/);
    expect(mk({ classNames: ['a'] })).toThrow(InvalidArgumentError);
    expect(mk({ classNames: ['a', 'b'] })().classNames).toEqual(['a', 'b']);
  });

  it('get/copyInto reject out-of-range and fractional indices', () => {
    const ds = new ArrayImageDataset({ images: new Uint8Array(2), labels: Int32Array.from([0, 0]), shape: [1, 1, 1] });
    for (const i of [-1, 2, 0.5, Number.NaN]) {
      expect(() => ds.get(i)).toThrow(InvalidArgumentError);
      expect(() => ds.copyInto(i, new Float32Array(1), 0)).toThrow(InvalidArgumentError);
    }
  });
});

describe('checkIndex / isImageDataset', () => {
  it('checkIndex accepts [0, size) integers only', () => {
    expect(() => checkIndex(0, 1)).not.toThrow();
    expect(() => checkIndex(1, 1)).toThrow('dataset index 1 out of range [0, 1)');
  });

  it('isImageDataset needs shape, Int32Array labels and copyInto', () => {
    const ds = new ArrayImageDataset({ images: new Uint8Array(1), labels: Int32Array.from([0]), shape: [1, 1, 1] });
    expect(isImageDataset(ds)).toBe(true);
    const plain: Dataset<number> = { size: 1, get: () => 1 };
    expect(isImageDataset(plain)).toBe(false);
    expect(isImageDataset({ ...plain, shape: [1, 1, 1], labels: [0], copyInto: () => {} } as Dataset<unknown>)).toBe(
      false,
    );
  });
});
