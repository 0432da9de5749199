/**
 * Area under the ROC curve, rank-based: the Mann–Whitney U statistic
 * AUROC = (1 / (P·N)) Σ_{i ∈ pos} Σ_{j ∈ neg} (1[sᵢ > sⱼ] + ½·1[sᵢ = sⱼ]),
 * i.e. ties count one half (= average ranks), which equals sklearn `roc_auc_score` (the trapezoidal area under
 * `roc_curve`). Image-level and pixel-level AUROC of the anomaly-detection literature (anomalib `AUROC`).
 */
import { InvalidArgumentError, ShapeError } from '../errors.js';
import { readBinary, requireBothClasses } from './binary-curve.js';
import { type LabelInput, type MapBatchInput, type NumericInput, toMapBatch } from './input.js';

/**
 * Binary AUROC (rank-based, ties averaged; = sklearn `roc_auc_score`). O(n log n), exact integer counting.
 * Throws `InvalidArgumentError` for one-class labels, non-binary labels or non-finite scores, `ShapeError` for
 * a length mismatch.
 * @param labels 0/1 (or boolean) ground truth, 1 = positive (anomalous).
 * @param scores finite scores, higher = more positive.
 */
export function auroc(labels: LabelInput, scores: NumericInput): number {
  const d = readBinary(labels, scores);
  requireBothClasses(d, 'AUROC');
  const { pos, neg } = d;
  // For each positive p (ascending): lo = #neg < p, hi = #neg ≤ p; 2·U contribution = lo + hi.
  let lo = 0;
  let hi = 0;
  let twiceU = 0;
  for (let i = 0; i < pos.length; i++) {
    const p = pos[i];
    while (lo < neg.length && neg[lo] < p) lo++;
    if (hi < lo) hi = lo;
    while (hi < neg.length && neg[hi] <= p) hi++;
    twiceU += lo + hi;
  }
  return twiceU / (2 * pos.length * neg.length);
}

/** Threshold above which a mask pixel counts as anomalous. */
export const MASK_THRESHOLD = 0.5;

/**
 * Reads a mask batch and a map batch of the same shape and returns flat binary labels (mask ≥ 0.5) and scores.
 * Mask values must be finite and in [0, 1].
 */
export function readMasksAndMaps(
  masks: MapBatchInput,
  anomalyMaps: MapBatchInput,
): {
  labels: Uint8Array;
  scores: Float64Array;
  n: number;
  height: number;
  width: number;
} {
  const m = toMapBatch(masks, 'masks');
  const a = toMapBatch(anomalyMaps, 'anomalyMaps');
  if (m.n !== a.n || m.height !== a.height || m.width !== a.width) {
    throw new ShapeError(
      `masks have shape [${m.n}, ${m.height}, ${m.width}] but anomalyMaps have shape [${a.n}, ${a.height}, ${a.width}]`,
      { parameters: ['masks', 'anomalyMaps'] },
    );
  }
  const labels = new Uint8Array(m.data.length);
  for (let i = 0; i < m.data.length; i++) {
    const v = m.data[i];
    if (!(v >= 0 && v <= 1)) {
      throw new InvalidArgumentError(`masks value at flat index ${i} is ${v}; mask values must lie in [0, 1]`, {
        parameter: 'masks',
        index: i,
      });
    }
    labels[i] = v >= MASK_THRESHOLD ? 1 : 0;
  }
  return { labels, scores: a.data, n: m.n, height: m.height, width: m.width };
}

/**
 * Pixel-level AUROC: {@link auroc} over all pixels of all images, masks binarised at 0.5 (anomalib pixel AUROC).
 * @param masks ground-truth masks `[N, H, W]` (or `[H, W]`, `[N, H, W, 1]`), values in [0, 1].
 * @param anomalyMaps anomaly maps of the same shape.
 */
export function pixelAuroc(masks: MapBatchInput, anomalyMaps: MapBatchInput): number {
  const { labels, scores } = readMasksAndMaps(masks, anomalyMaps);
  return auroc(labels, scores);
}
