/**
 * bf16 mode's fused operand copies: the BatchNorm (training forward, backward, inference + ReLU) and residual
 * Add + ReLU kernels write the bf16 copy of their output in the same pass as the float32 output, and the backend
 * caches it for the convolution that reads that output next (instead of converting it there).
 *
 * Checked: (1) per native kernel, the float32 output is bit-identical with and without the bf16 output, and the
 * bf16 output is bit-identical to `toBf16` of it (NaN, ±0, ties and overflow to ±Inf included); (2) a ResNet
 * trained in bf16 gives bit-identical losses and weights with the fused copies and with conversion on demand, uses
 * the fused copies for most operands, and keeps its tensor count and live pool buffers flat.
 */
import '@tensorflow/tfjs-layers';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NativeAddon } from './addon.js';
import type { NativeBackend } from './backend.js';
import { detectBf16, setPrecision } from './precision.js';
import { nativeTestsEnabled, useNative } from './testing/differential.js';
import { resnet } from './testing/models.js';
import { testRng } from './testing/rng.js';
import { trainFromWeights, withMethod } from './testing/train.js';

const enabled = nativeTestsEnabled() && detectBf16().supported;

const native = (): NativeAddon => (tf.backend() as unknown as NativeBackend).native;

/** Values that exercise the rounding: random normals, ties, NaN, ±0, values that round up to ±Inf. */
function hardValues(n: number, seed: number): Float32Array {
  const v = testRng(seed).normal(n, 3);
  const u = new Uint32Array(v.buffer);
  const specials = [Number.NaN, 0, -0, 3.4028234663852886e38, -3.4028234663852886e38, Number.POSITIVE_INFINITY];
  for (let i = 0; i < n; i += 7) {
    if (i % 21 === 0) v[i] = specials[(i / 21) % specials.length];
    else u[i] = (u[i] & 0xffff0000) | 0x8000; // exactly halfway between two bf16 values: ties to even
  }
  return v;
}

function bf16Of(values: Float32Array): Uint16Array {
  const bits = new Uint16Array(values.length);
  native().toBf16(values, bits);
  return bits;
}

const bitsOf = (a: Float32Array) => new Uint32Array(a.buffer, a.byteOffset, a.length);

describe.runIf(enabled)('bf16 mode: operand copies written by the producing kernels', () => {
  beforeAll(useNative);
  afterAll(() => setPrecision('fp32'));

  const R = 6 * 5 * 7;
  const C = 19; // not a multiple of the SIMD width: the remainder loop writes bf16 too
  const x = hardValues(R * C, 1);
  const dy = hardValues(R * C, 2);
  // BatchNorm's statistics mix every row of a channel, so its training input is finite (one NaN would make the
  // whole channel NaN); the special values go through bnGrad's dy, bnInfer and addReluSameShape.
  const xn = testRng(13).normal(R * C, 2);
  const gamma = testRng(3).normal(C, 1);
  const beta = testRng(4).normal(C, 1);

  for (const relu of [0, 1]) {
    it(`bnTrain (relu ${relu}): y unchanged, yBf16 = bf16(y) bit for bit`, () => {
      const y0 = new Float32Array(R * C);
      const y1 = new Float32Array(R * C);
      const yb = new Uint16Array(R * C);
      const m = [new Float32Array(C), new Float32Array(C), new Float32Array(C), new Float32Array(C)];
      native().bnTrain(xn, gamma, beta, y0, m[0], m[1], 1e-3, C, relu);
      native().bnTrain(xn, gamma, beta, y1, m[2], m[3], 1e-3, C, relu, yb);
      expect(y0.every(Number.isFinite)).toBe(true);
      expect(bitsOf(y1)).toEqual(bitsOf(y0));
      expect(yb).toEqual(bf16Of(y0));
    });

    it(`bnGrad (${relu ? 'through the fused ReLU' : 'plain'}): dx unchanged, dxBf16 = bf16(dx) bit for bit`, () => {
      const xs = testRng(5).normal(R * C);
      const mean = testRng(6).normal(C, 0.1);
      const variance = Float32Array.from(testRng(7).normal(C), (v) => 1 + Math.abs(v));
      const y = relu ? xs.map((v) => Math.max(0, v)) : null;
      const dx0 = new Float32Array(R * C);
      const dx1 = new Float32Array(R * C);
      const dxb = new Uint16Array(R * C);
      const g = () => [new Float32Array(C), new Float32Array(C)] as const;
      const [dg0, db0] = g();
      const [dg1, db1] = g();
      native().bnGrad(dy, xs, gamma, mean, variance, 1e-3, C, dx0, dg0, db0, y);
      native().bnGrad(dy, xs, gamma, mean, variance, 1e-3, C, dx1, dg1, db1, y, dxb);
      expect(bitsOf(dx1)).toEqual(bitsOf(dx0));
      expect(bitsOf(dg1)).toEqual(bitsOf(dg0));
      expect(dxb).toEqual(bf16Of(dx0));
    });
  }

  it('bnInfer + ReLU: out unchanged, outBf16 = bf16(out) bit for bit; cyclic parameters are refused', () => {
    const mean = testRng(8).normal(C, 0.1);
    const variance = Float32Array.from(testRng(9).normal(C), (v) => 1 + Math.abs(v));
    const o0 = new Float32Array(R * C);
    const o1 = new Float32Array(R * C);
    const ob = new Uint16Array(R * C);
    native().bnInfer(x, mean, variance, beta, gamma, o0, 1e-3, 1);
    native().bnInfer(x, mean, variance, beta, gamma, o1, 1e-3, 1, ob);
    expect(bitsOf(o1)).toEqual(bitsOf(o0));
    expect(ob).toEqual(bf16Of(o0));
    // mean of length 2 against 19 channels: tfjs' cyclic indexing, which has no fused bf16 output
    expect(() => native().bnInfer(x, mean.subarray(0, 2), variance, beta, gamma, o1, 1e-3, 1, ob)).toThrow(
      /outBf16 needs per-channel parameters/,
    );
    expect(() => native().bnTrain(x, gamma, beta, o1, mean, variance, 1e-3, C, 1, ob.subarray(1))).toThrow(
      /yBf16 is shorter/,
    );
  });

  it('addReluSameShape: out = max(0, a + b) as the broadcasting kernel, outBf16 = bf16(out) bit for bit', () => {
    const n = R * C;
    const shape = Int32Array.from([R, C]);
    const o0 = new Float32Array(n);
    const o1 = new Float32Array(n);
    const ob = new Uint16Array(n);
    native().binary(9, x, shape, dy, shape, o0, shape); // NativeAddRelu
    native().addReluSameShape(x, dy, o1, ob);
    expect(bitsOf(o1)).toEqual(bitsOf(o0));
    expect(ob).toEqual(bf16Of(o0));
    const o2 = new Float32Array(n);
    native().addReluSameShape(x, dy, o2, null);
    expect(bitsOf(o2)).toEqual(bitsOf(o0));
    expect(() => native().addReluSameShape(x, dy.subarray(1), o1, ob)).toThrow(/one length/);
  });

  it('a ResNet trained in bf16: the same bits with fused copies as with conversion on demand, most operands fused', async () => {
    const build = () => resnet(1, [8, 8, 3], 4);
    const m = build();
    const weights = m.getWeights().map((w) => w.dataSync().slice() as Float32Array);
    m.dispose();
    const backend = tf.backend() as unknown as NativeBackend;
    setPrecision('bf16');
    const stats0 = backend.bf16Stats();
    const fused = await trainFromWeights(build, weights, 4, { lr: 0.05, seed: 11 });
    const stats1 = backend.bf16Stats();
    // Reference: every producing kernel writes float32 only, so each convolution converts its operands itself.
    const onDemand = await withMethod(
      backend,
      'fillWithBf16Copy',
      (_values, fill) => fill(null),
      () => trainFromWeights(build, weights, 4, { lr: 0.05, seed: 11 }),
    );
    const stats2 = backend.bf16Stats();
    setPrecision('fp32');
    expect(fused.losses).toEqual(onDemand.losses);
    for (const [i, w] of fused.weights.entries()) expect(bitsOf(w), `weight ${i}`).toEqual(bitsOf(onDemand.weights[i]));
    const withFusion = { fused: stats1.fused - stats0.fused, converted: stats1.converted - stats0.converted };
    const without = { fused: stats2.fused - stats1.fused, converted: stats2.converted - stats1.converted };
    expect(without.fused).toBe(0);
    console.log(
      `bf16 operands over 4 ResNet-8 steps: fused ${JSON.stringify(withFusion)}, on demand ${JSON.stringify(without)}`,
    );
    // ResNet-8, 9 convolutions: each input but the image's comes from a BatchNorm + ReLU or an Add + ReLU, and each
    // output gradient from a BatchNorm's backward, so those conversions become fused copies. Left: the image and
    // the dense layer's operands (≈ 6 per step). Wasted: at most two copies per step (the last Add + ReLU feeds the
    // pooling, not a convolution; the stem BatchNorm's input gradient feeds only the stem's weight gradient, which
    // stays fp32 with 3 input channels, see bf16WeightsGradient).
    const saved = without.converted - withFusion.converted;
    expect(withFusion.converted).toBeLessThan(0.35 * without.converted);
    expect(withFusion.fused).toBeGreaterThanOrEqual(saved);
    expect(withFusion.fused - saved).toBeLessThanOrEqual(2 * 4);
  }, 60_000);

  it('keeps tensors and live pool buffers flat over bf16 training steps with fused copies', async () => {
    setPrecision('bf16');
    const backend = tf.backend() as unknown as NativeBackend;
    const model = resnet(1, [8, 8, 3], 4);
    model.compile({ optimizer: tf.train.momentum(0.01, 0.9), loss: 'categoricalCrossentropy' });
    const x = tf.tensor4d(testRng(12).normal(6 * 8 * 8 * 3), [6, 8, 8, 3]);
    const y = tf.oneHot(tf.tensor1d([0, 1, 2, 3, 1, 2], 'int32'), 4);
    for (let i = 0; i < 3; i++) await model.trainOnBatch(x, y);
    const tensors: number[] = [];
    const live: number[] = [];
    for (let i = 0; i < 10; i++) {
      await model.trainOnBatch(x, y);
      tensors.push(tf.memory().numTensors);
      live.push(backend.pool.getStats().buffersLive);
    }
    expect(new Set(tensors).size).toBe(1);
    expect(new Set(live).size).toBe(1);
    tf.dispose([x, y]);
    model.dispose();
    setPrecision('fp32');
  }, 60_000);
});
