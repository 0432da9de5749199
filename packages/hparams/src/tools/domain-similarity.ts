/**
 * Domain similarity of Cui et al. (CVPR 2018), as used by Li et al. (ICLR 2020, Sec. 4.1 / App. B) to predict the
 * best effective learning rate: exp(−γ·EMD) between the class-mean penultimate features of two labelled datasets.
 */
import { EmptyDatasetError, type ImageDataset, InvalidArgumentError, NonFiniteValueError, ShapeError } from '@ft/core';
import { checkNonNegative, checkPositiveInt } from '@ft/core/internal';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { emd } from './emd.js';

/** Options of {@link domainSimilarity}. */
export interface DomainSimilarityOptions {
  /** The source dataset S (e.g. the pre-training classes). */
  source: ImageDataset;
  /** The target dataset T. */
  target: ImageDataset;
  /** The pre-trained network g whose features are compared (its input must take the datasets' images). */
  extractor: tfl.LayersModel;
  /**
   * Which features: `'penultimate'` (default) is the input of the model's output layer (of the layer before it when
   * the last layer is a bare `Activation`/`Softmax`); a string is a layer name whose output is used. Features of rank
   * > 2 are flattened per image.
   */
  tap?: 'penultimate' | (string & {});
  /** γ of `exp(−γ·EMD)`. [0.01, Cui et al.] */
  gamma?: number;
  /**
   * Classes with fewer images are dropped before weighting (Cui et al.'s notebook drops source classes with < 200
   * images: pass `{source: 200}`). [1 for both: only empty classes are dropped]
   */
  minImagesPerClass?: { source?: number; target?: number };
  /** Images per forward pass. [64] */
  batchSize?: number;
}

/** The class-level summary of one dataset in {@link DomainSimilarityResult}. */
export interface DomainClassSummary {
  /** The kept class indices, ascending. */
  classes: number[];
  /** Images per kept class. */
  counts: number[];
  /** Class weights: counts normalised to sum 1. */
  weights: Float64Array;
  /** Mean feature of each kept class, `classes.length × dim` row-major (Float64 accumulation). */
  classMeans: Float64Array;
}

/** The result of {@link domainSimilarity}. */
export interface DomainSimilarityResult {
  /** `EMD(S, T) = Σ f_ij d_ij / Σ f_ij` with `d_ij = ‖g(s_i) − g(t_j)‖₂` between class means. */
  emd: number;
  /** `exp(−γ·EMD)` (not a calibrated [0, 1] score: it saturates near 1 for small feature norms). */
  similarity: number;
  /** The optimal flow, source classes × target classes (kept classes, row-major). */
  flow: Float64Array;
  /** The ground distances `d_ij`, same layout as `flow`. */
  cost: Float64Array;
  /** Class weights of S and T (each sums to 1). */
  weights: { source: Float64Array; target: Float64Array };
  /** Class-mean features of S and T (`classes × dim` each). */
  classMeans: { source: Float64Array; target: Float64Array };
  /** Per-dataset class summaries (kept classes, counts, weights, means). */
  source: DomainClassSummary;
  target: DomainClassSummary;
  /** Feature dimension. */
  dim: number;
  gamma: number;
}

/** The sub-model that outputs the tapped features. */
function tapModel(model: tfl.LayersModel, tap: string): tfl.LayersModel {
  if (tap === 'penultimate') {
    let k = model.layers.length - 1;
    const isBareActivation = (l: tfl.layers.Layer) => {
      const cls = l.getClassName();
      return cls === 'Activation' || cls === 'Softmax';
    };
    if (k > 0 && isBareActivation(model.layers[k])) k--;
    if (k < 1) {
      throw new InvalidArgumentError(
        `domainSimilarity: the extractor has too few layers for a penultimate tap (${model.layers.length})`,
      );
    }
    const input = model.layers[k].input;
    if (Array.isArray(input)) {
      throw new InvalidArgumentError(
        `domainSimilarity: layer '${model.layers[k].name}' has ${input.length} inputs; pass tap: '<layer name>'`,
      );
    }
    return tfl.model({ inputs: model.inputs, outputs: input });
  }
  let layer: tfl.layers.Layer;
  try {
    layer = model.getLayer(tap);
  } catch {
    throw new InvalidArgumentError(`domainSimilarity: the extractor has no layer '${tap}'`, { tap });
  }
  const out = layer.output;
  if (Array.isArray(out)) {
    throw new InvalidArgumentError(`domainSimilarity: layer '${tap}' has ${out.length} outputs`);
  }
  return tfl.model({ inputs: model.inputs, outputs: out });
}

/** Per-class feature sums and counts of `ds` (Float64), through `net` in batches. */
async function classMeans(
  net: tfl.LayersModel,
  ds: ImageDataset,
  batchSize: number,
  minCount: number,
  which: string,
): Promise<{ summary: DomainClassSummary; dim: number }> {
  if (ds.size === 0) throw new EmptyDatasetError(`domainSimilarity: the ${which} dataset is empty`);
  const [h, w, c] = ds.shape;
  const inShape = net.inputs[0].shape;
  if (inShape.length !== 4 || [h, w, c].some((d, i) => inShape[i + 1] !== null && inShape[i + 1] !== d)) {
    throw new ShapeError(
      `domainSimilarity: the ${which} images are [${h}, ${w}, ${c}] but the extractor takes [${inShape.slice(1)}]`,
      { shape: [h, w, c], expected: inShape.slice(1) },
    );
  }
  const per = h * w * c;
  const K = ds.numClasses;
  const counts = new Array<number>(K).fill(0);
  let sums: Float64Array | null = null;
  let dim = 0;
  const buf = new Float32Array(batchSize * per);
  for (let start = 0; start < ds.size; start += batchSize) {
    const b = Math.min(batchSize, ds.size - start);
    for (let t = 0; t < b; t++) ds.copyInto(start + t, buf, t * per);
    const feats = tf.tidy(() => {
      const x = tf.tensor4d(buf.subarray(0, b * per), [b, h, w, c]);
      const y = net.predict(x) as tf.Tensor;
      return tf.reshape(y, [b, -1]);
    });
    const data = await feats.data();
    const d = feats.shape[1] as number;
    feats.dispose();
    if (!sums) {
      dim = d;
      sums = new Float64Array(K * d);
    }
    for (let t = 0; t < b; t++) {
      const y = ds.labels[start + t];
      if (!Number.isInteger(y) || y < 0 || y >= K) {
        throw new InvalidArgumentError(
          `domainSimilarity: ${which} label ${y} at index ${start + t} is outside 0..${K - 1}`,
        );
      }
      counts[y]++;
      for (let k = 0; k < d; k++) {
        const v = data[t * d + k];
        if (!Number.isFinite(v)) {
          throw new NonFiniteValueError(
            `domainSimilarity: the extractor gave a non-finite ${which} feature (${v}) for image ${start + t}`,
            { image: start + t },
          );
        }
        sums[y * d + k] += v;
      }
    }
  }
  const classes: number[] = [];
  for (let k = 0; k < K; k++) if (counts[k] >= minCount && counts[k] > 0) classes.push(k);
  if (classes.length === 0) {
    throw new EmptyDatasetError(
      `domainSimilarity: no ${which} class has >= ${minCount} images (largest has ${Math.max(...counts)})`,
    );
  }
  const kept = classes.map((k) => counts[k]);
  const total = kept.reduce((s, x) => s + x, 0);
  const weights = Float64Array.from(kept, (x) => x / total);
  const means = new Float64Array(classes.length * dim);
  classes.forEach((k, r) => {
    for (let j = 0; j < dim; j++) means[r * dim + j] = (sums as Float64Array)[k * dim + j] / counts[k];
  });
  return { summary: { classes, counts: kept, weights, classMeans: means }, dim };
}

/**
 * Domain similarity between a source and a target dataset (Cui et al. 2018; Li et al. 2020, App. B):
 * 1. `g` = features of every training image (by default the extractor's penultimate layer);
 * 2. per class, the mean feature; class weights = the fraction of the dataset's images in the class;
 * 3. ground distance `d_ij = ‖ḡ(S_i) − ḡ(T_j)‖₂` between class means;
 * 4. `EMD(S, T) = Σ f_ij d_ij / Σ f_ij` with the optimal (balanced) flow between the two weight histograms
 *    (the exact solver {@link emd});
 * 5. `sim(S, T) = exp(−γ·EMD)`, γ = 0.01.
 *
 * Li et al. find the best effective learning rate smaller for more similar pairs (Table 4). Images are read with
 * `copyInto` and run through the extractor in inference mode; features are accumulated in Float64.
 * @param o `{source, target, extractor, tap = 'penultimate', gamma = 0.01, minImagesPerClass, batchSize = 64}`.
 * @throws EmptyDatasetError for an empty dataset or when every class is dropped; ShapeError when the images do not
 *   fit the extractor; InvalidArgumentError for bad options or labels outside 0..numClasses−1; NonFiniteValueError
 *   for a NaN or ±Infinity feature.
 */
export async function domainSimilarity(o: DomainSimilarityOptions): Promise<DomainSimilarityResult> {
  if (!o || typeof o !== 'object') throw new InvalidArgumentError('domainSimilarity: options are required');
  if (!o.extractor || typeof (o.extractor as tfl.LayersModel).predict !== 'function') {
    throw new InvalidArgumentError('domainSimilarity: extractor must be a tfjs LayersModel');
  }
  const gamma = checkNonNegative(o.gamma ?? 0.01, 'gamma', 'domainSimilarity');
  const batchSize = checkPositiveInt(o.batchSize ?? 64, 'batchSize', 'domainSimilarity');
  const minS = checkPositiveInt(o.minImagesPerClass?.source ?? 1, 'minImagesPerClass.source', 'domainSimilarity');
  const minT = checkPositiveInt(o.minImagesPerClass?.target ?? 1, 'minImagesPerClass.target', 'domainSimilarity');
  const net = tapModel(o.extractor, o.tap ?? 'penultimate');
  const s = await classMeans(net, o.source, batchSize, minS, 'source');
  const t = await classMeans(net, o.target, batchSize, minT, 'target');
  if (s.dim !== t.dim) throw new ShapeError(`domainSimilarity: feature sizes differ (${s.dim} vs ${t.dim})`);
  const dim = s.dim;
  const m = s.summary.classes.length;
  const n = t.summary.classes.length;
  const cost = new Float64Array(m * n);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let acc = 0;
      for (let k = 0; k < dim; k++) {
        const d = s.summary.classMeans[i * dim + k] - t.summary.classMeans[j * dim + k];
        acc += d * d;
      }
      cost[i * n + j] = Math.sqrt(acc);
    }
  }
  const r = emd(s.summary.weights, t.summary.weights, cost);
  return {
    emd: r.distance,
    similarity: Math.exp(-gamma * r.distance),
    flow: r.flow,
    cost,
    weights: { source: s.summary.weights, target: t.summary.weights },
    classMeans: { source: s.summary.classMeans, target: t.summary.classMeans },
    source: s.summary,
    target: t.summary,
    dim,
    gamma,
  };
}
