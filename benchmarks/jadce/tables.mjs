// Markdown tables of the results page, each built from the records.
import { markdownTable } from '@ft/report';
import { methodFlops } from './flops.mjs';
import { fmtDb, fmtSci, gridRecord, label, pm, shortestL } from './format.mjs';

/** Every metric of the grid methods at the reference point (Lref, snrRef) for one M. */
export function referenceTable(c, grid, methods, M) {
  const rows = methods
    .map((m) => gridRecord(grid, m, M, c.Lref, c.snrRef))
    .filter((r) => !!r)
    .map((r) => ({
      method: label(r.method),
      nmse: pm(r.blockNmseDb, 2),
      nmseActive: fmtDb(r.nmseActiveDb),
      pMiss: fmtSci(r.pMiss),
      pFa: fmtSci(r.pFa),
      aer: pm(r.blockAer, 0, true),
      auroc: Number.isFinite(r.auroc) ? r.auroc.toFixed(4) : '–',
      ms: r.msPerSample.toFixed(2),
      n: r.count,
    }));
  return markdownTable(rows, [
    { key: 'method', header: 'method' },
    { key: 'nmse', header: 'NMSE (dB), mean ± std over 4 blocks' },
    { key: 'nmseActive', header: 'NMSE active rows (dB)' },
    { key: 'pMiss', header: 'P_miss' },
    { key: 'pFa', header: 'P_FA' },
    { key: 'aer', header: 'AER, mean ± std' },
    { key: 'auroc', header: 'AUROC' },
    { key: 'ms', header: 'ms / realisation' },
    { key: 'n', header: 'test realisations' },
  ]);
}

/** NMSE (dB) or AER of every grid method against the pilot length at snrRef, for one M. */
export function byLTable(c, grid, methods, M, metric) {
  const rows = methods.map((m) => {
    const row = { method: label(m) };
    for (const L of c.Ls) {
      const r = gridRecord(grid, m, M, L, c.snrRef);
      row[`L${L}`] = r ? (metric === 'nmseDb' ? fmtDb(r.nmseDb) : fmtSci(r.aer)) : '–';
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

/** Measured runtime against FISTA and analytic FLOPs at the reference point for the largest M. */
export function runtimeTable(c, recs, methods) {
  const Mmax = Math.max(...c.Ms);
  const at = (m) =>
    recs.find(
      (r) =>
        r.method === m &&
        r.M === Mmax &&
        r.L === c.Lref &&
        r.snrDb === c.snrRef &&
        r.eps === 0.05 &&
        r.group !== 'robustness',
    );
  const rows = [...methods, 'proposed-nodr', 'proposed-noem']
    .map(at)
    .filter((r) => !!r && !r.method.startsWith('oracle'))
    .map((r) => {
      const f = methodFlops(r.method, { L: r.L, N: c.N, M: r.M });
      const fista = recs.find(
        (x) => x.method === 'fista' && x.group === 'grid' && x.M === r.M && x.L === r.L && x.snrDb === r.snrDb,
      );
      return {
        ratio: fista ? (r.msPerSample / fista.msPerSample).toFixed(3) : '–',
        method: label(r.method),
        ms: r.msPerSample.toFixed(2),
        iters: r.iterations.toFixed(1),
        flops: Number.isFinite(f) ? (f / 1e6).toFixed(3) : '–',
        total: Number.isFinite(f) ? ((f * r.iterations) / 1e6).toFixed(2) : '–',
      };
    });
  return markdownTable(rows, [
    { key: 'method', header: 'method' },
    { key: 'ms', header: 'ms / realisation (measured)' },
    { key: 'ratio', header: 'time / FISTA time' },
    { key: 'iters', header: 'iterations / layers' },
    { key: 'flops', header: 'MFLOP per iteration / layer (analytic)' },
    { key: 'total', header: 'MFLOP total' },
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
      nmse: pm(r.blockNmseDb, 2),
      aer: fmtSci(r.aer),
      ms: r.msPerSample.toFixed(2),
    }));
  if (!rows.length) return undefined;
  return markdownTable(rows, [
    { key: 'M', header: 'M' },
    { key: 'method', header: 'network' },
    { key: 'nmse', header: 'NMSE (dB)' },
    { key: 'aer', header: 'AER' },
    { key: 'ms', header: 'ms / realisation' },
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
      nmse: pm(r.blockNmseDb, 2),
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
