import * as tf from '@tensorflow/tfjs-core';
import { afterAll, describe, expect, it } from 'vitest';
import { disposeWebGpu, registerWebGpuBackend, webgpuInfo } from '../register.js';
import { onBackend, registerForTests, relDiff, values } from '../test-helpers.js';

const reg = await registerForTests();

/** Reverse cumulative ops over several axis lengths in one process: stock tfjs-webgpu reuses the first one's shader. */
const CASES: { shape: number[]; axis: number; exclusive: boolean; why: string }[] = [
  { shape: [8], axis: 0, exclusive: false, why: 'length 8 (compiles the shader first)' },
  { shape: [15], axis: 0, exclusive: false, why: 'length 15 after 8' },
  { shape: [300], axis: 0, exclusive: false, why: 'length 300' },
  { shape: [33], axis: 0, exclusive: true, why: 'exclusive, length 33' },
  { shape: [4, 21], axis: 1, exclusive: false, why: '2-D along the last axis' },
  { shape: [19, 5], axis: 0, exclusive: true, why: '2-D along the first axis, exclusive' },
  { shape: [2, 3, 17], axis: 2, exclusive: false, why: '3-D, last axis' },
  { shape: [3, 11, 2], axis: 1, exclusive: true, why: '3-D, middle axis, exclusive' },
];

describe.skipIf(!reg.ok)('reverse Cumsum / Cumprod on ft-webgpu match cpu', () => {
  afterAll(() => disposeWebGpu());

  for (const c of CASES) {
    it(`cumsum ${c.why}`, async () => {
      const before = webgpuInfo().kernels.Cumsum.fast;
      const run = () =>
        tf.cumsum(tf.tensor(values(tf.util.sizeFromShape(c.shape), 7), c.shape), c.axis, c.exclusive, true);
      const [ref] = await onBackend('cpu', run);
      const [got] = await onBackend('ft-webgpu', run);
      expect(relDiff(got, ref)).toBeLessThan(1e-6);
      expect(webgpuInfo().kernels.Cumsum.fast).toBe(before + 1);
    });
  }

  it('cumprod reverse over two lengths, and forward cumsum still goes to the stock kernel', async () => {
    for (const n of [6, 13]) {
      const run = () => tf.cumprod(tf.add(1, tf.mul(0.1, tf.tensor1d(values(n, n)))), 0, false, true);
      const [ref] = await onBackend('cpu', run);
      const [got] = await onBackend('ft-webgpu', run);
      expect(relDiff(got, ref)).toBeLessThan(1e-6);
    }
    const fallback = webgpuInfo().kernels.Cumsum.fallback;
    const fwd = () => tf.cumsum(tf.tensor1d(values(40, 2)), 0, false, false);
    const [ref] = await onBackend('cpu', fwd);
    const [got] = await onBackend('ft-webgpu', fwd);
    expect(relDiff(got, ref)).toBeLessThan(1e-6);
    expect(webgpuInfo().kernels.Cumsum.fallback).toBe(fallback + 1);
  });

  it('the gradient of cumsum (a reverse cumsum) is right, and no tensor leaks', async () => {
    await tf.setBackend('ft-webgpu');
    const before = tf.memory().numTensors;
    const w = tf.tensor1d(values(23, 9));
    const g = tf.grad((x: tf.Tensor) => tf.sum(tf.mul(tf.cumsum(x), w)))(tf.zeros([23]));
    const got = (await g.data()) as Float32Array;
    const wv = values(23, 9);
    // d/dx_i Σ_j w_j Σ_{k≤j} x_k = Σ_{j≥i} w_j
    const want = Float32Array.from({ length: 23 }, (_, i) => wv.slice(i).reduce((s, v) => s + v, 0));
    expect(relDiff(got, want)).toBeLessThan(1e-6);
    tf.dispose([w, g]);
    expect(tf.memory().numTensors).toBe(before + 1); // the zeros input only
    await tf.setBackend('cpu');
  });

  it('stock tfjs-webgpu gets it wrong (why this override exists)', async () => {
    const r = await registerWebGpuBackend({ name: 'webgpu-stock', overrides: false, software: true });
    expect(r.ok).toBe(true);
    const out: Float32Array[] = [];
    for (const n of [8, 15]) {
      const run = () => tf.cumsum(tf.tensor1d(Array.from({ length: n }, () => 1)), 0, false, true);
      [out[n]] = await onBackend('webgpu-stock', run);
    }
    // A reverse cumsum of 15 ones is 15, 14, ..., 1; the stock shader compiled for length 8 stops summing early.
    expect(Array.from(out[15])).not.toEqual(Array.from({ length: 15 }, (_, i) => 15 - i));
    tf.removeBackend('webgpu-stock');
  });
});
