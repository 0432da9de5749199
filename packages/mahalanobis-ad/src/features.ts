/**
 * Feature levels of a backbone for Gaussian AD: named taps (core `featureExtractor`), global average pooling of each
 * level map (Rippel et al., ICPR 2020: `z.mean(dim=(3,4))`), input normalisation, and streaming over a dataset so
 * that only one batch of features exists at a time.
 */
import {
  batches,
  featureExtractor,
  type ImageDataset,
  type ImageShape,
  InvalidArgumentError,
  layerNames,
  NonFiniteValueError,
  ShapeError,
  yieldToEventLoop,
} from '@ft/core';
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';

/** Per-channel input normalisation x' = (x − mean) / std applied before the backbone (persisted with detectors). */
export interface InputNorm {
  mean: number[];
  std: number[];
}

/** Identity normalisation for `channels` channels (the zoo models are trained on raw [0, 1] pixels). */
export function identityNorm(channels: number): InputNorm {
  return { mean: new Array(channels).fill(0), std: new Array(channels).fill(1) };
}

/** Validates an {@link InputNorm} against the channel count (InvalidArgumentError naming the field). */
export function checkInputNorm(norm: InputNorm, channels: number, who: string): void {
  if (!Array.isArray(norm?.mean) || !Array.isArray(norm?.std)) {
    throw new InvalidArgumentError(`${who}: inputNorm needs mean and std arrays`);
  }
  if (norm.mean.length !== channels || norm.std.length !== channels) {
    throw new ShapeError(
      `${who}: inputNorm has ${norm.mean.length}/${norm.std.length} values, the backbone has ${channels} channels`,
    );
  }
  for (const s of norm.std) if (!(s > 0)) throw new InvalidArgumentError(`${who}: inputNorm.std must be > 0, got ${s}`);
  for (const m of norm.mean) if (!Number.isFinite(m)) throw new InvalidArgumentError(`${who}: inputNorm.mean ${m}`);
}

/** (x − mean) / std per channel; returns `x` itself for the identity. Call inside `tf.tidy`. */
export function normalizeInput(x: tf.Tensor4D, norm: InputNorm): tf.Tensor4D {
  if (norm.mean.every((m) => m === 0) && norm.std.every((s) => s === 1)) return x;
  return tf.div(tf.sub(x, tf.tensor1d(norm.mean)), tf.tensor1d(norm.std)) as tf.Tensor4D;
}

/**
 * The default Gaussian-AD levels of a core backbone: `stem` (when present) and every `blockK` tap, in order; plus
 * `penultimate` unless it is just the global average pool of the last block (then it would duplicate that level).
 * ResNet-8 → `stem, block1, block2, block3`; cnn4 → `block1..block4`.
 */
export function defaultLevels(model: tfl.LayersModel): string[] {
  const names = layerNames(model);
  const blocks = names.filter((n) => /^block\d+$/.test(n)).sort((a, b) => Number(a.slice(5)) - Number(b.slice(5)));
  const out = [...(names.includes('stem') ? ['stem'] : []), ...blocks];
  if (names.includes('penultimate')) {
    const layer = model.getLayer('penultimate');
    const inbound = layer.inboundNodes[0]?.inboundLayers ?? [];
    const fromGap = inbound.some((l) => l.getClassName() === 'GlobalAveragePooling2D');
    const identity = (layer.getConfig() as { activation?: string }).activation === 'linear';
    if (!(fromGap && identity)) out.push('penultimate');
  }
  if (out.length === 0) {
    throw new InvalidArgumentError(
      `defaultLevels: model '${model.name}' has no stem/blockK/penultimate taps; pass levels explicitly (layers: ${names.join(', ')})`,
    );
  }
  return out;
}

/** Input shape `[H, W, C]` of a single-input LayersModel. */
export function modelInputShape(model: tfl.LayersModel): ImageShape {
  const s = model.inputs[0]?.shape;
  if (s?.length !== 4 || s.slice(1).some((v) => v == null)) {
    throw new ShapeError(`model '${model.name}' must take NHWC images of a fixed size, got input shape [${s}]`);
  }
  return [s[1] as number, s[2] as number, s[3] as number];
}

/**
 * Throws `ShapeError` unless dataset images have the backbone's input size and channels (naming both shapes).
 * @param shape dataset image shape
 * @param expected backbone input shape
 * @param what the dataset's name in the message
 */
export function checkImageShape(shape: readonly number[], expected: ImageShape, what: string): void {
  if (shape.length !== 3 || shape[0] !== expected[0] || shape[1] !== expected[1] || shape[2] !== expected[2]) {
    throw new ShapeError(
      `${what}: images are ${shape.join('×')} (H×W×C) but the backbone expects ${expected.join('×')}; ` +
        'resize the images or rebuild the backbone for this size with withInputShape()',
      { shape: [...shape], expected: [...expected] },
    );
  }
}

/**
 * A model with one raw output per tap (core `featureExtractor` with `pool: 'none'`), sharing weights with `model`.
 * Pool with {@link gapFeatures}.
 */
export function tapModel(model: tfl.LayersModel, levels: readonly string[]): tfl.LayersModel {
  if (levels.length === 0) throw new InvalidArgumentError('tapModel: levels must not be empty');
  return featureExtractor(model, [...levels], { pool: 'none', name: `${model.name}_ad_taps` });
}

/** Global average pooling of rank-4 maps to [N, C]; rank-2 outputs pass through. Call inside `tf.tidy`. */
export function gap(t: tf.Tensor): tf.Tensor2D {
  if (t.rank === 4) return tf.mean(t, [1, 2]) as tf.Tensor2D;
  if (t.rank === 2) return t as tf.Tensor2D;
  throw new ShapeError(`gap: expected a rank-4 map or rank-2 features, got shape [${t.shape.join(', ')}]`);
}

/** Raw tap outputs of `taps` on `x` as an array (inference or training mode). Call inside `tf.tidy`. */
export function tapOutputs(taps: tfl.LayersModel, x: tf.Tensor4D, training = false): tf.Tensor[] {
  const out = training ? taps.apply(x, { training: true }) : taps.predict(x);
  return (Array.isArray(out) ? out : [out]) as tf.Tensor[];
}

/** Options of {@link featureBatches}. */
export interface FeatureBatchOptions {
  /** Images per forward pass. Default 128. */
  batchSize?: number;
  /** Input normalisation (default identity). */
  inputNorm?: InputNorm;
  /** Tap names whose outputs are pooled (GAP); taps not listed here come back raw (e.g. PaDiM maps). Default all. */
  pooled?: readonly string[];
  /** Stops between batches (throws the signal's reason); the stream yields to the event loop before each batch. */
  signal?: AbortSignal;
  /**
   * Throw `InvalidArgumentError` when a batch's images hold NaN/±Inf, and `NonFiniteValueError` when its tap
   * outputs do while the images are finite (a backbone with non-finite weights must not be fitted or scored). One
   * fused reduction per tensor, read back once per batch. Default true.
   */
  checkFinite?: boolean;
}

/** One batch of tap outputs: pooled `[B, C]` features or raw `[B, h, w, C]` maps, keyed by tap name. */
export interface TapBatch {
  features: Record<string, tf.Tensor>;
  /** Dataset positions of the batch's samples. */
  indices: Int32Array;
}

/**
 * Streams tap outputs over a dataset in dataset order (inference mode: BatchNorm uses its moving statistics). The
 * tensors of a batch stay valid until the next iteration and are disposed by the generator (also on `break`), so
 * consumers read them (e.g. `GaussianAD.partialFit`) and must not keep them.
 * @param taps model from {@link tapModel}
 * @param levels its tap names, in output order
 * @param ds images of the backbone's input shape
 */
export async function* featureBatches(
  taps: tfl.LayersModel,
  levels: readonly string[],
  ds: ImageDataset,
  opts: FeatureBatchOptions = {},
): AsyncGenerator<TapBatch> {
  checkImageShape(ds.shape, modelInputShape(taps), 'featureBatches');
  const norm = opts.inputNorm ?? identityNorm(ds.shape[2]);
  const pooled = new Set(opts.pooled ?? levels);
  let current: tf.Tensor[] = [];
  const checkFinite = opts.checkFinite ?? true;
  try {
    for await (const b of batches(ds, { batchSize: opts.batchSize ?? 128 })) {
      await yieldToEventLoop(); // lets a SIGINT handler abort `signal` between batches
      if (opts.signal?.aborted) {
        b.dispose();
        throw opts.signal.reason ?? new Error('aborted');
      }
      tf.dispose(current);
      current = [];
      const outs = tf.tidy(() => {
        const raw = tapOutputs(taps, normalizeInput(b.x, norm));
        return raw.map((t, i) => (pooled.has(levels[i]) ? gap(t) : t));
      });
      current = outs;
      if (checkFinite) {
        // [input, ...taps]: NaN images are the caller's input error, NaN features with finite images the model's
        const flags = tf.tidy(() => tf.stack([b.x, ...outs].map((t) => tf.all(tf.isFinite(t)))));
        const ok = await flags.data();
        flags.dispose();
        const first = b.indices[0];
        if (!ok[0]) {
          b.dispose();
          throw new InvalidArgumentError(
            `featureBatches: images ${first}..${first + outs[0].shape[0] - 1} contain NaN or ±Inf pixel values`,
            { firstIndex: first },
          );
        }
        const bad = Array.from(ok.subarray(1)).findIndex((f) => !f);
        if (bad >= 0) {
          b.dispose();
          throw new NonFiniteValueError(
            `featureBatches: tap '${levels[bad]}' has NaN or ±Inf outputs for images ${first}..${first + outs[0].shape[0] - 1}; the backbone's weights (or the input normalisation) are probably non-finite`,
            { tap: levels[bad], firstIndex: first },
          );
        }
      }
      b.dispose();
      yield { features: Object.fromEntries(levels.map((l, i) => [l, outs[i]])), indices: b.indices };
    }
  } finally {
    tf.dispose(current);
  }
}
