/**
 * Training and evaluation pools for the unrolled networks: realisations of the massive-access model with a fixed pilot
 * matrix, optionally projected by the DR module (Y_r = Y·V_r, X_r = X·V_r per realisation), held on the host and
 * served to tfjs in the network layout (`net-layout.ts`). Drawing a fixed pool once (instead of fresh samples every
 * step) keeps the per-step cost of the pure-JS backend down; the pool size is the "training samples" of the results.
 */

import { InvalidArgumentError, type Rng } from '@ft/core';
import * as tf from '@tensorflow/tfjs-core';
import { dimensionReduction } from './dimension-reduction.js';
import { batchItem, type CArray, type CMat, carray, cmatmul } from './host-complex.js';
import { toNetLayout } from './net-layout.js';
import { type Fading, type JadceData, simulateMassiveAccess } from './simulate.js';

/** A pool of (projected) realisations. */
export interface SamplePool {
  /** Network input Y_r [count, L, r] (Y itself when no DR). */
  Yr: CArray;
  /** Target X_r [count, N, r] (X itself when no DR). */
  Xr: CArray;
  /** Activity [count·N]. */
  active: Uint8Array;
  /** Noise variance per realisation. */
  sigma2: Float64Array;
  /** Number of realisations. */
  count: number;
  /** Columns r of Y_r / X_r. */
  r: number;
  /** Antennas M of each realisation (before DR). */
  M: Int32Array;
}

/**
 * Projects a data set with the DR module (rank r per realisation) or passes it through (`rank` undefined or = M).
 * Needs the ground truth X to build the target X_r (it is only used for training / scoring).
 */
export function poolFromData(d: JadceData, o: { rank?: number } = {}): SamplePool {
  const [count, L, M] = d.Y.shape;
  const N = d.S.cols;
  const r = o.rank ?? M;
  if (r > M) throw new InvalidArgumentError(`poolFromData: rank ${r} exceeds M=${M}`);
  const X = d.X ?? carray([count, N, M]);
  if (r === M) {
    return {
      Yr: d.Y,
      Xr: X,
      active: d.active ?? new Uint8Array(count * N),
      sigma2: d.sigma2,
      count,
      r,
      M: new Int32Array(count).fill(M),
    };
  }
  const Yr = carray([count, L, r]);
  const Xr = carray([count, N, r]);
  for (let b = 0; b < count; b++) {
    const dr = dimensionReduction(batchItem(d.Y, b), { rank: r });
    Yr.re.set(dr.Yr.re, b * L * r);
    Yr.im.set(dr.Yr.im, b * L * r);
    const xr = cmatmul(batchItem(X, b), dr.Vr);
    Xr.re.set(xr.re, b * N * r);
    Xr.im.set(xr.im, b * N * r);
  }
  return {
    Yr,
    Xr,
    active: d.active ?? new Uint8Array(count * N),
    sigma2: d.sigma2,
    count,
    r,
    M: new Int32Array(count).fill(M),
  };
}

/** Options of `makeSamplePool`. */
export interface SamplePoolOptions {
  /** Fixed pilots S [L, N]. */
  S: CMat;
  /** Antenna count(s): a list mixes realisations evenly over the values (all must be ≥ rank). */
  M: number | number[];
  /** Activity probability ε. */
  activity: number;
  /** SNR in dB or a range. */
  snrDb: number | [number, number];
  /** Number of realisations. */
  count: number;
  /** DR rank r (default: no DR, then M must be a single value). */
  rank?: number;
  /** Large-scale fading model (default unit). */
  fading?: Fading;
  rng: Rng;
}

function concatPools(pools: SamplePool[], rng: Rng): SamplePool {
  const count = pools.reduce((s, p) => s + p.count, 0);
  const first = pools[0];
  const L = first.Yr.shape[1];
  const N = first.Xr.shape[1];
  const r = first.r;
  const Yr = carray([count, L, r]);
  const Xr = carray([count, N, r]);
  const active = new Uint8Array(count * N);
  const sigma2 = new Float64Array(count);
  const M = new Int32Array(count);
  const order = rng.permutation(count);
  let k = 0;
  for (const p of pools) {
    for (let b = 0; b < p.count; b++, k++) {
      const dst = order[k];
      Yr.re.set(p.Yr.re.subarray(b * L * r, (b + 1) * L * r), dst * L * r);
      Yr.im.set(p.Yr.im.subarray(b * L * r, (b + 1) * L * r), dst * L * r);
      Xr.re.set(p.Xr.re.subarray(b * N * r, (b + 1) * N * r), dst * N * r);
      Xr.im.set(p.Xr.im.subarray(b * N * r, (b + 1) * N * r), dst * N * r);
      active.set(p.active.subarray(b * N, (b + 1) * N), dst * N);
      sigma2[dst] = p.sigma2[b];
      M[dst] = p.M[b];
    }
  }
  return { Yr, Xr, active, sigma2, count, r, M };
}

/** Draws a pool of realisations with fixed pilots, projected by DR when `rank` is given (see file header). */
export function makeSamplePool(o: SamplePoolOptions): SamplePool {
  const Ms = Array.isArray(o.M) ? o.M : [o.M];
  if (o.rank === undefined && new Set(Ms).size > 1) {
    throw new InvalidArgumentError(
      'makeSamplePool: mixing antenna counts needs a DR rank (inputs must share r columns)',
    );
  }
  const pools = Ms.map((M, i) => {
    const count = Math.floor(o.count / Ms.length) + (i < o.count % Ms.length ? 1 : 0);
    const d = simulateMassiveAccess({
      N: o.S.cols,
      M,
      L: o.S.rows,
      activity: o.activity,
      snrDb: o.snrDb,
      pilots: o.S,
      fading: o.fading,
      count,
      rng: o.rng,
    });
    return poolFromData(d, { rank: o.rank });
  });
  return pools.length === 1 ? pools[0] : concatPools(pools, o.rng);
}

/** Gathers realisations `idx` of a pool into network-layout tensors: Yr [2L, B, r], Xr [2N, B, r], active [N, B]. */
export function poolBatch(
  p: SamplePool,
  idx: ArrayLike<number>,
): { Yr: tf.Tensor3D; Xr: tf.Tensor3D; active: tf.Tensor2D } {
  const B = idx.length;
  const L = p.Yr.shape[1];
  const N = p.Xr.shape[1];
  const r = p.r;
  const y = carray([B, L, r]);
  const x = carray([B, N, r]);
  const a = new Float32Array(N * B);
  for (let k = 0; k < B; k++) {
    const b = idx[k];
    y.re.set(p.Yr.re.subarray(b * L * r, (b + 1) * L * r), k * L * r);
    y.im.set(p.Yr.im.subarray(b * L * r, (b + 1) * L * r), k * L * r);
    x.re.set(p.Xr.re.subarray(b * N * r, (b + 1) * N * r), k * N * r);
    x.im.set(p.Xr.im.subarray(b * N * r, (b + 1) * N * r), k * N * r);
    for (let n = 0; n < N; n++) a[n * B + k] = p.active[b * N + n];
  }
  return { Yr: toNetLayout(y), Xr: toNetLayout(x), active: tf.tensor2d(a, [N, B]) };
}
