/**
 * Area under the per-region-overlap curve (AUPRO), Bergmann et al., "The MVTec Anomaly Detection Dataset",
 * IJCV 2021 (and MVTec AD, CVPR 2019); anomalib `AUPRO`.
 *
 * Ground-truth masks are split into connected components (regions, 8-connectivity by default, see
 * `connected-components.ts`). For a threshold t:
 *   PRO(t) = (1/R) Σ_r |{p ∈ r : s_p ≥ t}| / |r|      (mean overlap over all R regions of all images),
 *   FPR(t) = |{p ∈ background : s_p ≥ t}| / |background|   (background pixels of all images).
 * The curve (FPR, PRO) over all distinct scores, starting at (0, 0), is integrated with the trapezoid rule up to
 * `fprLimit` (the last segment linearly interpolated at the limit) and divided by `fprLimit`, so a perfect map
 * scores 1.
 *
 * Departure from anomalib: this evaluates the curve exactly at every distinct score. anomalib resamples each
 * region's ROC curve onto a common index grid by linear interpolation before averaging, which can differ from the
 * exact curve in the last digits on large inputs. The reference here is the independent NumPy threshold sweep in
 * `scripts/metrics-fixtures.py` (scipy.ndimage.label components).
 */
import { InvalidArgumentError } from '../errors.js';
import { readMasksAndMaps } from './auroc.js';
import { type ConnectedComponentsOptions, labelConnectedComponents } from './connected-components.js';
import type { MapBatchInput } from './input.js';

/** Options of {@link aupro}. */
export interface AuproOptions extends ConnectedComponentsOptions {
  /** Upper integration limit on the FPR axis, in (0, 1]. Default 0.3 (MVTec AD, anomalib). */
  fprLimit?: number;
}

/** A per-region-overlap curve. */
export interface ProCurve {
  /** Global false positive rate over background pixels, non-decreasing from 0 to 1. */
  fpr: number[];
  /** Mean per-region overlap, non-decreasing from 0 to 1. */
  pro: number[];
  /** Decreasing thresholds; `thresholds[0] = Infinity` for the (0, 0) start. */
  thresholds: number[];
}

/**
 * The full PRO curve (one point per distinct score, plus (0, 0)). Masks are binarised at 0.5. Throws
 * `InvalidArgumentError` when the masks hold no anomalous region or no background pixel, or a score is not finite;
 * `ShapeError` when the shapes differ.
 * @param masks ground-truth masks `[N, H, W]` (or `[H, W]`, `[N, H, W, 1]`), values in [0, 1].
 * @param anomalyMaps anomaly maps of the same shape, higher = more anomalous.
 * @param options.connectivity 8 (default) or 4.
 */
export function proCurve(
  masks: MapBatchInput,
  anomalyMaps: MapBatchInput,
  options: ConnectedComponentsOptions = {},
): ProCurve {
  const { labels, scores, n, height, width } = readMasksAndMaps(masks, anomalyMaps);
  for (let i = 0; i < scores.length; i++) {
    if (!Number.isFinite(scores[i])) {
      throw new InvalidArgumentError(`anomalyMaps value at flat index ${i} is ${scores[i]}; scores must be finite`, {
        parameter: 'anomalyMaps',
        index: i,
      });
    }
  }
  const hw = height * width;
  // Region id per positive pixel, global over images.
  const regionOf = new Int32Array(labels.length).fill(-1);
  const regionSizes: number[] = [];
  for (let img = 0; img < n; img++) {
    const cc = labelConnectedComponents(labels.subarray(img * hw, (img + 1) * hw), height, width, options);
    const base = regionSizes.length;
    for (let p = 0; p < hw; p++) {
      const l = cc.labels[p];
      if (l > 0) regionOf[img * hw + p] = base + l - 1;
    }
    regionSizes.push(...cc.sizes);
  }
  const nRegions = regionSizes.length;
  let nPosPix = 0;
  for (let i = 0; i < labels.length; i++) nPosPix += labels[i];
  const nNeg = labels.length - nPosPix;
  if (nRegions === 0) {
    throw new InvalidArgumentError(`AUPRO needs at least one anomalous region; all ${n} masks are empty (below 0.5)`, {
      parameter: 'masks',
    });
  }
  if (nNeg === 0) {
    throw new InvalidArgumentError('AUPRO needs background pixels to measure the FPR; every mask pixel is anomalous', {
      parameter: 'masks',
    });
  }
  const neg = new Float64Array(nNeg);
  const posIdx = new Uint32Array(nPosPix);
  let a = 0;
  let b = 0;
  for (let i = 0; i < labels.length; i++) {
    if (labels[i] === 1) posIdx[a++] = i;
    else neg[b++] = scores[i];
  }
  neg.sort();
  posIdx.sort((x, y) => scores[x] - scores[y]);
  const weight = regionSizes.map((s) => 1 / (nRegions * s));

  const fpr = [0];
  const pro = [0];
  const thresholds = [Number.POSITIVE_INFINITY];
  let i = nPosPix - 1;
  let j = nNeg - 1;
  let fp = 0;
  let overlap = 0;
  while (i >= 0 || j >= 0) {
    const t = i < 0 ? neg[j] : j < 0 ? scores[posIdx[i]] : Math.max(scores[posIdx[i]], neg[j]);
    while (i >= 0 && scores[posIdx[i]] === t) {
      overlap += weight[regionOf[posIdx[i]]];
      i--;
    }
    while (j >= 0 && neg[j] === t) {
      fp++;
      j--;
    }
    fpr.push(fp / nNeg);
    pro.push(i < 0 ? 1 : overlap);
    thresholds.push(t);
  }
  return { fpr, pro, thresholds };
}

/**
 * Normalised area under a piecewise-linear curve from x = 0 to `limit` (trapezoid rule, the segment crossing
 * the limit linearly interpolated), divided by `limit`. `x` must be non-decreasing and start at 0.
 */
export function truncatedAreaNormalised(x: readonly number[], y: readonly number[], limit: number): number {
  let area = 0;
  for (let k = 1; k < x.length; k++) {
    const x0 = x[k - 1];
    const x1 = x[k];
    if (x1 <= limit) {
      area += ((x1 - x0) * (y[k - 1] + y[k])) / 2;
    } else {
      if (x0 < limit) {
        const yl = y[k - 1] + ((y[k] - y[k - 1]) * (limit - x0)) / (x1 - x0);
        area += ((limit - x0) * (y[k - 1] + yl)) / 2;
      }
      break;
    }
  }
  return area / limit;
}

/**
 * AUPRO: area under the PRO curve up to `fprLimit`, divided by `fprLimit` (in [0, 1]; anomalib `AUPRO`,
 * MVTec AD's PRO metric). See the module comment for the exact definition.
 * @param masks ground-truth masks `[N, H, W]` (or `[H, W]`, `[N, H, W, 1]`), values in [0, 1], binarised at 0.5.
 * @param anomalyMaps anomaly maps of the same shape, higher = more anomalous.
 * @param options.fprLimit integration limit in (0, 1], default 0.3.
 * @param options.connectivity region connectivity, 8 (default, as anomalib/OpenCV) or 4.
 */
export function aupro(masks: MapBatchInput, anomalyMaps: MapBatchInput, options: AuproOptions = {}): number {
  const fprLimit = options.fprLimit ?? 0.3;
  if (!(fprLimit > 0 && fprLimit <= 1)) {
    throw new InvalidArgumentError(`fprLimit must lie in (0, 1], got ${fprLimit}`, { parameter: 'fprLimit' });
  }
  const curve = proCurve(masks, anomalyMaps, options);
  return truncatedAreaNormalised(curve.fpr, curve.pro, fprLimit);
}
