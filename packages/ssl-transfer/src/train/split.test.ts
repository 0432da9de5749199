import { defaultValPerClass, InvalidArgumentError } from '@ft/core';
import { describe, expect, it } from 'vitest';
import { sslSplit } from './split.js';
import { toyData } from './test-helpers.js';

describe('sslSplit', () => {
  const train = toyData(60, 4); // 20 images per class

  it('draws a class-balanced, seeded budget and holds out valPerClass of it', () => {
    const s = sslSplit(train, { labelsPerClass: 5, valPerClass: 2, seed: 3 });
    const count = (ds: typeof s.labeled) => [0, 1, 2].map((c) => ds.labels.filter((y) => y === c).length);
    expect(count(s.labeled)).toEqual([3, 3, 3]);
    expect(count(s.validation)).toEqual([2, 2, 2]);
    // 'all': every training image but the validation ones is unlabelled (labelled ones included, as the code does)
    expect(s.unlabeled.size).toBe(60 - 6);
    const again = sslSplit(train, { labelsPerClass: 5, valPerClass: 2, seed: 3 });
    expect(Array.from(again.labeled.labels)).toEqual(Array.from(s.labeled.labels));
    const other = sslSplit(train, { labelsPerClass: 5, valPerClass: 2, seed: 4 });
    const px = (ds: typeof s.labeled) => {
      const out = new Float32Array(64);
      ds.copyInto(0, out, 0);
      return Array.from(out);
    };
    expect(px(other.labeled)).not.toEqual(px(s.labeled));
  });

  it("keeps validation out of the unlabelled set, and 'rest' also drops the labelled images", () => {
    const s = sslSplit(train, { labelsPerClass: 5, valPerClass: 1, seed: 2, unlabeled: 'rest' });
    expect(s.unlabeled.size).toBe(60 - 15);
    const rows = (ds: typeof s.labeled) => {
      const out: string[] = [];
      const buf = new Float32Array(64);
      for (let i = 0; i < ds.size; i++) {
        ds.copyInto(i, buf, 0);
        out.push(Array.from(buf).join());
      }
      return out;
    };
    const unl = new Set(rows(s.unlabeled));
    for (const r of [...rows(s.validation), ...rows(s.labeled)]) expect(unl.has(r)).toBe(false);
  });

  it('defaults the hold-out to max(1, ⌊K/4⌋)', () => {
    expect([2, 4, 10, 25].map(defaultValPerClass)).toEqual([1, 1, 2, 6]);
    expect(sslSplit(train, { labelsPerClass: 4, seed: 1 }).validation.size).toBe(3);
  });

  it('rejects a budget larger than a class or a hold-out that leaves no labels', () => {
    expect(() => sslSplit(train, { labelsPerClass: 21, seed: 1 })).toThrow(InvalidArgumentError);
    expect(() => sslSplit(train, { labelsPerClass: 21, seed: 1 })).toThrow(/larger than a class/);
    expect(() => sslSplit(train, { labelsPerClass: 2, valPerClass: 2, seed: 1 })).toThrow(InvalidArgumentError);
    expect(() => sslSplit(train, { labelsPerClass: 0, seed: 1 })).toThrow(InvalidArgumentError);
  });
});
