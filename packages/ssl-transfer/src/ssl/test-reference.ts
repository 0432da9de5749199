/**
 * Float64 reference implementations of the SSL losses on plain arrays, for the tests (independent of tfjs): softmax,
 * pseudo-labels, the masked cross-entropy of FixMatch / Pseudo-Label and the softmax MSE of Mean Teacher / ICT.
 */
import type { Rows } from '../regularisers/test-reference.js';

/** The hand-computed 4×3 batch of the tests: max softmax probabilities 0.9094, 0.9756, 0.3672, 0.9966. */
export const HAND_BATCH = [
  [3, 0, 0],
  [0, 5, 1],
  [0.2, 0.1, 0],
  [-1, 0, 6],
];

/** softmax of one row (max-shifted). */
export function softmaxRow(z: number[]): number[] {
  const m = Math.max(...z);
  const e = z.map((v) => Math.exp(v - m));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / s);
}

/** ln softmax(z)_k. */
export function logSoftmaxAt(z: number[], k: number): number {
  const m = Math.max(...z);
  return z[k] - m - Math.log(z.reduce((a, v) => a + Math.exp(v - m), 0));
}

/** Hard labels (first argmax) and mask 1[max p ≥ τ] per row. */
export function pseudoRef(logits: Rows, threshold: number): { labels: number[]; mask: number[] } {
  const labels: number[] = [];
  const mask: number[] = [];
  for (const row of logits) {
    const p = softmaxRow(row);
    const best = p.indexOf(Math.max(...p));
    labels.push(best);
    mask.push(p[best] >= threshold ? 1 : 0);
  }
  return { labels, mask };
}

/** (1/N) Σ_j mask_j · CE(strong_j, labels_j), with labels and mask given. */
export function maskedCeRef(strong: Rows, labels: number[], mask: number[]): number {
  return strong.reduce((acc, row, j) => acc - mask[j] * logSoftmaxAt(row, labels[j]), 0) / strong.length;
}

/** mean over all elements of (softmax(logits) − targets)². */
export function softmaxMseRef(logits: Rows, targets: Rows): number {
  let s = 0;
  logits.forEach((row, j) => {
    softmaxRow(row).forEach((p, c) => {
      s += (p - targets[j][c]) ** 2;
    });
  });
  return s / (logits.length * logits[0].length);
}
