import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { NotPositiveDefiniteError, SingularMatrixError } from '../errors.js';
import { createRng } from '../rng.js';
import { cholesky, choleskyFactor, choleskySolve, logdet, solveTriangular, spdInverse, spdSolve } from './cholesky.js';
import { eye, frobeniusNorm, type Matrix, matmulMatrix, matrix, transposeMatrix } from './matrix.js';
import { fromSpectrum, randn, randomOrthogonal, randomSpd, relErr } from './test-helpers.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

/** ‖L·Lᵀ − A‖_F / ‖A‖_F using only the lower triangle of L (n³/6 multiply-adds). */
function reconstructionError(L: Matrix, A: Matrix): number {
  const n = L.rows;
  const l = L.data;
  const diff = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    const oi = i * n;
    for (let j = 0; j <= i; j++) {
      const oj = j * n;
      let s = 0;
      for (let k = 0; k <= j; k++) s += l[oi + k] * l[oj + k];
      const d = s - A.data[oi + j];
      diff[oi + j] = d;
      diff[oj + i] = d;
    }
  }
  return frobeniusNorm(diff) / frobeniusNorm(A);
}

describe('cholesky', () => {
  it('reconstructs random SPD matrices (n = 1 … 257) to 1e-10 and L is lower triangular', () => {
    const rng = createRng('chol');
    for (const n of [1, 2, 5, 33, 128, 257]) {
      const A = randomSpd(n, rng);
      const L = cholesky(A);
      expect(reconstructionError(L, A)).toBeLessThan(1e-10);
      for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) expect(L.data[i * n + j]).toBe(0);
      for (let i = 0; i < n; i++) expect(L.data[i * n + i]).toBeGreaterThan(0);
    }
  });

  it('acceptance: d = 1024 random SPD reconstructs to < 1e-10 within seconds', () => {
    const rng = createRng('chol-1024');
    const n = 1024;
    const A = randomSpd(n, rng, 96, 1e-2); // low rank + ridge: condition number ≈ 1e3
    const t0 = performance.now();
    const { L, jitter } = choleskyFactor(A);
    const ms = performance.now() - t0;
    const err = reconstructionError(L, A);
    console.log(`cholesky d=1024: ${ms.toFixed(0)} ms, ‖LLᵀ−A‖/‖A‖ = ${err.toExponential(2)}`);
    expect(jitter).toBe(0);
    expect(err).toBeLessThan(1e-10);
    expect(ms).toBeLessThan(5000);
  });

  it('accepts tensors, nested arrays and flat Float64Array input with the same result', () => {
    const A = [
      [4, 2, 0.4],
      [2, 5, 1],
      [0.4, 1, 3],
    ];
    const a = cholesky(A);
    const b = cholesky(Float64Array.from(A.flat()));
    const t = tf.tensor2d(A);
    const c = cholesky(t);
    t.dispose();
    expect(Array.from(b.data)).toEqual(Array.from(a.data));
    expect(relErr(c, a)).toBeLessThan(1e-7); // float32 input
    // closed form of the first column
    expect(a.data[0]).toBeCloseTo(2, 14);
    expect(a.data[3]).toBeCloseTo(1, 14);
    expect(a.data[6]).toBeCloseTo(0.2, 14);
  });

  it('retries with jitter for a singular PSD matrix and reports it', () => {
    const v = [1, 2, 3, 4];
    const A = matrix(4, 4);
    for (let i = 0; i < 4; i++) for (let j = 0; j < 4; j++) A.data[i * 4 + j] = v[i] * v[j];
    const { L, jitter, shift } = choleskyFactor(A);
    expect(jitter).toBeGreaterThanOrEqual(1e-10);
    expect(jitter).toBeLessThanOrEqual(1e-4);
    expect(shift).toBeCloseTo(jitter * 7.5, 12); // mean(diag) = 30/4
    const shifted = matrix(4, 4, Float64Array.from(A.data));
    for (let i = 0; i < 4; i++) shifted.data[i * 4 + i] += shift;
    expect(reconstructionError(L, shifted)).toBeLessThan(1e-10);
    expect(() => cholesky(A, { jitter: false })).toThrow(NotPositiveDefiniteError);
  });

  it('throws NotPositiveDefiniteError naming the size and pivot for an indefinite matrix', () => {
    const A = [
      [1, 2],
      [2, 1],
    ];
    let err: unknown;
    try {
      cholesky(A);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(NotPositiveDefiniteError);
    const e = err as NotPositiveDefiniteError;
    expect(e.message).toContain('2×2');
    expect(e.message).toContain('pivot 1');
    expect(e.details).toMatchObject({ size: 2, pivot: 1, jitter: 1e-4 });
    expect(e.code).toBe('NOT_POSITIVE_DEFINITE');
  });
});

describe('triangular and SPD solves', () => {
  it('solveTriangular handles lower/upper × transpose with small residuals', () => {
    const rng = createRng('tri');
    const n = 40;
    const L = randn(n, n, rng);
    for (let i = 0; i < n; i++) {
      for (let j = i + 1; j < n; j++) L.data[i * n + j] = 0;
      L.data[i * n + i] = 3 + Math.abs(L.data[i * n + i]);
    }
    const U = transposeMatrix(L);
    const B = randn(n, 3, rng);
    const cases: [Matrix, boolean, boolean, Matrix][] = [
      [L, true, false, L],
      [L, true, true, U],
      [U, false, false, U],
      [U, false, true, L],
    ];
    for (const [T, lower, transpose, effective] of cases) {
      const X = solveTriangular(T, B, { lower, transpose });
      expect(relErr(matmulMatrix(effective, X), B)).toBeLessThan(1e-13);
    }
    // unit diagonal ignores the stored diagonal
    const Xu = solveTriangular(L, B, { unitDiagonal: true });
    const Lu = matrix(n, n, Float64Array.from(L.data));
    for (let i = 0; i < n; i++) Lu.data[i * n + i] = 1;
    expect(relErr(matmulMatrix(Lu, Xu), B)).toBeLessThan(1e-12);
    const Z = matrix(2, 2, Float64Array.from([1, 0, 1, 0]));
    expect(() => solveTriangular(Z, [1, 1])).toThrow(SingularMatrixError);
  });

  it('choleskySolve / spdSolve give small residuals; a flat right-hand side is a column', () => {
    const rng = createRng('spd-solve');
    const n = 60;
    const A = randomSpd(n, rng);
    const B = randn(n, 4, rng);
    const X = spdSolve(A, B);
    expect(relErr(matmulMatrix(A, X), B)).toBeLessThan(1e-10);
    const b = Array.from({ length: n }, (_, i) => Math.sin(i));
    const x = choleskySolve(cholesky(A), b);
    expect(x.rows).toBe(n);
    expect(x.cols).toBe(1);
    expect(relErr(matmulMatrix(A, x), Float64Array.from(b))).toBeLessThan(1e-10);
  });

  it('spdInverse · A ≈ I and the inverse is exactly symmetric', () => {
    const rng = createRng('inv');
    for (const n of [1, 7, 90]) {
      const A = randomSpd(n, rng);
      const P = spdInverse(A);
      expect(relErr(matmulMatrix(P, A), eye(n))).toBeLessThan(1e-9);
      for (let i = 0; i < n; i++) for (let j = 0; j < i; j++) expect(P.data[i * n + j]).toBe(P.data[j * n + i]);
    }
  });

  it('logdet matches closed forms (diagonal, QΛQᵀ)', () => {
    const diag = [0.5, 2, 3, 1e-3, 10];
    const D = matrix(5, 5);
    diag.forEach((v, i) => {
      D.data[i * 5 + i] = v;
    });
    expect(logdet(D)).toBeCloseTo(
      diag.reduce((s, v) => s + Math.log(v), 0),
      12,
    );
    const rng = createRng('logdet');
    const n = 30;
    const lambda = Array.from({ length: n }, (_, i) => 0.1 + i * 0.37);
    const A = fromSpectrum(randomOrthogonal(n, rng), lambda);
    const expected = lambda.reduce((s, v) => s + Math.log(v), 0);
    expect(Math.abs(logdet(A) - expected)).toBeLessThan(1e-10 * Math.abs(expected));
  });
});
