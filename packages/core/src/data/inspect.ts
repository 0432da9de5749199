/**
 * Dataset summaries for `ft data inspect`.
 */
import { EmptyDatasetError } from '../errors.js';
import type { ImageDataset, ImageShape } from './dataset.js';

/** Summary statistics of an image dataset. */
export interface DatasetSummary {
  size: number;
  shape: ImageShape;
  numClasses: number;
  classNames?: readonly string[];
  /** Samples per class (length numClasses). */
  classCounts: number[];
  /** Per-channel pixel mean over all samples and positions. */
  mean: number[];
  /** Per-channel pixel standard deviation (population, ddof 0). */
  std: number[];
  /** Mean over all values. */
  meanAll: number;
  /** Standard deviation over all values (ddof 0). */
  stdAll: number;
  min: number;
  max: number;
}

/**
 * Size, shape, per-class counts and pixel statistics (per channel and overall, accumulated in Float64 with
 * per-sample Welford/Chan merging so large datasets stay accurate). Streams samples through `copyInto`.
 * @throws EmptyDatasetError for an empty dataset.
 */
export function inspectDataset(ds: ImageDataset): DatasetSummary {
  if (ds.size === 0) throw new EmptyDatasetError('inspectDataset: the dataset is empty');
  const [h, w, c] = ds.shape;
  const per = h * w * c;
  const hw = h * w;
  const buf = new Float32Array(per);
  const counts = new Array<number>(ds.numClasses).fill(0);
  // Per-channel running mean and M2 (Chan et al. parallel merge of per-sample moments).
  const mean = new Float64Array(c);
  const m2 = new Float64Array(c);
  let n = 0;
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  const sMean = new Float64Array(c);
  const sM2 = new Float64Array(c);
  for (let i = 0; i < ds.size; i++) {
    ds.copyInto(i, buf, 0);
    counts[ds.labels[i]]++;
    sMean.fill(0);
    sM2.fill(0);
    for (let k = 0; k < per; k++) {
      const v = buf[k];
      sMean[k % c] += v;
      if (v < min) min = v;
      if (v > max) max = v;
    }
    for (let ch = 0; ch < c; ch++) sMean[ch] /= hw;
    for (let k = 0; k < per; k++) {
      const d = buf[k] - sMean[k % c];
      sM2[k % c] += d * d;
    }
    for (let ch = 0; ch < c; ch++) {
      const nb = hw;
      const tot = n + nb;
      const delta = sMean[ch] - mean[ch];
      mean[ch] += (delta * nb) / tot;
      m2[ch] += sM2[ch] + (delta * delta * n * nb) / tot;
    }
    n += hw;
  }
  const meanAll = mean.reduce((a, b) => a + b, 0) / c;
  let m2All = 0;
  for (let ch = 0; ch < c; ch++) m2All += m2[ch] + n * (mean[ch] - meanAll) ** 2;
  return {
    size: ds.size,
    shape: [h, w, c],
    numClasses: ds.numClasses,
    classNames: ds.classNames,
    classCounts: counts,
    mean: Array.from(mean),
    std: Array.from(m2, (v) => Math.sqrt(v / n)),
    meanAll,
    stdAll: Math.sqrt(m2All / (n * c)),
    min,
    max,
  };
}

/** Human-readable multi-line rendering of a {@link DatasetSummary}. */
export function formatDatasetSummary(s: DatasetSummary): string {
  const f = (v: number) => v.toFixed(4);
  const lines = [
    `samples: ${s.size}`,
    `shape: ${s.shape.join('×')} (H×W×C)`,
    `classes: ${s.numClasses}`,
    ...s.classCounts.map((n, k) => `  ${k}${s.classNames ? ` ${s.classNames[k]}` : ''}: ${n}`),
    `pixel mean: ${s.mean.map(f).join(', ')} (all ${f(s.meanAll)})`,
    `pixel std: ${s.std.map(f).join(', ')} (all ${f(s.stdAll)})`,
    `pixel range: [${f(s.min)}, ${f(s.max)}]`,
  ];
  return lines.join('\n');
}
