/**
 * New classification heads for transfer: `replaceHead` (new dense layer on a tap, Glorot or imprinted init) and
 * `imprintWeights` (Qi, Brown, Lowe, "Low-Shot Learning with Imprinted Weights", CVPR 2018, arXiv 1712.07136; the
 * SSL-transfer code's `imprint.py`, research/papers-4-6.md): column c of the head kernel is the L2-normalised mean
 * of the L2-normalised features of the class-c examples, the bias is 0.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { InvalidArgumentError, ShapeError } from '../errors.js';
import { createRng } from '../rng.js';
import { tapOutput } from './feature-extractor.js';

/** Imprinted initialisation: features (at the tap, e.g. pooled `penultimate`) and integer labels. */
export interface ImprintInit {
  imprint: {
    /** [N, D] features of the labelled examples (from `featureExtractor(model, tap)` in inference mode). */
    features: tf.Tensor2D;
    /** N integer labels in [0, numClasses). */
    labels: tf.Tensor1D | ArrayLike<number>;
    /** Normalise each feature before averaging (Qi et al.; default true). */
    normalizeFeatures?: boolean;
  };
}

/** Options of {@link replaceHead}. */
export interface ReplaceHeadOptions {
  /** Classes of the new head. */
  numClasses: number;
  /** Layer whose output feeds the new head. Default `'penultimate'`. */
  tap?: string;
  /** `'glorot'` (default; Glorot-uniform kernel, zero bias) or `{imprint: {features, labels}}`. */
  init?: 'glorot' | ImprintInit;
  /** Seed of the Glorot initialiser. Default 0. */
  seed?: number | string;
  /** Name of the new dense layer. Default `'logits'`. */
  name?: string;
  /** Global-average-pool a rank-4 tap before the head (`'gap'`) or require a rank-2 tap (`'none'`, default). */
  pool?: 'gap' | 'none';
}

/** Result of {@link imprintWeights}: a dense layer's weights. */
export interface ImprintedHead {
  /** [D, C] kernel (tfjs Dense layout): column c is the unit-norm class-c mean direction. */
  kernel: tf.Tensor2D;
  /** [C] zeros. */
  bias: tf.Tensor1D;
}

function labelArray(labels: tf.Tensor1D | ArrayLike<number>): number[] {
  return labels instanceof tf.Tensor ? Array.from(labels.dataSync()) : Array.from(labels);
}

/**
 * Imprinted head weights: `w_c = normalize( mean_{i: y_i = c} normalize(f_i) )`, bias 0 (Qi et al. 2018).
 * With `normalizeFeatures: false` the raw features are averaged before the final normalisation.
 * Throws InvalidArgumentError if a class has no example or a label is out of range.
 * @param features [N, D] features.
 * @param labels N integer labels.
 * @param numClasses number of classes C; default max(label) + 1.
 * @param opts `normalizeFeatures` (default true).
 */
export function imprintWeights(
  features: tf.Tensor2D,
  labels: tf.Tensor1D | ArrayLike<number>,
  numClasses?: number,
  opts: { normalizeFeatures?: boolean } = {},
): ImprintedHead {
  if (features.rank !== 2) {
    throw new ShapeError(`imprintWeights: features must be [N, D], got shape [${features.shape.join(', ')}]`);
  }
  const y = labelArray(labels);
  const n = features.shape[0];
  if (y.length !== n) {
    throw new ShapeError(`imprintWeights: ${y.length} labels for ${n} feature rows`);
  }
  const c = numClasses ?? Math.max(-1, ...y) + 1;
  if (!Number.isInteger(c) || c < 1) throw new InvalidArgumentError(`imprintWeights: numClasses must be ≥ 1, got ${c}`);
  const counts = new Array<number>(c).fill(0);
  for (const v of y) {
    if (!Number.isInteger(v) || v < 0 || v >= c) {
      throw new InvalidArgumentError(`imprintWeights: label ${v} is not an integer in [0, ${c})`);
    }
    counts[v]++;
  }
  const empty = counts.flatMap((k, i) => (k === 0 ? [i] : []));
  if (empty.length > 0) {
    throw new InvalidArgumentError(`imprintWeights: no example for class(es) ${empty.join(', ')}`, { empty });
  }
  const kernel = tf.tidy(() => {
    const normalize = (x: tf.Tensor2D) => tf.div(x, tf.maximum(tf.norm(x, 'euclidean', 1, true), 1e-12)) as tf.Tensor2D;
    const f = opts.normalizeFeatures === false ? features : normalize(features);
    const oh = new Float32Array(n * c);
    for (let i = 0; i < n; i++) oh[i * c + y[i]] = 1;
    const onehot = tf.tensor2d(oh, [n, c]);
    const sums = tf.matMul(onehot, f, true, false); // [C, D]
    const means = tf.div(sums, tf.tensor2d(counts, [c, 1])) as tf.Tensor2D;
    return tf.transpose(normalize(means)) as tf.Tensor2D; // [D, C]
  });
  return { kernel, bias: tf.zeros([c]) as tf.Tensor1D };
}

/**
 * A new model = `model` up to `tap` + a fresh dense head with `numClasses` outputs (logits). The backbone layers are
 * shared with `model` (same layer objects and weights, as in the Keras functional API): train the returned model,
 * not both. The old head is not part of the new model.
 * @param model source model (e.g. a builder's or a loaded one).
 * @param opts `numClasses`; `tap` (default `'penultimate'`); `init` (`'glorot'` default or `{imprint}`);
 *   `seed` (default 0); `name` (default `'logits'`); `pool` (default `'none'`).
 */
export function replaceHead(model: tfl.LayersModel, opts: ReplaceHeadOptions): tfl.LayersModel {
  const { numClasses } = opts;
  if (!Number.isInteger(numClasses) || numClasses < 1) {
    throw new InvalidArgumentError(`replaceHead: numClasses must be a positive integer, got ${numClasses}`);
  }
  const tap = opts.tap ?? 'penultimate';
  const name = opts.name ?? 'logits';
  let feat = tapOutput(model, tap, 'replaceHead');
  if (feat.rank === 4 && opts.pool === 'gap') {
    feat = tfl.layers.globalAveragePooling2d({ name: `${tap}_gap_head` }).apply(feat) as tfl.SymbolicTensor;
  }
  if (feat.rank !== 2) {
    throw new ShapeError(
      `replaceHead: tap '${tap}' has shape [${feat.shape.join(', ')}]; the head needs [N, D] (use pool: 'gap')`,
    );
  }
  const dim = feat.shape[1] as number;
  const seed = createRng(opts.seed ?? 0)
    .fork('replaceHead')
    .fork(name)
    .seedForTf();
  const dense = tfl.layers.dense({
    units: numClasses,
    name,
    kernelInitializer: tfl.initializers.glorotUniform({ seed }),
    biasInitializer: 'zeros',
  });
  const out = dense.apply(feat) as tfl.SymbolicTensor;
  const init = opts.init ?? 'glorot';
  if (init !== 'glorot') {
    if (!init || typeof init !== 'object' || !('imprint' in init)) {
      throw new InvalidArgumentError(`replaceHead: init must be 'glorot' or {imprint: {features, labels}}`);
    }
    const { features, labels, normalizeFeatures } = init.imprint;
    if (features.rank !== 2 || features.shape[1] !== dim) {
      throw new ShapeError(
        `replaceHead: imprint features have shape [${features.shape.join(', ')}], expected [N, ${dim}] at tap '${tap}'`,
      );
    }
    const { kernel, bias } = imprintWeights(features, labels, numClasses, { normalizeFeatures });
    dense.setWeights([kernel, bias]);
    kernel.dispose();
    bias.dispose();
  }
  return tfl.model({ inputs: model.inputs, outputs: out, name: model.name });
}
