/**
 * Learned JADCE models as self-contained, NumPy-readable checkpoints, and their inference pipelines.
 *
 * A model directory holds `model.json` (kind, network configuration, DR rank, training settings) and `weights.npz`
 * (float32 weights keyed by short variable name, plus the pilot matrix as `S_re` / `S_im`, which the learned B_t / W_t
 * belong to). Kinds:
 * - `proposed`: `FeatureAidedJadceNet` (our reconstruction of Shao et al.) after the DR module (or on Y itself when
 *   `rank` is null: the "without DR" ablation); detection π_n ≥ 0.5 from the last layer; channels by LS / MMSE on the
 *   detected set in the full M dimensions (spec step 7) or by projecting back, X̂ = X̂_r·V_rᴴ (`'project'`).
 * - `lista-gs`, `alista-gs` (or any `UnrolledIsta`): X̂ from the last layer on Y; detection by ‖x̂_n‖²/(M·β_n).
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  InvalidArgumentError,
  ModelFileNotFoundError,
  ModelFormatError,
  type NpyArray,
  npyArray,
  npyToFloat64,
  readNpz,
  writeNpz,
} from '@ft/core';
import * as tf from '@tensorflow/tfjs-core';
import { estimateChannels } from './channel-estimation.js';
import { dimensionReduction } from './dimension-reduction.js';
import { FeatureAidedJadceNet, type FeatureAidedJadceNetOptions } from './feature-aided-net.js';
import { batchItem, type CArray, type CMat, carray, cmatmulBH } from './host-complex.js';
import { fromNetLayout, toNetLayout } from './net-layout.js';
import type { JadceData } from './simulate.js';
import { DEFAULT_THRESHOLD, energyScore } from './solver.js';
import { UnrolledIsta, type UnrolledIstaOptions } from './unrolled-ista.js';

/** A trained `FeatureAidedJadceNet` with its DR setting. */
export interface ProposedModel {
  kind: 'proposed';
  net: FeatureAidedJadceNet;
  /** DR rank r, or null for no DR (then the net's r must equal M). */
  rank: number | null;
  /** Free-form training metadata (saved in model.json). */
  meta?: Record<string, unknown>;
}

/** A trained unrolled-ISTA network (LISTA-GS, ALISTA-GS, ...). */
export interface IstaModel {
  kind: 'lista-gs' | 'alista-gs' | 'unrolled-ista';
  net: UnrolledIsta;
  meta?: Record<string, unknown>;
}

/** Any learned model. */
export type LearnedModel = ProposedModel | IstaModel;

/** Output of a method on a data set: the estimate, per-device scores and timing. */
export interface MethodRun {
  /** X̂ [count, N, M]. */
  X: CArray;
  /** Scores [count·N] (larger = more likely active). */
  score: Float64Array;
  /** Kind of score (fixes the default threshold). */
  scoreKind: 'probability' | 'energy';
  /** Detection with the method's default threshold [count·N]. */
  active: Uint8Array;
  /** Wall-clock seconds for the whole data set. */
  seconds: number;
  /** Mean iterations / layers per realisation. */
  iterations: number;
}

/** Runs `fn` in a tidy scope and returns its host (non-tensor) result; every tensor created inside is freed. */
function hostTidy<T>(fn: () => T): T {
  let out: T | undefined;
  tf.tidy(() => {
    out = fn();
  });
  return out as T;
}

/** Checks that the model was trained for the data's pilot matrix (B_t / W_t are specific to S). */
export function checkSamePilots(model: CMat, data: CMat, who: string): void {
  if (model.rows !== data.rows || model.cols !== data.cols) {
    throw new InvalidArgumentError(
      `${who}: the model was trained for S [L=${model.rows}, N=${model.cols}] but the data has S [L=${data.rows}, N=${data.cols}]`,
    );
  }
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < model.re.length; i++) {
    diff = Math.max(diff, Math.abs(model.re[i] - data.re[i]), Math.abs(model.im[i] - data.im[i]));
    scale = Math.max(scale, Math.abs(data.re[i]), Math.abs(data.im[i]));
  }
  if (diff > 1e-5 * Math.max(scale, 1e-12)) {
    throw new InvalidArgumentError(
      `${who}: the model was trained for a different pilot matrix S (max difference ${diff.toExponential(2)}); learned weights are tied to S — retrain with the data's pilots (ft jadce train --pilots <file.npz>)`,
    );
  }
}

/** Options of `predictLearned`. */
export interface PredictOptions {
  /** Channel estimator of the proposed pipeline (default `'mmse'`). */
  channel?: 'ls' | 'mmse' | 'project';
  /** Large-scale fading β [N] (default ones) for MMSE and energy scores. */
  beta?: Float64Array;
  /** Realisations per tfjs batch (default 256). */
  batch?: number;
  /** Only the first `count` realisations (default all). */
  count?: number;
}

/** Runs a learned model on a data set (see file header). Timing covers DR, the network and channel estimation. */
export function predictLearned(model: LearnedModel, data: JadceData, o: PredictOptions = {}): MethodRun {
  const [total, L, M] = data.Y.shape;
  const count = Math.min(o.count ?? total, total);
  const N = data.S.cols;
  const beta = o.beta ?? data.beta ?? new Float64Array(N).fill(1);
  const batch = o.batch ?? 256;
  checkSamePilots(model.net.S, data.S, `predict(${model.kind})`);
  const X = carray([count, N, M]);
  const score = new Float64Array(count * N);
  const active = new Uint8Array(count * N);
  const t0 = performance.now();
  if (model.kind === 'proposed') {
    const { net, rank } = model;
    const r = rank ?? M;
    if (rank === null && net.r !== M)
      throw new InvalidArgumentError(`proposed (no DR) expects M = ${net.r}, data has M = ${M}`);
    if (rank !== null && rank > M) throw new InvalidArgumentError(`proposed: DR rank ${rank} exceeds M = ${M}`);
    const channel = o.channel ?? 'mmse';
    for (let s = 0; s < count; s += batch) {
      const B = Math.min(batch, count - s);
      const Yr = carray([B, L, r]);
      const bases: CMat[] = [];
      for (let k = 0; k < B; k++) {
        const Y = batchItem(data.Y, s + k);
        if (rank === null) {
          Yr.re.set(Y.re, k * L * r);
          Yr.im.set(Y.im, k * L * r);
        } else {
          const dr = dimensionReduction(Y, { rank });
          Yr.re.set(dr.Yr.re, k * L * r);
          Yr.im.set(dr.Yr.im, k * L * r);
          bases.push(dr.Vr);
        }
      }
      const { xr, pi } = hostTidy(() => {
        const out = net.run(toNetLayout(Yr));
        return { xr: fromNetLayout(out.X[out.X.length - 1]), pi: out.pi[out.pi.length - 1].dataSync() };
      });
      for (let k = 0; k < B; k++) {
        const b = s + k;
        const a = new Uint8Array(N);
        for (let n = 0; n < N; n++) {
          score[b * N + n] = pi[n * B + k];
          a[n] = pi[n * B + k] >= DEFAULT_THRESHOLD.probability ? 1 : 0;
        }
        active.set(a, b * N);
        let Xb: CMat;
        if (channel === 'project') {
          const xk = batchItem(xr, k);
          Xb = rank === null ? xk : cmatmulBH(xk, bases[k]);
        } else {
          Xb = estimateChannels(batchItem(data.Y, b), data.S, a, { method: channel, beta, sigma2: data.sigma2[b] });
        }
        X.re.set(Xb.re, b * N * M);
        X.im.set(Xb.im, b * N * M);
      }
    }
    return { X, score, scoreKind: 'probability', active, seconds: (performance.now() - t0) / 1000, iterations: net.T };
  }
  const { net } = model;
  for (let s = 0; s < count; s += batch) {
    const B = Math.min(batch, count - s);
    const Yb: CArray = {
      shape: [B, L, M],
      re: data.Y.re.subarray(s * L * M, (s + B) * L * M),
      im: data.Y.im.subarray(s * L * M, (s + B) * L * M),
    };
    const xh = hostTidy(() => {
      const out = net.run(toNetLayout(Yb));
      return fromNetLayout(out.X[out.X.length - 1]);
    });
    X.re.set(xh.re, s * N * M);
    X.im.set(xh.im, s * N * M);
    for (let k = 0; k < B; k++) {
      const sc = energyScore(batchItem(xh, k), beta);
      score.set(sc, (s + k) * N);
      for (let n = 0; n < N; n++) active[(s + k) * N + n] = sc[n] >= DEFAULT_THRESHOLD.energy ? 1 : 0;
    }
  }
  return { X, score, scoreKind: 'energy', active, seconds: (performance.now() - t0) / 1000, iterations: net.T };
}

/** Writes a model directory (`model.json` + `weights.npz`). */
export function saveLearnedModel(dir: string, model: LearnedModel): void {
  mkdirSync(dir, { recursive: true });
  const weights: Record<string, NpyArray> = {};
  if (model.kind === 'proposed') Object.assign(weights, model.net.weights());
  else {
    for (const [k, v] of Object.entries(model.net.weights())) weights[k] = npyArray('float32', v.shape, v.data);
    weights.S_re = npyArray('float64', [model.net.L, model.net.N], model.net.S.re);
    weights.S_im = npyArray('float64', [model.net.L, model.net.N], model.net.S.im);
  }
  writeNpz(join(dir, 'weights.npz'), weights, { compressed: true });
  const json = {
    format: 'ft-jadce-model/1',
    kind: model.kind,
    config: model.net.getConfig(),
    rank: model.kind === 'proposed' ? model.rank : undefined,
    meta: model.meta ?? {},
  };
  writeFileSync(join(dir, 'model.json'), `${JSON.stringify(json, null, 2)}\n`);
}

/**
 * Reads a model directory written by `saveLearnedModel`.
 * @throws ModelFileNotFoundError when `model.json` or `weights.npz` is missing; ModelFormatError when malformed.
 */
export function loadLearnedModel(dir: string): LearnedModel {
  const jsonPath = join(dir, 'model.json');
  const npzPath = join(dir, 'weights.npz');
  for (const p of [jsonPath, npzPath])
    if (!existsSync(p)) throw new ModelFileNotFoundError(`${p}: file not found`, { file: p });
  let json: {
    format?: string;
    kind?: string;
    config?: Record<string, unknown>;
    rank?: number | null;
    meta?: Record<string, unknown>;
  };
  try {
    json = JSON.parse(readFileSync(jsonPath, 'utf8'));
  } catch (err) {
    throw new ModelFormatError(
      `${jsonPath}: invalid JSON (${(err as Error).message})`,
      { file: jsonPath },
      { cause: err },
    );
  }
  if (json.format !== 'ft-jadce-model/1' || !json.config) {
    throw new ModelFormatError(`${jsonPath}: not an ft-jadce model (format ${json.format})`, { file: jsonPath });
  }
  const w = readNpz(npzPath);
  if (!w.S_re || !w.S_im)
    throw new ModelFormatError(`${npzPath}: missing the pilot matrix S_re/S_im`, { file: npzPath });
  const c = json.config;
  const L = c.L as number;
  const N = c.N as number;
  const S: CMat = {
    rows: L,
    cols: N,
    re: Float64Array.from(npyToFloat64(w.S_re)),
    im: Float64Array.from(npyToFloat64(w.S_im)),
  };
  try {
    if (json.kind === 'proposed') {
      const net = new FeatureAidedJadceNet({ ...(c as unknown as FeatureAidedJadceNetOptions), S });
      net.setWeights(w);
      return { kind: 'proposed', net, rank: json.rank ?? null, meta: json.meta };
    }
    const net = new UnrolledIsta({ ...(c as unknown as UnrolledIstaOptions), S });
    net.setWeights(
      Object.fromEntries(Object.entries(w).map(([k, a]) => [k, { shape: a.shape, data: a.data as Float32Array }])),
    );
    return { kind: json.kind as IstaModel['kind'], net, meta: json.meta };
  } catch (err) {
    throw new ModelFormatError(
      `${dir}: cannot rebuild the ${json.kind} model (${(err as Error).message})`,
      { dir },
      { cause: err },
    );
  }
}
