import '@tensorflow/tfjs-backend-cpu';
import { NotPositiveDefiniteError } from '@ft/core';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { complexSolve, hermitianInverse, hermitianSolve } from './complex-solve.js';
import { cmatmul } from './complex-tensor.js';
import { type CMat, cmatmul as hostMatmul } from './host-complex.js';
import { maxAbsDiffTensor as maxAbsDiff, randomCMat, cmatToTensor as toC } from './test-helpers.js';

let startTensors = 0;
beforeAll(async () => {
  await tf.setBackend('cpu');
  startTensors = tf.memory().numTensors;
});
afterAll(() => {
  // every test disposes what it creates
  expect(tf.memory().numTensors).toBe(startTensors);
});

describe('host complex solves through realify (Float64)', () => {
  it('hermitianSolve / hermitianInverse / complexSolve give small residuals', () => {
    tf.tidy(() => solveCheck());
  });
});

function solveCheck() {
  const n = 6;
  const g = randomCMat(n, n, 'herm', true);
  // S = G Gᴴ + n·I (Hermitian PD)
  const gh: CMat = { rows: n, cols: n, re: new Float64Array(n * n), im: new Float64Array(n * n) };
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      gh.re[i * n + j] = g.re[j * n + i];
      gh.im[i * n + j] = -g.im[j * n + i];
    }
  }
  const S = hostMatmul(g, gh);
  for (let i = 0; i < n; i++) S.re[i * n + i] += n;
  const b = randomCMat(n, 2, 'rhs', true);
  const Shost = { re: { rows: n, cols: n, data: S.re }, im: { rows: n, cols: n, data: S.im } };
  const Bhost = { re: { rows: n, cols: 2, data: b.re }, im: { rows: n, cols: 2, data: b.im } };
  const X = hermitianSolve(Shost, Bhost);
  const Xh: CMat = {
    rows: n,
    cols: 2,
    re: Float64Array.from(X.re.dataSync()),
    im: Float64Array.from(X.im.dataSync()),
  };
  const SX = hostMatmul(S, Xh);
  for (let i = 0; i < b.re.length; i++) {
    expect(Math.abs(SX.re[i] - b.re[i])).toBeLessThan(1e-4);
    expect(Math.abs(SX.im[i] - b.im[i])).toBeLessThan(1e-4);
  }
  const P = hermitianInverse(Shost);
  const Ph: CMat = {
    rows: n,
    cols: n,
    re: Float64Array.from(P.re.dataSync()),
    im: Float64Array.from(P.im.dataSync()),
  };
  const I = hostMatmul(S, Ph);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      expect(Math.abs(I.re[i * n + j] - (i === j ? 1 : 0))).toBeLessThan(1e-5);
      expect(Math.abs(I.im[i * n + j])).toBeLessThan(1e-5);
      // Hermitian result
      expect(Ph.re[i * n + j]).toBe(Ph.re[j * n + i]);
      expect(Ph.im[i * n + j] + Ph.im[j * n + i]).toBe(0);
    }
  }
  // general (non-Hermitian) complex solve, tensors in
  const A = toC(randomCMat(n, n, 'gen', true));
  const B = toC(b);
  const Y = complexSolve(A, B);
  const AY = cmatmul(A, Y);
  expect(maxAbsDiff(AY.re, b.re)).toBeLessThan(1e-4);
  expect(maxAbsDiff(AY.im, b.im)).toBeLessThan(1e-4);
  // a non-PD "Hermitian" input is refused
  const bad = {
    re: [
      [1, 0],
      [0, -1],
    ],
    im: [
      [0, 0],
      [0, 0],
    ],
  };
  expect(() => hermitianSolve(bad, { re: [1, 1], im: [0, 0] })).toThrow(NotPositiveDefiniteError);
}
