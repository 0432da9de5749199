import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import type { NativeBackend } from './backend.js';
import { nativeTestsEnabled, useNative } from './testing/differential.js';
import { testRng } from './testing/rng.js';

describe.runIf(nativeTestsEnabled())('NativeBackend storage and pool hazards', () => {
  beforeAll(useNative);
  const backend = () => tf.backend() as unknown as NativeBackend;
  const valuesOf = (t: tf.Tensor) => backend().data.get(t.dataId)?.values as Float32Array;

  it('keeps a Slice (a view of its parent buffer) valid after the parent is disposed', () => {
    const a = tf.range(0, 1000, 1, 'float32');
    const x = tf.add(a, tf.scalar(1)); // pooled native output
    expect(backend().pool.isPooled(valuesOf(x))).toBe(true);
    const s = tf.slice(x, [100], [10]);
    // tfjs-backend-cpu's Slice aliases the parent's ArrayBuffer.
    expect(valuesOf(s).buffer).toBe(valuesOf(x).buffer);
    x.dispose();
    // Same-size allocations must not reuse the buffer the slice still views.
    const others = [0, 1, 2].map((k) => tf.mul(a, tf.scalar(-k - 2)));
    expect(Array.from(s.dataSync())).toEqual(Array.from({ length: 10 }, (_, i) => 101 + i));
    const held = backend().pool.getStats().buffersHeld;
    s.dispose(); // last view gone: the buffer returns to the pool
    expect(backend().pool.getStats().buffersHeld).toBe(held + 1);
    tf.dispose([a, ...others]);
  });

  it('dataSync() and data() return copies of pooled values', async () => {
    const x = tf.add(tf.ones([500]), tf.scalar(1));
    const v = x.dataSync();
    const live = valuesOf(x);
    expect(v).not.toBe(live);
    v[0] = 123;
    expect(x.dataSync()[0]).toBe(2);
    const w = await x.data();
    x.dispose();
    const y = tf.add(tf.ones([500]), tf.scalar(41)); // likely reuses x's buffer
    expect(v[1]).toBe(2);
    expect(w[1]).toBe(2);
    y.dispose();
  });

  it('never recycles user arrays passed to tf.tensor', () => {
    const user = new Float32Array(300).fill(5);
    const t = tf.tensor1d(user);
    expect(backend().pool.isPooled(valuesOf(t))).toBe(false);
    t.dispose();
    const y = tf.add(tf.zeros([300]), tf.scalar(9));
    expect(user[0]).toBe(5);
    y.dispose();
  });

  it('reuses buffers across steps: pool hits dominate and nothing leaks', () => {
    const step = () =>
      tf.tidy(() => {
        const x = tf.ones([32, 8, 8, 4]);
        const y = tf.relu(tf.sub(tf.mul(x, tf.scalar(2)), tf.scalar(1)));
        return tf.sum(y).dataSync()[0];
      });
    step();
    const before = backend().pool.getStats();
    const tensors = tf.memory().numTensors;
    for (let i = 0; i < 50; i++) expect(step()).toBe(32 * 8 * 8 * 4);
    const after = backend().pool.getStats();
    expect(tf.memory().numTensors).toBe(tensors);
    expect(after.misses - before.misses).toBe(0);
    expect(after.hits - before.hits).toBeGreaterThanOrEqual(150);
    expect(after.buffersLive).toBe(before.buffersLive);
  });

  it('defers convolution input gradients: skipped when disposed unread, correct when read after inputs are gone', () => {
    const b = backend();
    const g = testRng(31);
    const xShape: [number, number, number, number] = [2, 9, 9, 3];
    const run = (dy: tf.Tensor, w: tf.Tensor) =>
      tf.engine().runKernel(
        'Conv2DBackpropInput',
        { dy, filter: w },
        {
          inputShape: xShape,
          strides: [2, 2],
          pad: 'same',
          dataFormat: 'NHWC',
        },
      ) as tf.Tensor4D;
    // Pooled inputs (outputs of native kernels), so that recycling them would corrupt a deferred read.
    const dy = tf.mul(tf.tensor4d(g.normal(2 * 5 * 5 * 4), [2, 5, 5, 4]), tf.scalar(1));
    const w = tf.mul(tf.tensor4d(g.normal(3 * 3 * 3 * 4), [3, 3, 3, 4]), tf.scalar(1));
    const expected = Array.from(tf.tidy(() => run(dy, w)).dataSync());
    const live0 = b.pool.getStats().buffersLive;
    const s0 = b.lazyStats();
    run(dy, w).dispose(); // never read
    expect(b.lazyStats()).toEqual({ computed: s0.computed, skipped: s0.skipped + 1 });
    expect(b.pool.getStats().buffersLive).toBe(live0);
    const late = run(dy, w);
    tf.dispose([dy, w]);
    // Same-size allocations that would reuse dy's / w's buffers if they had been released.
    const noise = [tf.mul(tf.ones([2, 5, 5, 4]), tf.scalar(7)), tf.mul(tf.ones([3, 3, 3, 4]), tf.scalar(7))];
    const viaKernel = tf.add(late, tf.scalar(0)); // read by another kernel first
    expect(b.lazyStats().computed).toBe(s0.computed + 1);
    expect(Array.from(viaKernel.dataSync())).toEqual(expected);
    expect(Array.from(late.dataSync())).toEqual(expected);
    tf.dispose([late, viaKernel, ...noise]);
  });
});
