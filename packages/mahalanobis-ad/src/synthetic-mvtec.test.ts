import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InvalidArgumentError, loadMvtec } from '@ft/core';
import { afterAll, describe, expect, it } from 'vitest';
import { writeSyntheticMvtec } from './synthetic-mvtec.js';

const dir = mkdtempSync(join(tmpdir(), 'ft-mad-synth-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('writeSyntheticMvtec', () => {
  it('writes the MVTec layout that core loadMvtec reads, with masks only on defects', () => {
    const r = writeSyntheticMvtec(join(dir, 'a'), {
      categories: ['stripes', 'grid'],
      nTrain: 6,
      nTest: 8,
      size: 32,
      seed: 1,
    });
    expect(r.counts.stripes).toEqual({ train: 6, testGood: 4, testDefective: 4 });
    const train = loadMvtec(join(dir, 'a'), 'grid', { split: 'train', size: 32, channels: 1 });
    expect(train.size).toBe(6);
    const test = loadMvtec(join(dir, 'a'), 'stripes', { split: 'test', size: 32, channels: 1 });
    expect(test.size).toBe(8);
    expect(test.defectNames).toEqual(['good', 'scratch', 'spot', 'stain']);
    for (let i = 0; i < test.size; i++) {
      let area = 0;
      for (const v of test.mask(i)) area += v;
      if (test.defectTypes[i] === 'good') expect(area).toBe(0);
      else {
        expect(area).toBeGreaterThan(5);
        expect(area).toBeLessThan(32 * 32 * 0.2);
      }
    }
    // Painted pixels differ from the texture statistics: a spot is a near-constant region.
    const spot = test.defectTypes.indexOf('spot');
    const m = test.mask(spot);
    const x = test.get(spot).x;
    const inside = Array.from(x).filter((_, i) => m[i]);
    const mean = inside.reduce((a, v) => a + v, 0) / inside.length;
    expect(Math.abs(mean - 0.5)).toBeGreaterThan(0.3);
  });

  it('is deterministic in the seed, and rejects bad options', () => {
    writeSyntheticMvtec(join(dir, 'b1'), { nTrain: 2, nTest: 4, size: 16, seed: 7, channels: 3 });
    writeSyntheticMvtec(join(dir, 'b2'), { nTrain: 2, nTest: 4, size: 16, seed: 7, channels: 3 });
    writeSyntheticMvtec(join(dir, 'b3'), { nTrain: 2, nTest: 4, size: 16, seed: 8, channels: 3 });
    const f = (d: string) => readFileSync(join(dir, d, 'stripes/test/spot/000.png'));
    expect(f('b1').equals(f('b2'))).toBe(true);
    expect(f('b1').equals(f('b3'))).toBe(false);
    expect(() => writeSyntheticMvtec(join(dir, 'c'), { categories: ['bottle'] })).toThrow(InvalidArgumentError);
    expect(() => writeSyntheticMvtec(join(dir, 'c'), { nTrain: 1 })).toThrow(/nTrain must be ≥ 2/);
    expect(() => writeSyntheticMvtec(join(dir, 'c'), { size: 8 })).toThrow(InvalidArgumentError);
  });
});
