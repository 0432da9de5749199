// Method labels, number formats and record look-ups shared by the page's tables, plots and verdict.
import { meanStd } from '@ft/core';

/** Display names of the methods and ablations. */
export const LABEL = {
  oracle: 'Oracle-support LS',
  'oracle-mmse': 'Oracle-support MMSE',
  'amp-mmv': 'AMP-MMV',
  'em-bg-amp': 'EM-BG-AMP',
  fista: 'Group LASSO (FISTA)',
  admm: 'Group LASSO (ADMM)',
  sbl: 'M-SBL',
  'cov-ml': 'Covariance ML',
  'lista-gs': 'LISTA-GS',
  'alista-gs': 'ALISTA-GS',
  proposed: 'Proposed (reconstruction)',
  'proposed-nodr': 'Proposed w/o DR',
  'proposed-noem': 'Proposed w/o EM tuning',
  'proposed-fixed': 'Proposed, trained at 10 dB',
  'proposed-noem-fixed': 'w/o EM, trained at 10 dB',
  'amp-mmv-nominal': 'AMP-MMV, prior ε = 0.05',
};

/** The display name of a method (its key when it has none). */
export const label = (m) => LABEL[m] ?? m;

/** dB with 2 decimals, '–' when not finite. */
export const fmtDb = (v) => (Number.isFinite(v) ? v.toFixed(2) : '–');

/** One-digit scientific notation ('0' for zero), '–' when not finite. */
export const fmtSci = (v) => (Number.isFinite(v) ? (v === 0 ? '0' : v.toExponential(1)) : '–');

/** "mean ± std" of block values, fixed or scientific. */
export const pm = (xs, digits, sci = false) => {
  const s = meanStd(xs);
  if (sci) return `${s.mean.toExponential(1)} ± ${Number.isFinite(s.std) ? s.std.toExponential(1) : '–'}`;
  return `${s.mean.toFixed(digits)} ± ${Number.isFinite(s.std) ? s.std.toFixed(digits) : '–'}`;
};

/**
 * Shortest L with AER ≤ target at the given SNR, per method and M (undefined if none).
 * @param {object[]} records
 * @param {string} method
 * @param {number} M
 * @param {number} snrDb
 * @param {number} [target]
 */
export function shortestL(records, method, M, snrDb, target = 1e-2) {
  const rs = records
    .filter((r) => r.group === 'grid' && r.method === method && r.M === M && r.snrDb === snrDb)
    .sort((a, b) => a.L - b.L);
  return rs.find((r) => r.aer <= target)?.L;
}

/** The grid record of `method` at (M, L, snrDb), if any. */
export const gridRecord = (grid, method, M, L, snrDb) =>
  grid.find((r) => r.method === method && r.M === M && r.L === L && r.snrDb === snrDb);

const MEAN_FIELDS = ['nmseDb', 'nmseActiveDb', 'pMiss', 'pFa', 'aer', 'auroc', 'msPerSample', 'iterations'];

/**
 * One record per (point, method): records of learned methods trained with several seeds are merged into their mean,
 * with the per-seed values kept in `seedNmseDb` / `seedAer` (the ± of the page) and the seeds in `trainSeeds`.
 * Records without a training seed pass through unchanged.
 * @param {object[]} records
 */
export function aggregateSeeds(records) {
  const out = [];
  const groups = new Map();
  for (const r of records) {
    if (r.trainSeed === undefined || r.trainSeed === null) {
      out.push(r);
      continue;
    }
    const k = `${r.group}|${r.M}|${r.L}|${r.snrDb}|${r.eps}|${r.method}`;
    if (!groups.has(k)) {
      groups.set(k, []);
      out.push(k);
    }
    groups.get(k).push(r);
  }
  return out.map((x) => {
    if (typeof x !== 'string') return x;
    const rs = groups.get(x);
    const mean = (f) => rs.reduce((s, r) => s + r[f], 0) / rs.length;
    const merged = { ...rs[0] };
    delete merged.trainSeed;
    for (const f of MEAN_FIELDS) merged[f] = mean(f);
    merged.trainSeeds = rs.map((r) => r.trainSeed);
    merged.seedNmseDb = rs.map((r) => r.nmseDb);
    merged.seedAer = rs.map((r) => r.aer);
    return merged;
  });
}

/** The values behind a record's ±: per training seed when there are several, else per test block. */
export const spread = (r, metric) =>
  metric === 'aer'
    ? r.seedAer?.length > 1
      ? r.seedAer
      : r.blockAer
    : r.seedNmseDb?.length > 1
      ? r.seedNmseDb
      : r.blockNmseDb;

/** "mean ± std" of a record's NMSE (dB) or AER, with "(s)" when the ± is over training seeds. */
export function pmRecord(r, metric) {
  const xs = spread(r, metric);
  const tag = r.seedNmseDb?.length > 1 ? ' (s)' : '';
  return metric === 'aer' ? `${pm(xs, 0, true)}${tag}` : `${pm(xs, 2)}${tag}`;
}
