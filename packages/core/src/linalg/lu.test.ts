import { describe, expect, it } from 'vitest';
import { SingularMatrixError } from '../errors.js';
import { createRng } from '../rng.js';
import { det, luFactor, luSolve, solve } from './lu.js';
import { matmulMatrix, matrix } from './matrix.js';
import { randn, relErr } from './test-helpers.js';

describe('LU solve', () => {
  it('solves random non-symmetric systems with small residuals', () => {
    const rng = createRng('lu');
    for (const n of [1, 3, 20, 150]) {
      const A = randn(n, n, rng);
      const B = randn(n, 5, rng);
      const X = solve(A, B);
      expect(relErr(matmulMatrix(A, X), B)).toBeLessThan(1e-11);
    }
  });

  it('needs pivoting for a zero leading entry and reuses one factorisation', () => {
    const A = [
      [0, 2, 1],
      [1, 1, 0],
      [3, 0, 1],
    ];
    const f = luFactor(A);
    expect(Array.from(f.perm)).toEqual([2, 0, 1]);
    const x = luSolve(f, [3, 2, 4]); // solution (1, 1, 1)
    expect(Array.from(x.data).map((v) => Number(v.toFixed(12)))).toEqual([1, 1, 1]);
    const y = luSolve(f, [[1], [0], [0]]);
    expect(
      relErr(matmulMatrix(matrix(3, 3, Float64Array.from(A.flat())), y), Float64Array.from([1, 0, 0])),
    ).toBeLessThan(1e-14);
  });

  it('throws SingularMatrixError naming the pivot for singular matrices', () => {
    const A = [
      [1, 2, 3],
      [2, 4, 6],
      [1, 0, 1],
    ];
    expect(() => solve(A, [1, 2, 3])).toThrow(SingularMatrixError);
    expect(() => solve(A, [1, 2, 3])).toThrow(/3×3.*pivot 2/);
  });

  it('det matches closed forms', () => {
    expect(
      det([
        [2, 0, 0],
        [0, 3, 0],
        [0, 0, -4],
      ]),
    ).toBeCloseTo(-24, 12);
    expect(
      det([
        [0, 1],
        [1, 0],
      ]),
    ).toBeCloseTo(-1, 14); // one row swap
    expect(
      det([
        [1, 2],
        [2, 4],
      ]),
    ).toBe(0);
    expect(
      det([
        [4, 3],
        [6, 3],
      ]),
    ).toBeCloseTo(-6, 13);
  });
});
