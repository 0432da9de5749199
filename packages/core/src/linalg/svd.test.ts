import { describe, expect, it } from 'vitest';
import { createRng } from '../rng.js';
import { eye, type Matrix, matmulMatrix, matrix, transposeMatrix } from './matrix.js';
import { svdSmall } from './svd.js';
import { randn, randomOrthogonal, relErr } from './test-helpers.js';

function reconstruct(U: Matrix, s: Float64Array, V: Matrix): Matrix {
  const us = matrix(U.rows, U.cols, Float64Array.from(U.data));
  for (let i = 0; i < U.rows; i++) for (let j = 0; j < U.cols; j++) us.data[i * U.cols + j] *= s[j];
  return matmulMatrix(us, transposeMatrix(V));
}

describe('svdSmall', () => {
  it('reconstructs tall, wide and square random matrices with orthonormal factors', () => {
    const rng = createRng('svd');
    for (const [m, n] of [
      [1, 1],
      [6, 4],
      [4, 6],
      [30, 30],
      [80, 25],
    ]) {
      const A = randn(m, n, rng);
      const { U, s, V } = svdSmall(A);
      const k = Math.min(m, n);
      expect(U.cols).toBe(k);
      expect(V.cols).toBe(k);
      expect(relErr(reconstruct(U, s, V), A)).toBeLessThan(1e-13);
      expect(relErr(matmulMatrix(transposeMatrix(U), U), eye(k))).toBeLessThan(1e-13);
      expect(relErr(matmulMatrix(transposeMatrix(V), V), eye(k))).toBeLessThan(1e-13);
      for (let i = 1; i < k; i++) expect(s[i]).toBeLessThanOrEqual(s[i - 1]);
    }
  });

  it('recovers known singular values, including zeros (rank-deficient)', () => {
    const rng = createRng('svd-known');
    const m = 12;
    const n = 7;
    const sigma = [9, 5, 5, 1, 1e-3, 0, 0];
    const P = randomOrthogonal(m, rng);
    const Q = randomOrthogonal(n, rng);
    // A = P[:, :n] diag(sigma) Qᵀ
    const A = matrix(m, n);
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        let v = 0;
        for (let k = 0; k < n; k++) v += P.data[i * m + k] * sigma[k] * Q.data[j * n + k];
        A.data[i * n + j] = v;
      }
    }
    const { U, s, V } = svdSmall(A);
    for (let i = 0; i < n; i++) expect(Math.abs(s[i] - sigma[i])).toBeLessThan(1e-13 * 9);
    expect(relErr(reconstruct(U, s, V), A)).toBeLessThan(1e-13);
    expect(relErr(matmulMatrix(transposeMatrix(U), U), eye(n))).toBeLessThan(1e-12);
  });
});
