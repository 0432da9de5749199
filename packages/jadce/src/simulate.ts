/**
 * Simulator of the grant-free massive-access uplink (Liu & Yu, IEEE TSP 2018; Shao et al., arXiv 2012.13523 §II):
 *
 *   Y = S·X + W ∈ C^{L×M},   X = A·H,   h_n = √β_n·g_n,   g_n ~ CN(0, I_M),   W_ij ~ CN(0, σ²),
 *
 * N single-antenna devices, each active i.i.d. with probability ε (a_n ∈ {0, 1}), M base-station antennas, pilots
 * s_n ∈ C^L with i.i.d. CN(0, 1/L) entries (unit norm on average). Large-scale fading β_n = 1 (normalised), or path
 * loss PL[dB] = 128.1 + 37.6·log10(d_km) with distances uniform over the cell area; with path loss the gains are
 * divided by their mean ("SNR normalisation"), so the SNR keeps its meaning while the near–far spread stays.
 *
 * SNR = E‖SX‖²_F / E‖W‖²_F with the *expected* signal power E‖SX‖²_F = ε·Σ_n β_n·M, so σ² = ε·Σβ_n / (L·SNR) is fixed by
 * the intended SNR and does not vary with the realised number of active devices (spec pitfall).
 */
import { InvalidArgumentError, type Rng } from '@ft/core';
import { checkPositiveInt } from '@ft/core/internal';
import { type CArray, type CMat, carray, cmat } from './host-complex.js';

/** A JADCE data set: shared pilots, received blocks and (optionally) ground truth and priors. */
export interface JadceData {
  /** Pilot matrix S [L, N]. */
  S: CMat;
  /** Received pilots Y [count, L, M]. */
  Y: CArray;
  /** Ground-truth device state matrices X [count, N, M] (optional). */
  X?: CArray;
  /** Ground-truth activity [count·N] as 0/1 (optional). */
  active?: Uint8Array;
  /** Noise variance per realisation [count]. */
  sigma2: Float64Array;
  /** Activity probability ε (optional prior). */
  eps?: number;
  /** Large-scale fading β [N] (optional prior; 1 when absent). */
  beta?: Float64Array;
}

/** Dimensions of a data set. */
export function dataDims(d: JadceData): { count: number; L: number; N: number; M: number } {
  return { count: d.Y.shape[0], L: d.S.rows, N: d.S.cols, M: d.Y.shape[2] };
}

/**
 * Draws a pilot matrix S ∈ C^{L×N} with i.i.d. CN(0, 1/L) entries (real and imaginary parts N(0, 1/(2L))).
 * @param L pilot length
 * @param N number of devices
 * @param rng seeded generator (`createRng`)
 */
export function makePilots(L: number, N: number, rng: Rng): CMat {
  checkPositiveInt(L, 'L', 'makePilots');
  checkPositiveInt(N, 'N', 'makePilots');
  const s = cmat(L, N);
  const sd = Math.sqrt(1 / (2 * L));
  for (let i = 0; i < L * N; i++) s.re[i] = sd * rng.normal();
  for (let i = 0; i < L * N; i++) s.im[i] = sd * rng.normal();
  return s;
}

/** Large-scale fading model. */
export type Fading = 'unit' | { cellRadiusKm: number; minDistanceKm?: number };

/** Options of `simulateMassiveAccess`. */
export interface SimulateOptions {
  /** Number of devices N. */
  N: number;
  /** Number of BS antennas M. */
  M: number;
  /** Pilot length L. */
  L: number;
  /** Activity probability ε ∈ (0, 1]. */
  activity: number;
  /** SNR in dB, or a range [lo, hi] from which each realisation draws its SNR uniformly (in dB). */
  snrDb: number | [number, number];
  /** Pilot matrix [L, N]; drawn with `makePilots` from `rng` when absent. */
  pilots?: CMat;
  /** `'unit'` (β_n = 1, default) or path loss in a cell of the given radius (distances drawn once per call). */
  fading?: Fading;
  /** Fixed large-scale fading β [N]; overrides `fading`. */
  beta?: Float64Array;
  /** Number of realisations. */
  count: number;
  /** Seeded generator. */
  rng: Rng;
}

/**
 * Path-loss gains β_n = 10^(−PL/10), PL = 128.1 + 37.6·log10(d_km), for distances uniform over the annulus
 * [minDistanceKm (default 0.05·R), R] by area, normalised to mean 1.
 */
export function pathLossBeta(
  N: number,
  fading: { cellRadiusKm: number; minDistanceKm?: number },
  rng: Rng,
): Float64Array {
  const R = fading.cellRadiusKm;
  const r0 = fading.minDistanceKm ?? 0.05 * R;
  if (!(R > 0) || !(r0 > 0) || r0 >= R) {
    throw new InvalidArgumentError(`fading: need 0 < minDistanceKm (${r0}) < cellRadiusKm (${R})`);
  }
  const beta = new Float64Array(N);
  for (let n = 0; n < N; n++) {
    const d = Math.sqrt(r0 * r0 + rng.uniform() * (R * R - r0 * r0));
    beta[n] = 10 ** (-(128.1 + 37.6 * Math.log10(d)) / 10);
  }
  const mean = beta.reduce((s, b) => s + b, 0) / N;
  for (let n = 0; n < N; n++) beta[n] /= mean;
  return beta;
}

/**
 * Noise variance σ² for a target SNR (linear) with the expected signal power ε·Σβ_n·M and CN(0, 1/L) pilots:
 * σ² = ε·Σβ_n / (L·SNR).
 */
export function noiseVariance(o: {
  activity: number;
  beta: Float64Array | number;
  N?: number;
  L: number;
  snrDb: number;
}): number {
  const sumBeta = typeof o.beta === 'number' ? o.beta * (o.N ?? 1) : o.beta.reduce((s, b) => s + b, 0);
  return (o.activity * sumBeta) / (o.L * 10 ** (o.snrDb / 10));
}

/**
 * Draws `count` realisations of the massive-access model (see the file header). Seeded: the same `rng` state gives
 * the same data. Returns the data set plus the SNR of each realisation.
 * @throws InvalidArgumentError for non-positive sizes, ε outside (0, 1], or a pilot matrix of the wrong shape.
 */
export function simulateMassiveAccess(o: SimulateOptions): JadceData & { snrDb: Float64Array } {
  const { N, M, L, activity, count, rng } = o;
  checkPositiveInt(N, 'N', 'simulateMassiveAccess');
  checkPositiveInt(M, 'M', 'simulateMassiveAccess');
  checkPositiveInt(L, 'L', 'simulateMassiveAccess');
  checkPositiveInt(count, 'count', 'simulateMassiveAccess');
  if (!(activity > 0 && activity <= 1)) throw new InvalidArgumentError(`activity must be in (0, 1], got ${activity}`);
  const S = o.pilots ?? makePilots(L, N, rng);
  if (S.rows !== L || S.cols !== N) {
    throw new InvalidArgumentError(`pilots: expected [L=${L}, N=${N}], got [${S.rows}, ${S.cols}]`);
  }
  let beta: Float64Array;
  if (o.beta) {
    if (o.beta.length !== N) throw new InvalidArgumentError(`beta: expected ${N} entries, got ${o.beta.length}`);
    beta = o.beta;
  } else if (o.fading && o.fading !== 'unit') beta = pathLossBeta(N, o.fading, rng);
  else beta = new Float64Array(N).fill(1);
  const X = carray([count, N, M]);
  const Y = carray([count, L, M]);
  const active = new Uint8Array(count * N);
  const sigma2 = new Float64Array(count);
  const snr = new Float64Array(count);
  const [lo, hi] = typeof o.snrDb === 'number' ? [o.snrDb, o.snrDb] : o.snrDb;
  const sqrtBeta = beta.map(Math.sqrt);
  for (let b = 0; b < count; b++) {
    snr[b] = lo === hi ? lo : lo + (hi - lo) * rng.uniform();
    sigma2[b] = noiseVariance({ activity, beta, L, snrDb: snr[b] });
    const xo = b * N * M;
    for (let n = 0; n < N; n++) {
      const on = rng.uniform() < activity;
      active[b * N + n] = on ? 1 : 0;
      for (let m = 0; m < M; m++) {
        // draw channels for every device so the stream does not depend on activity
        const gr = rng.normal();
        const gi = rng.normal();
        if (on) {
          X.re[xo + n * M + m] = sqrtBeta[n] * gr * Math.SQRT1_2;
          X.im[xo + n * M + m] = sqrtBeta[n] * gi * Math.SQRT1_2;
        }
      }
    }
    const yo = b * L * M;
    const sd = Math.sqrt(sigma2[b] / 2);
    for (let l = 0; l < L; l++) {
      for (let m = 0; m < M; m++) {
        let yr = sd * rng.normal();
        let yi = sd * rng.normal();
        for (let n = 0; n < N; n++) {
          if (!active[b * N + n]) continue;
          const sr = S.re[l * N + n];
          const si = S.im[l * N + n];
          const xr = X.re[xo + n * M + m];
          const xi = X.im[xo + n * M + m];
          yr += sr * xr - si * xi;
          yi += sr * xi + si * xr;
        }
        Y.re[yo + l * M + m] = yr;
        Y.im[yo + l * M + m] = yi;
      }
    }
  }
  return { S, Y, X, active, sigma2, eps: activity, beta, snrDb: snr };
}
