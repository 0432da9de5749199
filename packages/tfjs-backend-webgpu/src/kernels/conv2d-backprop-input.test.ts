import * as tf from '@tensorflow/tfjs-core';
import { afterAll, describe, expect, it } from 'vitest';
import { disposeWebGpu, webgpuInfo } from '../register.js';
import { CONV_CASES, onBackend, registerForTests, relDiff, values } from '../test-helpers.js';

const reg = await registerForTests();

describe.skipIf(!reg.ok)('Conv2DBackpropInput on ft-webgpu matches cpu', () => {
  afterAll(() => disposeWebGpu());

  for (const c of CONV_CASES) {
    it(`${c.why}: x ${c.x.join('×')}, filter ${c.f.join('×')}, strides ${c.strides}, pad ${c.pad}`, async () => {
      const before = webgpuInfo().kernels.Conv2DBackpropInput.fast;
      const run = () => {
        const w = tf.tensor4d(values(tf.util.sizeFromShape(c.f), 3), c.f);
        const yShape = tf.conv2d(tf.zeros(c.x) as tf.Tensor4D, w, c.strides, c.pad).shape;
        const dy = tf.tensor(values(tf.util.sizeFromShape(yShape), 4), yShape);
        return tf.engine().runKernel('Conv2DBackpropInput', { dy, filter: w }, {
          inputShape: c.x,
          strides: c.strides,
          pad: c.pad,
          dataFormat: 'NHWC',
        } as unknown as tf.NamedAttrMap) as tf.Tensor;
      };
      const [ref] = await onBackend('cpu', run);
      const [got] = await onBackend('ft-webgpu', run);
      expect(got.length).toBe(tf.util.sizeFromShape(c.x));
      expect(relDiff(got, ref)).toBeLessThan(2e-6);
      expect(webgpuInfo().kernels.Conv2DBackpropInput.fast).toBe(before + 1);
    });
  }

  it('agrees with a finite difference of a loss linear in the input (exact up to rounding)', async () => {
    // L(x) = Σ conv(x, w) · dy is linear in x: (L(x + εv) − L(x − εv)) / 2ε = ⟨∂L/∂x, v⟩ for any ε.
    const xs: [number, number, number, number] = [2, 7, 9, 3];
    const fs: [number, number, number, number] = [3, 2, 3, 5];
    await tf.setBackend('ft-webgpu');
    const [fdT, analyticT] = tf.tidy(() => {
      const x = tf.tensor4d(values(tf.util.sizeFromShape(xs), 5), xs);
      const w = tf.tensor4d(values(tf.util.sizeFromShape(fs), 6), fs);
      const v = tf.tensor4d(values(tf.util.sizeFromShape(xs), 7), xs);
      const dy = tf.tensor4d(values(2 * 4 * 5 * 5, 8), [2, 4, 5, 5]);
      const loss = (xx: tf.Tensor4D) => tf.sum(tf.mul(tf.conv2d(xx, w, [2, 2], 'same'), dy));
      const step = tf.mul(v, 0.5);
      const fdv = tf.sub(loss(tf.add(x, step) as tf.Tensor4D), loss(tf.sub(x, step) as tf.Tensor4D));
      const g = tf.grad((xx: tf.Tensor) => loss(xx as tf.Tensor4D))(x);
      return [fdv, tf.sum(tf.mul(g, v))];
    });
    const fd = (await fdT.data())[0];
    const analytic = (await analyticT.data())[0];
    tf.dispose([fdT, analyticT]);
    expect(Math.abs(fd - analytic) / Math.abs(analytic)).toBeLessThan(1e-4);
  });

  it('falls back to the stock kernel for NCHW', async () => {
    const before = webgpuInfo().kernels.Conv2DBackpropInput.fallback;
    const [got] = await onBackend('ft-webgpu', () => {
      const dy = tf.tensor4d(values(2 * 4 * 6 * 6, 9), [2, 4, 6, 6]);
      const w = tf.tensor4d(values(3 * 3 * 3 * 4, 10), [3, 3, 3, 4]);
      return tf.engine().runKernel('Conv2DBackpropInput', { dy, filter: w }, {
        inputShape: [2, 3, 6, 6],
        strides: [1, 1],
        pad: 'same',
        dataFormat: 'NCHW',
      } as unknown as tf.NamedAttrMap) as tf.Tensor;
    });
    expect(webgpuInfo().kernels.Conv2DBackpropInput.fallback).toBe(before + 1);
    expect(got.length).toBe(2 * 3 * 6 * 6);
    expect(got.every(Number.isFinite)).toBe(true);
  });
});
