import { describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '../errors.js';
import { ArrayImageDataset } from './dataset.js';
import { classSubset, SubsetImageDataset, subset } from './subset.js';

/** 10 images of 2×2×1, image i filled with i (as bytes), label i mod 5. */
function toy(): ArrayImageDataset {
  const images = new Uint8Array(10 * 4).map((_, j) => Math.floor(j / 4));
  const labels = Int32Array.from({ length: 10 }, (_, i) => i % 5);
  return new ArrayImageDataset({ images, labels, shape: [2, 2, 1], classNames: ['a', 'b', 'c', 'd', 'e'] });
}

describe('ArrayImageDataset', () => {
  it('stores one array, scales bytes by 1/255, validates', () => {
    const ds = toy();
    expect(ds.numClasses).toBe(5);
    expect(Array.from(ds.get(3).x)).toEqual([3 / 255, 3 / 255, 3 / 255, 3 / 255].map(Math.fround));
    const out = new Float32Array(6).fill(-1);
    ds.copyInto(2, out, 1);
    expect(Array.from(out, (v) => Math.round(v * 255))).toEqual([-255, 2, 2, 2, 2, -255]);
    expect(() => ds.get(10)).toThrow(InvalidArgumentError);
    expect(
      () => new ArrayImageDataset({ images: new Uint8Array(3), labels: new Int32Array(1), shape: [2, 2, 1] }),
    ).toThrow(/expected 1 × 2×2×1/);
  });
});

describe('subset / classSubset', () => {
  it('is a view: pixels come from the base store, labels follow, nested views flatten', () => {
    const ds = toy();
    const s = subset(ds, [7, 2, 2]);
    expect(s).toBeInstanceOf(SubsetImageDataset);
    expect(s.size).toBe(3);
    expect(Array.from(s.labels)).toEqual([2, 2, 2]);
    expect(Math.round(s.get(0).x[0] * 255)).toBe(7);
    ds.images[2 * 4] = 99; // mutate the base: the view sees it (no copy)
    expect(Math.round(s.get(1).x[0] * 255)).toBe(99);
    const nested = subset(s, [2, 0]);
    expect(nested.base).toBe(ds);
    expect(Array.from(nested.indices)).toEqual([2, 7]);
    expect(() => subset(ds, [10])).toThrow(InvalidArgumentError);
    const generic = subset({ size: 3, get: (i: number) => i * 10 }, [2, 1]);
    expect([generic.size, generic.get(0), generic.get(1)]).toEqual([2, 20, 10]);
  });

  it('classSubset remaps labels to positions in `classes` (or keeps them)', () => {
    const ds = toy();
    const s = classSubset(ds, [3, 1]);
    expect(Array.from(s.indices)).toEqual([1, 3, 6, 8]);
    expect(Array.from(s.labels)).toEqual([1, 0, 1, 0]);
    expect(s.numClasses).toBe(2);
    expect(s.classNames).toEqual(['d', 'b']);
    const k = classSubset(ds, [3, 1], { remap: false });
    expect(Array.from(k.labels)).toEqual([1, 3, 1, 3]);
    expect(k.numClasses).toBe(5);
    expect(() => classSubset(ds, [5])).toThrow(InvalidArgumentError);
  });
});
