import { createRng } from '@ft/core';
import { describe, expect, it } from 'vitest';
import {
  cconjT,
  chermSolve,
  cmat,
  cmatmul,
  cmatmulAH,
  cmatmulBH,
  crowNorms2,
  cspectralNorm2,
  realify64,
} from './host-complex.js';
import { maxAbsDiffC, randomCMat } from './test-helpers.js';

describe('host complex matrices', () => {
  it('cmatmul agrees with the realified product: realify(A)·[Re x; Im x] = [Re Ax; Im Ax]', () => {
    const A = randomCMat(5, 7, 1);
    const x = randomCMat(7, 1, 2);
    const y = cmatmul(A, x);
    const R = realify64(A);
    for (let i = 0; i < 5; i++) {
      let re = 0;
      let im = 0;
      for (let j = 0; j < 7; j++) {
        re += R.data[i * 14 + j] * x.re[j] + R.data[i * 14 + 7 + j] * x.im[j];
        im += R.data[(5 + i) * 14 + j] * x.re[j] + R.data[(5 + i) * 14 + 7 + j] * x.im[j];
      }
      expect(y.re[i]).toBeCloseTo(re, 12);
      expect(y.im[i]).toBeCloseTo(im, 12);
    }
  });

  it('AᴴB and ABᴴ match explicit conjugate transposes', () => {
    const A = randomCMat(4, 6, 3);
    const B = randomCMat(4, 3, 4);
    expect(maxAbsDiffC(cmatmulAH(A, B), cmatmul(cconjT(A), B))).toBeLessThan(1e-12);
    const C = randomCMat(5, 6, 5);
    expect(maxAbsDiffC(cmatmulBH(A, C), cmatmul(A, cconjT(C)))).toBeLessThan(1e-12);
  });

  it('chermSolve solves a Hermitian positive definite system to 1e-10', () => {
    const G = randomCMat(6, 6, 6);
    const A = cmatmulAH(G, G);
    for (let i = 0; i < 6; i++) A.re[i * 6 + i] += 0.5;
    const B = randomCMat(6, 2, 7);
    const X = chermSolve(A, B);
    expect(maxAbsDiffC(cmatmul(A, X), B)).toBeLessThan(1e-10);
  });

  it('cspectralNorm2 equals the largest squared singular value (diagonal case and random vs AᴴA trace bound)', () => {
    const D = cmat(3, 3);
    D.re[0] = 1;
    D.im[4] = -3; // |−3i| = 3
    D.re[8] = 2;
    expect(cspectralNorm2(D)).toBeCloseTo(9, 8);
    const A = randomCMat(8, 20, 8);
    const s2 = cspectralNorm2(A, 500);
    const fro2 = crowNorms2(A).reduce((a, b) => a + b, 0);
    expect(s2).toBeLessThanOrEqual(fro2);
    expect(s2).toBeGreaterThanOrEqual(fro2 / 8);
    // Rayleigh quotient at the returned optimum cannot be beaten by random directions
    const rng = createRng(9);
    for (let t = 0; t < 20; t++) {
      const v = cmat(20, 1);
      for (let i = 0; i < 20; i++) {
        v.re[i] = rng.normal();
        v.im[i] = rng.normal();
      }
      const nv = crowNorms2(v).reduce((a, b) => a + b, 0);
      const av = crowNorms2(cmatmul(A, v)).reduce((a, b) => a + b, 0);
      expect(av / nv).toBeLessThanOrEqual(s2 * (1 + 1e-9));
    }
  });
});
