/**
 * Gate statistics of a trained AdaFilter network: the fraction of fine-tuned filters per gated layer (mean of the
 * evaluation gates over a dataset), per class, the variance of the per-class fractions (is the policy class-specific?)
 * and the overall fraction (filters weighted equally). With `training: false`, learned gates are the argmax gates.
 */
import { batches, EmptyDatasetError, type ImageDataset, sequential } from '@ft/core';
import * as tf from '@tensorflow/tfjs-core';
import type { AdaFilterNet } from '../net/adafilter-net.js';

/** Result of {@link gateStats}. */
export interface GateStats {
  /** Gated layer names. */
  layers: string[];
  /** Mean gate (fraction of fine-tuned filters) per layer. */
  perLayerMean: number[];
  /** [layer][class] mean gate; NaN for a class absent from the data. */
  perLayerClassMeans: number[][];
  /** Variance across classes of the per-class means, per layer (population variance over present classes). */
  perLayerClassVariance: number[];
  /** Fraction of fine-tuned filters over every gated filter and example. */
  fineTunedFraction: number;
  /** Examples seen. */
  n: number;
  /** Accuracy of the same (evaluation) forward pass, so that a caller needs no second pass over `ds`. */
  accuracy: number;
  /** Predicted class of every example, in dataset order. */
  predictions: Int32Array;
}

/**
 * Gate statistics of `net` on `ds` (evaluation mode unless `training`).
 * @param net an AdaFilter network.
 * @param ds labelled images.
 * @param opts `batchSize` (default 256); `signal` stops between batches with its reason.
 */
export async function gateStats(
  net: AdaFilterNet,
  ds: ImageDataset,
  opts: { batchSize?: number; signal?: AbortSignal } = {},
): Promise<GateStats> {
  if (ds.size === 0) throw new EmptyDatasetError('gateStats: the dataset is empty');
  const layers = net.gatedLayers;
  const filters = net.gatedFilters;
  const K = ds.numClasses;
  const sums = layers.map(() => new Float64Array(K));
  const counts = new Float64Array(K);
  const predictions = new Int32Array(ds.size);
  let seen = 0;
  let correct = 0;
  for await (const batch of batches(ds, { batchSize: opts.batchSize ?? 256, sampler: sequential() })) {
    try {
      opts.signal?.throwIfAborted();
      const [pred, ...means] = tf.tidy(() => {
        const out = net.forward(batch.x as tf.Tensor4D, { training: false });
        return [tf.argMax(out.logits, -1), ...out.gates.map((g) => tf.mean(g, 1))];
      }) as tf.Tensor[];
      const y = await batch.y.data();
      const p = await (pred as tf.Tensor).data();
      for (let i = 0; i < p.length; i++) {
        predictions[seen + i] = p[i] as number;
        if (p[i] === y[i]) correct++;
      }
      seen += p.length;
      (pred as tf.Tensor).dispose();
      for (const [l, m] of means.entries()) {
        const v = await m.data();
        const s = sums[l] as Float64Array;
        for (let i = 0; i < v.length; i++) s[y[i] as number] = (s[y[i] as number] as number) + (v[i] as number);
      }
      for (let i = 0; i < y.length; i++) counts[y[i] as number] = (counts[y[i] as number] as number) + 1;
      tf.dispose(means);
    } finally {
      tf.dispose([batch.x, batch.y]);
    }
  }
  const n = counts.reduce((a, b) => a + b, 0);
  const perLayerClassMeans = sums.map((s) =>
    Array.from(s, (v, k) => ((counts[k] as number) > 0 ? v / (counts[k] as number) : Number.NaN)),
  );
  const perLayerMean = sums.map((s) => s.reduce((a, b) => a + b, 0) / n);
  const perLayerClassVariance = perLayerClassMeans.map((m) => {
    const present = m.filter((v) => !Number.isNaN(v));
    const mu = present.reduce((a, b) => a + b, 0) / present.length;
    return present.reduce((a, b) => a + (b - mu) ** 2, 0) / present.length;
  });
  const totalFilters = filters.reduce((a, b) => a + b, 0);
  const fineTunedFraction = perLayerMean.reduce((a, m, l) => a + m * (filters[l] as number), 0) / totalFilters;
  return {
    layers,
    perLayerMean,
    perLayerClassMeans,
    perLayerClassVariance,
    fineTunedFraction,
    n,
    accuracy: correct / n,
    predictions,
  };
}
