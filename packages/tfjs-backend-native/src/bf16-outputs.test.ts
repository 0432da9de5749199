/**
 * bf16 mode's bf16 convolution results: a convolution's output, and its input gradient, are computed when first read
 * (NativeBackend.lazyOut); when that reader is a BatchNorm (which reads bf16), in bf16, and BatchNorm reads those
 * bits directly, while a later float32 reader gets them widened once (NativeBackend.bf16Bits). BatchNorm's backward
 * also reads the ReLU mask from the bf16 copy of its output.
 *
 * Checked: (1) per native kernel, bf16 inputs give bit for bit what their float32 widening gives (bnTrain, bnGrad,
 * bnInfer, the mask), fromBf16 is exact, and the bf16-output convolution passes are the float32 ones rounded once;
 * (2) in the backend, the first reader decides, the values read as bf16 afterwards, nothing unread is computed or
 * leaked, and a ResNet trained in bf16 gives bit-identical losses and weights whether BatchNorm reads the bits or
 * the widened values, with no widening at all.
 */
import '@tensorflow/tfjs-layers';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NativeAddon } from './addon.js';
import type { NativeBackend } from './backend.js';
import { detectBf16, setPrecision } from './precision.js';
import { allBf16, bf16OutputRatio } from './testing/bf16.js';
import { nativeTestsEnabled, useNative } from './testing/differential.js';
import { resnet } from './testing/models.js';
import { testRng } from './testing/rng.js';
import { trainFromWeights, withMethod } from './testing/train.js';

const enabled = nativeTestsEnabled() && detectBf16().supported;

const backendOf = () => tf.backend() as unknown as NativeBackend;
const native = (): NativeAddon => backendOf().native;
const bitsOf = (a: Float32Array) => new Uint32Array(a.buffer, a.byteOffset, a.length);

function toBits(values: Float32Array): Uint16Array {
  const bits = new Uint16Array(values.length);
  native().toBf16(values, bits);
  return bits;
}

/** A [2, 6, 6, 8] activation (or output gradient) and a 3×3 8→8 filter. */
function smallConv(seed: number): [tf.Tensor4D, tf.Tensor4D] {
  const g = testRng(seed);
  return [tf.tensor4d(g.normal(2 * 6 * 6 * 8), [2, 6, 6, 8]), tf.tensor4d(g.normal(3 * 3 * 8 * 8, 0.3), [3, 3, 8, 8])];
}

function widen(bits: Uint16Array): Float32Array {
  const out = new Float32Array(bits.length);
  native().fromBf16(bits, out);
  return out;
}

describe.runIf(enabled)('bf16 mode: convolution outputs in bf16, read by BatchNorm', () => {
  const R = 6 * 5 * 7;
  const C = 19; // not a multiple of the SIMD width
  let xBits: Uint16Array;
  let xWide: Float32Array;
  beforeAll(async () => {
    await useNative();
    xBits = toBits(testRng(21).normal(R * C, 2));
    xWide = widen(xBits);
  });
  afterAll(() => setPrecision('fp32'));
  const gamma = testRng(22).normal(C, 1);
  const beta = testRng(23).normal(C, 1);

  it('fromBf16 is exact: it gives back the float32 value of every bf16 pattern', () => {
    const all = Uint16Array.from({ length: 65536 }, (_, i) => i);
    const wide = widen(all);
    expect(bitsOf(wide)).toEqual(Uint32Array.from(all, (b) => (b << 16) >>> 0));
    expect(() => native().fromBf16(all, new Float32Array(10))).toThrow(/dst is shorter/);
  });

  for (const relu of [0, 1]) {
    it(`bnTrain (relu ${relu}) on bf16 x = on its float32 widening, bit for bit (y, its bf16 copy, statistics)`, () => {
      const out = () => ({
        y: new Float32Array(R * C),
        yb: new Uint16Array(R * C),
        m: new Float32Array(C),
        v: new Float32Array(C),
      });
      const a = out();
      const b = out();
      native().bnTrain(xBits, gamma, beta, a.y, a.m, a.v, 1e-3, C, relu, a.yb);
      native().bnTrain(xWide, gamma, beta, b.y, b.m, b.v, 1e-3, C, relu, b.yb);
      expect(bitsOf(a.y)).toEqual(bitsOf(b.y));
      expect(a.yb).toEqual(b.yb);
      expect(bitsOf(a.m)).toEqual(bitsOf(b.m));
      expect(bitsOf(a.v)).toEqual(bitsOf(b.v));
    });
  }

  it('bnGrad on bf16 dy and x = on their widening, with the ReLU mask as float32 or as its bf16 copy', () => {
    const dyBits = toBits(testRng(24).normal(R * C));
    const dy = widen(dyBits);
    const mean = testRng(25).normal(C, 0.1);
    const variance = Float32Array.from(testRng(26).normal(C), (v) => 1 + Math.abs(v));
    // the mask: a rectified output with exact zeros, a NaN and negative zeros
    const y = Float32Array.from(testRng(27).normal(R * C), (v) => Math.max(0, v));
    y[5] = Number.NaN;
    y[8] = -0;
    const run = (
      x: Float32Array | Uint16Array,
      mask: Float32Array | Uint16Array | null,
      g: Float32Array | Uint16Array = dy,
    ) => {
      const dx = new Float32Array(R * C);
      const dxb = new Uint16Array(R * C);
      const dg = new Float32Array(C);
      const db = new Float32Array(C);
      native().bnGrad(g, x, gamma, mean, variance, 1e-3, C, dx, dg, db, mask, dxb);
      return [bitsOf(dx), dxb, bitsOf(dg), bitsOf(db)];
    };
    for (const mask of [null, y]) {
      expect(run(xBits, mask)).toEqual(run(xWide, mask));
      expect(run(xWide, mask, dyBits)).toEqual(run(xWide, mask));
      expect(run(xBits, mask, dyBits)).toEqual(run(xWide, mask));
    }
    // The bf16 copy of the mask has the same signs, so the same gradient bit for bit.
    const yBits = toBits(y);
    expect(run(xWide, yBits)).toEqual(run(xWide, y));
    expect(run(xBits, yBits)).toEqual(run(xWide, y));
    // The one difference: a positive float32 under 2^-134 is +0 in bf16, so the bf16 mask stops its gradient.
    const tiny = Float32Array.from(y);
    tiny[0] = 1e-45;
    const viaFloat = new Float32Array(run(xWide, tiny)[0].buffer);
    const viaBits = new Float32Array(run(xWide, toBits(tiny))[0].buffer);
    expect(viaFloat[0]).not.toBe(viaBits[0]);
    expect(() => native().bnGrad(dy, xBits, gamma, mean, variance, 1e-3, C, dy, null, null, yBits.subarray(1))).toThrow(
      /y is shorter/,
    );
  });

  it('bnInfer (+ ReLU) on bf16 x = on its widening; a bf16 x with cyclic parameters is refused', () => {
    const mean = testRng(28).normal(C, 0.1);
    const variance = Float32Array.from(testRng(29).normal(C), (v) => 1 + Math.abs(v));
    for (const relu of [0, 1]) {
      const a = new Float32Array(R * C);
      const b = new Float32Array(R * C);
      native().bnInfer(xBits, mean, variance, beta, gamma, a, 1e-3, relu);
      native().bnInfer(xWide, mean, variance, beta, gamma, b, 1e-3, relu);
      expect(bitsOf(a)).toEqual(bitsOf(b));
    }
    expect(() =>
      native().bnInfer(xBits, mean.subarray(0, 2), variance, beta, gamma, new Float32Array(R * C), 1e-3, 0),
    ).toThrow(/bf16 x needs per-channel parameters/);
  });

  /**
   * `run` writes a convolution pass's result as float32 and as bf16: the bf16 one must be the float32 one rounded once
   * (within `rtol` of the largest value for another summation order that oneDNN may pick for a bf16 destination,
   * and nearly always exactly), from the primitive named `impl`.
   */
  function expectRoundedOnce(n: number, run: (out: Float32Array | Uint16Array) => void, rtol: number, impl: string) {
    const f32 = new Float32Array(n);
    const b16 = new Uint16Array(n);
    run(f32);
    run(b16);
    const got = widen(b16);
    expect(bf16OutputRatio(got, f32, rtol * Math.max(...Array.from(f32, Math.abs)))).toBeLessThanOrEqual(1);
    const rounded = widen(toBits(f32));
    expect(got.filter((v, i) => v === rounded[i]).length / n).toBeGreaterThan(0.99);
    expect(
      native()
        .info()
        .convImpls.some((s) => s.startsWith(impl)),
    ).toBe(true);
  }

  const [N, H, W, Ci, Co] = [2, 8, 8, 16, 16];
  const convParams = Int32Array.from([N, H, W, Ci, Co, 3, 3, 1, 1, 1, 1, 1, 1, H, W, 1]);

  it('convForwardBf16 with a bf16 y: the float32 output rounded once', () => {
    const x = toBits(testRng(30).normal(N * H * W * Ci));
    const w = testRng(31).normal(9 * Ci * Co, 0.3);
    const run = (y: Float32Array | Uint16Array) => native().convForwardBf16(x, w, null, y, convParams, 0, 0);
    expectRoundedOnce(N * H * W * Co, run, 1e-5, 'fwd_bf16_out N2 8x8x16->16');
  });

  it('convBackwardDataBf16 with a bf16 dx: the float32 input gradient rounded once', () => {
    const dy = toBits(testRng(33).normal(N * H * W * Co));
    const w = testRng(34).normal(9 * Ci * Co, 0.3);
    const run = (dx: Float32Array | Uint16Array) => native().convBackwardDataBf16(dy, w, dx, convParams);
    expectRoundedOnce(N * H * W * Ci, run, 2e-5, 'bwd_data_bf16_out N2 8x8x16->16');
  });

  it('a convolution input gradient is computed in bf16 only when a bf16 reader comes first', () => {
    setPrecision('bf16');
    const backend = backendOf();
    const [dy, w] = smallConv(35);
    const dxOf = () => tf.conv2dTranspose(dy, w, [2, 6, 6, 8], 1, 'same');
    // a float32 reader first: float32 values, no bf16 output
    const s0 = backend.bf16Stats();
    const a = dxOf();
    const aValues = a.dataSync() as Float32Array;
    expect(backend.bf16Stats().outputs).toBe(s0.outputs);
    expect(allBf16(aValues)).toBe(false);
    // a bf16 reader first: bf16 values from then on, for float32 readers too
    const b = dxOf();
    const bits = backend.bf16Bits(b);
    expect(bits).not.toBeNull();
    expect(backend.bf16Stats().outputs).toBe(s0.outputs + 1);
    expect(backend.bf16Bits(b)).toBe(bits);
    const bValues = b.dataSync() as Float32Array;
    expect(bitsOf(bValues)).toEqual(bitsOf(widen(bits as Uint16Array)));
    expect(bf16OutputRatio(bValues, aValues, 1e-5)).toBeLessThanOrEqual(1);
    tf.dispose([dy, w, a, b]);
    setPrecision('fp32');
  });

  it('in the backend: a convolution is computed in bf16 when a BatchNorm reads it first, else in float32', () => {
    setPrecision('bf16');
    const backend = backendOf();
    const [x, w] = smallConv(32);
    const s0 = backend.bf16Stats();
    // read first by a float32 reader: float32, as without this mechanism
    const z = tf.conv2d(x, w, 1, 'same');
    const plusZ = tf.add(z, 0);
    expect(backend.bf16Bits(z)).toBeNull();
    const zValues = z.dataSync() as Float32Array;
    expect(allBf16(zValues)).toBe(false);
    expect(backend.bf16Stats().outputs).toBe(s0.outputs);
    // read first by BatchNorm: computed in bf16, and the bits are what BatchNorm reads (nothing widened)
    const y = tf.conv2d(x, w, 1, 'same');
    const bits = backend.bf16Bits(y);
    expect(bits).not.toBeNull();
    expect(backend.bf16Bits(y)).toBe(bits);
    const s1 = backend.bf16Stats();
    expect(s1.outputs - s0.outputs).toBe(1);
    const bn = tf.engine().runKernel(
      'FtBatchNormTrain',
      { x: y, gamma: tf.ones([8]), beta: tf.zeros([8]) },
      {
        epsilon: 1e-3,
      },
    ) as tf.Tensor[];
    expect(backend.bf16Stats().widened).toBe(s1.widened);
    // a later float32 reader gets those bf16 values widened, once, exactly
    const plusY = tf.add(y, 0);
    const s2 = backend.bf16Stats();
    expect(s2.widened - s1.widened).toBe(1);
    expect(backend.bf16Bits(y)).toBeNull();
    const values = y.dataSync() as Float32Array;
    expect(allBf16(values)).toBe(true);
    expect(bitsOf(values)).toEqual(bitsOf(widen(bits as Uint16Array)));
    expect(plusY.dataSync()).toEqual(values);
    expect(backend.bf16Stats().widened).toBe(s2.widened);
    // the bf16 result is the float32 one rounded once
    expect(bf16OutputRatio(values, zValues, 1e-5)).toBeLessThanOrEqual(1);
    // with a bias and an activation too
    const fused = () =>
      tf.fused.conv2d({ x, filter: w, strides: 1, pad: 'same', bias: tf.ones([8]), activation: 'relu' });
    const f32 = fused();
    const f32Values = f32.dataSync() as Float32Array;
    const fb = fused();
    expect(backend.bf16Bits(fb)).not.toBeNull();
    const fbValues = fb.dataSync() as Float32Array;
    expect(allBf16(fbValues)).toBe(true);
    expect(bf16OutputRatio(fbValues, f32Values, 1e-5)).toBeLessThanOrEqual(1);
    tf.dispose([x, w, z, plusZ, y, ...bn, plusY, f32, fb]);
    setPrecision('fp32');
  });

  it('an unread convolution is never computed, and disposing it leaks nothing', () => {
    setPrecision('bf16');
    const backend = backendOf();
    const [x, w] = smallConv(36);
    const tensors = tf.memory().numTensors;
    const live = backend.pool.getStats().buffersLive;
    const before = backend.lazyStats();
    for (let i = 0; i < 3; i++) {
      tf.conv2d(x, w, 1, 'same').dispose();
      const y = tf.conv2d(x, w, 1, 'same');
      backend.bf16Bits(y);
      y.dispose();
    }
    // 3 convolutions never run; 3 run in bf16, whose widening to float32 is skipped too
    const after = backend.lazyStats();
    expect(after.computed - before.computed).toBe(3);
    expect(after.skipped - before.skipped).toBe(6);
    expect(tf.memory().numTensors).toBe(tensors);
    expect(backend.pool.getStats().buffersLive).toBe(live);
    tf.dispose([x, w]);
    setPrecision('fp32');
  });

  it('a ResNet trained in bf16: the same bits whether BatchNorm reads the bf16 outputs or their widening', async () => {
    const build = () => resnet(1, [8, 8, 3], 4);
    const m = build();
    const weights = m.getWeights().map((t) => t.dataSync().slice() as Float32Array);
    m.dispose();
    const backend = backendOf();
    setPrecision('bf16');
    const s0 = backend.bf16Stats();
    const direct = await trainFromWeights(build, weights, 3, { lr: 0.05, seed: 12 });
    const s1 = backend.bf16Stats();
    // Reference: the same bf16 values (outputs and input gradients), but BatchNorm never sees the bits: each is
    // widened to float32 before BatchNorm reads it.
    const bf16Bits = backend.bf16Bits.bind(backend);
    const widenFirst = (t: tf.TensorInfo) => {
      if (bf16Bits(t)) backend.f32(t);
      return null;
    };
    const widened = await withMethod(backend, 'bf16Bits', widenFirst, () =>
      trainFromWeights(build, weights, 3, { lr: 0.05, seed: 12 }),
    );
    const s2 = backend.bf16Stats();
    setPrecision('fp32');
    expect(direct.losses).toEqual(widened.losses);
    for (const [i, t] of direct.weights.entries()) expect(bitsOf(t), `weight ${i}`).toEqual(bitsOf(widened.weights[i]));
    // ResNet-8: its 9 convolutions are all bias-free and followed by BatchNorm, so every output is bf16, and so is
    // the input gradient of the 3 whose input is a BatchNorm + ReLU output (read first by that BatchNorm's
    // backward); none is widened when BatchNorm reads the bits.
    expect(s1.outputs - s0.outputs).toBe(3 * (9 + 3));
    expect(s1.widened - s0.widened).toBe(0);
    expect(s2.widened - s1.widened).toBe(s2.outputs - s1.outputs);
  }, 60_000);
});
