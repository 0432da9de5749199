import { InvalidArgumentError, matrix, ShapeError } from '@ft/core';
import { describe, expect, it } from 'vitest';
import { distances, l2ToMean, mahalanobis, standardizedEuclidean } from './distances.js';

const rows = (r: number[][]) => matrix(r.length, r[0].length, Float64Array.from(r.flat()));

describe('mahalanobis', () => {
  it('identity precision = Euclidean distance to the mean', () => {
    const x = rows([
      [3, 4, 0],
      [1, 1, 1],
      [0, 0, 0],
    ]);
    const mean = [0, 0, 0];
    const eye = rows([
      [1, 0, 0],
      [0, 1, 0],
      [0, 0, 1],
    ]);
    expect(Array.from(mahalanobis(x, mean, eye))).toEqual(Array.from(l2ToMean(x, mean)));
    expect(Array.from(mahalanobis(x, mean, eye))).toEqual([5, Math.sqrt(3), 0]);
  });

  it('2×2 hand computation: Σ = [[2, 1], [1, 2]], P = Σ⁻¹ = [[2, −1], [−1, 2]]/3', () => {
    // x − μ = (1, 0): q = 2/3; (1, 1): q = (2 − 1 − 1 + 2)/3 = 2/3; (1, −1): q = (2 + 1 + 1 + 2)/3 = 2
    const x = rows([
      [2, 1],
      [2, 2],
      [2, 0],
    ]);
    const p = rows([
      [2 / 3, -1 / 3],
      [-1 / 3, 2 / 3],
    ]);
    const d = mahalanobis(x, [1, 1], p);
    expect(d[0]).toBeCloseTo(Math.sqrt(2 / 3), 14);
    expect(d[1]).toBeCloseTo(Math.sqrt(2 / 3), 14);
    expect(d[2]).toBeCloseTo(Math.sqrt(2), 14);
  });

  it('diagonal precision = standardised Euclidean with σ² = 1/P_ii; a negative form is clamped to 0', () => {
    const x = rows([
      [1, 2],
      [-3, 0.5],
    ]);
    const mean = [0.5, -1];
    const variance = [4, 0.25];
    const p = rows([
      [0.25, 0],
      [0, 4],
    ]);
    const m = mahalanobis(x, mean, p);
    const s = standardizedEuclidean(x, mean, variance);
    for (let i = 0; i < 2; i++) expect(m[i]).toBeCloseTo(s[i], 14);
    // an indefinite "precision" makes q < 0: the distance is clamped at 0 rather than NaN
    expect(
      Array.from(
        mahalanobis(
          rows([[1, 0]]),
          [0, 0],
          rows([
            [-1, 0],
            [0, 1],
          ]),
        ),
      ),
    ).toEqual([0]);
  });

  it('rejects a mean or precision of the wrong size', () => {
    const x = rows([[1, 2]]);
    expect(() => mahalanobis(x, [0], rows([[1]]))).toThrow(ShapeError);
    expect(() => mahalanobis(x, [0, 0], rows([[1, 0, 0]]))).toThrow(/precision is 1×3, features have d = 2/);
  });
});

describe('l2ToMean / standardizedEuclidean', () => {
  it('hand values; zero-variance coordinates are skipped; bad variances throw', () => {
    const x = rows([[1, 5, 9]]);
    expect(Array.from(l2ToMean(x, [1, 1, 9]))).toEqual([4]);
    // (5 − 1)²/4 + coordinate 0 skipped (σ² = 0) + 0 → √4 = 2
    expect(Array.from(standardizedEuclidean(x, [0, 1, 9], [0, 4, 1]))).toEqual([2]);
    expect(() => standardizedEuclidean(x, [0, 0, 0], [1, -1, 1])).toThrow(InvalidArgumentError);
    expect(() => standardizedEuclidean(x, [0, 0, 0], [1, Number.NaN, 1])).toThrow(InvalidArgumentError);
    expect(() => standardizedEuclidean(x, [0, 0, 0], [1, 1])).toThrow(ShapeError);
    expect(() => l2ToMean(x, [0, 0])).toThrow(ShapeError);
  });

  it('the distances table names the three functions', () => {
    expect(distances).toEqual({ mahalanobis, l2ToMean, standardizedEuclidean });
  });
});
