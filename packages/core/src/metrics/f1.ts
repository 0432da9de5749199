/**
 * F1-based metrics and thresholds: F1 of hard predictions, the maximal F1 over all score thresholds (anomalib
 * `F1Max`) and the threshold that attains it (anomalib `F1AdaptiveThreshold`), which is chosen on one split
 * (validation) and applied unchanged to another (test) with {@link applyThreshold}.
 * F1 = 2·TP / (2·TP + FP + FN) = 2PR / (P + R).
 */
import { InvalidArgumentError } from '../errors.js';
import { clfCurve, readBinary, requireBothClasses } from './binary-curve.js';
import {
  checkFinite,
  checkNonEmpty,
  checkSameLength,
  type LabelInput,
  type NumericInput,
  toBinaryLabels,
  toFloat64,
} from './input.js';

/** Counts of a binary confusion matrix (positive = 1). */
export interface BinaryConfusion {
  tp: number;
  fp: number;
  fn: number;
  tn: number;
}

/**
 * The binary confusion counts of hard 0/1 (or boolean) predictions against labels, after checking both are binary,
 * non-empty and of the same length.
 * @param names how the two inputs are called in error messages (default `labels`, `predictions`).
 */
export function binaryConfusion(
  labels: LabelInput,
  predictions: LabelInput,
  names: [string, string] = ['labels', 'predictions'],
): BinaryConfusion {
  const y = toBinaryLabels(labels, names[0]);
  const p = toBinaryLabels(predictions, names[1]);
  checkSameLength(y, names[0], p, names[1]);
  checkNonEmpty(y, names[0]);
  const c: BinaryConfusion = { tp: 0, fp: 0, fn: 0, tn: 0 };
  for (let i = 0; i < y.length; i++) {
    if (p[i] === 1) {
      if (y[i] === 1) c.tp++;
      else c.fp++;
    } else if (y[i] === 1) c.fn++;
    else c.tn++;
  }
  return c;
}

/**
 * F1 score of hard 0/1 predictions: 2·TP / (2·TP + FP + FN) (sklearn `f1_score`, binary). Returns 0 when there are
 * neither positive labels nor positive predictions (sklearn's `zero_division` default).
 */
export function f1Score(labels: LabelInput, predictions: LabelInput): number {
  const { tp, fp, fn } = binaryConfusion(labels, predictions);
  const den = 2 * tp + fp + fn;
  return den === 0 ? 0 : (2 * tp) / den;
}

/** Result of {@link f1Max}. */
export interface F1MaxResult {
  /** Maximal F1 over all thresholds. */
  f1: number;
  /** The threshold attaining it (predict positive when `score ≥ threshold`); the lowest one on ties. */
  threshold: number;
  /** Precision at that threshold. */
  precision: number;
  /** Recall at that threshold. */
  recall: number;
}

/**
 * Maximal F1 over every distinct score used as threshold (anomalib `F1Max`: max of 2PR/(P+R) along sklearn's
 * `precision_recall_curve`). F1 is computed as 2·TP/(TP + FP + P), so equal F1 values compare equal exactly; on
 * ties the lowest threshold wins (first argmax of the curve in increasing-threshold order, as anomalib).
 * Throws `InvalidArgumentError` for one-class labels or non-finite scores.
 */
export function f1Max(labels: LabelInput, scores: NumericInput): F1MaxResult {
  const d = readBinary(labels, scores);
  requireBothClasses(d, 'F1Max');
  const { fps, tps, thresholds } = clfCurve(d);
  const nPos = d.pos.length;
  let best = -1;
  let bestK = 0;
  for (let k = 0; k < tps.length; k++) {
    const f1 = (2 * tps[k]) / (tps[k] + fps[k] + nPos);
    if (f1 >= best) {
      best = f1;
      bestK = k;
    }
  }
  return {
    f1: best,
    threshold: thresholds[bestK],
    precision: tps[bestK] / (tps[bestK] + fps[bestK]),
    recall: tps[bestK] / nPos,
  };
}

/**
 * The threshold maximising F1 on the given (validation) data (anomalib `F1AdaptiveThreshold`); apply it to other
 * data with {@link applyThreshold}. Equals `f1Max(labels, scores).threshold`. Unlike anomalib, which falls back to
 * the maximal score (with a warning) when the data hold no anomalies, this throws `InvalidArgumentError` for
 * one-class labels.
 */
export function f1AdaptiveThreshold(labels: LabelInput, scores: NumericInput): number {
  return f1Max(labels, scores).threshold;
}

/**
 * Hard predictions `score ≥ threshold` → 1, else 0.
 * @param scores finite scores.
 * @param threshold e.g. from {@link f1AdaptiveThreshold} on a validation split.
 */
export function applyThreshold(scores: NumericInput, threshold: number): Uint8Array {
  if (Number.isNaN(threshold)) {
    throw new InvalidArgumentError('threshold is NaN', { parameter: 'threshold' });
  }
  const s = toFloat64(scores, 'scores');
  checkFinite(s, 'scores');
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s[i] >= threshold ? 1 : 0;
  return out;
}
