/**
 * Area under the precision-recall curve as average precision with sklearn's step rule
 * (sklearn `average_precision_score`, anomalib `AUPR`):
 * AP = Σₖ (Rₖ − Rₖ₋₁) · Pₖ over the distinct thresholds in decreasing order, R₀ = 0 — no trapezoidal
 * interpolation, so it is not optimistic.
 */
import { clfCurve, readBinary, requireBothClasses } from './binary-curve.js';
import type { LabelInput, NumericInput } from './input.js';

/**
 * Average precision (= sklearn `average_precision_score`). Throws `InvalidArgumentError` when only one class is
 * present or scores are not finite, `ShapeError` on a length mismatch.
 * @param labels 0/1 (or boolean) ground truth, 1 = positive.
 * @param scores finite scores, higher = more positive.
 */
export function aupr(labels: LabelInput, scores: NumericInput): number {
  const d = readBinary(labels, scores);
  requireBothClasses(d, 'AUPR');
  const { fps, tps } = clfCurve(d);
  const nPos = d.pos.length;
  let ap = 0;
  let prevRecall = 0;
  for (let k = 0; k < tps.length; k++) {
    const recall = tps[k] / nPos;
    ap += (recall - prevRecall) * (tps[k] / (tps[k] + fps[k]));
    prevRecall = recall;
  }
  return ap;
}
