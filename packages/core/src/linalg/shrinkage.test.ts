import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CovarianceAccumulator, centeredNorm4Sum } from './covariance.js';
import { type Matrix, toMatrix } from './matrix.js';
import { type CovarianceEstimate, empiricalCovariance, ledoitWolf, oas } from './shrinkage.js';
import { relErr } from './test-helpers.js';

interface Expected {
  covariance: number[][];
  precision: number[][];
  shrinkage?: number;
}
interface Case {
  name: string;
  n: number;
  d: number;
  X: number[][];
  location: number[];
  empirical: Expected;
  ledoitWolf: Expected;
  oas: Expected;
}
const fixture = JSON.parse(readFileSync(new URL('./fixtures/shrinkage.json', import.meta.url), 'utf8')) as {
  cases: Case[];
};

const worst: Record<string, number> = {};
function check(got: CovarianceEstimate, want: Expected, location: number[], label: string, checkPrecision = true) {
  const errs = [relErr(got.covariance, toMatrix(want.covariance)), relErr(got.location, Float64Array.from(location))];
  if (checkPrecision) errs.push(relErr(got.precision, toMatrix(want.precision)));
  if (want.shrinkage !== undefined) {
    errs.push(Math.abs(got.shrinkage - want.shrinkage) / Math.max(Math.abs(want.shrinkage), 1e-300));
  }
  const e = Math.max(...errs);
  worst[label] = Math.max(worst[label] ?? 0, e);
  expect(e, label).toBeLessThan(1e-5);
}

function streamed(X: Matrix, sizes: number[], chunkRows = 3): CovarianceAccumulator {
  const acc = new CovarianceAccumulator(X.cols, { chunkRows });
  let r = 0;
  let s = 0;
  while (r < X.rows) {
    const b = Math.min(sizes[s++ % sizes.length], X.rows - r);
    acc.update(X.data.subarray(r * X.cols, (r + b) * X.cols));
    r += b;
  }
  return acc;
}

describe('covariance estimators vs sklearn 1.2 fixtures (1e-5 relative)', () => {
  for (const c of fixture.cases) {
    it(`${c.name}: empirical, Ledoit-Wolf and OAS from in-memory data`, () => {
      check(empiricalCovariance(c.X), c.empirical, c.location, 'data/empirical');
      check(ledoitWolf(c.X), c.ledoitWolf, c.location, 'data/lw');
      check(oas(c.X), c.oas, c.location, 'data/oas');
    });

    it(`${c.name}: the same from a streaming accumulator (uneven batches) and from merged accumulators`, () => {
      const X = toMatrix(c.X);
      const acc = streamed(X, [1, 4, 11, 2]);
      check(empiricalCovariance(acc), c.empirical, c.location, 'stream/empirical');
      check(ledoitWolf(acc), c.ledoitWolf, c.location, 'stream/lw');
      check(oas(acc), c.oas, c.location, 'stream/oas');
      const half = Math.floor(X.rows / 2);
      const a = new CovarianceAccumulator(X.cols).update(X.data.subarray(0, half * X.cols));
      const b = new CovarianceAccumulator(X.cols).update(X.data.subarray(half * X.cols));
      check(ledoitWolf(a.merge(b)), c.ledoitWolf, c.location, 'merged/lw');
    });

    it(`${c.name}: Ledoit-Wolf from stats + a second pass for Σ‖x−μ‖⁴`, () => {
      const X = toMatrix(c.X);
      const acc = new CovarianceAccumulator(X.cols).update(X);
      const { count, mean, scatter } = acc.stats();
      if (c.d > 1) expect(() => ledoitWolf({ count, mean, scatter })).toThrow(/sumNorm4/);
      else expect(ledoitWolf({ count, mean, scatter }).shrinkage).toBe(0); // d = 1 never needs it
      const sumNorm4 = centeredNorm4Sum(X, mean);
      check(ledoitWolf({ count, mean, scatter, sumNorm4 }), c.ledoitWolf, c.location, 'stats/lw');
      check(oas({ count, mean, scatter }), c.oas, c.location, 'stats/oas');
    });
  }

  it('d > n: the empirical covariance is singular and precision is its pseudo-inverse; LW is well conditioned', () => {
    const c = fixture.cases.find((k) => k.name === 'n30_d40')!;
    const lw = ledoitWolf(c.X);
    expect(lw.shrinkage).toBeGreaterThan(0);
    expect(lw.shrinkage).toBeLessThan(1);
    expect(lw.precision).toBe(lw.precision); // computed lazily once, then cached
    expect(Object.keys(lw)).toContain('precision');
    console.log('max relative error vs sklearn by path:', JSON.stringify(worst));
  });
});
