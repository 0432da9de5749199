/**
 * Gaussian anomaly detection on (pooled) deep features: one multivariate Gaussian per feature level, scored by the
 * Mahalanobis distance and summed over levels.
 *
 * Paper: O. Rippel, P. Mertens, D. Merhof, "Modeling the Distribution of Normal Data in Pre-Trained Deep Features
 * for Anomaly Detection", ICPR 2020, arXiv 2005.14140 (official code `ORippler/gaussian-ad-mvtec`,
 * `src/gaussian/model.py`).
 *
 * Per level l, on normal training features f_l(x) ∈ R^{d_l}:
 *   μ_l = sample mean,  Σ_l = Ledoit-Wolf shrinkage of the sample covariance (sklearn `LedoitWolf`, the paper's
 *   choice; OAS and the plain empirical covariance are options),  P_l = Σ_l⁻¹,
 *   M_l(x) = sqrt((f_l(x) − μ_l)ᵀ P_l (f_l(x) − μ_l)),   score(x) = Σ_l M_l(x)   (paper: sum; the code's mean ranks
 *   identically, `aggregate: 'mean'`).
 * Working point (paper §IV-D): M_l² ~ χ²_{d_l} under the Gaussian, so the threshold at σ "sigmas" is
 * sqrt(χ²_{d_l}.isf(erfc(σ/√2))).
 *
 * Departures: statistics accumulate in one streaming pass through core's `CovarianceAccumulator` (Float64; it also
 * tracks Σ‖x−μ‖⁴, so Ledoit-Wolf needs no second pass), so features never have to fit in memory. The precision is
 * the Cholesky inverse (sklearn uses `pinvh`; equal for SPD matrices up to rounding); when the covariance is not
 * positive definite the diagonal jitter ladder of core `cholesky` (1e-10…1e-4 · mean diag) is applied and the jitter
 * recorded. Scores are Float64Arrays (the spec sketch says Float32Array).
 */
import {
  CovarianceAccumulator,
  choleskyFactor,
  EmptyDatasetError,
  empiricalCovariance,
  InvalidArgumentError,
  inverseFromCholesky,
  ledoitWolf,
  type Matrix,
  type MatrixInput,
  ModelFormatError,
  matrix,
  NotPositiveDefiniteError,
  oas,
  ShapeError,
  stats,
  toMatrix,
} from '@ft/core';
import * as tf from '@tensorflow/tfjs-core';
import { l2ToMean, mahalanobis, standardizedEuclidean } from './distances.js';

/** Covariance estimator of each level's Gaussian. */
export type CovarianceEstimator = 'ledoitWolf' | 'oas' | 'empirical';

/** The covariance estimators, in the order the docs list them. */
export const COVARIANCE_ESTIMATORS: readonly CovarianceEstimator[] = ['ledoitWolf', 'oas', 'empirical'];

/** Distance used to score a level: Mahalanobis (default), L2 to the mean, or standardised Euclidean ("SED"). */
export type DistanceKind = 'mahalanobis' | 'l2' | 'sed';

/** One level's features for a batch: a rank-2 `[n, d]` tensor (not disposed), a core `Matrix` or `number[][]`. */
export type FeatureInput = tf.Tensor | Matrix | number[][];

/** Features of one batch, keyed by level name. */
export type FeatureBatch = Record<string, FeatureInput>;

/** Options of {@link GaussianAD}. */
export interface GaussianADOptions {
  /** Covariance estimator. Default `'ledoitWolf'` (paper). */
  estimator?: CovarianceEstimator;
  /** How per-level distances combine into the image score: `'sum'` (paper, default) or `'mean'` (official code). */
  aggregate?: 'sum' | 'mean';
}

/** The fitted Gaussian of one level. */
export interface LevelGaussian {
  /** Level (tap) name. */
  name: string;
  /** Feature dimension d. */
  dim: number;
  /** Number of training samples n. */
  count: number;
  /** Sample mean μ (Float64). */
  mean: Float64Array;
  /** Precision P = Σ⁻¹ (d × d, exactly symmetric, Float64). */
  precision: Matrix;
  /** Per-coordinate sample variance (ddof 0), used by the SED distance. */
  variance: Float64Array;
  /** Shrinkage coefficient of the estimator (0 for empirical). */
  shrinkage: number;
  /** Relative diagonal jitter the Cholesky factorisation needed (0 when Σ was positive definite as estimated). */
  jitter: number;
}

/** JSON form of a fitted {@link GaussianAD} (Float64 values round-trip exactly through JSON numbers). */
export interface GaussianADJSON {
  type: 'GaussianAD';
  version: 1;
  estimator: CovarianceEstimator;
  aggregate: 'sum' | 'mean';
  levels: {
    name: string;
    dim: number;
    count: number;
    mean: number[];
    /** Upper triangle of P, row by row (d·(d+1)/2 values). */
    precisionUpper: number[];
    variance: number[];
    shrinkage: number;
    jitter: number;
  }[];
}

/** Scores of a batch: per level and aggregated; higher = more anomalous. */
export interface GaussianScores {
  perLevel: Record<string, Float64Array>;
  total: Float64Array;
}

/** Per-level tf constants for the differentiable distances (kept; disposed by `dispose()` / a refit). */
interface LevelConstants {
  mean: tf.Tensor1D;
  /** W with P = W·Wᵀ (lower Cholesky factor of P), so M² = ‖(f − μ)·W‖². */
  whiten: tf.Tensor2D;
}

function isAsyncIterable(x: unknown): x is AsyncIterable<unknown> {
  return (
    typeof x === 'object' && x !== null && typeof (x as AsyncIterable<unknown>)[Symbol.asyncIterator] === 'function'
  );
}

function isIterable(x: unknown): x is Iterable<unknown> {
  return (
    typeof x === 'object' &&
    x !== null &&
    !(x instanceof tf.Tensor) &&
    typeof (x as Iterable<unknown>)[Symbol.iterator] === 'function'
  );
}

/** Converts one level's input to a Float64 Matrix, naming the level in errors. */
export function featureMatrix(level: string, f: FeatureInput, who: string): Matrix {
  if (f instanceof tf.Tensor && f.rank !== 2) {
    throw new ShapeError(`${who}: level '${level}' must be [n, d], got shape [${f.shape.join(', ')}]`, {
      level,
      shape: f.shape,
    });
  }
  try {
    return toMatrix(f as MatrixInput, `${who}: level '${level}'`);
  } catch (e) {
    if (e instanceof InvalidArgumentError && /is (NaN|Infinity|-Infinity)/.test(e.message)) {
      throw new InvalidArgumentError(`${who}: level '${level}' has a non-finite feature (${e.message})`, { level });
    }
    throw e;
  }
}

/**
 * The same batch with every rank-2 real tensor read to a host `Matrix` (`await t.data()`, Float64 copies; tensors are
 * not disposed). {@link GaussianAD.partialFit} and {@link GaussianAD.score} are synchronous and read tensors with
 * `dataSync()`, which a GPU backend without synchronous readback (ft-webgpu in Node) refuses: pass them this instead.
 * Other inputs pass through unchanged (so shape and dtype errors stay those of `partialFit` / `score`).
 */
export async function hostFeatures(batch: FeatureBatch): Promise<FeatureBatch> {
  if (typeof batch !== 'object' || batch === null || Array.isArray(batch) || batch instanceof tf.Tensor) return batch;
  const out: Record<string, FeatureInput> = {};
  for (const [name, f] of Object.entries(batch)) {
    out[name] =
      f instanceof tf.Tensor && f.rank === 2 && f.dtype !== 'complex64' && f.dtype !== 'string'
        ? matrix(f.shape[0], f.shape[1] as number, Float64Array.from((await f.data()) as Float32Array))
        : f;
  }
  return out;
}

/**
 * One multivariate Gaussian per feature level, fitted in a streaming pass, scored by the Mahalanobis distance summed
 * over levels (see the module docs for the paper and formulas).
 *
 * ```ts
 * const g = new GaussianAD();                      // Ledoit-Wolf, sum over levels
 * await g.fit(featureBatches);                     // AsyncIterable<Record<level, Tensor2D>> or one record
 * const { total, perLevel } = g.score({ block1: f1, block2: f2 });
 * const json = g.toJSON();  GaussianAD.fromJSON(json).score(...)  // identical scores
 * ```
 */
export class GaussianAD {
  readonly estimator: CovarianceEstimator;
  readonly aggregate: 'sum' | 'mean';
  private accs: Map<string, CovarianceAccumulator> | null = null;
  private fitted: LevelGaussian[] | null = null;
  private constants: Map<string, LevelConstants> | null = null;

  /** @param opts `{estimator = 'ledoitWolf', aggregate = 'sum'}` */
  constructor(opts: GaussianADOptions = {}) {
    const estimator = opts.estimator ?? 'ledoitWolf';
    if (!COVARIANCE_ESTIMATORS.includes(estimator)) {
      throw new InvalidArgumentError(
        `GaussianAD: estimator must be one of ${COVARIANCE_ESTIMATORS.join(', ')}, got '${String(estimator)}'`,
        { parameter: 'estimator' },
      );
    }
    const aggregate = opts.aggregate ?? 'sum';
    if (aggregate !== 'sum' && aggregate !== 'mean') {
      throw new InvalidArgumentError(`GaussianAD: aggregate must be 'sum' or 'mean', got '${String(aggregate)}'`, {
        parameter: 'aggregate',
      });
    }
    this.estimator = estimator;
    this.aggregate = aggregate;
  }

  /** True once `fit` (or `finalize`) has produced the Gaussians. */
  get isFitted(): boolean {
    return this.fitted !== null;
  }

  /** Level names in fitting order. */
  get levels(): string[] {
    if (this.fitted) return this.fitted.map((l) => l.name);
    return this.accs ? [...this.accs.keys()] : [];
  }

  /** The fitted Gaussian of `level` (throws if not fitted or unknown). */
  level(level: string): LevelGaussian {
    const g = this.requireFitted('level').find((l) => l.name === level);
    if (!g) {
      throw new InvalidArgumentError(`GaussianAD: unknown level '${level}'; fitted levels: ${this.levels.join(', ')}`, {
        level,
      });
    }
    return g;
  }

  /**
   * Adds one batch of features to the running statistics (streaming). Every batch must carry the same levels with
   * the same widths and the same number of rows per level. Non-finite features throw `InvalidArgumentError`.
   * Returns `this`. Call {@link finalize} after the last batch (or use {@link fit}). Tensors are read with
   * `dataSync()`: on a GPU backend pass `await hostFeatures(batch)`.
   */
  partialFit(batch: FeatureBatch): this {
    if (typeof batch !== 'object' || batch === null || Array.isArray(batch) || batch instanceof tf.Tensor) {
      throw new InvalidArgumentError('GaussianAD.fit: a batch must be a record {level: [n, d] features}');
    }
    const names = Object.keys(batch);
    if (names.length === 0) throw new InvalidArgumentError('GaussianAD.fit: a batch has no levels');
    if (this.fitted) {
      // A new fit starts from scratch.
      this.disposeConstants();
      this.fitted = null;
    }
    if (this.accs) {
      const known = [...this.accs.keys()];
      const missing = known.filter((k) => !names.includes(k));
      const extra = names.filter((k) => !known.includes(k));
      if (missing.length || extra.length) {
        throw new InvalidArgumentError(
          `GaussianAD.fit: batches must carry the same levels; expected [${known.join(', ')}], got [${names.join(', ')}]`,
          { missing, extra },
        );
      }
    }
    let rows = -1;
    const mats: [string, Matrix][] = [];
    for (const name of names) {
      const m = featureMatrix(name, batch[name], 'GaussianAD.fit');
      if (rows >= 0 && m.rows !== rows) {
        throw new ShapeError(`GaussianAD.fit: level '${name}' has ${m.rows} rows, level '${names[0]}' has ${rows}`);
      }
      rows = m.rows;
      const acc = this.accs?.get(name);
      if (acc && acc.dim !== m.cols) {
        throw new ShapeError(`GaussianAD.fit: level '${name}' has ${m.cols} features, earlier batches had ${acc.dim}`, {
          level: name,
          expected: acc.dim,
          got: m.cols,
        });
      }
      if (m.cols === 0) throw new ShapeError(`GaussianAD.fit: level '${name}' has 0 features`);
      mats.push([name, m]);
    }
    this.accs ??= new Map();
    for (const [name, m] of mats) {
      let acc = this.accs.get(name);
      if (!acc) {
        acc = new CovarianceAccumulator(m.cols);
        this.accs.set(name, acc);
      }
      if (m.rows > 0) acc.update(m);
    }
    return this;
  }

  /**
   * Turns the accumulated statistics into one Gaussian per level (mean, estimator covariance, Cholesky precision).
   * Throws `EmptyDatasetError` without samples, `InvalidArgumentError` for a single sample, and
   * `InvalidArgumentError` for the empirical estimator when d ≥ n (the sample covariance is then singular: use
   * shrinkage). Returns `this`.
   */
  finalize(): this {
    if (!this.accs || this.accs.size === 0) {
      throw new EmptyDatasetError('GaussianAD.fit: no features were given (empty normal set)');
    }
    const out: LevelGaussian[] = [];
    for (const [name, acc] of this.accs) {
      const n = acc.count;
      const d = acc.dim;
      if (n === 0)
        throw new EmptyDatasetError(`GaussianAD.fit: level '${name}' received no samples (empty normal set)`);
      if (n < 2) {
        throw new InvalidArgumentError(
          `GaussianAD.fit: level '${name}' has a single sample; a covariance needs at least 2 normal samples`,
          { level: name, count: n },
        );
      }
      if (this.estimator === 'empirical' && d >= n) {
        throw new InvalidArgumentError(
          `GaussianAD.fit: the empirical covariance of level '${name}' is singular: feature dimension ${d} ≥ sample count ${n}; ` +
            `use estimator 'ledoitWolf' or 'oas' (shrinkage) or at least ${d + 1} samples`,
          { level: name, dim: d, count: n },
        );
      }
      const est =
        this.estimator === 'ledoitWolf'
          ? ledoitWolf(acc)
          : this.estimator === 'oas'
            ? oas(acc)
            : empiricalCovariance(acc);
      let factor: ReturnType<typeof choleskyFactor>;
      try {
        factor = choleskyFactor(est.covariance, { jitter: true });
      } catch (e) {
        if (e instanceof NotPositiveDefiniteError) {
          throw new NotPositiveDefiniteError(
            `GaussianAD.fit: the ${this.estimator} covariance of level '${name}' (d = ${d}, n = ${n}) is not positive definite even with jitter; ` +
              `use estimator 'ledoitWolf': ${e.message}`,
            { level: name },
          );
        }
        throw e;
      }
      const variance = new Float64Array(d);
      const cov = acc.covariance({ ddof: 0 });
      for (let i = 0; i < d; i++) variance[i] = cov.data[i * d + i];
      out.push({
        name,
        dim: d,
        count: n,
        mean: acc.mean(),
        precision: inverseFromCholesky(factor.L),
        variance,
        shrinkage: est.shrinkage,
        jitter: factor.jitter,
      });
    }
    this.disposeConstants();
    this.fitted = out;
    this.accs = null;
    return this;
  }

  /**
   * Fits the Gaussians: one feature record, or an (async) iterable of records streamed through the accumulators.
   * Tensors in the records are read asynchronously (any backend, GPU included), not disposed. Returns `this`.
   * @param features `{level: [n, d]}` or `Iterable`/`AsyncIterable` of such records
   */
  async fit(features: FeatureBatch | Iterable<FeatureBatch> | AsyncIterable<FeatureBatch>): Promise<this> {
    this.reset();
    if (isAsyncIterable(features)) {
      for await (const b of features) this.partialFit(await hostFeatures(b));
    } else if (isIterable(features)) {
      for (const b of features as Iterable<FeatureBatch>) this.partialFit(await hostFeatures(b));
    } else {
      this.partialFit(await hostFeatures(features as FeatureBatch));
    }
    return this.finalize();
  }

  /** Forgets the fitted state and running statistics (and disposes tf constants). */
  reset(): void {
    this.disposeConstants();
    this.accs = null;
    this.fitted = null;
  }

  /**
   * Scores a batch: per-level distances and their sum (or mean) over levels; higher = more anomalous. Every fitted
   * level must be present (extra keys are ignored). Float64 on host data; tensors are read with `dataSync()`, so on a
   * GPU backend pass `await hostFeatures(features)`.
   * @param features `{level: [n, d]}`
   * @param opts.distance `'mahalanobis'` (default), `'l2'` (to the mean) or `'sed'` (standardised Euclidean)
   * @param opts.levels restrict the aggregate to these levels (default: all fitted levels)
   */
  score(features: FeatureBatch, opts: { distance?: DistanceKind; levels?: readonly string[] } = {}): GaussianScores {
    const fitted = this.requireFitted('score');
    if (typeof features !== 'object' || features === null || features instanceof tf.Tensor) {
      throw new InvalidArgumentError('GaussianAD.score: features must be a record {level: [n, d] features}');
    }
    const distance = opts.distance ?? 'mahalanobis';
    if (!['mahalanobis', 'l2', 'sed'].includes(distance)) {
      throw new InvalidArgumentError(`GaussianAD.score: distance must be mahalanobis, l2 or sed, got '${distance}'`);
    }
    const use = opts.levels ?? fitted.map((l) => l.name);
    const perLevel: Record<string, Float64Array> = {};
    let rows = -1;
    for (const name of use) {
      const g = this.level(name);
      const f = features[name];
      if (f === undefined) {
        throw new InvalidArgumentError(`GaussianAD.score: level '${name}' is missing from the features`, {
          level: name,
        });
      }
      const m = featureMatrix(name, f, 'GaussianAD.score');
      if (m.cols !== g.dim) {
        throw new ShapeError(`GaussianAD.score: level '${name}' has ${m.cols} features, the Gaussian has ${g.dim}`, {
          level: name,
          expected: g.dim,
          got: m.cols,
        });
      }
      if (rows >= 0 && m.rows !== rows) {
        throw new ShapeError(`GaussianAD.score: level '${name}' has ${m.rows} rows, others have ${rows}`);
      }
      rows = m.rows;
      perLevel[name] =
        distance === 'mahalanobis'
          ? mahalanobis(m, g.mean, g.precision)
          : distance === 'l2'
            ? l2ToMean(m, g.mean)
            : standardizedEuclidean(m, g.mean, g.variance);
    }
    const total = new Float64Array(Math.max(rows, 0));
    for (const name of use) {
      const v = perLevel[name];
      for (let i = 0; i < total.length; i++) total[i] += v[i];
    }
    if (this.aggregate === 'mean' && use.length > 0) for (let i = 0; i < total.length; i++) total[i] /= use.length;
    return { perLevel, total };
  }

  /**
   * The χ² working point of one level (paper §IV-D, code `compute_mahalanobis_threshold`): M² ~ χ²_d under the
   * Gaussian, so the distance threshold at σ sigmas is sqrt(χ²_d.isf(erfc(σ/√2))) (the upper tail, accurate for
   * large σ where erf(σ/√2) rounds to 1).
   * @param level level name
   * @param sigma σ > 0 (the paper sweeps 1..8)
   */
  chi2Threshold(level: string, sigma: number): number {
    if (!(sigma > 0 && Number.isFinite(sigma))) {
      throw new InvalidArgumentError(`GaussianAD.chi2Threshold: sigma must be > 0, got ${sigma}`);
    }
    const g = this.level(level);
    return Math.sqrt(stats.chi2Isf(stats.erfc(sigma / Math.SQRT2), g.dim));
  }

  /**
   * Differentiable distance of `features` ([B, d] tensor of `level`) to the level's Gaussian, for fine-tuning: μ and
   * P enter as **constants** (no gradient flows into the Gaussian). Kinds: `'mahalanobis'` M, `'mahalanobis2'` M²
   * (Gaussian NLL up to constants), `'euclidean'` ‖f − μ‖, `'euclidean2'` ‖f − μ‖². Returns a [B] tensor (the caller
   * owns it); call inside `tf.tidy`. The square root gets a 1e-12 floor so its gradient stays finite at μ.
   */
  distanceTensor(
    level: string,
    features: tf.Tensor2D,
    kind: 'mahalanobis' | 'mahalanobis2' | 'euclidean' | 'euclidean2' = 'mahalanobis',
  ): tf.Tensor1D {
    const g = this.level(level);
    if (features.rank !== 2 || features.shape[1] !== g.dim) {
      throw new ShapeError(
        `GaussianAD.distanceTensor: level '${level}' expects [B, ${g.dim}], got [${features.shape.join(', ')}]`,
      );
    }
    const c = this.constantsOf(g);
    return tf.tidy(() => {
      const diff = tf.sub(features, c.mean);
      const z = kind === 'mahalanobis' || kind === 'mahalanobis2' ? tf.matMul(diff, c.whiten) : diff;
      const sq = tf.sum(tf.square(z), 1) as tf.Tensor1D;
      return kind === 'mahalanobis2' || kind === 'euclidean2' ? sq : (tf.sqrt(tf.maximum(sq, 1e-12)) as tf.Tensor1D);
    });
  }

  /** Releases the tf constants created by `distanceTensor` (the fitted Float64 state stays). */
  dispose(): void {
    this.disposeConstants();
  }

  /** JSON form: estimator, aggregate and per level n, μ, upper-triangular P, variances, shrinkage and jitter. */
  toJSON(): GaussianADJSON {
    const fitted = this.requireFitted('toJSON');
    return {
      type: 'GaussianAD',
      version: 1,
      estimator: this.estimator,
      aggregate: this.aggregate,
      levels: fitted.map((l) => {
        const d = l.dim;
        const upper: number[] = new Array((d * (d + 1)) / 2);
        let k = 0;
        for (let i = 0; i < d; i++) for (let j = i; j < d; j++) upper[k++] = l.precision.data[i * d + j];
        return {
          name: l.name,
          dim: d,
          count: l.count,
          mean: Array.from(l.mean),
          precisionUpper: upper,
          variance: Array.from(l.variance),
          shrinkage: l.shrinkage,
          jitter: l.jitter,
        };
      }),
    };
  }

  /**
   * Restores a fitted detector from `toJSON()` output; scores are identical to the original's. Malformed input ⇒
   * `ModelFormatError` naming the bad field.
   */
  static fromJSON(json: GaussianADJSON): GaussianAD {
    const bad = (what: string) => new ModelFormatError(`GaussianAD.fromJSON: ${what}`);
    if (json?.type !== 'GaussianAD' || json.version !== 1) throw bad('not a version-1 GaussianAD JSON');
    if (!Array.isArray(json.levels) || json.levels.length === 0) throw bad('levels must be a non-empty array');
    let g: GaussianAD;
    try {
      g = new GaussianAD({ estimator: json.estimator, aggregate: json.aggregate });
    } catch (e) {
      throw bad((e as Error).message);
    }
    const finite = (arr: unknown, len: number, what: string): number[] => {
      if (!Array.isArray(arr) || arr.length !== len) throw bad(`${what} must have ${len} numbers`);
      for (const v of arr)
        if (typeof v !== 'number' || !Number.isFinite(v)) throw bad(`${what} has a non-finite value`);
      return arr as number[];
    };
    const seen = new Set<string>();
    g.fitted = json.levels.map((l, idx) => {
      if (typeof l?.name !== 'string' || seen.has(l.name)) throw bad(`levels[${idx}].name is missing or duplicated`);
      seen.add(l.name);
      const d = l.dim;
      if (!Number.isInteger(d) || d <= 0) throw bad(`level '${l.name}': invalid dim ${d}`);
      if (!Number.isInteger(l.count) || l.count < 2) throw bad(`level '${l.name}': invalid count ${l.count}`);
      const upper = finite(l.precisionUpper, (d * (d + 1)) / 2, `level '${l.name}' precisionUpper`);
      const p = matrix(d, d);
      let k = 0;
      for (let i = 0; i < d; i++) {
        for (let j = i; j < d; j++) {
          p.data[i * d + j] = upper[k];
          p.data[j * d + i] = upper[k];
          k++;
        }
      }
      return {
        name: l.name,
        dim: d,
        count: l.count,
        mean: Float64Array.from(finite(l.mean, d, `level '${l.name}' mean`)),
        precision: p,
        variance: Float64Array.from(finite(l.variance, d, `level '${l.name}' variance`)),
        shrinkage: Number(l.shrinkage),
        jitter: Number(l.jitter),
      };
    });
    return g;
  }

  private requireFitted(who: string): LevelGaussian[] {
    if (!this.fitted) {
      throw new InvalidArgumentError(`GaussianAD.${who}: the detector is not fitted; call fit() first`);
    }
    return this.fitted;
  }

  private constantsOf(g: LevelGaussian): LevelConstants {
    this.constants ??= new Map();
    let c = this.constants.get(g.name);
    if (!c) {
      // P = W·Wᵀ with W the lower Cholesky factor of P.
      const w = choleskyFactor(g.precision, { jitter: true }).L;
      c = tf.tidy(() => ({
        mean: tf.keep(tf.tensor1d(Float32Array.from(g.mean))),
        whiten: tf.keep(tf.tensor2d(Float32Array.from(w.data), [g.dim, g.dim])),
      }));
      this.constants.set(g.name, c);
    }
    return c;
  }

  private disposeConstants(): void {
    if (!this.constants) return;
    for (const c of this.constants.values()) tf.dispose([c.mean, c.whiten]);
    this.constants = null;
  }
}
