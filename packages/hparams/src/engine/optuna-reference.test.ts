// The engine against Optuna itself: fixtures written by test/engine-optuna-reference.py with Optuna 3.1
// (Debian's python3-optuna): Parzen estimators (weights, kernels, log densities) and pruning decisions.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { type CategoricalChoice, type Distribution, distributionFromJson } from './distributions.js';
import { MedianPruner } from './pruners/percentile.js';
import { HyperbandPruner, SuccessiveHalvingPruner } from './pruners/successive-halving.js';
import { MultivariateParzenEstimator, ParzenEstimator } from './samplers/parzen.js';
import { RandomSampler } from './samplers/random.js';
import { toSamplingSpace } from './samplers/transform.js';
import { createStudy, TrialPruned } from './study.js';
import type { Pruner } from './types.js';

interface ParzenCase {
  name: string;
  distribution: { name: string; attributes: Record<string, unknown> };
  observations: CategoricalChoice[];
  points: CategoricalChoice[];
  weights: number[];
  logPdf: number[];
  mus?: number[];
  sigmas?: number[];
  categorical?: number[][];
}
interface MultivariateCase {
  name: string;
  rows: CategoricalChoice[][];
  points: CategoricalChoice[][];
  weights: number[];
  logPdf: number[];
  dims: { distribution: ParzenCase['distribution']; mus?: number[]; sigmas?: number[]; categorical?: number[][] }[];
}
const fixture = JSON.parse(
  readFileSync(new URL('../../test/fixtures/engine-optuna.json', import.meta.url), 'utf8'),
) as {
  parzen: ParzenCase[];
  multivariate: MultivariateCase[];
  pruners: Record<string, (number | null)[]>;
};

const close = (a: readonly number[], b: readonly number[], digits: number) => {
  expect(a).toHaveLength(b.length);
  a.forEach((x, i) => {
    expect(x).toBeCloseTo(b[i] as number, digits);
  });
};

describe("Parzen estimators match Optuna's _ParzenEstimator", () => {
  for (const c of fixture.parzen) {
    it(c.name, () => {
      const dist = distributionFromJson(c.distribution);
      const toSpace = (v: CategoricalChoice) => {
        const internal = dist.toInternalRepr(v);
        return dist.kind === 'categorical' ? internal : toSamplingSpace(dist, internal);
      };
      const p = new ParzenEstimator(c.observations.map(toSpace), dist);
      close(p.weights, c.weights, 12);
      if (c.mus) close(p.mus, c.mus, 12);
      if (c.sigmas) close(p.sigmas, c.sigmas, 12);
      for (const [i, row] of (c.categorical ?? []).entries()) close(p.categorical[i] as number[], row, 12);
      close(
        c.points.map((v) => p.logPdf(toSpace(v))),
        c.logPdf,
        9,
      );
    });
  }
});

describe("multivariate Parzen estimators match Optuna's (multivariate=True)", () => {
  for (const c of fixture.multivariate) {
    it(c.name, () => {
      const dists = c.dims.map((d) => distributionFromJson(d.distribution));
      const toSpace = (row: CategoricalChoice[]) =>
        row.map((v, j) => {
          const d = dists[j] as Distribution;
          const internal = d.toInternalRepr(v);
          return d.kind === 'categorical' ? internal : toSamplingSpace(d, internal);
        });
      const p = new MultivariateParzenEstimator(c.rows.map(toSpace), dists);
      close(p.weights, c.weights, 12);
      c.dims.forEach((d, j) => {
        const e = p.dims[j] as ParzenEstimator;
        if (d.mus) close(e.mus, d.mus, 12);
        if (d.sigmas) close(e.sigmas, d.sigmas, 12);
        for (const [i, row] of (d.categorical ?? []).entries()) close(e.categorical[i] as number[], row, 12);
      });
      close(
        c.points.map((x) => p.logPdf(toSpace(x))),
        c.logPdf,
        9,
      );
    });
  }
});

describe("pruners decide as Optuna's on a scripted study", () => {
  const curve = (i: number, s: number) => ((i * 37) % 11) / 10 + 1 / (s + 1);
  const run = async (pruner: Pruner) => {
    const study = await createStudy({ studyName: 'engine-ref', pruner, sampler: new RandomSampler() });
    const decisions: (number | null)[] = [];
    for (let i = 0; i < 30; i++) {
      let prunedAt: number | null = null;
      await study.optimize(
        (t) => {
          for (let s = 0; s < 27; s++) {
            t.report(curve(i, s), s);
            if (t.shouldPrune()) {
              prunedAt = s;
              throw new TrialPruned();
            }
          }
          return curve(i, 26);
        },
        { nTrials: 1 },
      );
      decisions.push(prunedAt);
    }
    return decisions;
  };
  const cases: [string, () => Pruner][] = [
    ['median', () => new MedianPruner()],
    ['successiveHalving', () => new SuccessiveHalvingPruner({ minResource: 1 })],
    ['successiveHalvingAuto', () => new SuccessiveHalvingPruner()],
    ['hyperband', () => new HyperbandPruner({ minResource: 1, maxResource: 27 })],
    ['hyperbandAuto', () => new HyperbandPruner()],
  ];
  for (const [name, make] of cases) {
    it(name, async () => {
      expect(await run(make())).toEqual(fixture.pruners[name]);
    });
  }
});
