// Pure analysis of the Li et al. (ICLR 2020) reproduction's records (benchmarks/hparams/li.mjs): selection on
// validation, the effective-LR curves and their overlap, the Table-2 pattern, L2 vs L2-SP, the BN sweep and the five
// claims' verdicts. No tensors, no I/O: unit-tested in li.test.mjs.

export const TARGETS = [
  { key: 'mnist-5-9', label: 'MNIST 5–9 (similar)' },
  { key: 'fmnist-0-4', label: 'Fashion-MNIST 0–4 (dissimilar)' },
];
export const targetLabel = (key) => TARGETS.find((t) => t.key === key)?.label ?? key;

export const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;
/** Sample standard deviation (ddof 1; 0 for one value). */
export const std = (xs) => {
  if (xs.length < 2) return 0;
  const m = mean(xs);
  return Math.sqrt(xs.reduce((a, x) => a + (x - m) ** 2, 0) / (xs.length - 1));
};
/** Standard error of the difference of two means (Welch), from the per-seed values. */
export const diffSe = (a, b) => Math.sqrt(std(a) ** 2 / a.length + std(b) ** 2 / b.length);

/** Effective learning rate η' = η/(1 − m), rounded to 6 significant digits (so 0.01/(1−0.9) keys as 0.1). */
export const elrOf = (lr, m) => Number((lr / (1 - m)).toPrecision(6));

/** The key of a run's configuration (everything but the seed). */
export function configKey(r) {
  return [r.kind, r.target, r.lr, r.momentum, r.wd, r.reg ?? 'wd', r.alpha ?? '', r.bnMomentum].join('|');
}

/**
 * Groups run records by configuration: `[{key, runs, cfg, val: number[], test: number[], valClass, testClass}]`
 * (values per seed, in seed order).
 */
export function groupConfigs(records) {
  const map = new Map();
  for (const r of records) {
    if (!('valError' in r)) continue;
    const k = configKey(r);
    if (!map.has(k)) map.set(k, []);
    map.get(k).push(r);
  }
  return [...map.entries()].map(([key, runs]) => {
    runs.sort((a, b) => a.seed - b.seed);
    return {
      key,
      runs,
      cfg: runs[0],
      val: runs.map((r) => r.valError),
      test: runs.map((r) => r.testError),
      valClass: runs.map((r) => r.valClassError),
      testClass: runs.map((r) => r.testClassError),
      diverged: runs.filter((r) => r.diverged).length,
    };
  });
}

/**
 * The configuration with the lowest mean validation error (`metric` 'val' or 'valClass'); ties go to the earlier
 * group. Returns null for no groups.
 */
export function selectBest(groups, metric = 'val') {
  let best = null;
  for (const g of groups) if (!best || mean(g[metric]) < mean(best[metric]) - 1e-12) best = g;
  return best;
}

/** Whether `x` is the smallest or largest of `values` (a grid-edge choice). */
export function onGridEdge(x, values) {
  const v = [...new Set(values)].sort((a, b) => a - b);
  return v.length > 1 && (x === v[0] || x === v.at(-1));
}

/**
 * The η' curves: per target and momentum, one point per η (λ chosen on validation where several were run):
 * `[{target, momentum, points: [{lr, elr, wd, test: number[], val: number[]}]}]`, points by ascending η'.
 */
export function elrCurves(records) {
  const groups = groupConfigs(records.filter((r) => r.kind === 'grid'));
  const out = [];
  for (const { key: target } of TARGETS) {
    for (const m of [...new Set(groups.map((g) => g.cfg.momentum))].sort((a, b) => a - b)) {
      const gs = groups.filter((g) => g.cfg.target === target && g.cfg.momentum === m);
      if (!gs.length) continue;
      const lrs = [...new Set(gs.map((g) => g.cfg.lr))];
      const points = lrs
        .map((lr) => {
          const g = selectBest(gs.filter((x) => x.cfg.lr === lr));
          return { lr, elr: elrOf(lr, m), wd: g.cfg.wd, test: g.test, val: g.val, diverged: g.diverged };
        })
        .sort((a, b) => a.elr - b.elr);
      out.push({ target, momentum: m, points });
    }
  }
  return out;
}

/**
 * Overlap of the m = 0 and m = 0.9 curves of one target: the mean |Δ test error| between the two momenta at equal η'
 * (the η' both grids contain) against the same at equal η. Claim 1 predicts `atEqualElr` ≪ `atEqualLr`.
 */
export function overlapStats(curves, target) {
  const c0 = curves.find((c) => c.target === target && c.momentum === 0);
  const c9 = curves.find((c) => c.target === target && c.momentum === 0.9);
  if (!c0 || !c9) return null;
  const pairs = (match) =>
    c0.points.flatMap((p) => {
      const q = c9.points.find((x) => match(p, x));
      return q ? [{ a: p, b: q, d: Math.abs(mean(p.test) - mean(q.test)) }] : [];
    });
  const byElr = pairs((p, q) => p.elr === q.elr);
  const byLr = pairs((p, q) => p.lr === q.lr);
  const seedStd = mean([...c0.points, ...c9.points].map((p) => std(p.test)));
  return {
    target,
    atEqualElr: byElr.length ? mean(byElr.map((x) => x.d)) : null,
    atEqualLr: byLr.length ? mean(byLr.map((x) => x.d)) : null,
    nElr: byElr.length,
    nLr: byLr.length,
    commonElr: byElr.map((x) => x.a.elr),
    seedStd,
  };
}

/**
 * A finer estimate of a target's optimal η' than the grid's argmin: the mean validation error per η' (pooled over
 * momenta and seeds, which claim 1 licenses), the argmin, and the vertex of the parabola through it and its two
 * neighbours in log10 η'. `vertex` is null when the argmin is on the grid edge (or the parabola opens downwards).
 */
export function elrVertex(curves, target) {
  const byElr = new Map();
  for (const c of curves.filter((x) => x.target === target)) {
    for (const p of c.points) {
      if (!byElr.has(p.elr)) byElr.set(p.elr, []);
      byElr.get(p.elr).push(...p.val);
    }
  }
  const pts = [...byElr.entries()].map(([elr, v]) => ({ elr, val: mean(v) })).sort((a, b) => a.elr - b.elr);
  if (!pts.length) return null;
  let i = 0;
  for (let k = 1; k < pts.length; k++) if (pts[k].val < pts[i].val) i = k;
  const out = { target, argmin: pts[i].elr, edge: i === 0 || i === pts.length - 1, vertex: null, points: pts };
  if (out.edge) return out;
  const [x0, x1, x2] = [pts[i - 1], pts[i], pts[i + 1]].map((p) => Math.log10(p.elr));
  const [y0, y1, y2] = [pts[i - 1].val, pts[i].val, pts[i + 1].val];
  // Lagrange parabola y = a x² + b x + c through the three points
  const d = (x0 - x1) * (x0 - x2) * (x1 - x2);
  const a = (x2 * (y1 - y0) + x1 * (y0 - y2) + x0 * (y2 - y1)) / d;
  const b = (x2 * x2 * (y0 - y1) + x1 * x1 * (y2 - y0) + x0 * x0 * (y1 - y2)) / d;
  if (a > 0) out.vertex = Number((10 ** Math.min(Math.max(-b / (2 * a), x0), x2)).toPrecision(3));
  return out;
}

/** Per target, the grid configuration chosen on validation and its η' (with grid-edge flags). */
export function optimalElr(records) {
  const grid = records.filter((r) => r.kind === 'grid');
  const groups = groupConfigs(grid);
  return TARGETS.flatMap(({ key }) => {
    const gs = groups.filter((g) => g.cfg.target === key);
    if (!gs.length) return [];
    const best = selectBest(gs);
    const elrs = gs.map((g) => elrOf(g.cfg.lr, g.cfg.momentum));
    const elr = elrOf(best.cfg.lr, best.cfg.momentum);
    // per-momentum optimum too (the paper's claim is about η', whatever m)
    const perM = [...new Set(gs.map((g) => g.cfg.momentum))].map((m) => {
      const b = selectBest(gs.filter((g) => g.cfg.momentum === m));
      const lrs = gs.filter((g) => g.cfg.momentum === m).map((g) => g.cfg.lr);
      return { momentum: m, lr: b.cfg.lr, elr: elrOf(b.cfg.lr, m), edge: onGridEdge(b.cfg.lr, lrs), test: b.test };
    });
    const perSeed = [...new Set(grid.map((r) => r.seed))].map((s) => {
      const b = selectBest(groupConfigs(grid.filter((r) => r.target === key && r.seed === s)));
      return { seed: s, elr: elrOf(b.cfg.lr, b.cfg.momentum) };
    });
    return [
      {
        target: key,
        lr: best.cfg.lr,
        momentum: best.cfg.momentum,
        wd: best.cfg.wd,
        elr,
        edge: onGridEdge(elr, elrs),
        val: best.val,
        test: best.test,
        perM,
        perSeed,
      },
    ];
  });
}

/** The Table-2 rows: m ∈ {0.9, 0} × η ∈ {0.01, 0.005} × λ ∈ {1e-4, 0}, test error per target (where run). */
export function table2(records) {
  const groups = groupConfigs(records.filter((r) => r.kind === 'grid'));
  const rows = [];
  for (const m of [0.9, 0]) {
    for (const lr of [0.01, 0.005]) {
      for (const wd of [1e-4, 0]) {
        const row = { momentum: m, lr, wd, cells: {} };
        for (const { key } of TARGETS) {
          const g = groups.find(
            (x) => x.cfg.target === key && x.cfg.momentum === m && x.cfg.lr === lr && x.cfg.wd === wd,
          );
          if (g) row.cells[key] = g.test;
        }
        if (Object.keys(row.cells).length) rows.push(row);
      }
    }
  }
  return rows;
}

/** Per target, m = 0 minus m = 0.9 test error over the Table-2 cells (negative: m = 0 better). */
export function table2Pattern(records) {
  const rows = table2(records);
  return TARGETS.flatMap(({ key }) => {
    const diffs = [];
    const a = [];
    const b = [];
    for (const r0 of rows.filter((r) => r.momentum === 0 && r.cells[key])) {
      const r9 = rows.find((r) => r.momentum === 0.9 && r.lr === r0.lr && r.wd === r0.wd && r.cells[key]);
      if (!r9) continue;
      diffs.push(mean(r0.cells[key]) - mean(r9.cells[key]));
      a.push(...r0.cells[key]);
      b.push(...r9.cells[key]);
    }
    if (!diffs.length) return [];
    return [
      {
        target: key,
        meanDiff: mean(diffs),
        cells: diffs.length,
        m0Wins: diffs.filter((d) => d < 0).length,
        se: diffSe(a, b),
      },
    ];
  });
}

/** L2 vs L2-SP at equal budgets: per target and arm, the α chosen on validation and its test errors. */
export function l2spSummary(records) {
  const groups = groupConfigs(records.filter((r) => r.kind === 'l2sp'));
  return TARGETS.flatMap(({ key }) => {
    const arms = ['l2', 'l2sp'].map((reg) => {
      const gs = groups.filter((g) => g.cfg.target === key && g.cfg.reg === reg);
      if (!gs.length) return null;
      const best = selectBest(gs, 'valClass');
      return {
        reg,
        alpha: best.cfg.alpha,
        beta: best.cfg.beta,
        lr: best.cfg.lr,
        edge: onGridEdge(
          best.cfg.alpha,
          gs.map((g) => g.cfg.alpha),
        ),
        test: best.test,
        testClass: best.testClass,
        budget: gs.length,
        all: gs.map((g) => ({ alpha: g.cfg.alpha, val: g.valClass, testClass: g.testClass })),
      };
    });
    if (!arms[0] || !arms[1]) return [];
    const [l2, sp] = arms;
    return [
      { target: key, l2, sp, diff: mean(sp.testClass) - mean(l2.testClass), se: diffSe(sp.testClass, l2.testClass) },
    ];
  });
}

/** BN momentum sweep per target: `[{target, rows: [{bnMomentum, pt, test, testClass}]}]` by ascending tfjs momentum. */
export function bnSummary(records) {
  const groups = groupConfigs(records.filter((r) => r.kind === 'bn'));
  return TARGETS.flatMap(({ key }) => {
    const gs = groups.filter((g) => g.cfg.target === key).sort((a, b) => a.cfg.bnMomentum - b.cfg.bnMomentum);
    if (!gs.length) return [];
    const rows = gs.map((g) => ({
      bnMomentum: g.cfg.bnMomentum,
      pt: g.cfg.bnMomentumPt,
      test: g.test,
      val: g.val,
      cfg: { lr: g.cfg.lr, momentum: g.cfg.momentum, wd: g.cfg.wd },
    }));
    const high = rows.filter((r) => r.bnMomentum >= 0.9);
    const spread =
      high.length > 1 ? Math.max(...high.map((r) => mean(r.test))) - Math.min(...high.map((r) => mean(r.test))) : null;
    const noise = high.length ? Math.max(...high.map((r) => std(r.test))) : null;
    return [{ target: key, rows, spreadHigh: spread, noiseHigh: noise }];
  });
}

const pp = (x) => `${(100 * x).toFixed(1)} pp`;

/**
 * The five claims of Li et al. (papers-4-6.md §5.6) with a verdict ('reproduced' | 'partly' | 'not' | 'inconclusive')
 * and the evidence in numbers.
 */
export function liClaims(records) {
  const sim = records.find((r) => r.kind === 'similarity');
  const curves = elrCurves(records);
  const claims = [];

  // (1) η' matters, not m alone
  const ov = TARGETS.map(({ key }) => overlapStats(curves, key)).filter(
    (o) => o && o.atEqualElr !== null && o.atEqualLr !== null,
  );
  if (!ov.length) {
    claims.push({
      claim: "1. η' = η/(1−m) is what matters, not m",
      verdict: 'inconclusive',
      evidence: 'no grid with both momenta',
    });
  } else {
    const holds = ov.filter((o) => o.atEqualElr < 0.5 * o.atEqualLr);
    const verdict = holds.length === ov.length ? 'reproduced' : holds.length ? 'partly' : 'not';
    claims.push({
      claim: "1. η' = η/(1−m) is what matters, not m",
      verdict,
      evidence: ov
        .map(
          (o) =>
            `${targetLabel(o.target)}: m = 0 vs 0.9 differ by ${pp(o.atEqualElr)} on average at equal η' (${o.nElr} points) against ${pp(o.atEqualLr)} at equal η (${o.nLr} points); seed std ${pp(o.seedStd)}`,
        )
        .join('; '),
    });
  }

  // (2) optimal η' smaller for the more similar target
  const opt = optimalElr(records);
  if (!sim || opt.length < 2) {
    claims.push({
      claim: "2. The optimal η' is smaller for a more similar target (fine-tuning half; the scratch half was not run)",
      verdict: 'inconclusive',
      evidence: 'missing similarity or grid',
    });
  } else {
    const s = Object.fromEntries(sim.targets.map((t) => [t.target, t]));
    const [a, b] = opt; // TARGETS order: similar first
    const simOrder = s[a.target].emd < s[b.target].emd;
    const smaller = a.elr < b.elr;
    const equal = a.elr === b.elr;
    const seedAgree = a.perSeed.every((x) => {
      const y = b.perSeed.find((z) => z.seed === x.seed);
      return y && x.elr < y.elr;
    });
    const edge = opt.some((o) => o.edge);
    const va = elrVertex(curves, a.target);
    const vb = elrVertex(curves, b.target);
    const vertexSmaller = va?.vertex != null && vb?.vertex != null && va.vertex < vb.vertex;
    let verdict;
    if (!simOrder) verdict = 'inconclusive';
    else if (smaller && seedAgree && !edge) verdict = 'reproduced';
    else if (smaller) verdict = 'partly';
    else if (equal) verdict = vertexSmaller ? 'partly' : 'inconclusive';
    else verdict = 'not';
    const vtxText =
      va?.vertex != null && vb?.vertex != null
        ? `; parabola vertex of the pooled validation curve ${va.vertex} vs ${vb.vertex}`
        : '';
    claims.push({
      claim: "2. The optimal η' is smaller for a more similar target (fine-tuning half; the scratch half was not run)",
      verdict,
      evidence: `EMD ${s[a.target].emd.toFixed(2)} (${targetLabel(a.target)}) vs ${s[b.target].emd.toFixed(2)} (${targetLabel(b.target)})${simOrder ? '' : ' (similarity ranking not as expected)'}; η' chosen on validation ${a.elr} vs ${b.elr}${edge ? ' (a choice on the grid edge)' : ''}; per seed ${a.perSeed.map((x) => x.elr).join('/')} vs ${b.perSeed.map((x) => x.elr).join('/')}${vtxText}`,
    });
  }

  // (3) at η = 0.01 / 0.005 m = 0 helps the similar target, m = 0.9 the dissimilar one
  const t2 = table2Pattern(records);
  if (t2.length < 2) {
    claims.push({
      claim: '3. At the default η, m = 0 wins on similar targets, m = 0.9 on dissimilar ones',
      verdict: 'inconclusive',
      evidence: 'Table-2 cells missing',
    });
  } else {
    const [sA, dB] = t2;
    const simOk = sA.meanDiff < 0;
    const disOk = dB.meanDiff > 0;
    const clear = (x) => Math.abs(x.meanDiff) > 2 * x.se;
    // m = 0 winning on the similar target is the claim's core; m = 0.9 winning on the dissimilar one alone is the
    // default expectation and does not make it
    let verdict;
    if (simOk && disOk) verdict = clear(sA) && clear(dB) ? 'reproduced' : 'partly';
    else if (simOk) verdict = 'partly';
    else verdict = 'not';
    const relative =
      !simOk && disOk
        ? sA.meanDiff < dB.meanDiff
          ? `; m = 0's penalty is smaller on the similar target (${pp(sA.meanDiff)} vs ${pp(dB.meanDiff)}), the paper's direction without the sign change`
          : `; m = 0's penalty is not smaller on the similar target`
        : '';
    // the claim's premise: the default η' (0.01/(1−0.9) = 0.1) over-steps the similar target
    const o3 = optimalElr(records);
    const premise =
      !simOk && o3.length && o3.every((o) => o.elr > 0.1)
        ? `; the premise does not arise here: the optimal η' (${o3.map((o) => o.elr).join(' and ')}) exceeds the default's 0.1 on both targets, so the default under-steps both and m = 0 (η' 0.01) under-steps more`
        : '';
    claims.push({
      claim: '3. At the default η, m = 0 wins on similar targets, m = 0.9 on dissimilar ones',
      verdict,
      evidence:
        t2
          .map(
            (x) =>
              `${targetLabel(x.target)}: m = 0 minus m = 0.9 = ${x.meanDiff >= 0 ? '+' : ''}${pp(x.meanDiff)} (m = 0 better in ${x.m0Wins}/${x.cells} cells; SE ${pp(x.se)})`,
          )
          .join('; ') +
        relative +
        premise,
    });
  }

  // (4) L2-SP ≈ L2 on dissimilar targets once both are tuned
  const l2 = l2spSummary(records);
  const dis = l2.find((x) => x.target === 'fmnist-0-4');
  if (!dis) {
    claims.push({
      claim: '4. Tuned L2-SP ≈ tuned L2 on dissimilar targets',
      verdict: 'inconclusive',
      evidence: 'no L2/L2-SP runs',
    });
  } else {
    const tie = Math.abs(dis.diff) <= Math.max(2 * dis.se, 0.005);
    claims.push({
      claim: '4. Tuned L2-SP ≈ tuned L2 on dissimilar targets',
      verdict: tie ? 'reproduced' : dis.diff > 0 ? 'partly' : 'not',
      evidence: l2
        .map(
          (x) =>
            `${targetLabel(x.target)}: average class error L2-SP − L2 = ${x.diff >= 0 ? '+' : ''}${pp(x.diff)} (SE ${pp(x.se)}; α chosen ${x.sp.alpha} / ${x.l2.alpha}${x.sp.edge || x.l2.edge ? ', a grid-edge choice' : ''})`,
        )
        .join('; '),
    });
  }

  // (5) BN momentum ≥ 0.9 barely matters
  const bn = bnSummary(records);
  if (!bn.length || bn.some((b) => b.spreadHigh === null)) {
    claims.push({
      claim: '5. BN momentum ≥ 0.9 (PyTorch ≤ 0.1) barely matters',
      verdict: 'inconclusive',
      evidence: 'BN sweep missing',
    });
  } else {
    const small = bn.filter((b) => b.spreadHigh <= Math.max(2 * b.noiseHigh, 0.01));
    claims.push({
      claim: '5. BN momentum ≥ 0.9 (PyTorch ≤ 0.1) barely matters',
      verdict: small.length === bn.length ? 'reproduced' : small.length ? 'partly' : 'not',
      evidence: bn
        .map(
          (b) =>
            `${targetLabel(b.target)}: test errors over tfjs momenta ≥ 0.9 span ${pp(b.spreadHigh)} (largest seed std ${pp(b.noiseHigh)})${
              b.rows[0].bnMomentum === 0
                ? `; tfjs 0 (PyTorch 1.0): test error ${(100 * mean(b.rows[0].test)).toFixed(1)} %`
                : ''
            }`,
        )
        .join('; '),
    });
  }
  return claims;
}
