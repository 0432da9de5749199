/**
 * emd: the transportation simplex against (1) a brute-force LP in this file (every basic solution of the tiny
 * problem, enumerated as spanning trees of the bipartite graph), (2) scipy's HiGHS LP on larger seeded cases
 * (fixture from test/emd_reference.py), (3) the 1-D closed form ∫|CDF_A − CDF_B|, plus degenerate cases and errors.
 */
import { readFileSync } from 'node:fs';
import { createRng, InvalidArgumentError, ShapeError } from '@ft/core';
import { describe, expect, it } from 'vitest';
import { emd } from './emd.js';

/** Min Σ f c over all basic feasible solutions: (m+n−1)-cell spanning trees, flows by leaf elimination. */
function bruteForceWork(a: number[], b: number[], c: number[]): number {
  const m = a.length;
  const n = b.length;
  const cells = m * n;
  const k = m + n - 1;
  let best = Number.POSITIVE_INFINITY;
  const choose = (start: number, picked: number[]): void => {
    if (picked.length === k) {
      const f = treeFlow(picked);
      if (f)
        best = Math.min(
          best,
          f.reduce((s, x, t) => s + x * c[picked[t]], 0),
        );
      return;
    }
    for (let q = start; q <= cells - (k - picked.length); q++) choose(q + 1, [...picked, q]);
  };
  const treeFlow = (picked: number[]): number[] | null => {
    const rs = a.slice();
    const cs = b.slice();
    const f = new Array<number>(picked.length).fill(Number.NaN);
    const left = new Set(picked.map((_, t) => t));
    while (left.size > 0) {
      let progressed = false;
      for (const t of left) {
        const i = Math.floor(picked[t] / n);
        const j = picked[t] % n;
        const rowDeg = [...left].filter((s) => Math.floor(picked[s] / n) === i).length;
        const colDeg = [...left].filter((s) => picked[s] % n === j).length;
        if (rowDeg === 1 || colDeg === 1) {
          const x = rowDeg === 1 ? rs[i] : cs[j];
          f[t] = x;
          rs[i] -= x;
          cs[j] -= x;
          left.delete(t);
          progressed = true;
          break;
        }
      }
      if (!progressed) return null; // a cycle: not a tree
    }
    if (rs.some((x) => Math.abs(x) > 1e-9) || cs.some((x) => Math.abs(x) > 1e-9)) return null;
    return f.some((x) => x < -1e-12) ? null : f;
  };
  choose(0, []);
  return best;
}

function checkFeasible(flow: Float64Array, a: ArrayLike<number>, b: ArrayLike<number>): void {
  const m = a.length;
  const n = b.length;
  for (let i = 0; i < m; i++) {
    let s = 0;
    for (let j = 0; j < n; j++) {
      expect(flow[i * n + j]).toBeGreaterThanOrEqual(0);
      s += flow[i * n + j];
    }
    expect(s).toBeCloseTo(a[i], 10);
  }
  for (let j = 0; j < n; j++) {
    let s = 0;
    for (let i = 0; i < m; i++) s += flow[i * n + j];
    expect(s).toBeCloseTo(b[j], 10);
  }
}

describe('emd', () => {
  it('matches a brute-force LP on 200 seeded tiny problems (up to 3×4, with ties and zero bins)', () => {
    const rng = createRng('emd-brute');
    for (let t = 0; t < 200; t++) {
      const m = 1 + rng.int(3);
      const n = 1 + rng.int(4);
      // Integer weights create degenerate (tied) vertices; some bins are zero.
      const a = Array.from({ length: m }, () => rng.int(4));
      const b = Array.from({ length: n }, () => rng.int(4));
      a[0] += 1;
      b[n - 1] += 1;
      const d = a.reduce((s, x) => s + x, 0) - b.reduce((s, x) => s + x, 0);
      if (d > 0) b[0] += d;
      else a[m - 1] -= d;
      const c = Array.from({ length: m * n }, () => (t % 4 === 0 ? rng.int(3) : rng.uniform() * 5));
      const res = emd(a, b, c);
      const total = a.reduce((s, x) => s + x, 0);
      const ref = bruteForceWork(a, b, c);
      expect(res.work).toBeCloseTo(ref, 9);
      expect(res.distance).toBeCloseTo(ref / total, 9);
      checkFeasible(res.flow, a, b);
    }
  });

  it('matches scipy HiGHS on the seeded fixture (up to 12×15)', () => {
    const fx = JSON.parse(readFileSync(new URL('../../test/fixtures/emd-scipy.json', import.meta.url), 'utf8')) as {
      cases: { m: number; n: number; wA: number[]; wB: number[]; cost: number[]; work: number; distance: number }[];
    };
    expect(fx.cases.length).toBe(12);
    for (const cs of fx.cases) {
      const res = emd(new Float64Array(cs.wA), new Float64Array(cs.wB), new Float64Array(cs.cost));
      expect(Math.abs(res.work - cs.work)).toBeLessThan(1e-9 * Math.max(1, cs.work));
      expect(res.distance).toBeCloseTo(cs.distance, 9);
      checkFeasible(res.flow, cs.wA, cs.wB);
    }
  });

  it('equals ∫|CDF_A − CDF_B| for histograms on a line', () => {
    const rng = createRng('emd-1d');
    for (let t = 0; t < 30; t++) {
      const m = 1 + rng.int(8);
      const n = 1 + rng.int(8);
      const xa = Array.from({ length: m }, () => rng.uniform() * 10 - 5);
      const xb = Array.from({ length: n }, () => rng.uniform() * 10 - 3);
      const a = Array.from({ length: m }, () => rng.uniform() + 0.01);
      const b = Array.from({ length: n }, () => rng.uniform() + 0.01);
      const sa = a.reduce((s, x) => s + x, 0);
      const sb = b.reduce((s, x) => s + x, 0);
      for (let i = 0; i < m; i++) a[i] /= sa;
      for (let j = 0; j < n; j++) b[j] /= sb;
      const cost = new Float64Array(m * n);
      for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) cost[i * n + j] = Math.abs(xa[i] - xb[j]);
      // Closed form: sweep the sorted support points and integrate |F_A − F_B| between them.
      const pts = [...xa, ...xb].sort((p, q) => p - q);
      let area = 0;
      for (let k = 0; k + 1 < pts.length; k++) {
        let fa = 0;
        let fb = 0;
        for (let i = 0; i < m; i++) if (xa[i] <= pts[k]) fa += a[i];
        for (let j = 0; j < n; j++) if (xb[j] <= pts[k]) fb += b[j];
        area += Math.abs(fa - fb) * (pts[k + 1] - pts[k]);
      }
      expect(emd(a, b, cost).distance).toBeCloseTo(area, 10);
    }
  });

  it('handles degenerate cases', () => {
    // Identical histograms, zero diagonal: distance 0 and the identity flow.
    const w = [0.25, 0.25, 0.5];
    const c = [0, 1, 2, 1, 0, 1, 2, 1, 0];
    const r = emd(w, w, c);
    expect(r.distance).toBe(0);
    expect(Array.from(r.flow)).toEqual([0.25, 0, 0, 0, 0.25, 0, 0, 0, 0.5]);
    // One bin on each side: everything moves along the single cost.
    expect(emd([1], [1], [3.5]).distance).toBe(3.5);
    // One source bin: distance is the weighted mean cost.
    expect(emd([1], [0.2, 0.8], [1, 4]).distance).toBeCloseTo(0.2 + 3.2, 14);
    // Zero bins and equal counts (not fractions): distance is per unit of mass.
    const z = emd([0, 2, 0], [1, 0, 1], [5, 5, 5, 1, 9, 3, 5, 5, 5]);
    expect(z.work).toBe(4);
    expect(z.distance).toBe(2);
    // Fully tied costs: any feasible flow is optimal.
    const tie = emd([0.5, 0.5], [0.5, 0.5], [1, 1, 1, 1]);
    expect(tie.distance).toBeCloseTo(1, 14);
    checkFeasible(tie.flow, [0.5, 0.5], [0.5, 0.5]);
    // Negative (finite) costs are a valid LP.
    expect(emd([1, 1], [1, 1], [-1, 0, 0, -1]).distance).toBeCloseTo(-1, 14);
    // Totals that differ by rounding only are accepted.
    expect(emd([0.1, 0.2], [0.3], [1, 2]).work).toBeCloseTo(0.5, 14);
  });

  it('solves highly degenerate assignment problems (uniform weights, integer costs) like permutation enumeration', () => {
    const rng = createRng('emd-assign');
    const perms = (k: number): number[][] =>
      k === 0
        ? [[]]
        : perms(k - 1).flatMap((p) => Array.from({ length: k }, (_, i) => [...p.slice(0, i), k - 1, ...p.slice(i)]));
    for (let t = 0; t < 20; t++) {
      const n = 3 + (t % 5); // up to 7×7 (5,040 permutations)
      const c = Array.from({ length: n * n }, () => rng.int(4));
      const w = new Array<number>(n).fill(1);
      let best = Number.POSITIVE_INFINITY;
      for (const p of perms(n))
        best = Math.min(
          best,
          p.reduce((s, j, i) => s + c[i * n + j], 0),
        );
      const r = emd(w, w, c);
      expect(r.work).toBeCloseTo(best, 10);
      checkFeasible(r.flow, w, w);
    }
  });

  it('is symmetric under swapping A and B with the transposed cost', () => {
    const rng = createRng('emd-sym');
    const m = 5;
    const n = 7;
    const a = Array.from({ length: m }, () => rng.uniform());
    const b = Array.from({ length: n }, () => rng.uniform());
    const sa = a.reduce((s, x) => s + x, 0);
    const sb = b.reduce((s, x) => s + x, 0);
    const an = a.map((x) => x / sa);
    const bn = b.map((x) => x / sb);
    const c = Array.from({ length: m * n }, () => rng.uniform());
    const ct = new Array<number>(m * n);
    for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) ct[j * m + i] = c[i * n + j];
    expect(emd(an, bn, c).distance).toBeCloseTo(emd(bn, an, ct).distance, 12);
  });

  it('throws typed errors for bad input', () => {
    expect(() => emd([1], [1], [1, 2])).toThrow(ShapeError);
    expect(() => emd([1], [1], [1, 2])).toThrow(/cost has 2 entries, expected m·n = 1·1 = 1/);
    expect(() => emd([], [1], [])).toThrow(ShapeError);
    expect(() => emd([-0.5, 1.5], [1], [1, 1])).toThrow(/wA\[0\] is -0.5; weights must be >= 0/);
    expect(() => emd([1], [2, -1], [1, 1])).toThrow(InvalidArgumentError);
    expect(() => emd([1], [1], [Number.NaN])).toThrow(/cost\[0\] is NaN/);
    expect(() => emd([1], [1], [Number.POSITIVE_INFINITY])).toThrow(InvalidArgumentError);
    expect(() => emd([Number.NaN], [1], [1])).toThrow(InvalidArgumentError);
    expect(() => emd([0], [0], [1])).toThrow(/total weights must be > 0/);
    expect(() => emd([1], [0.5], [1])).toThrow(/total weights differ \(1 vs 0.5\)/);
  });
});
