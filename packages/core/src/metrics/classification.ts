/**
 * Multi-class classification metrics: accuracy, top-k accuracy/error, per-class accuracy, average class error and
 * the confusion matrix. Conventions follow scikit-learn (`accuracy_score`, `top_k_accuracy_score`,
 * `balanced_accuracy_score`, `confusion_matrix`); checked against sklearn fixtures in `fixtures/sklearn.json`.
 */
import { InvalidArgumentError, ShapeError } from '../errors.js';
import {
  checkFinite,
  checkNonEmpty,
  checkSameLength,
  isMatrixInput,
  type NumericInput,
  type ScoreMatrixInput,
  toClassLabels,
  toScoreMatrix,
} from './input.js';

/** Options naming the number of classes; default `max(label) + 1` over the inputs. */
export interface NumClassesOptions {
  /** Number of classes K (labels are 0..K−1). Default: 1 + the largest label seen in either input. */
  numClasses?: number;
}

/**
 * Row-wise argmax of a score matrix. Ties go to the first (lowest) index, as `np.argmax`.
 * @returns predicted class per row.
 */
export function argmaxRows(scores: ScoreMatrixInput): Int32Array {
  const { data, rows, cols } = toScoreMatrix(scores, 'scores');
  if (cols === 0) throw new ShapeError('scores has 0 columns; need at least one class', { parameter: 'scores' });
  checkFinite(data, 'scores');
  const out = new Int32Array(rows);
  for (let i = 0; i < rows; i++) {
    let best = 0;
    let bestV = data[i * cols];
    for (let j = 1; j < cols; j++) {
      const v = data[i * cols + j];
      if (v > bestV) {
        bestV = v;
        best = j;
      }
    }
    out[i] = best;
  }
  return out;
}

/** Reads predictions that are either class labels (1-D) or scores/logits (2-D → argmax). */
function toPredictions(yPredOrLogits: NumericInput | ScoreMatrixInput): Int32Array {
  if (isMatrixInput(yPredOrLogits)) return argmaxRows(yPredOrLogits);
  return toClassLabels(yPredOrLogits as NumericInput, 'yPred');
}

function readPair(yTrue: NumericInput, yPredOrLogits: NumericInput | ScoreMatrixInput): [Int32Array, Int32Array] {
  const t = toClassLabels(yTrue, 'yTrue');
  const p = toPredictions(yPredOrLogits);
  checkSameLength(t, 'yTrue', p, 'yPred');
  checkNonEmpty(t, 'yTrue');
  return [t, p];
}

function resolveNumClasses(t: Int32Array, p: Int32Array, numClasses: number | undefined): number {
  let maxLabel = -1;
  for (let i = 0; i < t.length; i++) maxLabel = Math.max(maxLabel, t[i], p[i]);
  if (numClasses === undefined) return maxLabel + 1;
  if (!Number.isInteger(numClasses) || numClasses < 1) {
    throw new InvalidArgumentError(`numClasses must be a positive integer, got ${numClasses}`, {
      parameter: 'numClasses',
    });
  }
  if (maxLabel >= numClasses) {
    throw new InvalidArgumentError(`label ${maxLabel} is out of range for numClasses = ${numClasses}`, {
      parameter: 'numClasses',
    });
  }
  return numClasses;
}

/**
 * Fraction of samples whose prediction equals the label: (1/n) Σ 1[ŷᵢ = yᵢ] (sklearn `accuracy_score`).
 * @param yTrue class labels 0..K−1.
 * @param yPredOrLogits predicted labels (1-D) or scores/logits `[n, K]` (2-D: argmax, ties → lowest class index).
 */
export function accuracy(yTrue: NumericInput, yPredOrLogits: NumericInput | ScoreMatrixInput): number {
  const [t, p] = readPair(yTrue, yPredOrLogits);
  let hits = 0;
  for (let i = 0; i < t.length; i++) if (t[i] === p[i]) hits++;
  return hits / t.length;
}

/**
 * Top-k accuracy: fraction of samples whose true class is among the k highest scores (sklearn
 * `top_k_accuracy_score`). Ties are ranked as sklearn does: among equal scores the larger class index ranks
 * first (stable ascending argsort, reversed), so the rank of the true class c is
 * #{j : sⱼ > s_c} + #{j > c : sⱼ = s_c}.
 * @param yTrue class labels 0..K−1.
 * @param scores scores or logits `[n, K]`.
 * @param k how many top classes count as a hit (1 ≤ k; k ≥ K gives 1). Default 5.
 */
export function topKAccuracy(yTrue: NumericInput, scores: ScoreMatrixInput, k = 5): number {
  if (!Number.isInteger(k) || k < 1) {
    throw new InvalidArgumentError(`k must be a positive integer, got ${k}`, { parameter: 'k' });
  }
  const t = toClassLabels(yTrue, 'yTrue');
  const { data, rows, cols } = toScoreMatrix(scores, 'scores');
  if (t.length !== rows) {
    throw new ShapeError(`yTrue has length ${t.length} but scores has ${rows} rows`, {
      parameters: ['yTrue', 'scores'],
    });
  }
  checkNonEmpty(t, 'yTrue');
  checkFinite(data, 'scores');
  let hits = 0;
  for (let i = 0; i < rows; i++) {
    const c = t[i];
    if (c >= cols) {
      throw new InvalidArgumentError(`yTrue[${i}] = ${c} but scores has only ${cols} columns`, {
        parameter: 'yTrue',
        index: i,
      });
    }
    const sc = data[i * cols + c];
    let rank = 0;
    for (let j = 0; j < cols; j++) {
      const s = data[i * cols + j];
      if (s > sc || (s === sc && j > c)) rank++;
    }
    if (rank < k) hits++;
  }
  return hits / rows;
}

/** Top-k error = 1 − {@link topKAccuracy}. Default k = 5. */
export function topKError(yTrue: NumericInput, scores: ScoreMatrixInput, k = 5): number {
  return 1 - topKAccuracy(yTrue, scores, k);
}

/**
 * Confusion matrix C with C[i][j] = #samples of true class i predicted as j (rows: truth, columns: prediction; the
 * sklearn `confusion_matrix` layout with `labels = 0..K−1`).
 * @param yPredOrLogits predicted labels or scores `[n, K]` (argmax).
 * @param options.numClasses K; default 1 + largest label seen.
 */
export function confusionMatrix(
  yTrue: NumericInput,
  yPredOrLogits: NumericInput | ScoreMatrixInput,
  options: NumClassesOptions = {},
): number[][] {
  const [t, p] = readPair(yTrue, yPredOrLogits);
  const k = resolveNumClasses(t, p, options.numClasses);
  const m: number[][] = Array.from({ length: k }, () => new Array<number>(k).fill(0));
  for (let i = 0; i < t.length; i++) m[t[i]][p[i]]++;
  return m;
}

/**
 * Per-class accuracy (recall of each class): accᶜ = C[c][c] / Σⱼ C[c][j]. A class with no samples in `yTrue` gets
 * `NaN`.
 * @param options.numClasses K; default 1 + largest label seen.
 * @returns array of length K.
 */
export function perClassAccuracy(
  yTrue: NumericInput,
  yPredOrLogits: NumericInput | ScoreMatrixInput,
  options: NumClassesOptions = {},
): number[] {
  const m = confusionMatrix(yTrue, yPredOrLogits, options);
  return m.map((row, c) => {
    const support = row.reduce((a, b) => a + b, 0);
    return support === 0 ? Number.NaN : row[c] / support;
  });
}

/**
 * Average class error = 1 − mean of per-class accuracies over the classes present in `yTrue`
 * (= 1 − sklearn `balanced_accuracy_score`). The mean-per-class error reported on imbalanced test sets (e.g.
 * Aircraft, Flowers) in transfer-learning papers.
 */
export function averageClassError(
  yTrue: NumericInput,
  yPredOrLogits: NumericInput | ScoreMatrixInput,
  options: NumClassesOptions = {},
): number {
  const acc = perClassAccuracy(yTrue, yPredOrLogits, options).filter((a) => !Number.isNaN(a));
  return 1 - acc.reduce((a, b) => a + b, 0) / acc.length;
}
