/**
 * PaDiM-style anomaly segmentation: one Gaussian per feature-map location.
 *
 * Reference: T. Defard, A. Setkov, A. Loesch, R. Audigier, "PaDiM: a Patch Distribution Modeling Framework for
 * Anomaly Detection and Localization", ICPR Workshops 2021, arXiv 2011.08785. The Gaussian-AD follow-up (Rippel et
 * al., IMPROVE 2022, arXiv 2108.04116) reports segmentation but its method is unconfirmed; the project spec chose
 * PaDiM-style per-location Gaussians (spec §Algorithm 8).
 *
 * Embedding: the maps of the chosen levels are resized (nearest neighbour) to the first level's h × w and
 * concatenated along channels; a seeded random subset of `channels` channels is kept (PaDiM's random dimensionality
 * reduction; memory is h·w·C² floats). For every location (i, j) a Gaussian N(μ_ij, Σ_ij) is fitted over the normal
 * images, Σ_ij by Ledoit-Wolf (PaDiM uses the sample covariance + 0.01·I; the spec asks for Ledoit-Wolf). The
 * anomaly map is M_ij = sqrt((e_ij − μ_ij)ᵀ Σ_ij⁻¹ (e_ij − μ_ij)), bilinearly upsampled to the input size and
 * optionally smoothed with a Gaussian of `blurSigma` pixels (PaDiM: σ = 4 at 224 px; default 0 here).
 * Statistics stream through core `CovarianceAccumulator`s (one per location), so images never sit in memory.
 */
import {
  CovarianceAccumulator,
  choleskyFactor,
  createRng,
  EmptyDatasetError,
  empiricalCovariance,
  InvalidArgumentError,
  inverseFromCholesky,
  ledoitWolf,
  ModelFormatError,
  oas,
  ShapeError,
} from '@ft/core';
import * as tf from '@tensorflow/tfjs-core';
import type { CovarianceEstimator } from './gaussian-ad.js';

/** Options of {@link PadimSegmenter}. */
export interface PadimOptions {
  /** Feature levels (tap names) whose maps form the embedding; the first sets the resolution. */
  levels: string[];
  /** Channels kept after concatenation (seeded random subset); default all, at most 100. */
  channels?: number;
  /** Seed of the channel subset. Default 0. */
  seed?: number;
  /** Covariance estimator per location. Default `'ledoitWolf'`. */
  estimator?: CovarianceEstimator;
  /** σ (output pixels) of the Gaussian smoothing of the upsampled map; 0 (default) = none. */
  blurSigma?: number;
}

/** Metadata of a fitted segmenter (what `toJSON` writes next to the binary arrays). */
export interface PadimJSON {
  type: 'PadimSegmenter';
  version: 1;
  levels: string[];
  /** Channel counts of the levels, in order (checked on use). */
  levelChannels: number[];
  /** Kept channel indices into the concatenated embedding (ascending). */
  channels: number[];
  height: number;
  width: number;
  estimator: CovarianceEstimator;
  blurSigma: number;
  count: number;
  seed: number;
}

function isAsyncIterable(x: unknown): x is AsyncIterable<unknown> {
  return (
    typeof x === 'object' && x !== null && typeof (x as AsyncIterable<unknown>)[Symbol.asyncIterator] === 'function'
  );
}

/**
 * Per-location Gaussians on intermediate feature maps (see module docs).
 *
 * ```ts
 * const seg = new PadimSegmenter({ levels: ['block1', 'block2'], channels: 48 });
 * await seg.fit(mapBatches);                         // (async) iterable of {block1: [B,h,w,C1], block2: ...}
 * const maps = seg.anomalyMaps(testMaps, [64, 64]);  // [B, 64, 64], higher = more anomalous
 * ```
 */
export class PadimSegmenter {
  readonly levels: string[];
  readonly estimator: CovarianceEstimator;
  readonly blurSigma: number;
  readonly seed: number;
  private readonly wantChannels?: number;
  private levelChannels: number[] | null = null;
  private keep: Int32Array | null = null;
  private h = 0;
  private w = 0;
  private accs: CovarianceAccumulator[] | null = null;
  /** L × C means, L × C × C precisions (Float64), once fitted. */
  private means: Float64Array | null = null;
  private precisions: Float64Array | null = null;
  private n = 0;

  /** @param opts `{levels, channels = min(all, 100), seed = 0, estimator = 'ledoitWolf', blurSigma = 0}` */
  constructor(opts: PadimOptions) {
    if (!Array.isArray(opts?.levels) || opts.levels.length === 0) {
      throw new InvalidArgumentError('PadimSegmenter: levels must be a non-empty array of tap names');
    }
    const est = opts.estimator ?? 'ledoitWolf';
    if (!['ledoitWolf', 'oas', 'empirical'].includes(est)) {
      throw new InvalidArgumentError(`PadimSegmenter: unknown estimator '${est}'`);
    }
    if (opts.channels !== undefined && !(Number.isInteger(opts.channels) && opts.channels > 0)) {
      throw new InvalidArgumentError(`PadimSegmenter: channels must be a positive integer, got ${opts.channels}`);
    }
    const blur = opts.blurSigma ?? 0;
    if (!(blur >= 0 && Number.isFinite(blur))) throw new InvalidArgumentError(`PadimSegmenter: blurSigma ${blur}`);
    this.levels = [...opts.levels];
    this.estimator = est;
    this.blurSigma = blur;
    this.seed = opts.seed ?? 0;
    this.wantChannels = opts.channels;
  }

  /** True once fitted. */
  get isFitted(): boolean {
    return this.means !== null;
  }

  /** Map resolution `[h, w]` (the first level's), known after the first batch. */
  get resolution(): [number, number] {
    return [this.h, this.w];
  }

  /** Number of embedding channels kept. */
  get dim(): number {
    return this.keep?.length ?? 0;
  }

  /** Builds the [B, h, w, C] embedding of one batch as Float32 host data (validates shapes). */
  private embed(maps: Record<string, tf.Tensor>, who: string): { data: Float32Array; b: number } {
    const { emb, b } = this.embedTensor(maps, who);
    const data = emb.dataSync() as Float32Array;
    emb.dispose();
    return { data: checkFiniteMaps(data, who), b };
  }

  /** {@link embed} with an asynchronous read (any backend, GPU included). */
  private async embedAsync(maps: Record<string, tf.Tensor>, who: string): Promise<{ data: Float32Array; b: number }> {
    const { emb, b } = this.embedTensor(maps, who);
    try {
      return { data: checkFiniteMaps((await emb.data()) as Float32Array, who), b };
    } finally {
      emb.dispose();
    }
  }

  /** The [B, h, w, C] embedding tensor of one batch (the caller disposes it); validates shapes. */
  private embedTensor(maps: Record<string, tf.Tensor>, who: string): { emb: tf.Tensor; b: number } {
    const ts = this.levels.map((l) => {
      const t = maps[l];
      if (!t) throw new InvalidArgumentError(`${who}: level '${l}' is missing from the maps`);
      if (t.rank !== 4) throw new ShapeError(`${who}: level '${l}' must be a [B, h, w, C] map, got [${t.shape}]`);
      return t as tf.Tensor4D;
    });
    const b = ts[0].shape[0];
    const chans = ts.map((t) => t.shape[3]);
    if (ts.some((t) => t.shape[0] !== b)) throw new ShapeError(`${who}: levels have different batch sizes`);
    if (!this.levelChannels) {
      this.levelChannels = chans;
      this.h = ts[0].shape[1];
      this.w = ts[0].shape[2];
      const total = chans.reduce((a, c) => a + c, 0);
      const k = Math.min(total, this.wantChannels ?? Math.min(total, 100));
      const perm = createRng(this.seed).fork('padim-channels').permutation(total);
      this.keep = Int32Array.from(perm.subarray(0, k)).sort();
    } else if (
      chans.some((c, i) => c !== this.levelChannels?.[i]) ||
      ts[0].shape[1] !== this.h ||
      ts[0].shape[2] !== this.w
    ) {
      throw new ShapeError(
        `${who}: maps are [${ts[0].shape[1]}, ${ts[0].shape[2]}] with channels [${chans}], fitted on [${this.h}, ${this.w}] with [${this.levelChannels}]`,
      );
    }
    const keep = this.keep as Int32Array;
    const emb = tf.tidy(() => {
      const resized = ts.map((t) =>
        t.shape[1] === this.h && t.shape[2] === this.w ? t : tf.image.resizeNearestNeighbor(t, [this.h, this.w]),
      );
      const cat = resized.length === 1 ? resized[0] : tf.concat(resized, 3);
      return tf.gather(cat, tf.tensor1d(keep, 'int32'), 3);
    });
    return { emb, b };
  }

  /**
   * Adds one batch of maps `{level: [B, h, w, C]}` to the per-location statistics (tensors are read with
   * `dataSync()`, not disposed; on a GPU backend use {@link partialFitAsync}).
   */
  partialFit(maps: Record<string, tf.Tensor>): this {
    this.requireUnfitted();
    return this.accumulate(this.embed(maps, 'PadimSegmenter.fit'));
  }

  /** {@link partialFit} with an asynchronous read of the maps (any backend, GPU included); same statistics. */
  async partialFitAsync(maps: Record<string, tf.Tensor>): Promise<this> {
    this.requireUnfitted();
    return this.accumulate(await this.embedAsync(maps, 'PadimSegmenter.fit'));
  }

  private requireUnfitted(): void {
    if (this.means) throw new InvalidArgumentError('PadimSegmenter.fit: already fitted; create a new segmenter');
  }

  private accumulate({ data, b }: { data: Float32Array; b: number }): this {
    const c = this.dim;
    const locs = this.h * this.w;
    this.accs ??= Array.from({ length: locs }, () => new CovarianceAccumulator(c, { chunkRows: 64 }));
    const rows = new Float64Array(b * c);
    for (let p = 0; p < locs; p++) {
      for (let i = 0; i < b; i++) {
        const src = (i * locs + p) * c;
        for (let k = 0; k < c; k++) rows[i * c + k] = data[src + k];
      }
      this.accs[p].update(rows);
    }
    this.n += b;
    return this;
  }

  /** Estimates the per-location Gaussians (EmptyDatasetError without data; InvalidArgumentError for < 2 images). */
  finalize(): this {
    if (!this.accs || this.n === 0) throw new EmptyDatasetError('PadimSegmenter.fit: no normal images were given');
    if (this.n < 2) throw new InvalidArgumentError('PadimSegmenter.fit: needs at least 2 normal images, got 1');
    const c = this.dim;
    if (this.estimator === 'empirical' && c >= this.n) {
      throw new InvalidArgumentError(
        `PadimSegmenter.fit: the empirical covariance is singular with ${c} channels ≥ ${this.n} images; use ledoitWolf or fewer channels`,
      );
    }
    const locs = this.h * this.w;
    const means = new Float64Array(locs * c);
    const precs = new Float64Array(locs * c * c);
    const est = this.estimator === 'ledoitWolf' ? ledoitWolf : this.estimator === 'oas' ? oas : empiricalCovariance;
    for (let p = 0; p < locs; p++) {
      const e = est(this.accs[p]);
      const L = choleskyFactor(e.covariance, { jitter: true }).L;
      means.set(e.location, p * c);
      precs.set(inverseFromCholesky(L).data, p * c * c);
    }
    this.means = means;
    this.precisions = precs;
    this.accs = null;
    return this;
  }

  /** Fits on `{level: map}` batches (one record or an (async) iterable of records). Returns `this`. */
  async fit(
    maps: Record<string, tf.Tensor> | Iterable<Record<string, tf.Tensor>> | AsyncIterable<Record<string, tf.Tensor>>,
  ): Promise<this> {
    if (isAsyncIterable(maps)) {
      for await (const m of maps) await this.partialFitAsync(m);
    } else if (Symbol.iterator in (maps as object)) {
      for (const m of maps as Iterable<Record<string, tf.Tensor>>) await this.partialFitAsync(m);
    } else await this.partialFitAsync(maps as Record<string, tf.Tensor>);
    return this.finalize();
  }

  /**
   * Per-location Mahalanobis distances at the map resolution, `[B, h, w]` as host Float64 data (row-major).
   * Tensors are read with `dataSync()`; on a GPU backend use {@link locationScoresAsync}.
   * @param maps `{level: [B, h, w, C]}` of the test images
   */
  locationScores(maps: Record<string, tf.Tensor>): { data: Float64Array; b: number; h: number; w: number } {
    this.requireFitted();
    return this.distances(this.embed(maps, 'PadimSegmenter.anomalyMaps'));
  }

  /** {@link locationScores} with an asynchronous read of the maps (any backend, GPU included); same values. */
  async locationScoresAsync(
    maps: Record<string, tf.Tensor>,
  ): Promise<{ data: Float64Array; b: number; h: number; w: number }> {
    this.requireFitted();
    return this.distances(await this.embedAsync(maps, 'PadimSegmenter.anomalyMaps'));
  }

  private requireFitted(): void {
    if (!this.means || !this.precisions) {
      throw new InvalidArgumentError('PadimSegmenter: not fitted; call fit() first');
    }
  }

  private distances({ data, b }: { data: Float32Array; b: number }): {
    data: Float64Array;
    b: number;
    h: number;
    w: number;
  } {
    const c = this.dim;
    const locs = this.h * this.w;
    const out = new Float64Array(b * locs);
    const diff = new Float64Array(c);
    const means = this.means as Float64Array;
    const precs = this.precisions as Float64Array;
    for (let i = 0; i < b; i++) {
      for (let p = 0; p < locs; p++) {
        const src = (i * locs + p) * c;
        for (let k = 0; k < c; k++) diff[k] = data[src + k] - means[p * c + k];
        const po = p * c * c;
        let q = 0;
        for (let r = 0; r < c; r++) {
          let s = 0;
          const ro = po + r * c;
          for (let k = 0; k < c; k++) s += precs[ro + k] * diff[k];
          q += diff[r] * s;
        }
        out[i * locs + p] = Math.sqrt(Math.max(0, q));
      }
    }
    return { data: out, b, h: this.h, w: this.w };
  }

  /**
   * Anomaly maps `[B, H, W]` (a tensor the caller owns): per-location distances bilinearly upsampled to `size`
   * (the input resolution) and smoothed with `blurSigma`. Higher = more anomalous. Tensors are read with
   * `dataSync()`; on a GPU backend use {@link anomalyMapsAsync}.
   * @param maps `{level: [B, h, w, C]}`
   * @param size output `[H, W]`
   */
  anomalyMaps(maps: Record<string, tf.Tensor>, size: [number, number]): tf.Tensor3D {
    return this.upsample(this.locationScores(maps), size);
  }

  /** {@link anomalyMaps} with an asynchronous read of the maps (any backend, GPU included); same values. */
  async anomalyMapsAsync(maps: Record<string, tf.Tensor>, size: [number, number]): Promise<tf.Tensor3D> {
    return this.upsample(await this.locationScoresAsync(maps), size);
  }

  private upsample(s: { data: Float64Array; b: number; h: number; w: number }, size: [number, number]): tf.Tensor3D {
    return tf.tidy(() => {
      const t = tf.tensor4d(Float32Array.from(s.data), [s.b, s.h, s.w, 1]);
      let up = s.h === size[0] && s.w === size[1] ? t : tf.image.resizeBilinear(t, size, false, true);
      if (this.blurSigma > 0) up = gaussianBlur(up, this.blurSigma);
      return tf.squeeze(up, [3]) as tf.Tensor3D;
    });
  }

  /** Metadata (JSON) and the Float64 parameters (means then precisions) for persistence. */
  serialize(): { json: PadimJSON; data: Float64Array } {
    if (!this.means || !this.precisions || !this.keep || !this.levelChannels) {
      throw new InvalidArgumentError('PadimSegmenter.serialize: not fitted');
    }
    const data = new Float64Array(this.means.length + this.precisions.length);
    data.set(this.means, 0);
    data.set(this.precisions, this.means.length);
    return {
      json: {
        type: 'PadimSegmenter',
        version: 1,
        levels: [...this.levels],
        levelChannels: [...this.levelChannels],
        channels: Array.from(this.keep),
        height: this.h,
        width: this.w,
        estimator: this.estimator,
        blurSigma: this.blurSigma,
        count: this.n,
        seed: this.seed,
      },
      data,
    };
  }

  /** Restores a segmenter from {@link serialize} output (ModelFormatError on inconsistent input). */
  static deserialize(json: PadimJSON, data: Float64Array): PadimSegmenter {
    const bad = (m: string) => new ModelFormatError(`PadimSegmenter.deserialize: ${m}`);
    if (json?.type !== 'PadimSegmenter' || json.version !== 1) throw bad('not a version-1 PadimSegmenter');
    const c = json.channels?.length ?? 0;
    const locs = json.height * json.width;
    if (!(c > 0 && Number.isInteger(locs) && locs > 0)) throw bad('invalid channels or resolution');
    if (!(data instanceof Float64Array) || data.length !== locs * c * (c + 1)) {
      throw bad(`expected ${locs * c * (c + 1)} Float64 values, got ${data?.length}`);
    }
    for (let i = 0; i < data.length; i++) if (!Number.isFinite(data[i])) throw bad(`value ${i} is ${data[i]}`);
    const s = new PadimSegmenter({
      levels: json.levels,
      estimator: json.estimator,
      blurSigma: json.blurSigma,
      seed: json.seed,
      channels: c,
    });
    s.levelChannels = [...json.levelChannels];
    s.keep = Int32Array.from(json.channels);
    s.h = json.height;
    s.w = json.width;
    s.n = json.count;
    s.means = data.slice(0, locs * c);
    s.precisions = data.slice(locs * c);
    return s;
  }
}

/** Throws `InvalidArgumentError` naming the first non-finite value of an embedding; returns `data`. */
function checkFiniteMaps(data: Float32Array, who: string): Float32Array {
  for (let i = 0; i < data.length; i++) {
    if (!Number.isFinite(data[i])) throw new InvalidArgumentError(`${who}: the feature maps contain ${data[i]}`);
  }
  return data;
}

/** Separable Gaussian smoothing of [B, H, W, 1] maps (σ in pixels, kernel radius ⌈3σ⌉, reflect-free 'same' padding). */
function gaussianBlur(x: tf.Tensor4D, sigma: number): tf.Tensor4D {
  const r = Math.max(1, Math.ceil(3 * sigma));
  const k = Array.from({ length: 2 * r + 1 }, (_, i) => Math.exp(-((i - r) ** 2) / (2 * sigma * sigma)));
  const sum = k.reduce((a, v) => a + v, 0);
  const kn = k.map((v) => v / sum);
  const kx = tf.tensor4d(kn, [1, 2 * r + 1, 1, 1]);
  const ky = tf.tensor4d(kn, [2 * r + 1, 1, 1, 1]);
  // Normalise by the blurred ones-map so borders are not darkened by zero padding.
  const ones = tf.onesLike(x);
  const num = tf.conv2d(tf.conv2d(x, kx, 1, 'same'), ky, 1, 'same');
  const den = tf.conv2d(tf.conv2d(ones, kx, 1, 'same'), ky, 1, 'same');
  return tf.div(num, den) as tf.Tensor4D;
}
