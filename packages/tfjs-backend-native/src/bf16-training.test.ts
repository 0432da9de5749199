/**
 * bf16 mode end to end: the gradient of a small conv + dense model computed through the mixed-precision path
 * (bf16 convolutions, their two gradients and the matmuls, fp32 everything else) against finite differences of the
 * fp32 loss on the cpu backend, and a few training steps of a CNN with BatchNorm in bf16 against the same steps in
 * fp32.
 *
 * Gradient tolerance. Each bf16 op rounds its two operands (relative error ≤ u = 2^-8 each, ~u/√3 rms); the model's
 * gradient passes through 3 such ops forward (2 convolutions, the dense matmul) and 5 backward (dx and dW of the
 * second convolution, dW of the first, dA and dB of the matmul; the first convolution's dx is not needed), each
 * adding a relative error of about √2 · u/√3 · √(terms)/√(terms) ≈ 0.8 u to the quantities it produces. Summed in
 * quadrature over the ≤ 5 ops on any path that is ≈ 1.8 u, summed linearly 4 u; we allow 8 u (3.1 %) of the
 * gradient's largest entry, plus the finite-difference error, which the fp32 gradient of the cpu backend bounds
 * (it must match the finite differences to 2e-4).
 */
import '@tensorflow/tfjs-layers';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { detectBf16, setPrecision } from './precision.js';
import { nativeInfo } from './register.js';
import { BF16_U } from './testing/bf16.js';
import { maxAbs, maxAbsDiff, nativeTestsEnabled, useNative } from './testing/differential.js';
import { tinyCnn } from './testing/models.js';
import { testRng } from './testing/rng.js';
import { trainFromWeights } from './testing/train.js';

const enabled = nativeTestsEnabled() && detectBf16().supported;

type Params = Record<'w1' | 'b1' | 'w2' | 'b2' | 'wd' | 'bd', tf.Tensor>;
const NAMES = ['w1', 'b1', 'w2', 'b2', 'wd', 'bd'] as const;

const g = testRng(31);
const X = g.normal(3 * 6 * 6 * 4);
const INIT: Record<(typeof NAMES)[number], { shape: number[]; values: Float32Array }> = {
  w1: { shape: [3, 3, 4, 16], values: g.normal(3 * 3 * 4 * 16, 0.3) },
  b1: { shape: [16], values: g.normal(16, 0.1) },
  w2: { shape: [3, 3, 16, 16], values: g.normal(3 * 3 * 16 * 16, 0.15) },
  b2: { shape: [16], values: g.normal(16, 0.1) },
  wd: { shape: [3 * 3 * 16, 5], values: g.normal(3 * 3 * 16 * 5, 0.15) },
  bd: { shape: [5], values: g.normal(5, 0.1) },
};
const LABELS = [0, 3, 4];

/** Mean softmax cross-entropy of conv(3×3)+tanh → conv(3×3, s2)+tanh → dense; smooth, so finite differences work. */
function loss(p: Params): tf.Scalar {
  const x = tf.tensor4d(X, [3, 6, 6, 4]);
  const h1 = tf.tanh(tf.add(tf.conv2d(x, p.w1 as tf.Tensor4D, 1, 'same'), p.b1));
  const h2 = tf.tanh(tf.add(tf.conv2d(h1 as tf.Tensor4D, p.w2 as tf.Tensor4D, 2, 'same'), p.b2));
  const logits = tf.add(tf.matMul(tf.reshape(h2, [3, -1]), p.wd as tf.Tensor2D), p.bd);
  return tf.losses.softmaxCrossEntropy(tf.oneHot(tf.tensor1d(LABELS, 'int32'), 5), logits) as tf.Scalar;
}

function params(values: Record<string, Float32Array>): Params {
  return Object.fromEntries(NAMES.map((n) => [n, tf.tensor(values[n], INIT[n].shape)])) as Params;
}

const init = () => Object.fromEntries(NAMES.map((n) => [n, INIT[n].values]));

function gradient(): Float32Array[] {
  return tf.tidy(() => {
    const p = params(init());
    const grads = tf.grads((...t: tf.Tensor[]) => loss(Object.fromEntries(NAMES.map((n, i) => [n, t[i]])) as Params))(
      NAMES.map((n) => p[n]),
    );
    return grads.map((t) => t.dataSync() as Float32Array);
  });
}

function lossAt(values: Record<string, Float32Array>): number {
  return tf.tidy(() => loss(params(values)).dataSync()[0]);
}

/** Central difference with one Richardson step (O(h⁴) truncation) of coordinate i of parameter n, in fp32. */
function finiteDifference(n: string, i: number, h: number): number {
  const d = (step: number) => {
    const plus = init();
    const minus = init();
    plus[n] = Float32Array.from(plus[n]);
    minus[n] = Float32Array.from(minus[n]);
    plus[n][i] += step;
    minus[n][i] -= step;
    // the step actually taken in fp32
    return (lossAt(plus) - lossAt(minus)) / (plus[n][i] - minus[n][i]);
  };
  return (4 * d(h / 2) - d(h)) / 3;
}

describe.runIf(enabled)('bf16 mode: gradient check and training', () => {
  beforeAll(useNative);
  afterAll(() => setPrecision('fp32'));

  it('the mixed-precision gradient matches finite differences of the fp32 loss within 8·2^-8 of max|g|', async () => {
    setPrecision('bf16');
    const c0 = nativeInfo().bf16Conversions?.converted ?? 0;
    const bf16 = gradient();
    expect(nativeInfo().bf16Conversions?.converted ?? 0).toBeGreaterThan(c0); // the bf16 kernels ran
    setPrecision('fp32');
    await tf.setBackend('cpu');
    const exact = gradient();
    const r = testRng(4);
    const rows: string[] = [];
    try {
      for (const [k, n] of NAMES.entries()) {
        const scale = maxAbs(exact[k]);
        const tol = 8 * BF16_U * scale;
        let worstFd = 0;
        let worstBf16 = 0;
        for (let s = 0; s < 6; s++) {
          const i = r.int(0, exact[k].length - 1);
          const fd = finiteDifference(n, i, 1e-2);
          const fdErr = Math.abs(exact[k][i] - fd);
          expect(fdErr, `${n}[${i}]: fp32 gradient vs finite difference`).toBeLessThan(2e-4);
          const e = Math.abs(bf16[k][i] - fd);
          expect(e, `${n}[${i}]: bf16 ${bf16[k][i]} vs finite difference ${fd}`).toBeLessThanOrEqual(tol + 2e-4);
          worstFd = Math.max(worstFd, fdErr);
          worstBf16 = Math.max(worstBf16, e);
        }
        // every entry, against the exact fp32 gradient
        const all = maxAbsDiff(bf16[k], exact[k]);
        expect(all, `${n}: bf16 vs fp32 gradient`).toBeLessThanOrEqual(tol);
        rows.push(
          `${n}: max|g| ${scale.toExponential(2)}, |bf16 − fd| ≤ ${worstBf16.toExponential(2)}, |fp32 − fd| ≤ ${worstFd.toExponential(2)}, |bf16 − fp32| ≤ ${all.toExponential(2)} (tol ${tol.toExponential(2)})`,
        );
      }
    } finally {
      await tf.setBackend('ft-native');
    }
    console.log(`bf16 gradient check\n${rows.join('\n')}`);
  }, 60_000);

  it('training steps in bf16 reduce the loss like fp32', async () => {
    const build = () => tinyCnn([8, 8, 3], 4, 16);
    const m = build();
    const weights = m.getWeights().map((w) => w.dataSync() as Float32Array);
    m.dispose();
    setPrecision('fp32');
    const ref = await trainFromWeights(build, weights, 8, { lr: 0.05, seed: 6 });
    setPrecision('bf16');
    const got = await trainFromWeights(build, weights, 8, { lr: 0.05, seed: 6 });
    setPrecision('fp32');
    console.log(
      `losses fp32 ${ref.losses.map((l) => l.toFixed(4)).join(' ')}\nlosses bf16 ${got.losses.map((l) => l.toFixed(4)).join(' ')}`,
    );
    expect(ref.losses[7]).toBeLessThan(0.7 * ref.losses[0]);
    expect(got.losses[7]).toBeLessThan(0.7 * got.losses[0]);
    // Same start, so step 0 differs only by the forward's bf16 rounding (~2^-8 relative); later steps drift, by
    // about 0.3 % of the first loss here (measured), within 5 · 2^-8 ≈ 2 %.
    expect(Math.abs(got.losses[0] - ref.losses[0])).toBeLessThanOrEqual(4 * BF16_U * ref.losses[0]);
    for (const [i, l] of got.losses.entries())
      expect(Math.abs(l - ref.losses[i]), `step ${i}`).toBeLessThanOrEqual(5 * BF16_U * ref.losses[0]);
  }, 60_000);

  it('keeps the tensor count flat over bf16 training steps', async () => {
    setPrecision('bf16');
    const model = tinyCnn([8, 8, 1], 3, 8);
    model.compile({ optimizer: tf.train.momentum(0.01, 0.9), loss: 'categoricalCrossentropy' });
    const r = testRng(2);
    const x = tf.tensor4d(r.normal(8 * 8 * 8), [8, 8, 8, 1]);
    const y = tf.oneHot(tf.tensor1d([0, 1, 2, 0, 1, 2, 0, 1], 'int32'), 3);
    for (let i = 0; i < 3; i++) await model.trainOnBatch(x, y); // optimizer slots
    const counts: number[] = [];
    for (let i = 0; i < 20; i++) {
      await model.trainOnBatch(x, y);
      counts.push(tf.memory().numTensors);
    }
    expect(new Set(counts).size).toBe(1);
    expect(nativeInfo().bf16Conversions?.reused ?? 0).toBeGreaterThan(0);
    tf.dispose([x, y]);
    model.dispose();
    setPrecision('fp32');
  }, 60_000);
});
