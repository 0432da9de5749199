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
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  InputTooLargeError,
  InvalidArgumentError,
  ModelFileNotFoundError,
  ModelFormatError,
  type NpyArray,
  npyArray,
  npyToFloat64,
  readNpz,
  UnsafePathError,
  writeNpz,
} from '@ft/core';
import * as tf from '@tensorflow/tfjs-core';
import { estimateChannels } from './channel-estimation.js';
import { dimensionReduction } from './dimension-reduction.js';
import { FeatureAidedJadceNet, type FeatureAidedJadceNetOptions } from './feature-aided-net.js';
import { batchItem, type CArray, type CMat, carray, cmatmulBH } from './host-complex.js';
import { toNetLayout, unpackNetLayout } from './net-layout.js';
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

/**
 * Drives a computation that yields tensors to read (see `predictSteps`): reads them with `dataSync()`, disposes them
 * and sends the host data back.
 */
function driveSync<R>(gen: Generator<tf.Tensor[], R, ArrayLike<number>[]>): R {
  let r = gen.next();
  while (!r.done) {
    const ts = r.value;
    let data: ArrayLike<number>[];
    try {
      data = ts.map((t) => t.dataSync());
    } finally {
      tf.dispose(ts);
    }
    r = gen.next(data);
  }
  return r.value;
}

/** {@link driveSync} with asynchronous reads (any backend, GPU included). */
async function driveAsync<R>(gen: Generator<tf.Tensor[], R, ArrayLike<number>[]>): Promise<R> {
  let r = gen.next();
  while (!r.done) {
    const ts = r.value;
    let data: ArrayLike<number>[];
    try {
      data = [];
      for (const t of ts) data.push(await t.data());
    } finally {
      tf.dispose(ts);
    }
    r = gen.next(data);
  }
  return r.value;
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
export interface JadcePredictOptions {
  /** Channel estimator of the proposed pipeline (default `'mmse'`). */
  channel?: 'ls' | 'mmse' | 'project';
  /** Large-scale fading β [N] (default ones) for MMSE and energy scores. */
  beta?: Float64Array;
  /** Realisations per tfjs batch (default 256). */
  batch?: number;
  /** Only the first `count` realisations (default all). */
  count?: number;
}

/**
 * Runs a learned model on a data set (see file header). Timing covers DR, the network and channel estimation. Reads
 * the network's outputs with `dataSync()`; on a GPU backend (no synchronous readback) use {@link predictLearnedAsync}.
 */
export function predictLearned(model: LearnedModel, data: JadceData, o: JadcePredictOptions = {}): MethodRun {
  return driveSync(predictSteps(model, data, o));
}

/** {@link predictLearned} with asynchronous reads of the network's outputs (any backend, GPU included); same result. */
export async function predictLearnedAsync(
  model: LearnedModel,
  data: JadceData,
  o: JadcePredictOptions = {},
): Promise<MethodRun> {
  return driveAsync(predictSteps(model, data, o));
}

/**
 * The prediction of {@link predictLearned} as a generator: it yields the network outputs of each batch (tensors
 * the driver reads and disposes) and receives their host data.
 */
function* predictSteps(
  model: LearnedModel,
  data: JadceData,
  o: JadcePredictOptions,
): Generator<tf.Tensor[], MethodRun, ArrayLike<number>[]> {
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
      const outs = tf.tidy(() => {
        const out = net.run(toNetLayout(Yr));
        return [out.X[out.X.length - 1], out.pi[out.pi.length - 1]];
      });
      const shape = outs[0].shape;
      const [xData, pi] = yield outs;
      const xr = unpackNetLayout(xData, shape);
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
    const last = tf.tidy(() => {
      const out = net.run(toNetLayout(Yb));
      return out.X[out.X.length - 1];
    });
    const shape = last.shape;
    const [xData] = yield [last];
    const xh = unpackNetLayout(xData, shape);
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

/**
 * Bounds on the configuration read from a JADCE `model.json`, checked before anything is allocated: a file that
 * declares more (T = 1e8 layers, N = 1e9 devices) is refused with a ModelFormatError naming the field and its range.
 */
export const JADCE_MODEL_LIMITS = {
  /** Layers T. */
  maxLayers: 1000,
  /** Inner EM steps J. */
  maxInnerSteps: 100,
  /** Pilot length L, devices N, columns r. */
  maxDim: 16_384,
  /** Learned float32 parameters the configuration implies (T·2LN, plus T·2N² for LISTA): 2^28 (1 GiB). */
  maxParams: 2 ** 28,
  /** model.json bytes. */
  maxJsonBytes: 16 * 1024 * 1024,
  /** weights.npz bytes. */
  maxNpzBytes: 2 ** 32 - 1,
} as const;

/**
 * Checks the configuration of a JADCE `model.json` (types, integer ranges, the parameter count it implies, and
 * that the pilot matrix stored in weights.npz has the declared [L, N]) before a network is built. Throws
 * ModelFormatError naming `file`, the field and its allowed range.
 * @param json the parsed model.json.
 * @param weights the arrays of weights.npz.
 * @param file model.json path, for messages.
 */
export function checkLearnedModelConfig(
  json: { kind?: unknown; config?: unknown; rank?: unknown },
  weights: Record<string, NpyArray>,
  file: string,
): void {
  const lim = JADCE_MODEL_LIMITS;
  const bad = (m: string) => new ModelFormatError(`${file}: ${m}`, { file });
  const kinds = ['proposed', 'lista-gs', 'alista-gs', 'unrolled-ista'];
  if (typeof json.kind !== 'string' || !kinds.includes(json.kind)) {
    throw bad(`kind must be one of ${kinds.join(', ')}, got ${JSON.stringify(json.kind)}`);
  }
  const c = json.config;
  if (c === null || typeof c !== 'object' || Array.isArray(c)) throw bad('config must be an object');
  const cfg = c as Record<string, unknown>;
  const int = (k: string, min: number, max: number, dflt?: number): number => {
    const v = cfg[k] ?? dflt;
    if (!(Number.isSafeInteger(v) && (v as number) >= min && (v as number) <= max)) {
      throw bad(`config.${k} must be an integer in [${min}, ${max}], got ${JSON.stringify(cfg[k])}`);
    }
    return v as number;
  };
  const num = (k: string, ok: (v: number) => boolean, range: string) => {
    const v = cfg[k];
    if (v !== undefined && !(typeof v === 'number' && Number.isFinite(v) && ok(v))) {
      throw bad(`config.${k} must be a number in ${range}, got ${JSON.stringify(v)}`);
    }
  };
  const L = int('L', 1, lim.maxDim);
  const N = int('N', 1, lim.maxDim);
  const T = int('T', 1, lim.maxLayers, 10);
  let params: number;
  if (json.kind === 'proposed') {
    const r = int('r', 1, lim.maxDim);
    int('J', 0, lim.maxInnerSteps, 3);
    for (const k of ['learnB'] as const) {
      if (cfg[k] !== undefined && typeof cfg[k] !== 'boolean') throw bad(`config.${k} must be a boolean`);
    }
    if (cfg.damping !== undefined && cfg.damping !== 'shared' && cfg.damping !== 'perLayer') {
      throw bad(`config.damping must be 'shared' or 'perLayer', got ${JSON.stringify(cfg.damping)}`);
    }
    if (cfg.tauUpdate !== undefined && cfg.tauUpdate !== 'em' && cfg.tauUpdate !== 'residual') {
      throw bad(`config.tauUpdate must be 'em' or 'residual', got ${JSON.stringify(cfg.tauUpdate)}`);
    }
    const prior = cfg.prior as Record<string, unknown> | undefined;
    if (
      prior !== undefined &&
      (prior === null ||
        typeof prior !== 'object' ||
        typeof prior.lambda !== 'number' ||
        typeof prior.phi !== 'number' ||
        !(prior.lambda > 0 && prior.lambda < 1) ||
        !(prior.phi > 0 && Number.isFinite(prior.phi)))
    ) {
      throw bad('config.prior must be {lambda in (0, 1), phi > 0}');
    }
    num('rho0', (v) => v > 0 && v < 1, '(0, 1)');
    num('outerDamping', (v) => v >= 0 && v < 1, '[0, 1)');
    const rank = json.rank;
    if (rank !== undefined && rank !== null && !(Number.isSafeInteger(rank) && (rank as number) === r)) {
      throw bad(`rank must be null (no DR) or the network's r = ${r}, got ${JSON.stringify(rank)}`);
    }
    params = T * 2 * L * N + T * (int('J', 0, lim.maxInnerSteps, 3) + 3);
  } else {
    const variant = cfg.variant;
    if (variant !== 'lista' && variant !== 'lista-cp' && variant !== 'alista') {
      throw bad(`config.variant must be 'lista', 'lista-cp' or 'alista', got ${JSON.stringify(variant)}`);
    }
    if (cfg.group !== undefined && typeof cfg.group !== 'boolean') throw bad('config.group must be a boolean');
    num('theta0', (v) => v >= 0, '[0, ∞)');
    const ss = cfg.supportSelection as Record<string, unknown> | false | undefined;
    if (ss !== undefined && ss !== false) {
      if (ss === null || typeof ss !== 'object') throw bad('config.supportSelection must be false or {pStep, pMax}');
      for (const k of ['pStep', 'pMax']) {
        const v = ss[k];
        if (v !== undefined && !(typeof v === 'number' && v >= 0 && v <= 100)) {
          throw bad(`config.supportSelection.${k} must be a percentage in [0, 100], got ${JSON.stringify(v)}`);
        }
      }
    }
    params = T * (2 + (variant === 'alista' ? 0 : 2 * L * N) + (variant === 'lista' ? 2 * N * N : 0));
  }
  if (params > lim.maxParams) {
    throw bad(
      `the configuration (T = ${T}, L = ${L}, N = ${N}) implies ${params} parameters, more than the ${lim.maxParams} allowed`,
    );
  }
  for (const k of ['S_re', 'S_im']) {
    const a = weights[k];
    if (a?.shape.length !== 2 || a.shape[0] !== L || a.shape[1] !== N) {
      throw bad(`the pilot matrix ${k} in weights.npz has shape [${a?.shape ?? ''}], config declares [L=${L}, N=${N}]`);
    }
  }
  // The weights stored per layer must reach layer T − 1 (when the model has per-layer weights at all).
  let last = -1;
  for (const key of Object.keys(weights)) {
    const m = /^(?:theta|gamma|delta|rho|B|W|W2_|layer)(\d+)(?:_re|_im|_lambda|_phi)?$/.exec(key);
    if (m) last = Math.max(last, Number(m[1]));
  }
  if (last >= 0 && last + 1 !== T) {
    throw bad(`config.T = ${T} but weights.npz holds weights for ${last + 1} layer(s)`);
  }
}

/** Throws unless `file` is a regular file of at most `maxBytes` (a FIFO or /dev/zero would block or never end). */
function checkRegularFile(file: string, maxBytes: number): void {
  const st = statSync(file);
  if (!st.isFile()) {
    throw new UnsafePathError(`${file} is not a regular file (a folder, device or FIFO)`, { file });
  }
  if (st.size > maxBytes) {
    throw new InputTooLargeError(`${file} has ${st.size} bytes, more than the ${maxBytes} allowed`, { file });
  }
}

/**
 * Writes a model directory (`model.json` + `weights.npz`). Reads the weights with `dataSync()`; on a GPU backend (no
 * synchronous readback) use {@link saveLearnedModelAsync}.
 */
export function saveLearnedModel(dir: string, model: LearnedModel): void {
  writeLearnedModel(dir, model, model.net.weights());
}

/** {@link saveLearnedModel} with asynchronous weight reads (any backend, GPU included); the same files. */
export async function saveLearnedModelAsync(dir: string, model: LearnedModel): Promise<void> {
  writeLearnedModel(dir, model, await model.net.weightsAsync());
}

function writeLearnedModel(
  dir: string,
  model: LearnedModel,
  netWeights: Record<string, NpyArray> | Record<string, { shape: number[]; data: Float32Array }>,
): void {
  mkdirSync(dir, { recursive: true });
  const weights: Record<string, NpyArray> = {};
  if (model.kind === 'proposed') Object.assign(weights, netWeights);
  else {
    for (const [k, v] of Object.entries(netWeights)) weights[k] = npyArray('float32', v.shape, v.data as Float32Array);
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
 * @throws ModelFileNotFoundError when `model.json` or `weights.npz` is missing; ModelFormatError when malformed or
 * when the configuration is out of bounds (see {@link checkLearnedModelConfig}); UnsafePathError when either file
 * is not a regular file; InputTooLargeError past {@link JADCE_MODEL_LIMITS}.
 */
export function loadLearnedModel(dir: string): LearnedModel {
  const jsonPath = join(dir, 'model.json');
  const npzPath = join(dir, 'weights.npz');
  for (const p of [jsonPath, npzPath])
    if (!existsSync(p)) throw new ModelFileNotFoundError(`${p}: file not found`, { file: p });
  checkRegularFile(jsonPath, JADCE_MODEL_LIMITS.maxJsonBytes);
  checkRegularFile(npzPath, JADCE_MODEL_LIMITS.maxNpzBytes);
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
  if (json === null || typeof json !== 'object' || json.format !== 'ft-jadce-model/1' || !json.config) {
    throw new ModelFormatError(`${jsonPath}: not an ft-jadce model (format ${json?.format})`, { file: jsonPath });
  }
  const w = readNpz(npzPath);
  if (!w.S_re || !w.S_im)
    throw new ModelFormatError(`${npzPath}: missing the pilot matrix S_re/S_im`, { file: npzPath });
  checkLearnedModelConfig(json, w, jsonPath);
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
