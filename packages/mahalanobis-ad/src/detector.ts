/**
 * The Gaussian-AD pipeline on images: backbone → global-average-pooled feature levels → one Gaussian per level
 * (Rippel, Mertens & Merhof, ICPR 2020, arXiv 2005.14140), optionally a PaDiM-style per-location segmenter, plus
 * everything a saved detector needs to score later: the backbone, the levels, the input normalisation, μ and P per
 * level, score statistics and thresholds (F1-max / adaptive threshold when calibrated on labelled data).
 *
 * On disk (`save(dir)`): `<dir>/backbone/{model.json, weights.bin}` (core `saveModel`), `<dir>/padim.bin` (Float64
 * per-location parameters, only with segmentation) and `<dir>/detector.json` (written last; it names the backbone's
 * origin, levels, normalisation, the GaussianAD JSON, thresholds and the SHA-256 of padim.bin). `load(dir)` gives
 * bit-identical scores on the same backend. anomalib#2620 lost normalisation statistics and thresholds on export;
 * here they are part of the file.
 */
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import {
  ArrayImageDataset,
  aupro,
  auroc,
  EmptyDatasetError,
  FtError,
  f1Max,
  type ImageDataset,
  type ImageShape,
  InputTooLargeError,
  InvalidArgumentError,
  loadModel,
  ModelFileNotFoundError,
  ModelFormatError,
  ShapeError,
  saveModel,
  setBnMode,
} from '@ft/core';
import { readConfinedFile, readRegularFile, resolveConfined } from '@ft/core/internal';
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import {
  checkImageShape,
  checkInputNorm,
  defaultLevels,
  featureBatches,
  type InputNorm,
  identityNorm,
  modelInputShape,
  tapModel,
} from './features.js';
import {
  type CovarianceEstimator,
  type DistanceKind,
  GaussianAD,
  type GaussianADJSON,
  type GaussianScores,
  hostFeatures,
} from './gaussian-ad.js';
import { type PadimJSON, type PadimOptions, PadimSegmenter } from './padim.js';

/** A decision threshold on scores, with where it came from. */
export interface Threshold {
  /** `'f1-adaptive'`: maximises F1 on labelled data (anomalib F1AdaptiveThreshold); `'normal-quantile'`: a quantile of normal scores. */
  kind: 'f1-adaptive' | 'normal-quantile';
  /** Predict anomalous when score ≥ value. */
  value: number;
  /** F1 at the threshold (f1-adaptive only; that is the F1-max of the calibration data). */
  f1Max?: number;
  precision?: number;
  recall?: number;
  /** Quantile used (normal-quantile only). */
  quantile?: number;
  /** What data it was computed on, e.g. `'train normals'`, `'mvtec test split'`. */
  source: string;
}

/** Statistics of the scores of normal images (the normalisation statistics saved with the detector). */
export interface ScoreStats {
  source: string;
  n: number;
  mean: number;
  std: number;
  min: number;
  max: number;
  p95: number;
  p99: number;
}

/** Options of {@link MahalanobisDetector}. */
export interface MahalanobisDetectorOptions {
  /** Feature levels (tap names). Default {@link defaultLevels} of the backbone. */
  levels?: string[];
  /** Covariance estimator. Default `'ledoitWolf'`. */
  estimator?: CovarianceEstimator;
  /** Level aggregation. Default `'sum'` (paper). */
  aggregate?: 'sum' | 'mean';
  /** Input normalisation. Default identity (the zoo models see raw [0, 1] pixels). */
  inputNorm?: InputNorm;
  /** Images per forward pass. Default 128. */
  batchSize?: number;
  /** Where the backbone came from (recorded in detector.json), e.g. `'zoo:mnist-resnet8'`. */
  backboneRef?: string;
  /** Also fit a PaDiM-style segmenter on these levels (pixel-level anomaly maps). */
  segmentation?: PadimOptions;
}

/** Scores of a dataset. */
export interface DetectorScores extends GaussianScores {
  /** Anomaly maps `[N, H, W]` (row-major, input resolution) when the detector segments. */
  maps?: Float32Array;
}

/** Metrics of {@link MahalanobisDetector.evaluate}. */
export interface DetectorEvaluation {
  imageAUROC: number;
  perLevelAUROC: Record<string, number>;
  imageF1Max: number;
  imageThreshold: number;
  pixelAUROC?: number;
  AUPRO?: number;
  pixelF1Max?: number;
  pixelThreshold?: number;
  n: number;
  nAnomalous: number;
}

/** detector.json */
interface DetectorFile {
  format: 'ft-mahalanobis-ad';
  version: 1;
  backbone: { ref: string | null; dir: 'backbone'; inputShape: ImageShape };
  levels: string[];
  inputNorm: InputNorm;
  batchSize: number;
  gaussian: GaussianADJSON;
  scoreStats: ScoreStats | null;
  threshold: Threshold | null;
  pixelThreshold: Threshold | null;
  segmentation: (PadimJSON & { file: 'padim.bin'; sha256: string; byteLength: number }) | null;
  meta: Record<string, unknown>;
}

/**
 * A decision was asked of a detector that has no threshold (`predict`, `isAnomalous`). Its code is
 * `INVALID_ARGUMENT`; the message says how to set one.
 */
export class MissingThresholdError extends InvalidArgumentError {}

/** File names inside a detector directory. */
export const DETECTOR_FILE = 'detector.json';
export const PADIM_FILE = 'padim.bin';
export const BACKBONE_DIR = 'backbone';
/** Largest detector.json read (μ and P of every level are in it): 256 MiB. */
export const MAX_DETECTOR_JSON_BYTES = 256 * 1024 * 1024;
/** Largest padim.bin a detector.json may declare: 4 GiB − 1 (one Node.js buffer). */
export const MAX_PADIM_BYTES = 2 ** 32 - 1;

/**
 * The declared shape of a segmentation block of detector.json, checked before padim.bin is read: positive integer
 * height and width, a non-empty list of distinct integer channel indices, and a byte length that equals
 * `8·h·w·c·(c+1)` (μ and P per location, Float64) and stays under {@link MAX_PADIM_BYTES}.
 * Returns the expected byte length; throws ModelFormatError naming `file` and the field.
 */
function checkSegmentationShape(seg: Record<string, unknown>, file: string): number {
  const bad = (m: string) => new ModelFormatError(`${file}: segmentation.${m}`, { file });
  const posInt = (k: string, max: number) => {
    const v = seg[k];
    if (!(Number.isSafeInteger(v) && (v as number) >= 1 && (v as number) <= max)) {
      throw bad(`${k} must be an integer in [1, ${max}], got ${JSON.stringify(v)}`);
    }
    return v as number;
  };
  const h = posInt('height', 65_536);
  const w = posInt('width', 65_536);
  const ch = seg.channels;
  if (!Array.isArray(ch) || ch.length === 0 || ch.length > 65_536) {
    throw bad('channels must be a non-empty array of at most 65536 channel indices');
  }
  if (!ch.every((c) => Number.isSafeInteger(c) && c >= 0)) throw bad('channels must hold non-negative integers');
  const c = ch.length;
  const expected = 8 * h * w * c * (c + 1);
  if (expected > MAX_PADIM_BYTES) {
    throw bad(
      `height × width × channels (${h} × ${w} × ${c}) declares more than ${MAX_PADIM_BYTES} bytes of parameters`,
    );
  }
  if (seg.byteLength !== expected) {
    throw bad(`byteLength must be ${expected} (8·${h}·${w}·${c}·${c + 1}), got ${JSON.stringify(seg.byteLength)}`);
  }
  if (typeof seg.sha256 !== 'string') throw bad('sha256 must be a string');
  return expected;
}

function quantile(sorted: Float64Array, q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const pos = q * (sorted.length - 1);
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}

/** Mean, std, min, max and 95/99 % quantiles (linear interpolation, numpy's default) of normal scores. */
export function scoreStatistics(scores: ArrayLike<number>, source: string): ScoreStats {
  const n = scores.length;
  if (n === 0) throw new EmptyDatasetError('scoreStatistics: no scores');
  const s = Float64Array.from(scores).sort();
  let mean = 0;
  for (const v of s) mean += v;
  mean /= n;
  let v2 = 0;
  for (const v of s) v2 += (v - mean) ** 2;
  return {
    source,
    n,
    mean,
    std: n > 1 ? Math.sqrt(v2 / (n - 1)) : 0,
    min: s[0],
    max: s[n - 1],
    p95: quantile(s, 0.95),
    p99: quantile(s, 0.99),
  };
}

/**
 * Gaussian AD on images (see module docs).
 *
 * ```ts
 * const det = new MahalanobisDetector(await loadModelRef('zoo:mnist-resnet8'), { backboneRef: 'zoo:mnist-resnet8' });
 * await det.fit(normalTrainImages);
 * const { total } = await det.score(testImages);          // higher = more anomalous
 * const flags = await det.predict(testImages);             // 0/1 per image: score ≥ det.threshold.value
 * await det.save('out/detector');  const again = await MahalanobisDetector.load('out/detector');
 * ```
 */
export class MahalanobisDetector {
  readonly model: tfl.LayersModel;
  readonly levels: string[];
  readonly inputShape: ImageShape;
  readonly inputNorm: InputNorm;
  readonly batchSize: number;
  readonly backboneRef: string | null;
  gaussian: GaussianAD;
  segmenter: PadimSegmenter | null;
  scoreStats: ScoreStats | null = null;
  threshold: Threshold | null = null;
  pixelThreshold: Threshold | null = null;
  /** Free-form provenance written to detector.json (e.g. fine-tuning history). */
  meta: Record<string, unknown> = {};
  private taps: tfl.LayersModel;
  private readonly segOpts: PadimOptions | null;

  /**
   * @param model the backbone (BatchNorm is switched to frozen statistics, as in the paper's code)
   * @param opts see {@link MahalanobisDetectorOptions}
   */
  constructor(model: tfl.LayersModel, opts: MahalanobisDetectorOptions = {}) {
    this.model = model;
    this.inputShape = modelInputShape(model);
    this.levels = opts.levels ? [...opts.levels] : defaultLevels(model);
    if (this.levels.length === 0) throw new InvalidArgumentError('MahalanobisDetector: levels must not be empty');
    this.inputNorm = opts.inputNorm ?? identityNorm(this.inputShape[2]);
    checkInputNorm(this.inputNorm, this.inputShape[2], 'MahalanobisDetector');
    this.batchSize = opts.batchSize ?? 128;
    if (!(Number.isInteger(this.batchSize) && this.batchSize > 0)) {
      throw new InvalidArgumentError(
        `MahalanobisDetector: batchSize must be a positive integer, got ${this.batchSize}`,
      );
    }
    this.backboneRef = opts.backboneRef ?? null;
    this.gaussian = new GaussianAD({ estimator: opts.estimator, aggregate: opts.aggregate });
    this.segOpts = opts.segmentation ?? null;
    this.segmenter = this.segOpts ? new PadimSegmenter(this.segOpts) : null;
    setBnMode(model, 'frozen');
    this.taps = tapModel(model, this.allTaps());
  }

  private allTaps(): string[] {
    const seg = this.segOpts?.levels ?? this.segmenter?.levels ?? [];
    return [...new Set([...this.levels, ...seg])];
  }

  /** Recreates the tap model (call after replacing layers; fine-tuning keeps the same layers, so it is not needed). */
  refreshTaps(): void {
    this.taps = tapModel(this.model, this.allTaps());
  }

  /**
   * Fits the per-level Gaussians (and the segmenter) on normal images in one streaming pass, then scores
   * `statsFrom` (default: the same images) for the normalisation statistics and the default threshold (99 %
   * quantile of normal scores). Throws `EmptyDatasetError` for an empty set, `InvalidArgumentError` for one image,
   * `ShapeError` for images of another size or channel count than the backbone's.
   */
  async fit(ds: ImageDataset, opts: { statsFrom?: ImageDataset; signal?: AbortSignal } = {}): Promise<this> {
    if (!ds || ds.size === 0) throw new EmptyDatasetError('MahalanobisDetector.fit: the normal training set is empty');
    if (ds.size < 2) {
      throw new InvalidArgumentError(
        'MahalanobisDetector.fit: a single normal image cannot define a covariance; need ≥ 2',
      );
    }
    checkImageShape(ds.shape, this.inputShape, 'MahalanobisDetector.fit');
    this.gaussian.reset();
    if (this.segmenter?.isFitted && this.segOpts) this.segmenter = new PadimSegmenter(this.segOpts);
    const segLevels = this.segmenter?.levels ?? [];
    for await (const b of this.streamRaw(ds, opts.signal)) {
      this.gaussian.partialFit(Object.fromEntries(this.levels.map((l) => [l, b.pooled[l]])));
      if (this.segmenter) await this.segmenter.partialFitAsync(Object.fromEntries(segLevels.map((l) => [l, b.raw[l]])));
    }
    this.gaussian.finalize();
    this.segmenter?.finalize();
    const statsDs = opts.statsFrom ?? ds;
    const s = await this.score(statsDs, { signal: opts.signal, maps: false });
    this.scoreStats = scoreStatistics(s.total, opts.statsFrom ? 'validation normals' : 'training normals');
    this.threshold = {
      kind: 'normal-quantile',
      value: this.scoreStats.p99,
      quantile: 0.99,
      source: this.scoreStats.source,
    };
    return this;
  }

  /**
   * Streams pooled level features (host matrices, read asynchronously so GPU backends work) and raw segmentation
   * maps (tensors valid until the next batch) per batch.
   */
  private async *streamRaw(ds: ImageDataset, signal?: AbortSignal) {
    const taps = this.allTaps();
    const segLevels = new Set(this.segmenter?.levels ?? []);
    const pooled = new Map<string, tf.Tensor>();
    try {
      for await (const b of featureBatches(this.taps, taps, ds, {
        batchSize: this.batchSize,
        inputNorm: this.inputNorm,
        pooled: [],
        signal,
      })) {
        tf.dispose([...pooled.values()]);
        pooled.clear();
        for (const l of this.levels) {
          const t = b.features[l];
          pooled.set(l, t.rank === 4 ? tf.mean(t, [1, 2]) : tf.clone(t));
        }
        const raw: Record<string, tf.Tensor> = {};
        for (const l of segLevels) raw[l] = b.features[l];
        const host = await hostFeatures(Object.fromEntries(pooled));
        yield { pooled: host, raw, indices: b.indices };
      }
    } finally {
      tf.dispose([...pooled.values()]);
    }
  }

  /**
   * Scores every image of `ds` (dataset order): per-level Mahalanobis distances, their sum, and — with a segmenter
   * and `maps` (default true) — anomaly maps at the input resolution.
   */
  async score(ds: ImageDataset, opts: { signal?: AbortSignal; maps?: boolean } = {}): Promise<DetectorScores> {
    if (!this.gaussian.isFitted)
      throw new InvalidArgumentError('MahalanobisDetector.score: not fitted; call fit() first');
    if (!ds || ds.size === 0) throw new EmptyDatasetError('MahalanobisDetector.score: no images to score');
    checkImageShape(ds.shape, this.inputShape, 'MahalanobisDetector.score');
    const n = ds.size;
    const perLevel: Record<string, Float64Array> = Object.fromEntries(this.levels.map((l) => [l, new Float64Array(n)]));
    const total = new Float64Array(n);
    const wantMaps = (opts.maps ?? true) && this.segmenter !== null;
    const [H, W] = this.inputShape;
    const maps = wantMaps ? new Float32Array(n * H * W) : undefined;
    let off = 0;
    for await (const b of this.streamRaw(ds, opts.signal)) {
      const s = this.gaussian.score(b.pooled);
      const m = s.total.length;
      for (const l of this.levels) perLevel[l].set(s.perLevel[l], off);
      total.set(s.total, off);
      if (maps && this.segmenter) {
        const t = await this.segmenter.anomalyMapsAsync(b.raw, [H, W]);
        try {
          maps.set((await t.data()) as Float32Array, off * H * W);
        } finally {
          t.dispose();
        }
      }
      off += m;
    }
    return { perLevel, total, ...(maps ? { maps } : {}) };
  }

  /**
   * Scores `ds` and computes image AUROC (anomalies positive), per-level AUROC, F1-max with its adaptive threshold,
   * and with `masks` (N·H·W, 0/1) and a segmenter: pixel AUROC, AUPRO (FPR ≤ 0.3) and the pixel F1-max threshold.
   * With `calibrate: true` the F1-adaptive thresholds become the detector's thresholds (saved by `save`).
   */
  async evaluate(
    ds: ImageDataset,
    labels: ArrayLike<number>,
    opts: { masks?: Uint8Array; calibrate?: boolean; source?: string; signal?: AbortSignal } = {},
  ): Promise<DetectorEvaluation & { scores: DetectorScores }> {
    if (labels.length !== ds.size) {
      throw new InvalidArgumentError(`MahalanobisDetector.evaluate: ${labels.length} labels for ${ds.size} images`);
    }
    const scores = await this.score(ds, { signal: opts.signal, maps: opts.masks !== undefined });
    const imageAUROC = auroc(labels, scores.total);
    const perLevelAUROC = Object.fromEntries(this.levels.map((l) => [l, auroc(labels, scores.perLevel[l])]));
    const f1 = f1Max(labels, scores.total);
    let nAnom = 0;
    for (let i = 0; i < labels.length; i++) nAnom += labels[i] ? 1 : 0;
    const out: DetectorEvaluation & { scores: DetectorScores } = {
      imageAUROC,
      perLevelAUROC,
      imageF1Max: f1.f1,
      imageThreshold: f1.threshold,
      n: ds.size,
      nAnomalous: nAnom,
      scores,
    };
    const source = opts.source ?? 'evaluation data';
    if (opts.calibrate) {
      this.threshold = {
        kind: 'f1-adaptive',
        value: f1.threshold,
        f1Max: f1.f1,
        precision: f1.precision,
        recall: f1.recall,
        source,
      };
    }
    if (opts.masks && scores.maps) {
      const [H, W] = this.inputShape;
      if (opts.masks.length !== ds.size * H * W) {
        throw new InvalidArgumentError(
          `MahalanobisDetector.evaluate: masks have ${opts.masks.length} values, expected ${ds.size}×${H}×${W}`,
        );
      }
      const shape: [number, number, number] = [ds.size, H, W];
      const maskIn = { data: opts.masks, shape };
      const mapIn = { data: scores.maps, shape };
      out.pixelAUROC = auroc(opts.masks, scores.maps);
      out.AUPRO = aupro(maskIn, mapIn);
      const pf = f1Max(opts.masks, scores.maps);
      out.pixelF1Max = pf.f1;
      out.pixelThreshold = pf.threshold;
      if (opts.calibrate) {
        this.pixelThreshold = {
          kind: 'f1-adaptive',
          value: pf.threshold,
          f1Max: pf.f1,
          precision: pf.precision,
          recall: pf.recall,
          source,
        };
      }
    }
    return out;
  }

  /**
   * anomalib-style normalised scores: (s − threshold) / (max − min) + 0.5 clipped to [0, 1], with min/max of the
   * normal score statistics, so the threshold maps to 0.5.
   */
  normalize(scores: ArrayLike<number>): Float64Array {
    if (!this.scoreStats || !this.threshold) {
      throw new InvalidArgumentError('MahalanobisDetector.normalize: fit() first (no score statistics)');
    }
    const range = this.scoreStats.max - this.scoreStats.min || 1;
    return Float64Array.from(scores, (s) =>
      Math.min(1, Math.max(0, (s - (this.threshold as Threshold).value) / range + 0.5)),
    );
  }

  /**
   * The detector's decision threshold, or {@link MissingThresholdError} when it has none (or a non-finite one).
   * `fit()` sets the 99 % quantile of the normal scores; `evaluate(ds, labels, { calibrate: true })` the F1-adaptive
   * threshold; both are saved by `save` and read back by `load`.
   */
  private requireThreshold(method: string): number {
    const t = this.threshold;
    if (!t || typeof t.value !== 'number' || !Number.isFinite(t.value)) {
      throw new MissingThresholdError(
        `MahalanobisDetector.${method}: the detector has no threshold${t ? ` (threshold.value is ${t.value})` : ''}; ` +
          'fit() sets one (99 % quantile of the normal scores), evaluate(ds, labels, { calibrate: true }) sets the ' +
          "F1-adaptive one, or assign it: detector.threshold = { kind: 'normal-quantile', value, source: '...' }",
        { method, threshold: t },
      );
    }
    return t.value;
  }

  /**
   * Decisions for every image of `images` (dataset order, or the batch order of an `[N, H, W, C]` tensor of [0, 1]
   * pixels): 1 (anomalous) where the image score is ≥ the detector's {@link threshold} — the one saved with the
   * detector and printed by `ft ad score` as `anomalous` — else 0. Throws {@link MissingThresholdError} before
   * scoring when the detector has no threshold, and `ShapeError` for images of another size than the backbone's.
   */
  async predict(images: ImageDataset | tf.Tensor, opts: { signal?: AbortSignal } = {}): Promise<Uint8Array> {
    const thr = this.requireThreshold('predict');
    const ds = images instanceof tf.Tensor ? await this.tensorDataset(images, 'predict') : images;
    const { total } = await this.score(ds, { signal: opts.signal, maps: false });
    return Uint8Array.from(total, (s) => (s >= thr ? 1 : 0));
  }

  /**
   * Whether one image, or one score of {@link score}, is anomalous under the detector's {@link threshold}
   * (score ≥ threshold, as `ft ad score` prints it). A score gives the answer at once; an image (`[H, W, C]` or
   * `[1, H, W, C]` tensor, or H·W·C pixel values in [0, 1], HWC order) is scored first (the promise rejects with
   * `ShapeError` for another size). Throws (rejects, for an image) {@link MissingThresholdError} when the detector
   * has no threshold, `InvalidArgumentError` for a NaN score.
   */
  isAnomalous(score: number): boolean;
  isAnomalous(image: tf.Tensor | ArrayLike<number>, opts?: { signal?: AbortSignal }): Promise<boolean>;
  isAnomalous(
    input: number | tf.Tensor | ArrayLike<number>,
    opts: { signal?: AbortSignal } = {},
  ): boolean | Promise<boolean> {
    if (typeof input !== 'number') return this.isAnomalousImage(input, opts.signal);
    const thr = this.requireThreshold('isAnomalous');
    if (Number.isNaN(input)) throw new InvalidArgumentError('MahalanobisDetector.isAnomalous: the score is NaN');
    return input >= thr;
  }

  private async isAnomalousImage(image: tf.Tensor | ArrayLike<number>, signal?: AbortSignal): Promise<boolean> {
    const thr = this.requireThreshold('isAnomalous');
    const ds = image instanceof tf.Tensor ? await this.tensorDataset(image, 'isAnomalous') : this.pixelsDataset(image);
    if (ds.size !== 1) {
      throw new InvalidArgumentError(`MahalanobisDetector.isAnomalous: expected one image, got ${ds.size}`);
    }
    return (await this.score(ds, { signal, maps: false })).total[0] >= thr;
  }

  /** One image of H·W·C pixel values as a dataset (ShapeError naming the expected length otherwise). */
  private pixelsDataset(px: ArrayLike<number>): ArrayImageDataset {
    const [h, w, c] = this.inputShape;
    if (px.length !== h * w * c) {
      throw new ShapeError(
        `MahalanobisDetector.isAnomalous: an image has ${h}×${w}×${c} = ${h * w * c} values, got ${px.length}`,
      );
    }
    return new ArrayImageDataset({ images: Float32Array.from(px), labels: new Int32Array(1), shape: this.inputShape });
  }

  /** An `[N, H, W, C]` tensor (`[H, W, C]` for `isAnomalous`: one image) as a dataset; `t` stays the caller's. */
  private async tensorDataset(t: tf.Tensor, method: string): Promise<ArrayImageDataset> {
    const shape = t.rank === 3 && method === 'isAnomalous' ? [1, ...t.shape] : t.shape;
    if (shape.length !== 4) {
      throw new ShapeError(`MahalanobisDetector.${method}: images must be [N, H, W, C], got [${t.shape}]`);
    }
    const [n, h, w, c] = shape;
    return new ArrayImageDataset({
      images: Float32Array.from(await t.data()),
      labels: new Int32Array(n),
      shape: [h, w, c],
    });
  }

  /** Distances of `kind` for `ds` with the fitted Gaussians (L2 / SED baselines). */
  async scoreWith(ds: ImageDataset, distance: DistanceKind): Promise<GaussianScores> {
    const n = ds.size;
    const perLevel: Record<string, Float64Array> = Object.fromEntries(this.levels.map((l) => [l, new Float64Array(n)]));
    const total = new Float64Array(n);
    let off = 0;
    for await (const b of this.streamRaw(ds)) {
      const s = this.gaussian.score(b.pooled, { distance });
      for (const l of this.levels) perLevel[l].set(s.perLevel[l], off);
      total.set(s.total, off);
      off += s.total.length;
    }
    return { perLevel, total };
  }

  /** Writes the detector to `dir` (see module docs). Returns the directory. */
  async save(dir: string): Promise<string> {
    if (!this.gaussian.isFitted) throw new InvalidArgumentError('MahalanobisDetector.save: not fitted');
    await fs.mkdir(dir, { recursive: true });
    await saveModel(this.model, path.join(dir, BACKBONE_DIR));
    let segmentation: DetectorFile['segmentation'] = null;
    if (this.segmenter?.isFitted) {
      const { json, data } = this.segmenter.serialize();
      const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
      await fs.writeFile(path.join(dir, PADIM_FILE), bytes);
      segmentation = {
        ...json,
        file: PADIM_FILE,
        sha256: createHash('sha256').update(bytes).digest('hex'),
        byteLength: bytes.byteLength,
      };
    }
    const file: DetectorFile = {
      format: 'ft-mahalanobis-ad',
      version: 1,
      backbone: { ref: this.backboneRef, dir: BACKBONE_DIR, inputShape: this.inputShape },
      levels: this.levels,
      inputNorm: this.inputNorm,
      batchSize: this.batchSize,
      gaussian: this.gaussian.toJSON(),
      scoreStats: this.scoreStats,
      threshold: this.threshold,
      pixelThreshold: this.pixelThreshold,
      segmentation,
      meta: this.meta,
    };
    const tmp = path.join(dir, `${DETECTOR_FILE}.tmp-${process.pid}`);
    await fs.writeFile(tmp, `${JSON.stringify(file)}\n`);
    await fs.rename(tmp, path.join(dir, DETECTOR_FILE));
    return dir;
  }

  /**
   * Loads a detector written by {@link save}. A missing directory, detector.json or backbone ⇒
   * `ModelFileNotFoundError`; corrupt JSON, a wrong format, malformed fields, a truncated or altered padim.bin ⇒
   * `ModelFormatError`. The backbone folder and the padim.bin named in detector.json are confined to `dir` (no
   * absolute path, no `..`, no symlink that leads out, regular files only: else `UnsafePathError`), and padim.bin's
   * declared shape and size are checked before it is read.
   */
  static async load(dir: string): Promise<MahalanobisDetector> {
    const file = path.join(dir, DETECTOR_FILE);
    let text: string;
    try {
      text = new TextDecoder().decode(
        await readRegularFile(file, {
          what: 'detector file',
          maxBytes: MAX_DETECTOR_JSON_BYTES,
          onTooLarge: (size) =>
            new InputTooLargeError(`${file} has ${size} bytes (limit ${MAX_DETECTOR_JSON_BYTES})`, { file }),
        }),
      );
    } catch (e) {
      if ((e as NodeJS.ErrnoException)?.code === 'ENOENT' || (e as NodeJS.ErrnoException)?.code === 'ENOTDIR') {
        throw new ModelFileNotFoundError(`detector file not found: ${file}`, { file }, { cause: e });
      }
      throw e;
    }
    let json: DetectorFile;
    try {
      json = JSON.parse(text);
    } catch (e) {
      throw new ModelFormatError(`${file} is not valid JSON: ${(e as Error).message}`, { file }, { cause: e });
    }
    if (json === null || typeof json !== 'object' || json.format !== 'ft-mahalanobis-ad' || json.version !== 1) {
      throw new ModelFormatError(`${file}: not a version-1 ft-mahalanobis-ad detector`, { file });
    }
    if (!Array.isArray(json.levels) || json.levels.length === 0 || !json.gaussian || !json.inputNorm) {
      throw new ModelFormatError(`${file}: levels, gaussian or inputNorm missing`, { file });
    }
    if (
      !json.levels.every((l) => typeof l === 'string' && l.length > 0) ||
      new Set(json.levels).size !== json.levels.length
    ) {
      throw new ModelFormatError(`${file}: levels must be distinct non-empty layer names`, { file });
    }
    if (json.backbone !== undefined && (json.backbone === null || typeof json.backbone !== 'object')) {
      throw new ModelFormatError(`${file}: backbone must be an object {ref, dir, inputShape}`, { file });
    }
    const segJson = json.segmentation as unknown;
    if (segJson !== null && segJson !== undefined && (typeof segJson !== 'object' || Array.isArray(segJson))) {
      throw new ModelFormatError(`${file}: segmentation must be an object or null`, { file });
    }
    // Everything the file names is checked before anything is loaded.
    const padimBytes = segJson ? checkSegmentationShape(segJson as Record<string, unknown>, file) : 0;
    const backboneDir = await resolveConfined(dir, json.backbone?.dir ?? BACKBONE_DIR, `${file}: backbone.dir`);
    const model = await loadModel(backboneDir);
    let gaussian: GaussianAD;
    try {
      gaussian = GaussianAD.fromJSON(json.gaussian);
    } catch (e) {
      throw new ModelFormatError(`${file}: ${(e as Error).message}`, { file }, { cause: e });
    }
    const missing = json.levels.filter((l) => !gaussian.levels.includes(l));
    if (missing.length) throw new ModelFormatError(`${file}: no Gaussian for level(s) ${missing.join(', ')}`, { file });
    let segmenter: PadimSegmenter | null = null;
    if (json.segmentation) {
      const rel = json.segmentation.file ?? PADIM_FILE;
      const bin = path.resolve(dir, String(rel));
      let buf: Uint8Array;
      try {
        buf = await readConfinedFile(dir, rel, {
          what: `${file}: segmentation.file`,
          expectedBytes: padimBytes,
          onSizeMismatch: (expected) =>
            new ModelFormatError(`${bin} is corrupt: detector.json expects ${expected} bytes, the file differs`, {
              file: bin,
            }),
        });
      } catch (e) {
        if ((e as NodeJS.ErrnoException)?.code === 'ENOENT') {
          throw new ModelFileNotFoundError(`segmentation file not found: ${bin}`, { file: bin }, { cause: e });
        }
        throw e;
      }
      const sha = createHash('sha256').update(buf).digest('hex');
      if (sha !== json.segmentation.sha256) {
        throw new ModelFormatError(
          `${bin} is corrupt: sha256 ${sha}, detector.json expects ${json.segmentation.sha256}`,
          { file: bin },
        );
      }
      const data = new Float64Array(buf.byteLength / 8);
      new Uint8Array(data.buffer).set(buf);
      try {
        segmenter = PadimSegmenter.deserialize(json.segmentation, data);
      } catch (e) {
        if (e instanceof ModelFormatError) throw e;
        throw new ModelFormatError(`${file}: segmentation: ${(e as Error).message}`, { file }, { cause: e });
      }
    }
    let det: MahalanobisDetector;
    try {
      det = new MahalanobisDetector(model, {
        levels: json.levels,
        inputNorm: json.inputNorm,
        batchSize: json.batchSize,
        backboneRef: json.backbone?.ref ?? undefined,
        estimator: gaussian.estimator,
        aggregate: gaussian.aggregate,
        ...(segmenter ? { segmentation: { levels: segmenter.levels } } : {}),
      });
    } catch (e) {
      if (e instanceof FtError && !(e instanceof InvalidArgumentError)) throw e;
      throw new ModelFormatError(`${file}: ${(e as Error).message}`, { file }, { cause: e });
    }
    det.gaussian = gaussian;
    det.segmenter = segmenter;
    det.scoreStats = json.scoreStats ?? null;
    det.threshold = json.threshold ?? null;
    det.pixelThreshold = json.pixelThreshold ?? null;
    det.meta = json.meta ?? {};
    return det;
  }

  /** Releases tf constants held by the Gaussians (the backbone is the caller's). */
  dispose(): void {
    this.gaussian.dispose();
  }
}
