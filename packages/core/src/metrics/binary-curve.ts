/**
 * Threshold sweeps for binary scores: the cumulative true/false positive counts at each distinct score (sklearn
 * `_binary_clf_curve`), and the ROC and precision-recall curves built on them (sklearn `roc_curve`,
 * `precision_recall_curve`). The convention throughout: a sample is predicted positive when `score ≥ threshold`,
 * and higher scores mean "more positive" (more anomalous).
 */
import { InvalidArgumentError } from '../errors.js';
import {
  checkFinite,
  checkNonEmpty,
  checkSameLength,
  type LabelInput,
  type NumericInput,
  toBinaryLabels,
  toFloat64,
} from './input.js';

/** Validated binary data split by class, each class's scores sorted ascending. */
export interface BinaryData {
  /** Scores of the positive samples, ascending. */
  pos: Float64Array;
  /** Scores of the negative samples, ascending. */
  neg: Float64Array;
}

/**
 * Reads and validates `(labels, scores)`: same length, non-empty, labels 0/1, scores finite. Returns the scores of
 * each class sorted ascending.
 */
export function readBinary(labels: LabelInput, scores: NumericInput): BinaryData {
  const y = toBinaryLabels(labels, 'labels');
  const s = toFloat64(scores, 'scores');
  checkSameLength(y, 'labels', s, 'scores');
  checkNonEmpty(y, 'labels');
  checkFinite(s, 'scores');
  let nPos = 0;
  for (let i = 0; i < y.length; i++) nPos += y[i];
  const pos = new Float64Array(nPos);
  const neg = new Float64Array(y.length - nPos);
  let a = 0;
  let b = 0;
  for (let i = 0; i < y.length; i++) {
    if (y[i] === 1) pos[a++] = s[i];
    else neg[b++] = s[i];
  }
  pos.sort();
  neg.sort();
  return { pos, neg };
}

/** Throws `InvalidArgumentError` unless both classes are present. */
export function requireBothClasses(d: BinaryData, metric: string): void {
  if (d.pos.length === 0 || d.neg.length === 0) {
    const only = d.pos.length === 0 ? 'negative (0)' : 'positive (1)';
    throw new InvalidArgumentError(
      `${metric} is undefined when labels contain only one class: all ${d.pos.length + d.neg.length} labels are ${only}`,
      { parameter: 'labels', positives: d.pos.length, negatives: d.neg.length },
    );
  }
}

/** Cumulative counts at each distinct threshold, thresholds in decreasing order. */
export interface ClfCurve {
  /** False positives with score ≥ thresholds[k]. */
  fps: Float64Array;
  /** True positives with score ≥ thresholds[k]. */
  tps: Float64Array;
  /** Distinct scores, decreasing. */
  thresholds: Float64Array;
}

/**
 * Cumulative (fps, tps) at every distinct score, decreasing (sklearn `_binary_clf_curve`). O(n log n) via native
 * typed-array sorts of each class and a merge from the top.
 */
export function clfCurve(d: BinaryData): ClfCurve {
  const { pos, neg } = d;
  const cap = pos.length + neg.length;
  const fps = new Float64Array(cap);
  const tps = new Float64Array(cap);
  const thr = new Float64Array(cap);
  let i = pos.length - 1;
  let j = neg.length - 1;
  let tp = 0;
  let fp = 0;
  let m = 0;
  while (i >= 0 || j >= 0) {
    const t = i < 0 ? neg[j] : j < 0 ? pos[i] : Math.max(pos[i], neg[j]);
    while (i >= 0 && pos[i] === t) {
      tp++;
      i--;
    }
    while (j >= 0 && neg[j] === t) {
      fp++;
      j--;
    }
    fps[m] = fp;
    tps[m] = tp;
    thr[m] = t;
    m++;
  }
  return { fps: fps.slice(0, m), tps: tps.slice(0, m), thresholds: thr.slice(0, m) };
}

/** A ROC curve. */
export interface RocCurve {
  /** False positive rate FP/N, increasing from 0 to 1. */
  fpr: number[];
  /** True positive rate TP/P, increasing from 0 to 1. */
  tpr: number[];
  /** Decreasing thresholds; `thresholds[0] = Infinity` (the (0, 0) point; sklearn ≥ 1.3 convention). */
  thresholds: number[];
}

/** Options of {@link rocCurve}. */
export interface RocCurveOptions {
  /** Drop points collinear with their neighbours (sklearn `drop_intermediate`). Default `true`. */
  dropIntermediate?: boolean;
}

/**
 * ROC curve (sklearn `roc_curve`): one point per distinct score plus the (0, 0) start, predicting positive when
 * `score ≥ threshold`. With `dropIntermediate` (default) points where neither fps nor tps has a corner are removed,
 * as sklearn does. The first threshold is `Infinity` (sklearn 1.2 used `max + 1`, sklearn ≥ 1.3 uses `inf`).
 * Throws `InvalidArgumentError` when only one class is present.
 * @param labels 0/1 (or boolean) ground truth, 1 = positive.
 * @param scores finite scores, higher = more positive.
 */
export function rocCurve(labels: LabelInput, scores: NumericInput, options: RocCurveOptions = {}): RocCurve {
  const d = readBinary(labels, scores);
  requireBothClasses(d, 'rocCurve');
  const { fps, tps, thresholds } = clfCurve(d);
  let keep: number[] = Array.from({ length: fps.length }, (_, k) => k);
  if ((options.dropIntermediate ?? true) && fps.length > 2) {
    keep = [0];
    for (let k = 1; k < fps.length - 1; k++) {
      const d2f = fps[k + 1] - 2 * fps[k] + fps[k - 1];
      const d2t = tps[k + 1] - 2 * tps[k] + tps[k - 1];
      if (d2f !== 0 || d2t !== 0) keep.push(k);
    }
    keep.push(fps.length - 1);
  }
  const nPos = tps[tps.length - 1];
  const nNeg = fps[fps.length - 1];
  const fpr = [0];
  const tpr = [0];
  const thr = [Number.POSITIVE_INFINITY];
  for (const k of keep) {
    fpr.push(fps[k] / nNeg);
    tpr.push(tps[k] / nPos);
    thr.push(thresholds[k]);
  }
  return { fpr, tpr, thresholds: thr };
}

/** A precision-recall curve in sklearn's order. */
export interface PrCurve {
  /** Precision TP/(TP+FP) per threshold, then a final 1. */
  precision: number[];
  /** Recall TP/P per threshold (decreasing), then a final 0. */
  recall: number[];
  /** Distinct scores, increasing; one fewer than precision/recall. */
  thresholds: number[];
}

/**
 * Precision-recall curve (sklearn `precision_recall_curve`): thresholds increasing over the distinct scores,
 * precision[k] and recall[k] for `score ≥ thresholds[k]`, then the point (recall 0, precision 1) with no
 * threshold. Needs at least one positive (`InvalidArgumentError` otherwise).
 */
export function prCurve(labels: LabelInput, scores: NumericInput): PrCurve {
  const d = readBinary(labels, scores);
  if (d.pos.length === 0) {
    throw new InvalidArgumentError(`prCurve needs at least one positive label; all ${d.neg.length} labels are 0`, {
      parameter: 'labels',
    });
  }
  const { fps, tps, thresholds } = clfCurve(d);
  const nPos = d.pos.length;
  const m = fps.length;
  const precision: number[] = [];
  const recall: number[] = [];
  const thr: number[] = [];
  for (let k = m - 1; k >= 0; k--) {
    precision.push(tps[k] / (tps[k] + fps[k]));
    recall.push(tps[k] / nPos);
    thr.push(thresholds[k]);
  }
  precision.push(1);
  recall.push(0);
  return { precision, recall, thresholds: thr };
}
