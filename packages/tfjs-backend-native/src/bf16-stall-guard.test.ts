/**
 * The stall guard of bf16 mode's backward weights (native/conv.cc, StallGuard): oneDNN's AMX backward-weights kernel
 * spins in its own barrier and, with more runnable threads than cores, single calls stalled for ~1 s. A call that
 * takes ≥ 400 ms and ≥ 20× its layer's fastest counts as a stall, and the next calls (256, doubling per stall up to
 * 16384) run oneDNN's next implementation without AMX.
 *
 * A real stall needs a busy machine, so the tests set both thresholds to 0 (every AMX call is then a stall) and
 * check the switching itself: the counts, the back-off lengths, that the alternative is not AMX, and that it
 * computes the same filter gradient. They run where oneDNN picks AMX for the bf16 backward weights.
 */
// tfjs-core registers no gradients by itself; tfjs-layers' import does.
import '@tensorflow/tfjs-layers';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { NativeAddon } from './addon.js';
import type { NativeBackend } from './backend.js';
import { detectBf16, setPrecision } from './precision.js';
import { maxAbsDiff, nativeTestsEnabled, useNative } from './testing/differential.js';
import { testRng } from './testing/rng.js';

const enabled = nativeTestsEnabled() && detectBf16().supported;

const native = (): NativeAddon => (tf.backend() as unknown as NativeBackend).native;
const guardCounts = () => {
  const { stalls, stallFallbacks } = native().info().convCache;
  return { stalls, stallFallbacks };
};

describe.runIf(enabled)('bf16 backward-weights stall guard', () => {
  let x: tf.Tensor4D;
  let dy: tf.Tensor4D;
  let amxHere = false;
  /** dL/dw of sum(conv(x, w) * dy) for a [4, 8, 8, 16] input and a 3×3 16→16 filter, run in bf16. */
  const filterGrad = () =>
    tf.tidy(() => {
      const w = tf.zeros([3, 3, 16, 16]) as tf.Tensor4D;
      const g = tf.grad((f: tf.Tensor) => tf.sum(tf.mul(tf.conv2d(x, f as tf.Tensor4D, 1, 'same'), dy)))(w);
      return g.dataSync() as Float32Array;
    });

  beforeAll(() => {
    useNative();
    const g = testRng(41);
    x = tf.tensor4d(g.normal(4 * 8 * 8 * 16), [4, 8, 8, 16]);
    dy = tf.tensor4d(g.normal(4 * 8 * 8 * 16), [4, 8, 8, 16]);
    setPrecision('bf16');
    filterGrad();
    const impls = native()
      .info()
      .convImpls.filter((s) => s.startsWith('bwd_weights_bf16 N4 8x8x16->16'));
    amxHere = impls.some((s) => s.includes('amx'));
    setPrecision('fp32');
  });
  afterEach(() => {
    native().convStallGuard(-1, 0); // defaults, back-off cleared
    setPrecision('fp32');
  });
  afterAll(() => tf.dispose([x, dy]));

  it('after a stall the next 256 calls avoid AMX, then a stalling probe doubles the back-off to 512', (ctx) => {
    if (!amxHere) ctx.skip();
    setPrecision('bf16');
    native().convStallGuard(0, 0);
    const c0 = guardCounts();
    const reference = filterGrad(); // AMX, and a stall
    expect(guardCounts()).toEqual({ stalls: c0.stalls + 1, stallFallbacks: c0.stallFallbacks });
    const first = filterGrad(); // the alternative
    for (let i = 0; i < 255; i++) filterGrad();
    expect(guardCounts()).toEqual({ stalls: c0.stalls + 1, stallFallbacks: c0.stallFallbacks + 256 });
    filterGrad(); // the probe: AMX again, another stall
    expect(guardCounts()).toEqual({ stalls: c0.stalls + 2, stallFallbacks: c0.stallFallbacks + 256 });
    for (let i = 0; i < 512; i++) filterGrad();
    expect(guardCounts()).toEqual({ stalls: c0.stalls + 2, stallFallbacks: c0.stallFallbacks + 768 });

    // The alternative is a real non-AMX implementation of the same layer, and computes the same gradient: the same
    // bf16 operands, float32 accumulation in another order.
    const alt = native()
      .info()
      .convImpls.filter((s) => s.startsWith('bwd_weights_bf16_no_amx N4 8x8x16->16'));
    expect(alt).toHaveLength(1);
    expect(alt[0]).not.toContain('amx_');
    const scale = reference.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
    expect(scale).toBeGreaterThan(1);
    expect(maxAbsDiff(first, reference)).toBeLessThan(1e-5 * scale);
  });

  it('a clean probe window resets the back-off', (ctx) => {
    if (!amxHere) ctx.skip();
    setPrecision('bf16');
    native().convStallGuard(0, 0);
    const c0 = guardCounts();
    filterGrad(); // stall: 256 calls on the alternative, the next back-off 512
    for (let i = 0; i < 256; i++) filterGrad();
    native().convStallGuard(1e9, 1e9); // no stalls: 512 clean AMX calls reset the back-off to 256
    for (let i = 0; i < 512; i++) filterGrad();
    native().convStallGuard(0, 0);
    filterGrad(); // stall: 256 (not 512) calls on the alternative
    for (let i = 0; i < 256; i++) filterGrad();
    expect(guardCounts()).toEqual({ stalls: c0.stalls + 2, stallFallbacks: c0.stallFallbacks + 512 });
    filterGrad(); // the probe runs AMX again
    expect(guardCounts()).toEqual({ stalls: c0.stalls + 3, stallFallbacks: c0.stallFallbacks + 512 });
  });

  it('the float32 backward weights are never watched', () => {
    native().convStallGuard(0, 0);
    const before = guardCounts();
    for (let i = 0; i < 3; i++) filterGrad();
    expect(guardCounts()).toEqual(before);
  });
});
