import { describe, expect, it } from 'vitest';
import { createRng } from '../rng.js';
import { eye, matmulMatrix, type matrix, transposeMatrix } from './matrix.js';
import { pinvh, symEig } from './sym-eig.js';
import { fromSpectrum, randomOrthogonal, relErr } from './test-helpers.js';

function checkDecomposition(
  A: ReturnType<typeof matrix>,
  values: Float64Array,
  Q: ReturnType<typeof matrix>,
  tol: number,
) {
  const n = A.rows;
  // QᵀQ = I
  expect(relErr(matmulMatrix(transposeMatrix(Q), Q), eye(n))).toBeLessThan(tol);
  // Q Λ Qᵀ = A
  expect(relErr(fromSpectrum(Q, values), A)).toBeLessThan(tol);
  for (let i = 1; i < n; i++) expect(values[i]).toBeGreaterThanOrEqual(values[i - 1]);
}

describe('symEig', () => {
  for (const method of ['jacobi', 'tridiagonal'] as const) {
    it(`${method}: recovers known spectra (QΛQᵀ) including negative and repeated eigenvalues`, () => {
      const rng = createRng(`eig-${method}`);
      for (const n of [1, 2, 5, 17, 64]) {
        const lambda = Array.from({ length: n }, (_, i) => (i % 3 === 0 ? 2 : -3 + 0.5 * i) * (1 + i / n));
        const Q = randomOrthogonal(n, rng);
        const A = fromSpectrum(Q, lambda);
        const { values, vectors } = symEig(A, { method });
        const sorted = [...lambda].sort((a, b) => a - b);
        for (let i = 0; i < n; i++) expect(Math.abs(values[i] - sorted[i])).toBeLessThan(1e-12 * 10 * n);
        checkDecomposition(A, values, vectors, 1e-12);
      }
    });
  }

  it('eigenvectors of a matrix with distinct eigenvalues match the generating Q up to sign', () => {
    const rng = createRng('eigvec');
    const n = 12;
    const lambda = Array.from({ length: n }, (_, i) => i + 1);
    const Q = randomOrthogonal(n, rng);
    const { vectors } = symEig(fromSpectrum(Q, lambda));
    for (let c = 0; c < n; c++) {
      let dot = 0;
      for (let r = 0; r < n; r++) dot += vectors.data[r * n + c] * Q.data[r * n + c];
      expect(Math.abs(Math.abs(dot) - 1)).toBeLessThan(1e-12);
    }
  });

  it('the tridiagonal method handles n = 200 quickly and agrees with Jacobi', () => {
    const rng = createRng('eig-200');
    const n = 200;
    const lambda = Array.from({ length: n }, (_, i) => Math.exp(-i / 20));
    const A = fromSpectrum(randomOrthogonal(n, rng), lambda);
    const t0 = performance.now();
    const tri = symEig(A); // auto → tridiagonal
    const ms = performance.now() - t0;
    checkDecomposition(A, tri.values, tri.vectors, 1e-12);
    const jac = symEig(A, { method: 'jacobi' });
    expect(relErr(jac.values, tri.values)).toBeLessThan(1e-12);
    console.log(`symEig n=200: tridiagonal ${ms.toFixed(0)} ms`);
  });

  it('pinvh inverts the non-zero part of a rank-deficient matrix', () => {
    const rng = createRng('pinvh');
    const n = 8;
    const Q = randomOrthogonal(n, rng);
    const lambda = [0, 0, 0.5, 1, 2, 3, 4, 5];
    const A = fromSpectrum(Q, lambda);
    const P = pinvh(A);
    const expected = fromSpectrum(
      Q,
      lambda.map((v) => (v === 0 ? 0 : 1 / v)),
    );
    expect(relErr(P, expected)).toBeLessThan(1e-10);
    // Moore-Penrose: A P A = A
    expect(relErr(matmulMatrix(matmulMatrix(A, P), A), A)).toBeLessThan(1e-12);
  });
});
