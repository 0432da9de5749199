// tfjs-core registers no gradients by itself; tfjs-layers' import does.
import '@tensorflow/tfjs-layers';
import { existsSync, readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { NativeBackend } from './backend.js';
import {
  Bf16UnsupportedError,
  detectBf16,
  getPrecision,
  InvalidPrecisionError,
  type NativePrecision,
  setBf16ProbeForTests,
  setPrecision,
} from './precision.js';
import { nativeInfo, registerNativeBackend } from './register.js';
import { roundBf16 } from './testing/bf16.js';
import { maxAbsDiff, nativeTestsEnabled, useNative } from './testing/differential.js';
import { testRng } from './testing/rng.js';

const native = nativeTestsEnabled();
const bf16Here = native && detectBf16().supported;

describe('precision option: validation and the CPU check', () => {
  const savedEnv = process.env.FT_NATIVE_PRECISION;
  afterEach(() => {
    setBf16ProbeForTests(null);
    if (savedEnv === undefined) delete process.env.FT_NATIVE_PRECISION;
    else process.env.FT_NATIVE_PRECISION = savedEnv;
    setPrecision('fp32');
  });

  it('fp32 is the default', () => {
    expect(getPrecision()).toBe('fp32');
  });

  it('an unknown precision is an INVALID_ARGUMENT error naming the valid ones', () => {
    expect(() => setPrecision('fp16' as NativePrecision)).toThrow(InvalidPrecisionError);
    try {
      setPrecision('fp16' as NativePrecision);
    } catch (e) {
      expect((e as InvalidPrecisionError).code).toBe('INVALID_ARGUMENT');
      expect((e as Error).message).toMatch(/unknown precision "fp16"; valid precisions: fp32, bf16/);
    }
    expect(getPrecision()).toBe('fp32');
  });

  it('bf16 on a CPU without bf16 is a BACKEND_UNAVAILABLE error, and the precision stays fp32', () => {
    setBf16ProbeForTests(() => ({ supported: false, reason: 'this CPU has no AVX512_BF16 (simulated)' }));
    let err: unknown;
    try {
      setPrecision('bf16');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(Bf16UnsupportedError);
    expect((err as Bf16UnsupportedError).code).toBe('BACKEND_UNAVAILABLE');
    expect((err as Error).message).toBe('bf16 precision is unavailable: this CPU has no AVX512_BF16 (simulated)');
    expect(getPrecision()).toBe('fp32');
    expect(() => setPrecision('fp32')).not.toThrow();
  });

  it.runIf(native)('registerNativeBackend reports {ok: false, reason, code} for a bad or unavailable precision', () => {
    expect(registerNativeBackend({ precision: 'fp8' as NativePrecision, onNativeError: 'throw' })).toEqual({
      ok: false,
      reason: 'precision: unknown precision "fp8"; valid precisions: fp32, bf16',
      code: 'INVALID_ARGUMENT',
    });
    process.env.FT_NATIVE_PRECISION = 'half';
    const env = registerNativeBackend({ onNativeError: 'throw' });
    expect(env).toMatchObject({ ok: false, code: 'INVALID_ARGUMENT' });
    expect(!env.ok && env.reason).toMatch(/^FT_NATIVE_PRECISION: unknown precision "half"/);
    process.env.FT_NATIVE_PRECISION = 'bf16';
    setBf16ProbeForTests(() => ({ supported: false, reason: 'no AVX512_BF16 (simulated)' }));
    expect(registerNativeBackend({ onNativeError: 'throw' })).toEqual({
      ok: false,
      reason: 'bf16 precision is unavailable: no AVX512_BF16 (simulated)',
      code: 'BACKEND_UNAVAILABLE',
    });
    expect(getPrecision()).toBe('fp32');
    // the option wins over the environment
    expect(registerNativeBackend({ precision: 'fp32', onNativeError: 'throw' })).toEqual({
      ok: true,
      name: 'ft-native',
    });
    expect(nativeInfo().precision).toBe('fp32');
  });

  it.runIf(native && existsSync('/proc/cpuinfo'))('the default probe agrees with /proc/cpuinfo', () => {
    const flags = readFileSync('/proc/cpuinfo', 'utf8');
    const hw = /\b(avx512_bf16|amx_bf16)\b/.test(flags);
    const s = detectBf16();
    // oneDNN may still be limited below the hardware (DNNL_MAX_CPU_ISA): only "no flag ⇒ unsupported" is certain.
    if (!hw) expect(s).toMatchObject({ supported: false });
    else if (!process.env.DNNL_MAX_CPU_ISA) expect(s).toEqual({ supported: true });
    expect(nativeInfo().bf16Support).toEqual(s);
  });

  it.runIf(bf16Here)('FT_NATIVE_PRECISION=bf16 and {precision: "bf16"} select bf16 on this CPU', () => {
    process.env.FT_NATIVE_PRECISION = 'bf16';
    expect(registerNativeBackend({ onNativeError: 'throw' }).ok).toBe(true);
    expect(nativeInfo().precision).toBe('bf16');
    delete process.env.FT_NATIVE_PRECISION;
    expect(registerNativeBackend({ precision: 'fp32', onNativeError: 'throw' }).ok).toBe(true);
    expect(getPrecision()).toBe('fp32');
    expect(registerNativeBackend({ precision: 'bf16', onNativeError: 'throw' }).ok).toBe(true);
    expect(getPrecision()).toBe('bf16');
    // without an option or FT_NATIVE_PRECISION a repeated registration keeps the current precision
    expect(registerNativeBackend({ onNativeError: 'throw' }).ok).toBe(true);
    expect(getPrecision()).toBe('bf16');
  });
});

/** A small conv → relu → conv(s2) → dense model: output and every gradient, as plain arrays. */
function runModel(seed: number): Float32Array[] {
  return tf.tidy(() => {
    const g = testRng(seed);
    const x = tf.tensor4d(g.normal(2 * 8 * 8 * 3), [2, 8, 8, 3]);
    const w1 = tf.tensor4d(g.normal(3 * 3 * 3 * 16, 0.3), [3, 3, 3, 16]);
    const w2 = tf.tensor4d(g.normal(3 * 3 * 16 * 16, 0.2), [3, 3, 16, 16]);
    const wd = tf.tensor2d(g.normal(4 * 4 * 16 * 5, 0.1), [4 * 4 * 16, 5]);
    const f = (xx: tf.Tensor, a: tf.Tensor, b: tf.Tensor, d: tf.Tensor) => {
      const h1 = tf.relu(tf.conv2d(xx as tf.Tensor4D, a as tf.Tensor4D, 1, 'same'));
      const h2 = tf.conv2d(h1, b as tf.Tensor4D, 2, 'same');
      return tf.matMul(tf.reshape(h2, [2, -1]), d as tf.Tensor2D);
    };
    const { value, grads } = tf.valueAndGrads((...t: tf.Tensor[]) => tf.sum(tf.square(f(t[0], t[1], t[2], t[3]))))([
      x,
      w1,
      w2,
      wd,
    ]);
    return [f(x, w1, w2, wd), value, ...grads].map((t) => t.dataSync() as Float32Array);
  });
}

describe.runIf(bf16Here)('switching precision', () => {
  beforeAll(useNative);
  afterEach(() => setPrecision('fp32'));

  it('fp32 results are bit-identical before bf16 was used and after switching back', () => {
    const before = runModel(3);
    setPrecision('bf16');
    const during = runModel(3);
    setPrecision('fp32');
    const after = runModel(3);
    for (const [i, v] of before.entries()) {
      expect(maxAbsDiff(after[i], v), `output ${i}`).toBe(0);
      expect(Array.from(after[i]), `output ${i}`).toEqual(Array.from(v));
    }
    // bf16 really differed (and only a little: relative 2^-8-scale differences)
    expect(maxAbsDiff(during[0], before[0])).toBeGreaterThan(0);
    expect(Math.abs(during[1][0] - before[1][0]) / before[1][0]).toBeLessThan(0.05);
  });

  it('bf16 copies of pooled activations are reused within a step and never served stale', () => {
    setPrecision('bf16');
    const backend = tf.backend() as unknown as NativeBackend;
    const g = testRng(9);
    const w = tf.tensor4d(g.normal(3 * 3 * 8 * 8, 0.3), [3, 3, 8, 8]);
    const xa = tf.tensor4d(g.normal(2 * 6 * 6 * 8), [2, 6, 6, 8]);
    const xb = tf.tensor4d(g.normal(2 * 6 * 6 * 8), [2, 6, 6, 8]);
    // a = relu(xa) is a pooled native output: converting it twice converts once.
    const a = tf.relu(xa);
    const s0 = backend.bf16Stats();
    const y1 = tf.conv2d(a as tf.Tensor4D, w, 1, 'same');
    const y2 = tf.conv2d(a as tf.Tensor4D, w, 1, 'same');
    // (a convolution runs when its output is first read)
    const v1 = y1.dataSync();
    const v2 = y2.dataSync();
    const s1 = backend.bf16Stats();
    expect(s1.converted - s0.converted).toBe(1);
    expect(s1.reused - s0.reused).toBe(1);
    expect(maxAbsDiff(v1, v2)).toBe(0);
    const bufA = (backend as unknown as { data: Map<object, { values: Float32Array }> }).data.get(a.dataId)?.values
      .buffer;
    a.dispose();
    // relu(xb) gets a's recycled buffer: its conversion must be fresh.
    const b = tf.relu(xb);
    const bufB = (backend as unknown as { data: Map<object, { values: Float32Array }> }).data.get(b.dataId)?.values
      .buffer;
    expect(bufB).toBe(bufA);
    const yb = tf.conv2d(b as tf.Tensor4D, w, 1, 'same');
    setPrecision('fp32');
    const ref = tf.conv2d(
      tf.tensor4d(roundBf16(b.dataSync() as Float32Array), b.shape as never),
      tf.tensor4d(roundBf16(w.dataSync() as Float32Array), w.shape),
      1,
      'same',
    );
    expect(maxAbsDiff(yb.dataSync(), ref.dataSync())).toBeLessThan(1e-4);
    tf.dispose([w, xa, xb, y1, y2, b, yb, ref]);
  });
});
