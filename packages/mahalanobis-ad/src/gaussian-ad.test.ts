import { readFileSync } from 'node:fs';
import { EmptyDatasetError, InvalidArgumentError, ModelFormatError, ShapeError } from '@ft/core';
import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { type FeatureBatch, GaussianAD, type GaussianADJSON } from './gaussian-ad.js';

interface EstFixture {
  location: number[];
  precision: number[][];
  shrinkage: number;
  mahalanobis: number[];
}
const fx = JSON.parse(readFileSync(new URL('./fixtures/ledoit-wolf-ad.json', import.meta.url), 'utf8')) as {
  train: Record<string, number[][]>;
  test: Record<string, number[][]>;
  estimators: Record<string, Record<string, EstFixture> & { total: number[] }>;
};

const relErr = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  let num = 0;
  let den = 0;
  for (let i = 0; i < a.length; i++) {
    num += (a[i] - b[i]) ** 2;
    den += b[i] ** 2;
  }
  return Math.sqrt(num / den);
};

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('GaussianAD vs scikit-learn (scripts/ledoit-wolf-ad-fixtures.py)', () => {
  for (const estimator of ['ledoitWolf', 'oas', 'empirical'] as const) {
    it(`${estimator}: mean, shrinkage, precision and Mahalanobis scores match sklearn to 1e-5 relative`, async () => {
      const ref = fx.estimators[estimator];
      const levels = Object.keys(ref).filter((k) => k !== 'total');
      // Levels a and b share their 60 samples (one Gaussian per level of the same images); c (30 samples, d = 40)
      // is fitted on its own.
      const groups = [levels.filter((l) => l !== 'c'), levels.filter((l) => l === 'c')].filter((g) => g.length);
      const fits = await Promise.all(
        groups.map((ls) => new GaussianAD({ estimator }).fit(Object.fromEntries(ls.map((l) => [l, fx.train[l]])))),
      );
      const total = new Float64Array(ref.total.length);
      for (const [gi, ls] of groups.entries()) {
        const test: FeatureBatch = Object.fromEntries(ls.map((l) => [l, fx.test[l]]));
        const s = fits[gi].score(test);
        for (const l of ls) expect(relErr(s.perLevel[l], ref[l].mahalanobis)).toBeLessThan(1e-5);
        s.total.forEach((v, i) => {
          total[i] += v;
        });
      }
      expect(relErr(total, ref.total)).toBeLessThan(1e-5);
      for (const l of levels) {
        const lg = fits[groups.findIndex((g) => g.includes(l))].level(l);
        expect(relErr(lg.mean, ref[l].location)).toBeLessThan(1e-12);
        if (estimator !== 'empirical')
          expect(Math.abs(lg.shrinkage - ref[l].shrinkage)).toBeLessThan(1e-5 * ref[l].shrinkage);
        expect(relErr(lg.precision.data, ref[l].precision.flat())).toBeLessThan(1e-5);
        expect(lg.jitter).toBe(0);
      }
    });
  }

  it('the d > n level is only fitted with shrinkage (the fixture level c has d = 40, n = 30)', () => {
    expect(fx.train.c.length).toBe(30);
    expect(fx.train.c[0].length).toBe(40);
    expect(fx.estimators.ledoitWolf.c.shrinkage).toBeGreaterThan(0);
  });
});

describe('GaussianAD closed forms', () => {
  // X_i = μ + B z_i with z ∈ {±√2 e1, ±√2 e2}: sample mean μ and MLE covariance exactly B·Bᵀ.
  const mu = [1, -2];
  const B = [
    [2, 0],
    [1, 0.5],
  ];
  const r2 = Math.SQRT2;
  const zs = [
    [r2, 0],
    [-r2, 0],
    [0, r2],
    [0, -r2],
  ];
  const at = (z: number[]) => [mu[0] + B[0][0] * z[0] + B[0][1] * z[1], mu[1] + B[1][0] * z[0] + B[1][1] * z[1]];
  const X = zs.map(at);

  it('empirical Gaussian: M(μ + B·z) = ‖z‖ exactly (3-4-5 triangle)', async () => {
    const g = await new GaussianAD({ estimator: 'empirical' }).fit({ f: X });
    const s = g.score({ f: [at([1, 0]), at([3, 4]), at([0, 0]), at([-0.6, 0.8])] });
    expect(Array.from(s.perLevel.f)).toEqual([
      expect.closeTo(1, 12),
      expect.closeTo(5, 12),
      expect.closeTo(0, 12),
      expect.closeTo(1, 12),
    ]);
    expect(Array.from(g.level('f').variance)).toEqual([expect.closeTo(4, 12), expect.closeTo(1.25, 12)]);
  });

  it('trace identity: with Σ re-estimated on the same sample, the mean M² is exactly d (why the fine-tuning refits between epochs only)', async () => {
    for (const l of ['a', 'b']) {
      const g = await new GaussianAD({ estimator: 'empirical' }).fit({ [l]: fx.train[l] });
      const m = g.score({ [l]: fx.train[l] }).total;
      const meanSq = m.reduce((a, v) => a + v * v, 0) / m.length;
      expect(meanSq).toBeCloseTo(fx.train[l][0].length, 9);
    }
  });

  it('L2 and SED distances against hand-computed values', async () => {
    const g = await new GaussianAD({ estimator: 'empirical' }).fit({ f: X });
    const x = [[mu[0] + 3, mu[1] + 4]];
    expect(g.score({ f: x }, { distance: 'l2' }).total[0]).toBeCloseTo(5, 12);
    // variances 4 and 1.25 ⇒ sqrt(9/4 + 16/1.25)
    expect(g.score({ f: x }, { distance: 'sed' }).total[0]).toBeCloseTo(Math.sqrt(9 / 4 + 16 / 1.25), 12);
  });

  it('sums over levels (paper) or averages (official code), same ranking', async () => {
    const g = await new GaussianAD().fit({ a: fx.train.a, b: fx.train.b });
    const m = await new GaussianAD({ aggregate: 'mean' }).fit({ a: fx.train.a, b: fx.train.b });
    const test = { a: fx.test.a, b: fx.test.b };
    const s = g.score(test);
    const sm = m.score(test);
    for (let i = 0; i < s.total.length; i++) {
      expect(s.total[i]).toBeCloseTo(s.perLevel.a[i] + s.perLevel.b[i], 12);
      expect(sm.total[i]).toBeCloseTo(s.total[i] / 2, 12);
    }
  });

  it('χ² working point: d = 2 gives sqrt(−2·ln(erfc(σ/√2)))', async () => {
    const g = await new GaussianAD({ estimator: 'empirical' }).fit({ f: X });
    // erfc(1/√2) = 0.31731050786291415, erfc(3/√2) = 0.0026997960632601866
    expect(g.chi2Threshold('f', 1)).toBeCloseTo(Math.sqrt(-2 * Math.log(0.31731050786291415)), 9);
    expect(g.chi2Threshold('f', 3)).toBeCloseTo(Math.sqrt(-2 * Math.log(0.0026997960632601866)), 9);
    expect(() => g.chi2Threshold('f', 0)).toThrow(InvalidArgumentError);
  });

  it('distanceTensor matches the host Mahalanobis and has gradient 2·P·(f − μ) for M²', async () => {
    const g = await new GaussianAD().fit({ a: fx.train.a });
    const x = tf.tensor2d(fx.test.a);
    const host = g.score({ a: fx.test.a }).perLevel.a;
    const dev = g.distanceTensor('a', x, 'mahalanobis');
    expect(relErr(await dev.data(), host)).toBeLessThan(1e-5);
    const grad = tf.grad((f: tf.Tensor) => tf.sum(g.distanceTensor('a', f as tf.Tensor2D, 'mahalanobis2')))(x);
    const P = g.level('a').precision;
    const mean = g.level('a').mean;
    const expected: number[] = [];
    for (const row of fx.test.a) {
      const d = row.map((v, i) => v - mean[i]);
      for (let i = 0; i < d.length; i++) {
        let s = 0;
        for (let j = 0; j < d.length; j++) s += P.data[i * d.length + j] * d[j];
        expected.push(2 * s);
      }
    }
    expect(relErr(await grad.data(), expected)).toBeLessThan(1e-4);
    const e2 = g.distanceTensor('a', x, 'euclidean2');
    const l2 = g.score({ a: fx.test.a }, { distance: 'l2' }).perLevel.a;
    expect(
      relErr(
        await e2.data(),
        Array.from(l2, (v) => v * v),
      ),
    ).toBeLessThan(1e-5);
    tf.dispose([x, dev, grad, e2]);
    g.dispose();
  });
});

describe('GaussianAD streaming and persistence', () => {
  const train = { a: fx.train.a, b: fx.train.b };
  async function* chunks(): AsyncGenerator<FeatureBatch> {
    for (const [s, e] of [
      [0, 7],
      [7, 33],
      [33, 60],
    ]) {
      const b = fx.train.b.slice(s, e);
      yield { a: fx.train.a.slice(s, e), b: { rows: b.length, cols: 20, data: Float64Array.from(b.flat()) } };
    }
  }

  it('a streaming fit over uneven async batches equals the one-shot fit', async () => {
    const once = await new GaussianAD().fit(train);
    const streamed = await new GaussianAD().fit(chunks());
    for (const l of ['a', 'b']) {
      expect(relErr(streamed.level(l).mean, once.level(l).mean)).toBeLessThan(1e-13);
      expect(relErr(streamed.level(l).precision.data, once.level(l).precision.data)).toBeLessThan(1e-10);
      expect(streamed.level(l).shrinkage).toBeCloseTo(once.level(l).shrinkage, 12);
    }
    const test = { a: fx.test.a, b: fx.test.b };
    expect(relErr(streamed.score(test).total, once.score(test).total)).toBeLessThan(1e-10);
    // float32 tensors streamed in two batches = the same tensor values in one batch
    const t = tf.tensor2d(fx.train.b);
    const oneT = await new GaussianAD().fit({ b: t });
    const parts = [tf.slice(t, [0, 0], [25, 20]), tf.slice(t, [25, 0], [35, 20])];
    const twoT = await new GaussianAD().fit(parts.map((p) => ({ b: p })));
    expect(relErr(twoT.level('b').precision.data, oneT.level('b').precision.data)).toBeLessThan(1e-10);
    tf.dispose([t, ...parts]);
  });

  it('toJSON → JSON text → fromJSON scores identically', async () => {
    const g = await new GaussianAD({ estimator: 'oas' }).fit(train);
    const back = GaussianAD.fromJSON(JSON.parse(JSON.stringify(g.toJSON())) as GaussianADJSON);
    expect(back.estimator).toBe('oas');
    const test = { a: fx.test.a, b: fx.test.b };
    expect(Array.from(back.score(test).total)).toEqual(Array.from(g.score(test).total));
    expect(back.chi2Threshold('b', 2)).toBe(g.chi2Threshold('b', 2));
  });

  it('fromJSON rejects malformed JSON with ModelFormatError', async () => {
    const j = (await new GaussianAD().fit(train)).toJSON();
    expect(() => GaussianAD.fromJSON({ ...j, version: 2 } as unknown as GaussianADJSON)).toThrow(ModelFormatError);
    const cut = JSON.parse(JSON.stringify(j)) as GaussianADJSON;
    cut.levels[0].precisionUpper.pop();
    expect(() => GaussianAD.fromJSON(cut)).toThrow(/precisionUpper must have 21 numbers/);
    const nan = JSON.parse(JSON.stringify(j)) as GaussianADJSON;
    nan.levels[1].mean[0] = null as unknown as number;
    expect(() => GaussianAD.fromJSON(nan)).toThrow(ModelFormatError);
  });
});

describe('GaussianAD bad input', () => {
  it('an empty normal set throws EmptyDatasetError', async () => {
    await expect(new GaussianAD().fit([])).rejects.toThrow(EmptyDatasetError);
    await expect(new GaussianAD().fit({ a: tf.zeros([0, 4]) })).rejects.toThrow(EmptyDatasetError);
  });

  it('a single normal image throws InvalidArgumentError', async () => {
    await expect(new GaussianAD().fit({ a: [[1, 2, 3]] })).rejects.toThrow(/single sample/);
    await expect(new GaussianAD().fit({ a: [[1, 2, 3]] })).rejects.toThrow(InvalidArgumentError);
  });

  it('d ≥ n without shrinkage (empirical) throws; Ledoit-Wolf fits the same data', async () => {
    const data = { c: fx.train.c };
    await expect(new GaussianAD({ estimator: 'empirical' }).fit(data)).rejects.toThrow(
      /feature dimension 40 ≥ sample count 30/,
    );
    const g = await new GaussianAD().fit(data);
    expect(g.level('c').shrinkage).toBeGreaterThan(0);
  });

  it('NaN features throw InvalidArgumentError naming the level, in fit and in score', async () => {
    const bad = fx.train.a.map((r) => [...r]);
    bad[3][2] = Number.NaN;
    await expect(new GaussianAD().fit({ a: bad })).rejects.toThrow(/level 'a' has a non-finite feature/);
    const g = await new GaussianAD().fit({ a: fx.train.a });
    expect(() => g.score({ a: bad })).toThrow(InvalidArgumentError);
    const t = tf.tensor2d(bad);
    expect(() => g.score({ a: t })).toThrow(/level 'a'/);
    t.dispose();
  });

  it('wrong shapes throw ShapeError; missing or inconsistent levels throw InvalidArgumentError', async () => {
    const g = await new GaussianAD().fit({ a: fx.train.a });
    expect(() => g.score({ a: fx.test.b })).toThrow(ShapeError);
    expect(() => g.score({ b: fx.test.a })).toThrow(/level 'a' is missing/);
    const t3 = tf.zeros([2, 3, 6]);
    expect(() => g.score({ a: t3 })).toThrow(ShapeError);
    t3.dispose();
    const s = new GaussianAD();
    s.partialFit({ a: fx.train.a.slice(0, 10) });
    expect(() => s.partialFit({ a: fx.train.b.slice(0, 10) })).toThrow(/has 20 features, earlier batches had 6/);
    expect(() => s.partialFit({ z: fx.train.a.slice(0, 10) })).toThrow(InvalidArgumentError);
    expect(() => new GaussianAD().partialFit({ a: fx.train.a.slice(0, 3), b: fx.train.b.slice(0, 4) })).toThrow(
      ShapeError,
    );
    expect(() => new GaussianAD().score({ a: fx.test.a })).toThrow(/not fitted/);
    expect(() => new GaussianAD({ estimator: 'mcd' as 'oas' })).toThrow(InvalidArgumentError);
  });
});
