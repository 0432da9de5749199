import '@tensorflow/tfjs-backend-cpu';
import { createRng } from '@ft/core';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { batchItem, cfrob2 } from './host-complex.js';
import { makePilots, simulateMassiveAccess } from './simulate.js';
import { makeSamplePool, poolBatch, poolFromData } from './training-data.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('sample pools', () => {
  const S = makePilots(8, 20, createRng(1));

  it('without DR the pool is the data set itself', () => {
    const d = simulateMassiveAccess({
      N: 20,
      M: 3,
      L: 8,
      activity: 0.2,
      snrDb: 10,
      pilots: S,
      count: 5,
      rng: createRng(2),
    });
    const p = poolFromData(d);
    expect(p.Yr).toBe(d.Y);
    expect(p.Xr).toBe(d.X);
    expect(p.r).toBe(3);
    expect(Array.from(p.M)).toEqual([3, 3, 3, 3, 3]);
    expect(() => poolFromData(d, { rank: 4 })).toThrow(/rank 4 exceeds M=3/);
  });

  it('DR to rank r keeps the projected energy ≤ the original (Y_r = Y·V_r with orthonormal V_r), full rank keeps it', () => {
    const d = simulateMassiveAccess({
      N: 20,
      M: 6,
      L: 8,
      activity: 0.2,
      snrDb: 10,
      pilots: S,
      count: 4,
      rng: createRng(3),
    });
    const p = poolFromData(d, { rank: 2 });
    expect(p.Yr.shape).toEqual([4, 8, 2]);
    expect(p.Xr.shape).toEqual([4, 20, 2]);
    for (let b = 0; b < 4; b++) {
      const e = cfrob2(batchItem(d.Y, b));
      const er = cfrob2(batchItem(p.Yr, b));
      expect(er).toBeLessThanOrEqual(e * (1 + 1e-12));
      expect(er).toBeGreaterThan(0);
    }
  });

  it('mixing antenna counts splits the count evenly, needs a DR rank, and is deterministic per seed', () => {
    const o = { S, M: [4, 6], activity: 0.2, snrDb: [0, 20] as [number, number], count: 7, rank: 2 };
    const a = makeSamplePool({ ...o, rng: createRng(4) });
    const b = makeSamplePool({ ...o, rng: createRng(4) });
    expect(a.count).toBe(7);
    expect(Array.from(a.M).sort()).toEqual([4, 4, 4, 4, 6, 6, 6]);
    expect(a.Yr.re).toEqual(b.Yr.re);
    expect(a.active).toEqual(b.active);
    expect(() => makeSamplePool({ ...o, rank: undefined, rng: createRng(4) })).toThrow(/needs a DR rank/);
  });

  it('poolBatch gathers realisations into layout tensors with the activity as [N, B]', () => {
    const p = makeSamplePool({ S, M: 2, activity: 0.3, snrDb: 10, count: 6, rng: createRng(5) });
    const { Yr, Xr, active } = poolBatch(p, [4, 1]);
    expect(Yr.shape).toEqual([16, 2, 2]);
    expect(Xr.shape).toEqual([40, 2, 2]);
    const y = Yr.arraySync();
    // Re of realisation 4, pilot row 3, antenna 1 sits at [3][0][1]; Im at [8 + 3][0][1]
    expect(y[3][0][1]).toBeCloseTo(p.Yr.re[(4 * 8 + 3) * 2 + 1], 6);
    expect(y[11][0][1]).toBeCloseTo(p.Yr.im[(4 * 8 + 3) * 2 + 1], 6);
    const a = active.arraySync();
    for (let n = 0; n < 20; n++) {
      expect(a[n][0]).toBe(p.active[4 * 20 + n]);
      expect(a[n][1]).toBe(p.active[1 * 20 + n]);
    }
    tf.dispose([Yr, Xr, active]);
  });
});
