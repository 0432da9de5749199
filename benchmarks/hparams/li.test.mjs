import { describe, expect, it } from 'vitest';
import { liConfig, liSection } from './li.mjs';
import {
  elrCurves,
  elrOf,
  elrVertex,
  groupConfigs,
  liClaims,
  onGridEdge,
  optimalElr,
  overlapStats,
  selectBest,
  table2Pattern,
} from './li-analysis.mjs';

const LRS = [0.1, 0.05, 0.01, 0.005, 0.001, 0.0001];

/**
 * Synthetic records whose test/validation error depends on η' only: 5 % + 4 %·(log10 η' − log10 opt)² per target,
 * plus a ±0.1 % seed offset. L2 and L2-SP equal; BN momenta ≥ 0.9 equal, 0 worse.
 */
function synthetic({ opt = { 'mnist-5-9': 0.01, 'fmnist-0-4': 0.5 }, emd = { 'mnist-5-9': 2, 'fmnist-0-4': 4 } } = {}) {
  const cfg = { ...liConfig(false), seeds: [0, 1] };
  const recs = [
    {
      part: 'li',
      kind: 'setup',
      seed: null,
      config: cfg,
      sourceTrain: 4102,
      sourceTestError: 0.05,
      sizes: { 'mnist-5-9': { test: 975 } },
      backend: 'cpu',
      totalMs: 60000,
    },
    {
      part: 'li',
      kind: 'similarity',
      seed: null,
      targets: Object.entries(emd).map(([target, e]) => ({ target, emd: e, similarity: Math.exp(-0.01 * e), dim: 64 })),
    },
  ];
  const err = (target, elr, seed) =>
    0.05 + 0.04 * (Math.log10(elr) - Math.log10(opt[target])) ** 2 + (seed ? 0.001 : -0.001);
  const run = (kind, target, lr, momentum, wd, seed, extra = {}) => {
    const e = err(target, elrOf(lr, momentum), seed) + (extra.penalty ?? 0);
    return {
      part: 'li',
      kind,
      target,
      lr,
      momentum,
      wd,
      seed,
      bnMomentum: extra.bnMomentum ?? 0.9,
      bnMomentumPt: Number((1 - (extra.bnMomentum ?? 0.9)).toPrecision(6)),
      reg: extra.reg,
      alpha: extra.alpha,
      beta: extra.beta,
      valError: e,
      testError: e + 0.002,
      valClassError: e,
      testClassError: e + 0.002,
      diverged: false,
    };
  };
  for (const seed of [0, 1]) {
    for (const target of ['mnist-5-9', 'fmnist-0-4']) {
      for (const m of [0, 0.9]) {
        for (const lr of LRS) {
          for (const wd of [0.01, 0.005].includes(lr) ? [0, 1e-4] : [0])
            recs.push(run('grid', target, lr, m, wd, seed));
        }
      }
      for (const reg of ['l2', 'l2sp']) {
        for (const alpha of [0.1, 0.01, 0.001, 0.0001]) {
          recs.push(
            run('l2sp', target, 0.01, 0.9, 0, seed, { reg, alpha, beta: 0.01, penalty: alpha === 0.01 ? 0 : 0.01 }),
          );
        }
      }
      for (const bn of [0, 0.9, 0.95, 0.99]) {
        recs.push(run('bn', target, 0.01, 0.9, 0, seed, { bnMomentum: bn, penalty: bn === 0 ? 0.05 : 0 }));
      }
    }
  }
  return recs;
}

describe('li-analysis helpers', () => {
  it("computes η' and grid edges", () => {
    expect(elrOf(0.01, 0.9)).toBe(0.1);
    expect(elrOf(0.005, 0)).toBe(0.005);
    expect(onGridEdge(0.1, LRS)).toBe(true);
    expect(onGridEdge(0.0001, LRS)).toBe(true);
    expect(onGridEdge(0.01, LRS)).toBe(false);
    expect(onGridEdge(1, [1])).toBe(false);
  });

  it('groups runs by configuration and selects on mean validation error', () => {
    const recs = synthetic().filter((r) => r.kind === 'grid' && r.target === 'mnist-5-9');
    const groups = groupConfigs(recs);
    expect(groups).toHaveLength(2 * 8);
    expect(groups.every((g) => g.val.length === 2)).toBe(true);
    const best = selectBest(groups);
    // η' = 0.01 (the optimum) is reached by m = 0, η 0.01 and by m = 0.9, η 0.001 with equal errors: the first wins
    expect(elrOf(best.cfg.lr, best.cfg.momentum)).toBe(0.01);
  });

  it("finds overlapping curves on η' and the Table-2 pattern", () => {
    const recs = synthetic();
    const curves = elrCurves(recs);
    expect(curves).toHaveLength(4);
    const o = overlapStats(curves, 'fmnist-0-4');
    expect(o.atEqualElr).toBeCloseTo(0, 10);
    expect(o.nElr).toBe(4); // 0.1, 0.05, 0.01, 0.001
    expect(o.atEqualLr).toBeGreaterThan(0.03);
    const t2 = table2Pattern(recs);
    expect(t2.map((x) => x.target)).toEqual(['mnist-5-9', 'fmnist-0-4']);
    expect(t2[0].meanDiff).toBeLessThan(0); // m = 0 better on the similar target (opt 0.01)
    expect(t2[1].meanDiff).toBeGreaterThan(0);
    expect(t2[0].cells).toBe(4);
    const opt = optimalElr(recs);
    expect(opt.map((x) => x.elr)).toEqual([0.01, 0.5]);
    expect(opt.some((x) => x.edge)).toBe(false);
  });

  it("refines the optimal η' with a parabola vertex, none on the grid edge", () => {
    const curves = elrCurves(synthetic({ opt: { 'mnist-5-9': 0.02, 'fmnist-0-4': 5 } }));
    const v = elrVertex(curves, 'mnist-5-9');
    expect(v.argmin).toBe(0.01);
    expect(v.vertex).toBeCloseTo(0.02, 6); // the error is exactly quadratic in log10 η'
    expect(v.edge).toBe(false);
    expect(elrVertex(curves, 'fmnist-0-4')).toMatchObject({ argmin: 1, edge: true, vertex: null });
  });

  it("gives all five claims 'reproduced' on data built to follow the paper", () => {
    const claims = liClaims(synthetic());
    expect(claims).toHaveLength(5);
    expect(claims.map((c) => c.verdict)).toEqual([
      'reproduced',
      'reproduced',
      'reproduced',
      'reproduced',
      'reproduced',
    ]);
  });

  it("says 'not' for claims 2 and 3 when the similar target prefers the larger η'", () => {
    const claims = liClaims(synthetic({ opt: { 'mnist-5-9': 0.5, 'fmnist-0-4': 0.01 } }));
    expect(claims[1].verdict).toBe('not');
    expect(claims[2].verdict).toBe('not');
    expect(claims[0].verdict).toBe('reproduced');
  });

  it("explains a failed claim 3 by the default under-stepping both targets when both optima exceed η' 0.1", () => {
    const claims = liClaims(synthetic({ opt: { 'mnist-5-9': 0.5, 'fmnist-0-4': 1 } }));
    expect(claims[2].verdict).toBe('not');
    expect(claims[2].evidence).toContain("the optimal η' (0.5 and 1) exceeds the default's 0.1 on both targets");
    expect(claims[1].verdict).toBe('partly'); // η' 1 is the top of the synthetic grid: an edge choice
  });

  it("flags a grid-edge optimum as 'partly' at best", () => {
    const claims = liClaims(synthetic({ opt: { 'mnist-5-9': 0.01, 'fmnist-0-4': 5 } }));
    expect(optimalElr(synthetic({ opt: { 'mnist-5-9': 0.01, 'fmnist-0-4': 5 } }))[1]).toMatchObject({
      elr: 1,
      edge: true,
    });
    expect(claims[1].verdict).toBe('partly');
  });
});

describe('liSection', () => {
  it('builds the sections, the verdicts, cuts and setup lines', () => {
    const s = liSection(synthetic());
    for (const h of [
      'domain similarity',
      'effective learning rate',
      'Table-2',
      'L2 vs L2-SP',
      'BN momentum',
      'claims hold',
    ]) {
      expect(s.markdown).toContain(h);
    }
    expect(s.markdown).toContain('hparams/li-elr.svg');
    expect(s.verdict).toHaveLength(5);
    expect(s.claims.every((c) => c.verdict === 'reproduced')).toBe(true);
    expect(s.cuts.length).toBeGreaterThan(0);
    expect(s.setup[0]).toContain('MNIST digits 0–4');
    expect(s.claim).toMatch(/effective learning rate/);
  });

  it('returns an empty section without records', () => {
    expect(liSection([]).markdown).toBe('');
  });
});
