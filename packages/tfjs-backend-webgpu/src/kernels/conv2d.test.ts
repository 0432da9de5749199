import * as tf from '@tensorflow/tfjs-core';
import { afterAll, describe, expect, it } from 'vitest';
import { disposeWebGpu, webgpuInfo } from '../register.js';
import { CONV_CASES, onBackend, registerForTests, relDiff, values } from '../test-helpers.js';

const reg = await registerForTests();

describe.skipIf(!reg.ok)('Conv2D and FusedConv2D on ft-webgpu match cpu', () => {
  afterAll(() => disposeWebGpu());

  for (const c of CONV_CASES) {
    it(`${c.why}: x ${c.x.join('×')}, filter ${c.f.join('×')}, strides ${c.strides}, pad ${c.pad}`, async () => {
      const before = webgpuInfo().kernels.Conv2D.fast;
      const run = () => {
        const x = tf.tensor4d(values(tf.util.sizeFromShape(c.x), 1), c.x);
        const w = tf.tensor4d(values(tf.util.sizeFromShape(c.f), 2), c.f);
        return tf.conv2d(x, w, c.strides, c.pad);
      };
      const [ref] = await onBackend('cpu', run);
      const [got] = await onBackend('ft-webgpu', run);
      expect(got.length).toBe(ref.length);
      expect(relDiff(got, ref)).toBeLessThan(2e-6);
      expect(webgpuInfo().kernels.Conv2D.fast).toBe(before + 1);
    });
  }

  it('dilation 2 (same padding) and dilation (2, 3) (valid)', async () => {
    for (const [pad, dil] of [
      ['same', [2, 2]],
      ['valid', [2, 3]],
    ] as ['same' | 'valid', [number, number]][]) {
      const run = () => {
        const x = tf.tensor4d(values(2 * 11 * 12 * 3, 3), [2, 11, 12, 3]);
        const w = tf.tensor4d(values(3 * 3 * 3 * 20, 4), [3, 3, 3, 20]);
        return tf.conv2d(x, w, 1, pad, 'NHWC', dil);
      };
      const [ref] = await onBackend('cpu', run);
      const [got] = await onBackend('ft-webgpu', run);
      expect(relDiff(got, ref), `${pad} ${dil}`).toBeLessThan(2e-6);
    }
  });

  it('FusedConv2D: bias and ReLU in the epilogue; other activations and PReLU fall back', async () => {
    const fused = (activation: 'linear' | 'relu' | 'elu', bias: boolean) => () => {
      const x = tf.tensor4d(values(2 * 7 * 7 * 5, 5), [2, 7, 7, 5]);
      const w = tf.tensor4d(values(3 * 3 * 5 * 9, 6), [3, 3, 5, 9]);
      const b = bias ? tf.tensor1d(values(9, 7)) : undefined;
      return tf.fused.conv2d({ x, filter: w, strides: 2, pad: 'same', bias: b, activation });
    };
    for (const [activation, bias, path] of [
      ['relu', true, 'fast'],
      ['linear', true, 'fast'],
      ['relu', false, 'fast'],
      ['elu', true, 'fallback'],
    ] as ['linear' | 'relu' | 'elu', boolean, 'fast' | 'fallback'][]) {
      const before = webgpuInfo().kernels.FusedConv2D[path];
      const [ref] = await onBackend('cpu', fused(activation, bias));
      const [got] = await onBackend('ft-webgpu', fused(activation, bias));
      expect(relDiff(got, ref), `${activation} bias ${bias}`).toBeLessThan(2e-6);
      expect(webgpuInfo().kernels.FusedConv2D[path], `${activation} bias ${bias} ${path}`).toBe(before + 1);
    }
  });

  it('trains: gradients through the forward shader match cpu (a conv → ReLU → conv loss)', async () => {
    const run = () => {
      const x = tf.tensor4d(values(3 * 8 * 8 * 4, 11), [3, 8, 8, 4]);
      const w1 = tf.tensor4d(values(3 * 3 * 4 * 6, 12), [3, 3, 4, 6]);
      const w2 = tf.tensor4d(values(1 * 1 * 6 * 2, 13), [1, 1, 6, 2]);
      const loss = (a: tf.Tensor, b: tf.Tensor) =>
        tf.sum(tf.square(tf.conv2d(tf.relu(tf.conv2d(x, a as tf.Tensor4D, 1, 'same')), b as tf.Tensor4D, 1, 'valid')));
      return tf.grads(loss)([w1, w2]);
    };
    const ref = await onBackend('cpu', run);
    const got = await onBackend('ft-webgpu', run);
    for (const [i, g] of got.entries()) expect(relDiff(g, ref[i]), `dw${i + 1}`).toBeLessThan(1e-5);
  });

  it('falls back to the stock kernel for NCHW', async () => {
    const before = webgpuInfo().kernels.Conv2D.fallback;
    const run = () =>
      tf.engine().runKernel(
        'Conv2D',
        {
          x: tf.tensor4d(values(2 * 3 * 6 * 6, 8), [2, 3, 6, 6]),
          filter: tf.tensor4d(values(3 * 3 * 3 * 4, 9), [3, 3, 3, 4]),
        },
        { strides: [1, 1], pad: 'same', dataFormat: 'NCHW', dilations: [1, 1] } as unknown as tf.NamedAttrMap,
      ) as tf.Tensor;
    const [got] = await onBackend('ft-webgpu', run);
    expect(webgpuInfo().kernels.Conv2D.fallback).toBe(before + 1);
    expect(got.length).toBe(2 * 4 * 6 * 6);
    expect(got.every(Number.isFinite)).toBe(true);
  });
});
