import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-layers'; // registers the gradients of tfjs-core ops
import { createRng } from '@ft/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type CTensor,
  cabs2,
  cadd,
  cmatmul,
  cmul,
  complexToReal,
  conjT,
  crandn,
  cscale,
  csub,
  realify,
  realToComplex,
  rowNorms2,
  stackRows,
  unrealify,
  unstackRows,
} from './complex-tensor.js';
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

function disposeC(...cs: CTensor[]) {
  for (const c of cs) tf.dispose([c.re, c.im]);
}

describe('complex-as-real arithmetic', () => {
  it('cmatmul matches a Float64 host complex product', () => {
    const a = randomCMat(4, 3, 'a', true);
    const b = randomCMat(3, 5, 'b', true);
    const ref = hostMatmul(a, b);
    const A = toC(a);
    const B = toC(b);
    const C = cmatmul(A, B);
    expect(C.re.shape).toEqual([4, 5]);
    expect(maxAbsDiff(C.re, ref.re)).toBeLessThan(1e-5);
    expect(maxAbsDiff(C.im, ref.im)).toBeLessThan(1e-5);
    disposeC(A, B, C);
  });

  it('realify(A)·stackRows(x) = stackRows(A·x), and realify(AB) = realify(A)·realify(B)', () => {
    tf.tidy(() => {
      const A = toC(randomCMat(5, 4, 'ra', true));
      const x = toC(randomCMat(4, 2, 'rx', true));
      const B = toC(randomCMat(4, 3, 'rb', true));
      const lhs = tf.matMul(realify(A), stackRows(x));
      const rhs = stackRows(cmatmul(A, x));
      expect(lhs.shape).toEqual([10, 2]);
      expect(tf.max(tf.abs(tf.sub(lhs, rhs))).dataSync()[0]).toBeLessThan(1e-5);
      const r1 = realify(cmatmul(A, B));
      const r2 = tf.matMul(realify(A), realify(B));
      expect(tf.max(tf.abs(tf.sub(r1, r2))).dataSync()[0]).toBeLessThan(1e-5);
      // unrealify ∘ realify = id, unstackRows ∘ stackRows = id
      const back = unrealify(realify(A));
      expect(maxAbsDiff(back.re, A.re.dataSync())).toBe(0);
      expect(maxAbsDiff(back.im, A.im.dataSync())).toBe(0);
      const un = unstackRows(stackRows(x));
      expect(maxAbsDiff(un.im, x.im.dataSync())).toBe(0);
    });
  });

  it('cadd, csub, cmul, cscale, conjT, cabs2 and rowNorms2 follow their closed forms', () => {
    tf.tidy(() => {
      const a: CTensor = { re: tf.tensor2d([[1, 2]]), im: tf.tensor2d([[3, -1]]) };
      const b: CTensor = { re: tf.tensor2d([[0, 1]]), im: tf.tensor2d([[1, 1]]) };
      expect(Array.from(cadd(a, b).re.dataSync())).toEqual([1, 3]);
      expect(Array.from(csub(a, b).im.dataSync())).toEqual([2, -2]);
      // (1+3i)(i) = −3 + i ; (2−i)(1+i) = 3 + i
      const p = cmul(a, b);
      expect(Array.from(p.re.dataSync())).toEqual([-3, 3]);
      expect(Array.from(p.im.dataSync())).toEqual([1, 1]);
      // scale by 2i: (1+3i)·2i = −6 + 2i
      const s = cscale(a, { re: 0, im: 2 });
      expect(Array.from(s.re.dataSync())).toEqual([-6, 2]);
      expect(Array.from(s.im.dataSync())).toEqual([2, 4]);
      expect(Array.from(cscale(a, 2).im.dataSync())).toEqual([6, -2]);
      const h = conjT(a);
      expect(h.re.shape).toEqual([2, 1]);
      expect(Array.from(h.im.dataSync())).toEqual([-3, 1]);
      expect(Array.from(cabs2(a).dataSync())).toEqual([10, 5]);
      expect(Array.from(rowNorms2(a).dataSync())).toEqual([15]);
    });
  });

  it('complexToReal / realToComplex round-trip through complex64', () => {
    tf.tidy(() => {
      const z = tf.complex([1, 2], [3, 4]);
      const c = complexToReal(z);
      expect(Array.from(c.im.dataSync())).toEqual([3, 4]);
      const back = realToComplex(c);
      expect(back.dtype).toBe('complex64');
      expect(Array.from(tf.imag(back).dataSync())).toEqual([3, 4]);
    });
  });

  it('crandn draws CN(0, σ²): E|z|² = σ², Var re = Var im = σ²/2, re ⟂ im, deterministic per seed', () => {
    const n = 40000;
    const sigma2 = 2.5;
    const z = crandn([n], sigma2, createRng('crandn'));
    const re = z.re.dataSync();
    const im = z.im.dataSync();
    let mr = 0;
    let mi = 0;
    let vr = 0;
    let vi = 0;
    let cri = 0;
    for (let i = 0; i < n; i++) {
      mr += re[i] / n;
      mi += im[i] / n;
      vr += (re[i] * re[i]) / n;
      vi += (im[i] * im[i]) / n;
      cri += (re[i] * im[i]) / n;
    }
    expect(Math.abs(mr)).toBeLessThan(0.03);
    expect(Math.abs(mi)).toBeLessThan(0.03);
    expect(Math.abs(vr - sigma2 / 2)).toBeLessThan(0.04 * sigma2);
    expect(Math.abs(vi - sigma2 / 2)).toBeLessThan(0.04 * sigma2);
    expect(Math.abs(vr + vi - sigma2)).toBeLessThan(0.04 * sigma2);
    expect(Math.abs(cri)).toBeLessThan(0.03 * sigma2);
    const again = crandn([n], sigma2, createRng('crandn'));
    expect(Array.from(again.re.dataSync().slice(0, 5))).toEqual(Array.from(re.slice(0, 5)));
    disposeC(z, again);
  });
});

describe('gradients (tf.grad vs Float64 central differences)', () => {
  it('loss = Σ |A·X|² w.r.t. Re/Im of A and X', () => {
    tf.tidy(() => gradientCheck());
  });
});

function gradientCheck() {
  const a = randomCMat(3, 4, 'ga', true);
  const x = randomCMat(4, 2, 'gx', true);
  const hostLoss = (ah: CMat, xh: CMat) => {
    const p = hostMatmul(ah, xh);
    let s = 0;
    for (let i = 0; i < p.re.length; i++) s += p.re[i] ** 2 + p.im[i] ** 2;
    return s;
  };
  const A = toC(a);
  const X = toC(x);
  const f = (ar: tf.Tensor, ai: tf.Tensor, xr: tf.Tensor, xi: tf.Tensor) =>
    tf.sum(cabs2(cmatmul({ re: ar, im: ai }, { re: xr, im: xi }))) as tf.Scalar;
  const grads = tf.grads(f)([A.re, A.im, X.re, X.im]);
  const params: [CMat, 're' | 'im', number][] = [
    [a, 're', 0],
    [a, 'im', 1],
    [x, 're', 2],
    [x, 'im', 3],
  ];
  const h = 1e-6;
  let worst = 0;
  let scale = 0;
  for (const [host, part, gi] of params) {
    const g = grads[gi].dataSync();
    for (let k = 0; k < host[part].length; k++) {
      const orig = host[part][k];
      host[part][k] = orig + h;
      const up = hostLoss(a, x);
      host[part][k] = orig - h;
      const down = hostLoss(a, x);
      host[part][k] = orig;
      const fd = (up - down) / (2 * h);
      worst = Math.max(worst, Math.abs(fd - g[k]));
      scale = Math.max(scale, Math.abs(fd));
    }
  }
  console.log(
    `complex FD gradient check: max |fd − grad| = ${worst.toExponential(2)} (max |grad| ${scale.toFixed(2)})`,
  );
  expect(worst / scale).toBeLessThan(1e-5);
  // closed form: ∂L/∂A = 2·(A X) Xᴴ (re part ↔ ∂/∂Re A, im part ↔ ∂/∂Im A)
  const AX = cmatmul(A, X);
  const XH = conjT(X);
  const G = cmatmul(AX, XH);
  expect(tf.max(tf.abs(tf.sub(tf.mul(G.re, 2), grads[0]))).dataSync()[0]).toBeLessThan(1e-4);
  expect(tf.max(tf.abs(tf.sub(tf.mul(G.im, 2), grads[1]))).dataSync()[0]).toBeLessThan(1e-4);
}
