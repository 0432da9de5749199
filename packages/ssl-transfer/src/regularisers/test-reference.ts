/**
 * Float64 reference implementations of the regularisers' formulas on plain arrays, for the tests (independent of
 * tfjs): entropy, the gate, AKC, the Gaussian-kernel MMD² and central finite differences.
 */
import { createRng } from '@ft/core';

export type Rows = number[][];

/** Seeded normal rows [n, d] scaled by `scale`. */
export function randomRows(n: number, d: number, seed: string, scale = 1): Rows {
  const rng = createRng(seed);
  return Array.from({ length: n }, () => Array.from({ length: d }, () => rng.normal() * scale));
}

/** Entropy (nats) of softmax(logits). */
export function entropy(logits: number[]): number {
  const m = Math.max(...logits);
  const e = logits.map((z) => Math.exp(z - m));
  const s = e.reduce((a, b) => a + b, 0);
  return -e.reduce((acc, v) => acc + (v / s) * Math.log(v / s), 0);
}

/** 1[H(softmax(logits)) ≤ ratio·ln C]. */
export function gateRef(logits: Rows, ratio: number): number[] {
  return logits.map((row) => (entropy(row) <= ratio * Math.log(row.length) ? 1 : 0));
}

const sqDist = (a: number[], b: number[]) => a.reduce((acc, v, k) => acc + (v - b[k]) ** 2, 0);

/** scale · Σ w_i ‖t_i − s_i‖² / max(Σw, 1). */
export function akcRef(t: Rows, s: Rows, w: number[], scale: number): number {
  const num = t.reduce((acc, row, i) => acc + w[i] * sqDist(row, s[i]), 0);
  return (
    (scale * num) /
    Math.max(
      w.reduce((a, b) => a + b, 0),
      1,
    )
  );
}

/** Biased MMD² with k(x, y) = exp(−‖x − y‖²/bw), bw = D by default, diagonals included. */
export function mmdRef(a: Rows, b: Rows, bandwidth = a[0].length): number {
  const meanK = (x: Rows, y: Rows) => {
    let s = 0;
    for (const u of x) for (const v of y) s += Math.exp(-sqDist(u, v) / bandwidth);
    return s / (x.length * y.length);
  };
  return meanK(a, a) + meanK(b, b) - 2 * meanK(a, b);
}

/** Central finite differences of `f` at `x` (rows), step h. */
export function finiteDiff(f: (x: Rows) => number, x: Rows, h = 1e-5): Rows {
  return x.map((row, i) =>
    row.map((_, k) => {
      const plus = x.map((r) => [...r]);
      const minus = x.map((r) => [...r]);
      plus[i][k] += h;
      minus[i][k] -= h;
      return (f(plus) - f(minus)) / (2 * h);
    }),
  );
}

/** Max |a − b| over two equally shaped row arrays. */
export function maxDiff(a: Rows, b: Rows): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) for (let k = 0; k < a[i].length; k++) m = Math.max(m, Math.abs(a[i][k] - b[i][k]));
  return m;
}
