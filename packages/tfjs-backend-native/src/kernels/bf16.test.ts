/**
 * bf16 mode, kernel by kernel: Conv2D / FusedConv2D, Conv2DBackpropInput, Conv2DBackpropFilter and BatchMatMul /
 * _FusedMatMul in bf16 against tfjs-backend-cpu in fp32. Two checks per case:
 * 1. against the exact fp32 result, within the bf16 dot-product tolerance derived in testing/bf16.ts
 *    (min(2.01K, 4.9√K) · 2^-8 · max|a| · max|b| + the fp32 tolerance), and the error must be visibly larger than
 *    fp32's (the bf16 path really ran);
 * 2. against the cpu kernel run on the operands rounded to bf16, within the fp32 tolerance: what is left is the
 *    fp32 accumulation order, i.e. the operands are bf16 and the accumulation and output are fp32.
 * (Read first by this float32 check, a convolution's result is float32; read first by a BatchNorm it would be bf16,
 * which bf16-outputs.test.ts checks.)
 */
// tfjs-core registers no gradients by itself; tfjs-layers' import does.
import '@tensorflow/tfjs-layers';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { NativeBackend } from '../backend.js';
import { detectBf16, setPrecision } from '../precision.js';
import { nativeInfo } from '../register.js';
import { bf16Tol, roundBf16 } from '../testing/bf16.js';
import { maxAbsDiff, nativeTestsEnabled, runBoth, type Tol, useNative } from '../testing/differential.js';
import { testRng } from '../testing/rng.js';
import { bf16WeightsGradient } from './conv2d-backprop.js';

const enabled = nativeTestsEnabled() && detectBf16().supported;
if (nativeTestsEnabled() && !enabled) console.warn(`bf16 kernel tests skipped: ${detectBf16().reason}`);

// The fp32 kernels' stated tolerances (conv2d.test.ts, batch-mat-mul.test.ts).
const FWD: Tol = { atol: 1e-5, rtol: 2e-6 };
const BWD_INPUT: Tol = { atol: 2e-5, rtol: 4e-6 };
const BWD_FILTER: Tol = { atol: 6e-5, rtol: 1e-5 };
const MATMUL: Tol = { atol: 1e-5, rtol: 2e-6 };

interface ConvCase {
  n: number;
  h: number;
  w: number;
  c: number;
  oc: number;
  k: number;
  s: number;
  pad: 'same' | 'valid';
}

const CONV_CASES: ConvCase[] = [
  { n: 2, h: 8, w: 8, c: 3, oc: 4, k: 3, s: 1, pad: 'same' },
  { n: 2, h: 9, w: 7, c: 4, oc: 5, k: 3, s: 2, pad: 'same' },
  { n: 3, h: 6, w: 5, c: 5, oc: 6, k: 1, s: 1, pad: 'valid' },
  { n: 1, h: 11, w: 9, c: 2, oc: 3, k: 5, s: 1, pad: 'same' },
  // ResNet-like channel counts (blocked weight layouts, brgconv / jit_bf16 kernels)
  { n: 2, h: 8, w: 8, c: 16, oc: 16, k: 3, s: 1, pad: 'same' },
  { n: 2, h: 7, w: 7, c: 20, oc: 10, k: 3, s: 2, pad: 'same' },
  { n: 2, h: 6, w: 6, c: 32, oc: 64, k: 3, s: 2, pad: 'same' },
  { n: 2, h: 6, w: 6, c: 16, oc: 32, k: 1, s: 2, pad: 'same' },
  { n: 1, h: 8, w: 8, c: 64, oc: 64, k: 3, s: 1, pad: 'same' },
  // odd shapes with enough input channels for a bf16 weight gradient (bf16WeightsGradient)
  { n: 3, h: 6, w: 5, c: 12, oc: 6, k: 1, s: 1, pad: 'valid' },
  { n: 1, h: 11, w: 9, c: 8, oc: 3, k: 5, s: 1, pad: 'same' },
];

function label(c: ConvCase): string {
  return `${c.n}x${c.h}x${c.w}x${c.c}->${c.oc} k${c.k} s${c.s} ${c.pad}`;
}

/** Runs `kernel` on the cpu JS kernel with the given inputs replaced by their bf16 roundings. */
function refOnRounded(kernel: string, inputs: Record<string, tf.Tensor>, round: string[], attrs: tf.NamedAttrMap) {
  const backend = tf.backend() as unknown as NativeBackend;
  const rounded = Object.fromEntries(
    Object.entries(inputs).map(([k, t]) => [
      k,
      round.includes(k) ? tf.tensor(roundBf16(t.dataSync() as Float32Array), t.shape) : t,
    ]),
  );
  const out = tf.getKernel(kernel, 'cpu').kernelFunc({ inputs: rounded, backend, attrs }) as tf.TensorInfo;
  const v = backend.readSync(out.dataId) as Float32Array;
  backend.disposeData(out.dataId);
  return v;
}

/** Both checks of the file comment for one kernel call; returns the max |Δ| to the exact result. */
function check(
  kernel: string,
  inputs: Record<string, tf.Tensor>,
  attrs: tf.NamedAttrMap,
  operands: [string, string],
  K: number,
  fp32: Tol,
): number {
  const { native, ref } = runBoth(kernel, inputs, attrs);
  const got = native[0].values as Float32Array;
  const exact = ref[0].values as Float32Array;
  const [a, b] = operands.map((k) => inputs[k].dataSync());
  const tol = bf16Tol(K, a, b, fp32, exact);
  const d = maxAbsDiff(got, exact);
  expect(d, `${kernel}: max |Δ| ${d} vs the fp32 result > bf16 tolerance ${tol} (K=${K})`).toBeLessThanOrEqual(tol);
  const fp32Bound = fp32.atol + fp32.rtol * Math.max(...Array.from(exact, Math.abs));
  expect(d, `${kernel}: bf16 result equals fp32 within fp32 tolerance — bf16 path not taken?`).toBeGreaterThan(
    fp32Bound,
  );
  const onRounded = refOnRounded(kernel, inputs, operands, attrs);
  const r = maxAbsDiff(got, onRounded);
  const rBound = fp32.atol + fp32.rtol * Math.max(...Array.from(onRounded, Math.abs));
  expect(r, `${kernel}: max |Δ| ${r} vs cpu on bf16-rounded operands > fp32 tolerance ${rBound}`).toBeLessThanOrEqual(
    rBound,
  );
  return d;
}

describe('bf16WeightsGradient: which weight gradients bf16 mode computes in bf16', () => {
  const info = (c: number, k: number, s: number) =>
    tf.backend_util.computeConv2DInfo([2, 16, 16, c], [k, k, c, 32], s, 1, 'same', undefined, false);
  it('unstrided convolutions with at least 8 input channels', () => {
    expect(bf16WeightsGradient(info(16, 3, 1))).toBe(true);
    expect(bf16WeightsGradient(info(8, 1, 1))).toBe(true);
  });
  it('not strided ones (3×3 or 1×1) nor ones with fewer than 8 input channels (RGB or grey inputs)', () => {
    expect(bf16WeightsGradient(info(16, 3, 2))).toBe(false);
    expect(bf16WeightsGradient(info(64, 1, 2))).toBe(false);
    expect(bf16WeightsGradient(info(3, 3, 1))).toBe(false);
    expect(bf16WeightsGradient(info(7, 3, 1))).toBe(false);
  });
});

describe.runIf(enabled)('bf16 mode: convolutions and matmuls vs tfjs-backend-cpu (fp32)', () => {
  beforeAll(async () => {
    await useNative();
    setPrecision('bf16');
  });
  afterEach(() => setPrecision('bf16'));
  afterAll(() => setPrecision('fp32'));

  it.each(CONV_CASES.map((c, i) => [label(c), c, i] as const))(
    'Conv2D, FusedConv2D and both gradients %s',
    (_, c, i) => {
      tf.tidy(() => {
        const g = testRng(900 + i);
        const x = tf.tensor4d(g.normal(c.n * c.h * c.w * c.c), [c.n, c.h, c.w, c.c]);
        const filter = tf.tensor4d(g.normal(c.k * c.k * c.c * c.oc, 0.5), [c.k, c.k, c.c, c.oc]);
        const info = tf.backend_util.computeConv2DInfo(x.shape, filter.shape, c.s, 1, c.pad, undefined, false);
        const dy = tf.tensor(g.normal(info.outShape.reduce((p, d) => p * d, 1)), info.outShape);
        const bias = tf.tensor1d(g.normal(c.oc));
        const attrs = { strides: c.s, pad: c.pad, dataFormat: 'NHWC', dilations: [1, 1] } as tf.NamedAttrMap;
        // K: terms per output. Forward: KH·KW·C; dx: at most KH·KW·OC; dW: N·OH·OW.
        check('Conv2D', { x, filter }, attrs, ['x', 'filter'], c.k * c.k * c.c, FWD);
        check(
          'FusedConv2D',
          { x, filter, bias },
          { ...attrs, activation: 'relu' },
          ['x', 'filter'],
          c.k * c.k * c.c,
          FWD,
        );
        check(
          'Conv2DBackpropInput',
          { dy, filter },
          { ...attrs, inputShape: x.shape },
          ['dy', 'filter'],
          c.k * c.k * c.oc,
          BWD_INPUT,
        );
        const dwAttrs = { ...attrs, filterShape: filter.shape };
        if (bf16WeightsGradient(info)) {
          check(
            'Conv2DBackpropFilter',
            { x, dy },
            dwAttrs,
            ['x', 'dy'],
            c.n * info.outHeight * info.outWidth,
            BWD_FILTER,
          );
        } else {
          // Strided, or few input channels: the weight gradient stays fp32 in bf16 mode (bf16WeightsGradient).
          const { native, ref } = runBoth('Conv2DBackpropFilter', { x, dy }, dwAttrs);
          const exact = ref[0].values as Float32Array;
          const bound = BWD_FILTER.atol + BWD_FILTER.rtol * Math.max(...Array.from(exact, Math.abs));
          expect(maxAbsDiff(native[0].values as Float32Array, exact)).toBeLessThanOrEqual(bound);
        }
      });
    },
  );

  it('runs oneDNN bf16 implementations (avx512_core_bf16) for the regular convolutions', () => {
    const impls = (nativeInfo().convImpls ?? []).filter((s) => /_bf16(_out)? /.test(s));
    expect(impls.length).toBeGreaterThanOrEqual(3);
    // the 3×3 16/32/64-channel convolutions must not run on a reference or emulated implementation
    const wide = impls.filter((s) => /x16->16 k3x3|x64->64 k3x3/.test(s));
    expect(wide.length).toBeGreaterThanOrEqual(3);
    for (const s of wide) expect(s).toMatch(/avx512_core_bf16|amx/);
  });

  const r = testRng(77);
  const MM = Array.from({ length: 10 }, (_, i) => ({
    batchA: [[], [1], [3], [2, 3]][i % 4] as number[],
    m: r.int(1, 40),
    k: r.int(1, 300),
    n: r.int(1, 40),
    tA: i % 2 === 1,
    tB: i % 3 === 1,
  }));

  it.each(MM.map((c, i) => [JSON.stringify(c), c, i] as const))('BatchMatMul / _FusedMatMul %s', (_, c, i) => {
    tf.tidy(() => {
      const g = testRng(60 + i);
      const aShape = [...c.batchA, ...(c.tA ? [c.k, c.m] : [c.m, c.k])];
      const bBatch = i % 5 === 0 ? [] : c.batchA.map((d, j) => (i % 2 === 0 && j === 0 ? 1 : d));
      const bShape = [...bBatch, ...(c.tB ? [c.n, c.k] : [c.k, c.n])];
      const a = tf.tensor(g.normal(aShape.reduce((p, d) => p * d, 1)), aShape);
      const b = tf.tensor(g.normal(bShape.reduce((p, d) => p * d, 1)), bShape);
      const attrs = { transposeA: c.tA, transposeB: c.tB };
      if (c.k > 6) check('BatchMatMul', { a, b }, attrs, ['a', 'b'], c.k, MATMUL);
      const bias = tf.tensor1d(g.normal(c.n));
      for (const activation of ['linear', 'relu', 'sigmoid']) {
        const { native, ref } = runBoth('_FusedMatMul', { a, b, bias }, { ...attrs, activation });
        const tol = bf16Tol(c.k, a.dataSync(), b.dataSync(), MATMUL, ref[0].values);
        expect(maxAbsDiff(native[0].values, ref[0].values), activation).toBeLessThanOrEqual(tol);
      }
    });
  });

  it('the gradient matmuls of tf.matMul run in bf16 too', () => {
    tf.tidy(() => {
      const g = testRng(5);
      const a = tf.tensor2d(g.normal(8 * 50), [8, 50]);
      const b = tf.tensor2d(g.normal(50 * 6), [50, 6]);
      const dy = tf.tensor2d(g.normal(8 * 6), [8, 6]);
      const f = (x: tf.Tensor, y: tf.Tensor) => tf.matMul(x, y);
      const [da, db] = tf.grads(f)([a, b], dy);
      // exact: dA = dy·Bᵀ (K = 6 terms), dB = Aᵀ·dy (K = 8 terms)
      setPrecision('fp32');
      const [ea, eb] = tf.grads(f)([a, b], dy);
      setPrecision('bf16');
      const ta = bf16Tol(6, dy.dataSync(), b.dataSync(), MATMUL, ea.dataSync());
      const tb = bf16Tol(8, a.dataSync(), dy.dataSync(), MATMUL, eb.dataSync());
      expect(maxAbsDiff(da.dataSync(), ea.dataSync())).toBeLessThanOrEqual(ta);
      expect(maxAbsDiff(db.dataSync(), eb.dataSync())).toBeLessThanOrEqual(tb);
      expect(maxAbsDiff(da.dataSync(), ea.dataSync())).toBeGreaterThan(0);
    });
  });
});
