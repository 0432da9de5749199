// Markdown tables of the results page, each built from the records.
import { markdownTable } from '@ft/report';
import { budgetTag } from './config.mjs';
import { methodFlops } from './flops.mjs';
import { fmtDb, fmtSci, gridRecord, label, pmRecord, shortestL } from './format.mjs';

/** Every metric of the grid methods at the reference point (Lref, snrRef) for one M. */
export function referenceTable(c, grid, methods, M) {
  const rows = methods
    .map((m) => gridRecord(grid, m, M, c.Lref, c.snrRef))
    .filter((r) => !!r)
    .map((r) => ({
      method: label(r.method),
      nmse: pmRecord(r, 'nmseDb'),
      nmseActive: fmtDb(r.nmseActiveDb),
      pMiss: fmtSci(r.pMiss),
      pFa: fmtSci(r.pFa),
      aer: pmRecord(r, 'aer'),
      auroc: Number.isFinite(r.auroc) ? r.auroc.toFixed(4) : '–',
      ms: r.msPerSample.toFixed(2),
      n: r.count,
    }));
  return markdownTable(rows, [
    { key: 'method', header: 'method' },
    { key: 'nmse', header: 'NMSE (dB), mean ± std' },
    { key: 'nmseActive', header: 'NMSE active rows (dB)' },
    { key: 'pMiss', header: 'P_miss' },
    { key: 'pFa', header: 'P_FA' },
    { key: 'aer', header: 'AER, mean ± std' },
    { key: 'auroc', header: 'AUROC' },
    { key: 'ms', header: 'ms / realisation (throughput)' },
    { key: 'n', header: 'test realisations' },
  ]);
}

/** NMSE (dB) or AER of every grid method against the pilot length at snrRef, for one M. */
export function byLTable(c, grid, methods, M, metric) {
  const rows = methods.map((m) => {
    const row = { method: label(m) };
    for (const L of c.Ls) {
      const r = gridRecord(grid, m, M, L, c.snrRef);
      row[`L${L}`] = r
        ? r.seedNmseDb?.length > 1
          ? pmRecord(r, metric).replace(' (s)', '')
          : metric === 'nmseDb'
            ? fmtDb(r.nmseDb)
            : fmtSci(r.aer)
        : '–';
    }
    return row;
  });
  return markdownTable(rows, ['method', ...c.Ls.map((L) => ({ key: `L${L}`, header: `L = ${L}` }))]);
}

/** Shortest L reaching AER ≤ 1e-2 per (non-oracle) method and M. */
export function shortestTable(c, recs, methods) {
  const rows = methods
    .filter((m) => !m.startsWith('oracle'))
    .map((m) => {
      const row = { method: label(m) };
      for (const M of c.Ms) row[`M${M}`] = String(shortestL(recs, m, M, c.snrRef) ?? `> ${Math.max(...c.Ls)}`);
      return row;
    });
  return markdownTable(rows, ['method', ...c.Ms.map((M) => ({ key: `M${M}`, header: `M = ${M}` }))]);
}

/**
 * Runtime against FISTA and analytic FLOPs at the reference point for one M. With `timing` (the one-by-one
 * measurement: every method solves one realisation at a time on one thread, the same realisations) the times come
 * from it; otherwise from the grid records' throughput.
 */
export function runtimeTable(c, recs, methods, timing, M = Math.max(...c.Ms)) {
  const at = (m) =>
    recs.find(
      (r) =>
        r.method === m &&
        r.M === M &&
        r.L === c.Lref &&
        r.snrDb === c.snrRef &&
        r.eps === 0.05 &&
        r.group !== 'robustness',
    );
  const msOf = (m) => {
    if (timing?.length) return timing.find((t) => t.method === m && t.M === M)?.msOneByOne;
    return at(m)?.msPerSample;
  };
  const fistaMs = msOf('fista');
  const rows = [...methods, 'proposed-nodr', 'proposed-noem']
    .filter((m) => !m.startsWith('oracle') && Number.isFinite(msOf(m)))
    .map((m) => {
      const r = at(m);
      const f = methodFlops(m.startsWith('proposed') ? m : m, { L: c.Lref, N: c.N, M });
      const iters = r?.iterations ?? Number.NaN;
      return {
        method: label(m),
        ms: msOf(m).toFixed(2),
        ratio: Number.isFinite(fistaMs) ? (msOf(m) / fistaMs).toFixed(3) : '–',
        iters: Number.isFinite(iters) ? iters.toFixed(1) : '–',
        flops: Number.isFinite(f) ? (f / 1e6).toFixed(3) : '–',
        total: Number.isFinite(f) && Number.isFinite(iters) ? ((f * iters) / 1e6).toFixed(2) : '–',
      };
    });
  return markdownTable(rows, [
    { key: 'method', header: 'method' },
    { key: 'ms', header: timing?.length ? 'ms / realisation, one by one' : 'ms / realisation (throughput)' },
    { key: 'ratio', header: 'time / FISTA time' },
    { key: 'iters', header: 'iterations / layers' },
    { key: 'flops', header: 'MFLOP per iteration / layer (analytic)' },
    { key: 'total', header: 'MFLOP total' },
  ]);
}

/**
 * The training-budget search: validation NMSE per rung (undefined without one). The seconds are the rung's model
 * training time from `training` (keyed `L<L>-mixed-seed<seed>-<rung>-proposed`) when recorded; a resumed run that
 * loaded the model from its cache would otherwise time the load only.
 */
export function budgetTable(budget, training = {}, seed = 0) {
  if (!budget?.curve?.length) return undefined;
  const rows = budget.curve.map((p) => ({
    rung: `${p.stepsPerStage} / ${p.samples}`,
    val: p.valNmseDb.toFixed(2),
    s: (training[`L${budget.L}-mixed-seed${seed}-${p.tag}-proposed`]?.seconds ?? p.seconds).toFixed(0),
    chosen: budget.chosen && p.tag === budgetTag(budget.chosen) ? 'chosen' : '',
  }));
  return markdownTable(rows, [
    { key: 'rung', header: 'steps per stage / samples per pool' },
    { key: 'val', header: `validation NMSE (dB), L = ${budget.L}` },
    { key: 's', header: 'training s' },
    { key: 'chosen', header: 'choice' },
  ]);
}

/**
 * Key numbers of the earlier cut run (one seed, cpu backend, 200 test realisations for the slow methods,
 * L ∈ {12, …, 32}) next to this run's: shortest L reaching AER ≤ 1e-2 and NMSE / AER at L = 12, 10 dB.
 */
export function cutTable(c, recs, cut, methods) {
  if (!cut?.records?.length) return undefined;
  const cutRecs = cut.records;
  const cutGrid = cutRecs.filter((r) => r.group === 'grid');
  const grid = recs.filter((r) => r.group === 'grid');
  const L = 12;
  const rows = [];
  for (const M of c.Ms) {
    for (const m of methods.filter((x) => !x.startsWith('oracle'))) {
      const old = gridRecord(cutGrid, m, M, L, c.snrRef);
      const now = gridRecord(grid, m, M, L, c.snrRef);
      const sOld = shortestL(cutRecs, m, M, c.snrRef);
      const sNow = shortestL(recs, m, M, c.snrRef);
      rows.push({
        M,
        method: label(m),
        sOld:
          sOld === undefined
            ? `> ${Math.max(...cut.config.Ls)}`
            : `${sOld}${sOld === Math.min(...cut.config.Ls) ? ' (grid floor)' : ''}`,
        sNow:
          sNow === undefined ? `> ${Math.max(...c.Ls)}` : `${sNow}${sNow === Math.min(...c.Ls) ? ' (grid floor)' : ''}`,
        nOld: old ? fmtDb(old.nmseDb) : '–',
        nNow: now ? fmtDb(now.nmseDb) : '–',
        aOld: old ? fmtSci(old.aer) : '–',
        aNow: now ? fmtSci(now.aer) : '–',
      });
    }
  }
  return markdownTable(rows, [
    { key: 'M', header: 'M' },
    { key: 'method', header: 'method' },
    { key: 'sOld', header: 'shortest L, cut' },
    { key: 'sNow', header: 'shortest L, now' },
    { key: 'nOld', header: `NMSE L = ${L}, cut` },
    { key: 'nNow', header: `NMSE L = ${L}, now` },
    { key: 'aOld', header: `AER L = ${L}, cut` },
    { key: 'aNow', header: `AER L = ${L}, now` },
  ]);
}

/** Ablations against the full network at (Lref, snrRef); undefined when none was run. */
export function ablationTable(c, recs) {
  const rows = recs
    .filter(
      (r) =>
        (r.group === 'ablation' || (r.group === 'grid' && r.method === 'proposed')) &&
        r.L === c.Lref &&
        r.snrDb === c.snrRef,
    )
    .sort((a, b) => a.M - b.M)
    .map((r) => ({
      M: r.M,
      method: label(r.method),
      nmse: pmRecord(r, 'nmseDb'),
      aer: fmtSci(r.aer),
      ms: r.msPerSample.toFixed(2),
    }));
  if (!rows.length) return undefined;
  return markdownTable(rows, [
    { key: 'M', header: 'M' },
    { key: 'method', header: 'network' },
    { key: 'nmse', header: 'NMSE (dB)' },
    { key: 'aer', header: 'AER' },
    { key: 'ms', header: 'ms / realisation (throughput)' },
  ]);
}

/** Mismatched ε / SNR records; undefined when none was run. */
export function robustnessTable(recs) {
  const rows = recs
    .filter((r) => r.group === 'robustness')
    .map((r) => ({
      eps: r.eps,
      snr: r.snrDb,
      method: label(r.method),
      nmse: pmRecord(r, 'nmseDb'),
      aer: fmtSci(r.aer),
      pMiss: fmtSci(r.pMiss),
      pFa: fmtSci(r.pFa),
    }));
  if (!rows.length) return undefined;
  return markdownTable(rows, [
    { key: 'eps', header: 'test ε' },
    { key: 'snr', header: 'test SNR (dB)' },
    { key: 'method', header: 'method' },
    { key: 'nmse', header: 'NMSE (dB)' },
    { key: 'aer', header: 'AER' },
    { key: 'pMiss', header: 'P_miss' },
    { key: 'pFa', header: 'P_FA' },
  ]);
}

/** Seconds, steps and training NMSE after each layer of every trained model; undefined without training records. */
export function trainingTable(training) {
  const rows = Object.entries(training)
    .filter(([, v]) => typeof v === 'object' && v !== null && 'seconds' in v)
    .map(([k, t]) => {
      const perLayer = (t.stages ?? [])
        .filter((s, i, a) => i === a.length - 1 || a[i + 1].layer !== s.layer)
        .map((s) => (10 * Math.log10(s.loss)).toFixed(1))
        .join(', ');
      return { model: k, seconds: t.seconds.toFixed(0), steps: t.steps, perLayer };
    });
  if (!rows.length) return undefined;
  return markdownTable(rows, [
    { key: 'model', header: 'model' },
    { key: 'seconds', header: 's' },
    { key: 'steps', header: 'steps' },
    { key: 'perLayer', header: 'NMSE after layer 1..T (dB, training batches)' },
  ]);
}
