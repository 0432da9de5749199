import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { EmptyDatasetError, InvalidArgumentError, ShapeError } from '../errors.js';
import { createRng } from '../rng.js';
import { CovarianceAccumulator, centeredNorm4Sum } from './covariance.js';
import { type Matrix, matrix } from './matrix.js';
import { randn, relErr } from './test-helpers.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

/** Reference two-pass statistics of the rows of X. */
function reference(X: Matrix) {
  const { rows: n, cols: d, data } = X;
  const mean = new Float64Array(d);
  for (let r = 0; r < n; r++) for (let i = 0; i < d; i++) mean[i] += data[r * d + i] / n;
  const scatter = matrix(d, d);
  const t = new Float64Array(d);
  let f = 0;
  for (let r = 0; r < n; r++) {
    let s = 0;
    for (let i = 0; i < d; i++) s += (data[r * d + i] - mean[i]) ** 2;
    f += s * s;
    for (let i = 0; i < d; i++) {
      const yi = data[r * d + i] - mean[i];
      t[i] += s * yi;
      for (let j = 0; j < d; j++) scatter.data[i * d + j] += yi * (data[r * d + j] - mean[j]);
    }
  }
  return { mean, scatter, t, f };
}

/** Correlated data far from the origin. */
function sample(n: number, d: number, seed: string, offset = 100): Matrix {
  const rng = createRng(seed);
  const z = randn(n, d, rng);
  const X = matrix(n, d);
  for (let r = 0; r < n; r++) {
    for (let i = 0; i < d; i++) {
      let v = offset + i;
      for (let k = 0; k <= i; k++) v += z.data[r * d + k] * (1 + 0.3 * k);
      X.data[r * d + i] = v;
    }
  }
  return X;
}

function feed(acc: CovarianceAccumulator, X: Matrix, sizes: number[]) {
  let r = 0;
  let s = 0;
  while (r < X.rows) {
    const b = Math.min(sizes[s++ % sizes.length], X.rows - r);
    acc.update(X.data.subarray(r * X.cols, (r + b) * X.cols));
    r += b;
  }
}

describe('CovarianceAccumulator', () => {
  it('equals the batch mean / covariance / fourth moment regardless of chunking', () => {
    const X = sample(203, 9, 'acc');
    const ref = reference(X);
    const splits: [number[], number][] = [
      [[203], 256],
      [[1], 256],
      [[7, 1, 50, 3], 256],
      [[203], 4], // internal chunking
      [[64, 64, 75], 5],
    ];
    for (const [sizes, chunkRows] of splits) {
      const acc = new CovarianceAccumulator(9, { chunkRows });
      feed(acc, X, sizes);
      expect(acc.count).toBe(203);
      expect(relErr(acc.mean(), ref.mean)).toBeLessThan(1e-14);
      expect(relErr(acc.scatter(), ref.scatter)).toBeLessThan(1e-12);
      expect(Math.abs(acc.sumNorm4() - ref.f) / ref.f).toBeLessThan(1e-11);
      expect(relErr(Float64Array.from(acc.toJSON().norm2Moment), ref.t)).toBeLessThan(1e-9);
      const cov = acc.covariance();
      expect(
        relErr(
          cov,
          matrix(
            9,
            9,
            ref.scatter.data.map((v) => v / 202),
          ),
        ),
      ).toBeLessThan(1e-12);
      const mle = acc.covariance({ ddof: 0 });
      expect(
        relErr(
          mle,
          matrix(
            9,
            9,
            ref.scatter.data.map((v) => v / 203),
          ),
        ),
      ).toBeLessThan(1e-12);
    }
  });

  it('stays accurate for data far from the origin (offset 1e6, unit spread)', () => {
    const X = sample(500, 4, 'offset', 1e6);
    const ref = reference(X);
    const acc = new CovarianceAccumulator(4, { chunkRows: 16 });
    feed(acc, X, [1, 3, 37]);
    expect(relErr(acc.scatter(), ref.scatter)).toBeLessThan(1e-9);
    expect(Math.abs(acc.sumNorm4() - ref.f) / ref.f).toBeLessThan(1e-8);
  });

  it('merge equals one accumulator over the concatenated data', () => {
    const X = sample(120, 6, 'merge');
    const ref = reference(X);
    const a = new CovarianceAccumulator(6);
    const b = new CovarianceAccumulator(6);
    const c = new CovarianceAccumulator(6);
    a.update(X.data.subarray(0, 30 * 6));
    b.update(X.data.subarray(30 * 6, 100 * 6));
    c.update(X.data.subarray(100 * 6));
    const empty = new CovarianceAccumulator(6);
    empty.merge(a).merge(b).merge(c).merge(new CovarianceAccumulator(6));
    expect(empty.count).toBe(120);
    expect(relErr(empty.mean(), ref.mean)).toBeLessThan(1e-14);
    expect(relErr(empty.scatter(), ref.scatter)).toBeLessThan(1e-12);
    expect(Math.abs(empty.sumNorm4() - ref.f) / ref.f).toBeLessThan(1e-11);
    expect(a.count).toBe(30); // merge leaves the argument unchanged
  });

  it('accepts tensors, number[][], Matrix and Float32Array rows', () => {
    const rows = [
      [1, 2],
      [3, 5],
      [4, 4],
      [0, 1],
    ];
    const ref = reference(matrix(4, 2, Float64Array.from(rows.flat())));
    const t = tf.tensor2d(rows);
    const inputs = [t, rows, matrix(4, 2, Float64Array.from(rows.flat())), Float32Array.from(rows.flat()), rows.flat()];
    for (const input of inputs) {
      const acc = new CovarianceAccumulator(2).update(input);
      expect(relErr(acc.scatter(), ref.scatter)).toBeLessThan(1e-15);
    }
    const one = tf.tensor1d([1, 2]);
    expect(new CovarianceAccumulator(2).update(one).count).toBe(1);
    tf.dispose([t, one]);
  });

  it('round-trips through JSON exactly and keeps accumulating identically', () => {
    const X = sample(50, 5, 'json');
    const a = new CovarianceAccumulator(5);
    a.update(X.data.subarray(0, 20 * 5));
    const b = CovarianceAccumulator.fromJSON(JSON.parse(JSON.stringify(a)));
    expect(b.toJSON()).toEqual(a.toJSON());
    a.update(X.data.subarray(20 * 5));
    b.update(X.data.subarray(20 * 5));
    expect(Array.from(b.scatter().data)).toEqual(Array.from(a.scatter().data));
    expect(b.sumNorm4()).toBe(a.sumNorm4());
    expect(() => CovarianceAccumulator.fromJSON({ ...a.toJSON(), mean: [1, 2] })).toThrow(/mean must have 5/);
  });

  it('rejects bad input with typed errors', () => {
    const acc = new CovarianceAccumulator(3);
    expect(() => acc.mean()).toThrow(EmptyDatasetError);
    expect(() => acc.update(new Float64Array(4))).toThrow(ShapeError);
    expect(() => acc.update([[1, 2]])).toThrow(ShapeError);
    expect(() => acc.update([1, Number.NaN, 2])).toThrow(InvalidArgumentError);
    expect(() => new CovarianceAccumulator(0)).toThrow(InvalidArgumentError);
    acc.update([1, 2, 3]);
    expect(() => acc.covariance()).toThrow(EmptyDatasetError); // ddof = 1 needs 2 rows
    expect(Array.from(acc.covariance({ ddof: 0 }).data)).toEqual(new Array(9).fill(0));
  });

  it('centeredNorm4Sum gives the same fourth moment in a second pass', () => {
    const X = sample(40, 3, 'norm4');
    const ref = reference(X);
    const half = 20 * 3;
    const two =
      centeredNorm4Sum(matrix(20, 3, X.data.slice(0, half)), ref.mean) +
      centeredNorm4Sum(matrix(20, 3, X.data.slice(half)), ref.mean);
    expect(Math.abs(two - ref.f) / ref.f).toBeLessThan(1e-13);
  });
});
