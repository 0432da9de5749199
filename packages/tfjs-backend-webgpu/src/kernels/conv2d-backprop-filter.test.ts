import * as tf from '@tensorflow/tfjs-core';
import { afterAll, describe, expect, it } from 'vitest';
import { disposeWebGpu, webgpuInfo } from '../register.js';
import { CONV_CASES, onBackend, registerForTests, relDiff, values } from '../test-helpers.js';
import { planFilterGemm } from './conv2d-backprop-filter.js';

describe('planFilterGemm', () => {
  it('splits the batch-and-pixels axis until about 1,024 workgroups, in whole 32-row stages', () => {
    // ResNet-20's first stage at batch 128: K = 3·3·16, N = 16, M = 128·32·32.
    const p = planFilterGemm(144, 16, 131072);
    expect(p).toEqual({ K: 144, N: 16, M: 131072, slices: 205, sliceLen: 640, tilesK: 5, tilesN: 1 });
    expect(p.slices * p.sliceLen).toBeGreaterThanOrEqual(p.M);
    expect((p.slices - 1) * p.sliceLen).toBeLessThan(p.M);
  });
  it('uses one slice when M is short, and never more slices than the dispatch limit', () => {
    expect(planFilterGemm(45, 7, 100).slices).toBe(1);
    expect(planFilterGemm(9, 1, 10_000_000, 64).slices).toBe(64);
    expect(planFilterGemm(9, 1, 0).slices).toBe(1);
  });
});

const reg = await registerForTests();

describe.skipIf(!reg.ok)('Conv2DBackpropFilter on ft-webgpu matches cpu', () => {
  afterAll(() => disposeWebGpu());

  for (const c of CONV_CASES) {
    it(`${c.why}: x ${c.x.join('×')}, filter ${c.f.join('×')}, strides ${c.strides}, pad ${c.pad}`, async () => {
      const before = webgpuInfo().kernels.Conv2DBackpropFilter.fast;
      const run = () => {
        const x = tf.tensor4d(values(tf.util.sizeFromShape(c.x), 1), c.x);
        const yShape = tf.conv2d(x, tf.zeros(c.f) as tf.Tensor4D, c.strides, c.pad).shape;
        const dy = tf.tensor(values(tf.util.sizeFromShape(yShape), 2), yShape);
        return tf.engine().runKernel('Conv2DBackpropFilter', { x, dy }, {
          strides: c.strides,
          pad: c.pad,
          dataFormat: 'NHWC',
          filterShape: c.f,
        } as unknown as tf.NamedAttrMap) as tf.Tensor;
      };
      const [ref] = await onBackend('cpu', run);
      const [got] = await onBackend('ft-webgpu', run);
      expect(got.length).toBe(tf.util.sizeFromShape(c.f));
      expect(relDiff(got, ref)).toBeLessThan(2e-6);
      expect(webgpuInfo().kernels.Conv2DBackpropFilter.fast).toBe(before + 1);
    });
  }

  it('tf.grad through conv2d gives cpu gradients for both the filter and the input', async () => {
    const xs: [number, number, number, number] = [3, 10, 7, 5];
    const fs: [number, number, number, number] = [3, 3, 5, 6];
    const f = () => {
      const x = tf.tensor4d(values(tf.util.sizeFromShape(xs), 3), xs);
      const w = tf.tensor4d(values(tf.util.sizeFromShape(fs), 4), fs);
      const g = tf.grads((a: tf.Tensor, b: tf.Tensor) =>
        tf.sum(tf.square(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, [2, 1], 'same'))),
      );
      return g([x, w]);
    };
    const [dxRef, dwRef] = await onBackend('cpu', f);
    const [dx, dw] = await onBackend('ft-webgpu', f);
    expect(relDiff(dw, dwRef)).toBeLessThan(5e-6);
    expect(relDiff(dx, dxRef)).toBeLessThan(5e-6);
  });

  it('agrees with a finite difference of a loss linear in the filter (exact up to rounding)', async () => {
    // L(w) = Σ conv(x, w) · dy is linear in w, so (L(w + εv) − L(w − εv)) / 2ε = ⟨∂L/∂w, v⟩ for any ε.
    const xs: [number, number, number, number] = [2, 9, 8, 4];
    const fs: [number, number, number, number] = [3, 3, 4, 5];
    await tf.setBackend('ft-webgpu');
    const [fdT, analyticT] = tf.tidy(() => {
      const x = tf.tensor4d(values(tf.util.sizeFromShape(xs), 5), xs);
      const w = tf.tensor4d(values(tf.util.sizeFromShape(fs), 6), fs);
      const v = tf.tensor4d(values(tf.util.sizeFromShape(fs), 7), fs);
      const dy = tf.tensor4d(values(2 * 5 * 8 * 5, 8), [2, 5, 8, 5]);
      const loss = (ww: tf.Tensor4D) => tf.sum(tf.mul(tf.conv2d(x, ww, [2, 1], 'same'), dy));
      const eps = 0.5;
      const step = tf.mul(v, eps);
      const up = loss(tf.add(w, step) as tf.Tensor4D);
      const down = loss(tf.sub(w, step) as tf.Tensor4D);
      const fdv = tf.div(tf.sub(up, down), 2 * eps);
      const g = tf.grad((ww: tf.Tensor) => loss(ww as tf.Tensor4D))(w);
      return [fdv, tf.sum(tf.mul(g, v))];
    });
    const fd = (await fdT.data())[0];
    const analytic = (await analyticT.data())[0];
    tf.dispose([fdT, analyticT]);
    expect(Math.abs(fd - analytic) / Math.abs(analytic)).toBeLessThan(1e-4);
  });

  it('falls back to the stock kernel for NCHW, with the same result as on cpu', async () => {
    const before = webgpuInfo().kernels.Conv2DBackpropFilter.fallback;
    const run = () => {
      const x = tf.tensor4d(values(2 * 3 * 6 * 6, 9), [2, 3, 6, 6]);
      const dy = tf.tensor4d(values(2 * 4 * 6 * 6, 10), [2, 4, 6, 6]);
      return tf.engine().runKernel('Conv2DBackpropFilter', { x, dy }, {
        strides: [1, 1],
        pad: 'same',
        dataFormat: 'NCHW',
        filterShape: [3, 3, 3, 4],
      } as unknown as tf.NamedAttrMap) as tf.Tensor;
    };
    const [got] = await onBackend('ft-webgpu', run);
    expect(webgpuInfo().kernels.Conv2DBackpropFilter.fallback).toBe(before + 1);
    expect(got.length).toBe(3 * 3 * 3 * 4);
    expect(got.every(Number.isFinite)).toBe(true);
  });

  it('dilated convolutions have no gradient kernel in tfjs: the same clear error as on cpu', async () => {
    await tf.setBackend('ft-webgpu');
    const x = tf.ones([1, 6, 6, 1]) as tf.Tensor4D;
    const w = tf.ones([2, 2, 1, 1]) as tf.Tensor4D;
    const g = tf.grad((ww: tf.Tensor) => tf.sum(tf.conv2d(x, ww as tf.Tensor4D, 1, 'valid', 'NHWC', 2)));
    expect(() => g(w)).toThrow(/dilation/i);
    tf.dispose([x, w]);
  });
});
