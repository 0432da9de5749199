/**
 * Earth mover's distance between two histograms by an exact transportation simplex in Float64: a northwest-corner
 * start, MODI (u–v potential) pricing, and pivots around the cycle the entering cell closes in the basis tree.
 */
import { InvalidArgumentError, ShapeError } from '@ft/core';
import { checkFinite } from '@ft/core/internal';

/** The result of {@link emd}. */
export interface EmdResult {
  /** `Σ_ij f_ij·c_ij / Σ_ij f_ij`: the cost of the optimal flow per unit of mass moved. */
  distance: number;
  /** `Σ_ij f_ij·c_ij`: the total cost of the optimal flow (equals `distance` when the weights sum to 1). */
  work: number;
  /** The optimal flow `f`, m×n row-major (`f[i·n + j]` mass moved from `wA[i]` to `wB[j]`), in the weights' units. */
  flow: Float64Array;
  /** Simplex pivots taken after the northwest-corner start. */
  pivots: number;
}

/** Relative tolerance on `|ΣwA − ΣwB|`. */
const MASS_RTOL = 1e-9;

function toF64(x: ArrayLike<number>, name: string): Float64Array {
  if (x === null || typeof x !== 'object' || typeof (x as ArrayLike<number>).length !== 'number') {
    throw new InvalidArgumentError(`emd: ${name} must be an array of numbers`, { parameter: name });
  }
  return x instanceof Float64Array ? x : Float64Array.from(x);
}

/**
 * Exact earth mover's distance (balanced optimal transport) between histograms `wA` (m bins) and `wB` (n bins) with
 * ground cost `cost` (m×n, row-major): minimises `Σ f_ij c_ij` subject to `f ≥ 0`, `Σ_j f_ij = wA_i`,
 * `Σ_i f_ij = wB_j`, and returns `EMD = Σ f_ij c_ij / Σ f_ij` (Rubner et al. 2000; the form Cui et al. 2018 use for
 * domain similarity).
 *
 * The totals must agree (`|ΣwA − ΣwB| ≤ 1e-9·max(ΣwA, ΣwB)`): the domain-similarity recipe uses class fractions that
 * sum to 1 on both sides, so unequal masses are a caller error and are not silently renormalised. Weights may be
 * counts (any equal totals); zero bins are allowed. Solved by the transportation simplex in Float64 with Dantzig
 * pricing and Bland's rule after many degenerate pivots (no cycling), to within `1e-12·max|c|` of optimal.
 * @param wA source weights, m ≥ 1 finite values ≥ 0.
 * @param wB target weights, n ≥ 1 finite values ≥ 0, with the same total as `wA` (> 0).
 * @param cost ground distances, m·n finite values, `cost[i·n + j]` from bin i of A to bin j of B.
 * @returns `{distance, work, flow, pivots}`.
 * @throws ShapeError when `cost.length ≠ m·n` or a histogram is empty; InvalidArgumentError for a negative or
 *   non-finite weight, a non-finite cost, a zero total, or unequal totals.
 */
export function emd(wA: ArrayLike<number>, wB: ArrayLike<number>, cost: ArrayLike<number>): EmdResult {
  const a = toF64(wA, 'wA');
  const b = toF64(wB, 'wB');
  const c = toF64(cost, 'cost');
  const m = a.length;
  const n = b.length;
  if (m === 0 || n === 0) throw new ShapeError(`emd: histograms must not be empty, got ${m} and ${n} bins`);
  if (c.length !== m * n) {
    throw new ShapeError(`emd: cost has ${c.length} entries, expected m·n = ${m}·${n} = ${m * n}`, {
      shape: [c.length],
      expected: [m, n],
    });
  }
  checkFinite(a, 'wA', 'emd');
  checkFinite(b, 'wB', 'emd');
  checkFinite(c, 'cost', 'emd');
  let sa = 0;
  let sb = 0;
  for (let i = 0; i < m; i++) {
    if (a[i] < 0) throw new InvalidArgumentError(`emd: wA[${i}] is ${a[i]}; weights must be >= 0`, { index: i });
    sa += a[i];
  }
  for (let j = 0; j < n; j++) {
    if (b[j] < 0) throw new InvalidArgumentError(`emd: wB[${j}] is ${b[j]}; weights must be >= 0`, { index: j });
    sb += b[j];
  }
  if (!(sa > 0) || !(sb > 0)) {
    throw new InvalidArgumentError(`emd: total weights must be > 0, got ${sa} and ${sb}`);
  }
  if (Math.abs(sa - sb) > MASS_RTOL * Math.max(sa, sb)) {
    throw new InvalidArgumentError(
      `emd: total weights differ (${sa} vs ${sb}); normalise both histograms to sum 1 (balanced transport)`,
      { totals: [sa, sb] },
    );
  }
  // Rescale B to A's total so a rounding-level difference of the totals does not leave mass unassigned.
  const bb = sa === sb ? b : Float64Array.from(b, (x) => x * (sa / sb));
  const { flow, pivots } = transportationSimplex(a, bb, c, m, n);
  let work = 0;
  let moved = 0;
  for (let k = 0; k < m * n; k++) {
    work += flow[k] * c[k];
    moved += flow[k];
  }
  return { distance: work / moved, work, flow, pivots };
}

/**
 * The transportation simplex on a balanced problem. The basis is a spanning tree of the bipartite graph rows ∪
 * columns with m + n − 1 cells (degenerate cells carry 0).
 */
function transportationSimplex(
  supply: Float64Array,
  demand: Float64Array,
  c: Float64Array,
  m: number,
  n: number,
): { flow: Float64Array; pivots: number } {
  const flow = new Float64Array(m * n);
  const basic = new Uint8Array(m * n);
  // Northwest corner: exactly m + n − 1 basic cells forming a tree (staircase).
  {
    const s = Float64Array.from(supply);
    const d = Float64Array.from(demand);
    let i = 0;
    let j = 0;
    while (i < m && j < n) {
      const x = Math.min(s[i], d[j]);
      flow[i * n + j] = x;
      basic[i * n + j] = 1;
      s[i] -= x;
      d[j] -= x;
      if (i === m - 1) j++;
      else if (j === n - 1) i++;
      else if (s[i] <= d[j]) i++;
      else j++;
    }
  }
  let cmax = 0;
  for (let k = 0; k < m * n; k++) cmax = Math.max(cmax, Math.abs(c[k]));
  const tol = 1e-12 * Math.max(cmax, 1e-300);
  const u = new Float64Array(m);
  const v = new Float64Array(n);
  const nodes = m + n; // rows 0..m−1, columns m..m+n−1
  const parent = new Int32Array(nodes);
  const parentCell = new Int32Array(nodes);
  const depth = new Int32Array(nodes);
  const adjStart = new Int32Array(nodes + 1);
  const adj = new Int32Array(2 * (m + n));
  const order = new Int32Array(nodes);
  const maxPivots = 50 * (m * n + m + n) + 1000;
  let degenerateRun = 0;
  let pivots = 0;
  for (;;) {
    // The basis tree: adjacency lists, then BFS from row 0 for parents, depths and the potentials u_i + v_j = c_ij.
    adjStart.fill(0);
    for (let k = 0; k < m * n; k++) {
      if (!basic[k]) continue;
      adjStart[Math.floor(k / n) + 1]++;
      adjStart[m + (k % n) + 1]++;
    }
    for (let x = 0; x < nodes; x++) adjStart[x + 1] += adjStart[x];
    const fill = adjStart.slice(0, nodes);
    for (let k = 0; k < m * n; k++) {
      if (!basic[k]) continue;
      adj[fill[Math.floor(k / n)]++] = k;
      adj[fill[m + (k % n)]++] = k;
    }
    parent.fill(-2);
    parent[0] = -1;
    parentCell[0] = -1;
    depth[0] = 0;
    u[0] = 0;
    order[0] = 0;
    let head = 0;
    let tail = 1;
    while (head < tail) {
      const x = order[head++];
      for (let e = adjStart[x]; e < adjStart[x + 1]; e++) {
        const k = adj[e];
        const r = Math.floor(k / n);
        const col = m + (k % n);
        const y = x === r ? col : r;
        if (parent[y] !== -2) continue;
        parent[y] = x;
        parentCell[y] = k;
        depth[y] = depth[x] + 1;
        if (y >= m) v[y - m] = c[k] - u[r];
        else u[y] = c[k] - v[col - m];
        order[tail++] = y;
      }
    }
    if (tail !== nodes) throw new Error(`emd: internal error, the basis is not a spanning tree (${tail}/${nodes})`);
    // Pricing: Dantzig (most negative reduced cost), or Bland (first negative) after a long degenerate run.
    const bland = degenerateRun > m + n;
    let enter = -1;
    let best = -tol;
    for (let k = 0; k < m * n; k++) {
      if (basic[k]) continue;
      const rc = c[k] - u[Math.floor(k / n)] - v[k % n];
      if (rc < best) {
        enter = k;
        if (bland) break;
        best = rc;
      }
    }
    if (enter < 0) break;
    if (++pivots > maxPivots) throw new Error(`emd: internal error, no convergence after ${maxPivots} pivots`);
    // The cycle: the tree path from the entering cell's row to its column, plus the entering cell.
    let x = Math.floor(enter / n);
    let y = m + (enter % n);
    const fromRow: number[] = [];
    const fromCol: number[] = [];
    while (depth[x] > depth[y]) {
      fromRow.push(parentCell[x]);
      x = parent[x];
    }
    while (depth[y] > depth[x]) {
      fromCol.push(parentCell[y]);
      y = parent[y];
    }
    while (x !== y) {
      fromRow.push(parentCell[x]);
      x = parent[x];
      fromCol.push(parentCell[y]);
      y = parent[y];
    }
    // Cycle order from the entering cell (+): its row's path outwards, then the column side back in reverse.
    const cycle = [enter, ...fromRow, ...fromCol.reverse()];
    // Signs alternate along the cycle: enter +, next −, … ; the leaving cell is the − cell with the least flow
    // (ties: lowest index, Bland's rule).
    let theta = Number.POSITIVE_INFINITY;
    let leave = -1;
    for (let t = 1; t < cycle.length; t += 2) {
      const k = cycle[t];
      if (flow[k] < theta || (flow[k] === theta && k < leave)) {
        theta = flow[k];
        leave = k;
      }
    }
    for (let t = 0; t < cycle.length; t++) {
      const k = cycle[t];
      flow[k] += t % 2 === 0 ? theta : -theta;
    }
    flow[leave] = 0;
    basic[leave] = 0;
    basic[enter] = 1;
    degenerateRun = theta === 0 ? degenerateRun + 1 : 0;
  }
  for (let k = 0; k < m * n; k++) if (flow[k] < 0) flow[k] = 0;
  return { flow, pivots };
}
