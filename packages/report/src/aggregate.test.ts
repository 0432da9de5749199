import { describe, expect, it } from 'vitest';
import { aggregate } from './aggregate.js';
import type { ResultRecord } from './result-record.js';

function rec(arm: string, seed: number, metrics: Record<string, number>, dataset = 'mnist'): ResultRecord {
  return {
    method: 'adafilter',
    arm,
    dataset,
    seed,
    metrics,
    backend: { name: 'cpu' },
    versions: {},
    command: 'ft test',
    date: '2026-01-01T00:00:00.000Z',
  };
}

const records = [
  rec('ft', 0, { acc: 0.9 }),
  rec('ours', 0, { acc: 0.95 }),
  rec('ft', 1, { acc: 0.92 }),
  rec('ours', 1, { acc: 0.97 }),
  rec('ft', 2, { acc: 0.94 }),
  rec('ours', 2, { acc: Number.NaN }),
  rec('ours', 3, { loss: 1 }),
  rec('ft', 0, { acc: 0.5 }, 'fmnist'),
];

describe('aggregate', () => {
  it('groups by method/arm/dataset in order of first appearance with mean, std (ddof 1), sem, n', () => {
    const rows = aggregate(records, { metric: 'acc' });
    expect(rows.map((r) => r.key)).toEqual([
      'adafilter / ft / mnist',
      'adafilter / ours / mnist',
      'adafilter / ft / fmnist',
    ]);
    const [ft, ours, fm] = rows;
    expect(ft.group).toEqual({ method: 'adafilter', arm: 'ft', dataset: 'mnist' });
    expect(ft.n).toBe(3);
    expect(ft.mean).toBeCloseTo(0.92, 15);
    expect(ft.std).toBeCloseTo(0.02, 15);
    expect(ft.sem).toBeCloseTo(0.02 / Math.sqrt(3), 15);
    expect(ft.values).toEqual([0.9, 0.92, 0.94]);
    expect(ft.seeds).toEqual([0, 1, 2]);
    // NaN run and the record without the metric are counted, not averaged.
    expect(ours).toMatchObject({ n: 2, nonFinite: 1, missing: 1, seeds: [0, 1] });
    expect(ours.mean).toBeCloseTo(0.96, 15);
    expect(ours.std).toBeCloseTo(Math.SQRT2 * 0.01, 15);
    expect(fm).toMatchObject({ n: 1, mean: 0.5 });
    expect(fm.std).toBeNaN();
  });

  it('groupBy fields or a key function', () => {
    const byArm = aggregate(records, { metric: 'acc', groupBy: ['arm'] });
    expect(byArm.map((r) => [r.key, r.n])).toEqual([
      ['ft', 4],
      ['ours', 2],
    ]);
    expect(byArm[0].mean).toBeCloseTo((0.9 + 0.92 + 0.94 + 0.5) / 4, 15);
    const byFn = aggregate(records, { metric: 'loss', groupBy: (r) => (r.seed >= 2 ? 'late' : 'early') });
    expect(byFn.map((r) => [r.key, r.n, r.missing])).toEqual([
      ['early', 0, 5],
      ['late', 1, 2],
    ]);
    expect(byFn[0].mean).toBeNaN();
  });

  it('throws without a metric', () => {
    expect(() => aggregate(records, { metric: '' })).toThrow(/needs a metric/);
  });
});
