import { createRng } from '@ft/core';
import * as tf from '@tensorflow/tfjs-core';
import type { CTensor } from './complex-tensor.js';
import { batchItem, type CMat, cmat } from './host-complex.js';
import { nmseDb } from './nmse.js';
import { makePilots, simulateMassiveAccess } from './simulate.js';
import type { JadceProblem, SolverResult } from './solver.js';

/**
 * A seeded `rows × cols` complex matrix with CN-style entries (re, im ~ N(0, 1), drawn re then im per entry).
 * @param f32 round every value to float32 so host and tensor math see the same inputs
 */
export function randomCMat(rows: number, cols: number, seed: number | string, f32 = false): CMat {
  const rng = createRng(seed);
  const a = cmat(rows, cols);
  for (let i = 0; i < a.re.length; i++) {
    const re = rng.normal();
    const im = rng.normal();
    a.re[i] = f32 ? Math.fround(re) : re;
    a.im[i] = f32 ? Math.fround(im) : im;
  }
  return a;
}

/** A host complex matrix as a float32 `{re, im}` tensor pair. */
export function cmatToTensor(h: CMat): CTensor {
  return {
    re: tf.tensor2d(Float32Array.from(h.re), [h.rows, h.cols]),
    im: tf.tensor2d(Float32Array.from(h.im), [h.rows, h.cols]),
  };
}

/** Largest |a_i − b_i| over the entries of two host complex matrices. */
export function maxAbsDiffC(a: CMat, b: CMat): number {
  let m = 0;
  for (let i = 0; i < a.re.length; i++) m = Math.max(m, Math.abs(a.re[i] - b.re[i]), Math.abs(a.im[i] - b.im[i]));
  return m;
}

/** Largest |t_i − ref_i| between a tensor's values and a reference array. */
export function maxAbsDiffTensor(t: tf.Tensor, ref: ArrayLike<number>): number {
  const v = t.dataSync();
  let m = 0;
  for (let i = 0; i < ref.length; i++) m = Math.max(m, Math.abs(v[i] - ref[i]));
  return m;
}

/**
 * Runs a solver on every realisation of a simulated batch: NMSE (dB, ratio of sums) and activity error rate.
 * @param f the solver; it also gets the true activity of the realisation (for oracle-support methods)
 */
export function runOnBatch(
  d: ReturnType<typeof simulateMassiveAccess>,
  f: (p: JadceProblem, active: Uint8Array) => SolverResult,
): { nmse: number; aer: number } {
  const { N } = { N: d.S.cols };
  const count = d.Y.shape[0];
  const xh = { re: [] as number[], im: [] as number[] };
  let errors = 0;
  for (let b = 0; b < count; b++) {
    const a = d.active!.subarray(b * N, (b + 1) * N);
    const r = f({ Y: batchItem(d.Y, b), S: d.S, sigma2: d.sigma2[b], eps: d.eps }, a);
    xh.re.push(...r.X.re);
    xh.im.push(...r.X.im);
    for (let n = 0; n < N; n++) errors += r.active[n] !== a[n] ? 1 : 0;
  }
  return { nmse: nmseDb(xh, { re: d.X!.re, im: d.X!.im }), aer: errors / (count * N) };
}

/** The noiseless row-sparse batch every solver must recover at generous L: N 60, M 8, L 40, ε 0.05, 6 realisations. */
export function noiselessBatch() {
  return simulateMassiveAccess({
    N: 60,
    M: 8,
    L: 40,
    activity: 0.05,
    snrDb: Number.POSITIVE_INFINITY,
    count: 6,
    rng: createRng(11),
  });
}

/**
 * The grid the speed-ups of the iterative solvers are checked on against their 0.1.0 code: N 100, ε 0.05, unit β,
 * L ∈ {6, 12, 20}, M ∈ {8, 32}, SNR ∈ {0, 10} dB, two realisations each (24 problems), seeded by `seed`.
 */
export function regressionProblems(seed: string): JadceProblem[] {
  const rng = createRng(seed);
  const out: JadceProblem[] = [];
  for (const L of [6, 12, 20]) {
    const S = makePilots(L, 100, rng.fork(`S${L}`));
    for (const M of [8, 32]) {
      for (const snrDb of [0, 10]) {
        const d = simulateMassiveAccess({
          N: 100,
          M,
          L,
          activity: 0.05,
          snrDb,
          pilots: S,
          count: 2,
          rng: rng.fork(`d${L}-${M}-${snrDb}`),
        });
        for (let b = 0; b < 2; b++)
          out.push({ Y: batchItem(d.Y, b), S, sigma2: d.sigma2[b], eps: 0.05, beta: new Float64Array(100).fill(1) });
      }
    }
  }
  return out;
}
