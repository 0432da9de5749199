import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectKernelParity, nativeTestsEnabled, parityReport, type Tol, useNative } from '../testing/differential.js';
import { testRng } from '../testing/rng.js';
import { kernelStats } from './override.js';

type Pad = 'same' | 'valid' | number | [[number, number], [number, number], [number, number], [number, number]];

interface ConvCase {
  n: number;
  h: number;
  w: number;
  c: number;
  oc: number;
  kh: number;
  kw: number;
  s: [number, number];
  d: [number, number];
  pad: Pad;
}

// Hand-picked coverage (the list), then seeded random cases.
const FIXED: ConvCase[] = [
  { n: 2, h: 8, w: 8, c: 3, oc: 4, kh: 3, kw: 3, s: [1, 1], d: [1, 1], pad: 'same' },
  { n: 2, h: 9, w: 7, c: 4, oc: 5, kh: 3, kw: 3, s: [2, 2], d: [1, 1], pad: 'same' },
  { n: 1, h: 9, w: 9, c: 2, oc: 3, kh: 3, kw: 3, s: [2, 2], d: [1, 1], pad: 'valid' },
  { n: 3, h: 6, w: 5, c: 5, oc: 6, kh: 1, kw: 1, s: [1, 1], d: [1, 1], pad: 'valid' },
  { n: 2, h: 8, w: 8, c: 4, oc: 8, kh: 1, kw: 1, s: [2, 2], d: [1, 1], pad: 'same' },
  { n: 2, h: 10, w: 7, c: 3, oc: 4, kh: 3, kw: 2, s: [2, 1], d: [1, 1], pad: 'same' },
  { n: 1, h: 11, w: 9, c: 2, oc: 3, kh: 5, kw: 5, s: [1, 1], d: [1, 1], pad: 'same' },
  { n: 2, h: 7, w: 6, c: 3, oc: 2, kh: 3, kw: 3, s: [1, 1], d: [1, 1], pad: 1 },
  {
    n: 1,
    h: 7,
    w: 8,
    c: 2,
    oc: 3,
    kh: 3,
    kw: 3,
    s: [1, 2],
    d: [1, 1],
    pad: [
      [0, 0],
      [2, 0],
      [1, 2],
      [0, 0],
    ],
  },
];

// ResNet-like channel counts, where oneDNN picks blocked weight layouts (weights reach it through an index map);
// 20 -> 10 channels pads the 16-blocks.
FIXED.push(
  { n: 2, h: 6, w: 6, c: 16, oc: 16, kh: 3, kw: 3, s: [1, 1], d: [1, 1], pad: 'same' },
  { n: 2, h: 7, w: 7, c: 20, oc: 10, kh: 3, kw: 3, s: [2, 2], d: [1, 1], pad: 'same' },
  { n: 1, h: 6, w: 6, c: 32, oc: 64, kh: 3, kw: 3, s: [2, 2], d: [1, 1], pad: 'same' },
  { n: 2, h: 6, w: 6, c: 16, oc: 32, kh: 1, kw: 1, s: [2, 2], d: [1, 1], pad: 'same' },
);

// Forward-only extras: dilation (tfjs gradients require dilation 1).
const DILATED: ConvCase[] = [
  { n: 2, h: 9, w: 9, c: 3, oc: 4, kh: 3, kw: 3, s: [1, 1], d: [2, 2], pad: 'same' },
  { n: 1, h: 10, w: 8, c: 2, oc: 3, kh: 3, kw: 2, s: [1, 1], d: [2, 1], pad: 'valid' },
];

function randomCases(seed: number, count: number): ConvCase[] {
  const r = testRng(seed);
  return Array.from({ length: count }, () => {
    const k = r.pick([1, 2, 3, 5]);
    return {
      n: r.int(1, 3),
      h: r.int(k, 12),
      w: r.int(k, 12),
      c: r.int(1, 8),
      oc: r.int(1, 8),
      kh: k,
      kw: r.pick([k, 1, 3]),
      s: [r.int(1, 2), r.int(1, 2)] as [number, number],
      d: [1, 1] as [number, number],
      pad: r.pick(['same', 'valid'] as const),
    };
  });
}

const CASES = [...FIXED, ...randomCases(7, 12)];

// Stated tolerances (magnitude-scaled): oneDNN sums in a different order than the JS loops.
const FWD: Tol = { atol: 1e-5, rtol: 2e-6 };
const BWD_INPUT: Tol = { atol: 2e-5, rtol: 4e-6 };
const BWD_FILTER: Tol = { atol: 6e-5, rtol: 1e-5 };

function name(c: ConvCase): string {
  return `${c.n}x${c.h}x${c.w}x${c.c}->${c.oc} k${c.kh}x${c.kw} s${c.s} d${c.d} ${JSON.stringify(c.pad)}`;
}

function tensors(c: ConvCase, seed: number, depthwise: boolean) {
  const r = testRng(seed);
  const fshape: [number, number, number, number] = depthwise
    ? [c.kh, c.kw, c.c, Math.max(1, c.oc % 3)]
    : [c.kh, c.kw, c.c, c.oc];
  const x = tf.tensor4d(r.normal(c.n * c.h * c.w * c.c), [c.n, c.h, c.w, c.c]);
  const filter = tf.tensor4d(
    r.normal(
      fshape.reduce((a, b) => a * b, 1),
      0.5,
    ),
    fshape,
  );
  const info = tf.backend_util.computeConv2DInfo(
    x.shape,
    fshape,
    c.s,
    c.d,
    c.pad as 'same',
    undefined,
    depthwise,
    'channelsLast',
  );
  const dy = tf.tensor4d(r.normal(info.outShape.reduce((a, b) => a * b, 1)), info.outShape);
  const bias = tf.tensor1d(r.normal(info.outChannels));
  return { x, filter, dy, bias, info };
}

describe.runIf(nativeTestsEnabled())('convolutions: native (oneDNN) vs tfjs-backend-cpu', () => {
  beforeAll(useNative);
  afterAll(() => console.log(parityReport()));

  it.each(CASES.map((c, i) => [name(c), c, i] as const))('Conv2D / backprops %s', (_, c, i) => {
    tf.tidy(() => {
      const { x, filter, dy } = tensors(c, 100 + i, false);
      const attrs = { strides: c.s, pad: c.pad, dataFormat: 'NHWC', dilations: [1, 1], dimRoundingMode: undefined };
      expectKernelParity('Conv2D', { x, filter }, attrs as never, FWD);
      expectKernelParity('Conv2DBackpropInput', { dy, filter }, { ...attrs, inputShape: x.shape } as never, BWD_INPUT);
      expectKernelParity(
        'Conv2DBackpropFilter',
        { x, dy },
        { ...attrs, filterShape: filter.shape } as never,
        BWD_FILTER,
      );
    });
  });

  it.each(DILATED.map((c) => [name(c), c] as const))('Conv2D with dilation %s', (_, c) => {
    tf.tidy(() => {
      const { x, filter } = tensors(c, 5, false);
      expectKernelParity(
        'Conv2D',
        { x, filter },
        { strides: c.s, pad: c.pad, dataFormat: 'NHWC', dilations: c.d } as never,
        FWD,
      );
    });
  });

  it.each(['linear', 'relu', 'relu6', 'elu', 'leakyrelu', 'sigmoid'])('FusedConv2D bias + %s', (activation) => {
    tf.tidy(() => {
      for (const [i, c] of [FIXED[0], FIXED[1], FIXED[4], FIXED[5]].entries()) {
        const { x, filter, bias } = tensors(c, 300 + i, false);
        const attrs = {
          strides: c.s,
          pad: c.pad,
          dataFormat: 'NHWC',
          dilations: [1, 1],
          activation,
          leakyreluAlpha: 0.3,
        };
        expectKernelParity('FusedConv2D', { x, filter, bias }, attrs as never, FWD, `${activation} ${name(c)}`);
        expectKernelParity('FusedConv2D', { x, filter }, attrs as never, FWD, `no bias ${activation} ${name(c)}`);
      }
    });
  });

  it.each(CASES.map((c, i) => [name(c), c, i] as const))('DepthwiseConv2dNative / backprops %s', (_, c, i) => {
    if (c.s[0] !== c.s[1]) return; // tfjs depthwise requires equal strides
    tf.tidy(() => {
      const { x, filter, dy, bias } = tensors(c, 500 + i, true);
      const attrs = { strides: c.s, pad: c.pad, dataFormat: 'NHWC', dilations: [1, 1] };
      expectKernelParity('DepthwiseConv2dNative', { x, filter }, attrs as never, FWD);
      expectKernelParity('FusedDepthwiseConv2D', { x, filter, bias }, { ...attrs, activation: 'relu' } as never, FWD);
      expectKernelParity(
        'DepthwiseConv2dNativeBackpropInput',
        { dy, filter },
        { ...attrs, inputShape: x.shape } as never,
        BWD_INPUT,
      );
      expectKernelParity(
        'DepthwiseConv2dNativeBackpropFilter',
        { x, dy },
        { ...attrs, filterShape: filter.shape } as never,
        BWD_FILTER,
      );
    });
  });

  it('falls back to the JS kernel for NCHW, prelu and int32', () => {
    tf.tidy(() => {
      const fallbacks = (k: string) => kernelStats()[k]?.fallback ?? 0;
      const c0 = fallbacks('Conv2D');
      const x = tf.ones([1, 2, 5, 5]) as tf.Tensor4D;
      const w = tf.ones([3, 3, 2, 2]) as tf.Tensor4D;
      const y1 = tf.conv2d(x, w, 1, 'same', 'NCHW');
      expect(fallbacks('Conv2D')).toBe(c0 + 1);
      expect(y1.shape).toEqual([1, 2, 5, 5]);
      expect(y1.dataSync()[12]).toBeCloseTo(18, 5); // centre pixel: 3x3x2 ones
      const f0 = fallbacks('FusedConv2D');
      const y2 = tf.fused.conv2d({
        x: tf.ones([1, 5, 5, 2]) as tf.Tensor4D,
        filter: w,
        strides: 1,
        pad: 'same',
        activation: 'prelu',
        preluActivationWeights: tf.scalar(0.1),
      });
      expect(fallbacks('FusedConv2D')).toBe(f0 + 1);
      expect(y2.dataSync()[12 * 2]).toBeCloseTo(18, 5);
      const i0 = fallbacks('Conv2D');
      const yi = tf
        .engine()
        .runKernel(
          'Conv2D',
          { x: tf.ones([1, 4, 4, 1], 'int32'), filter: tf.fill([1, 1, 1, 1], 2, 'int32') },
          { strides: 1, pad: 'same', dataFormat: 'NHWC', dilations: 1 },
        ) as tf.Tensor;
      expect(Array.from(yi.dataSync()).slice(0, 3)).toEqual([2, 2, 2]);
      expect(fallbacks('Conv2D')).toBe(i0 + 1);
    });
  });
});
