/**
 * What `ft hparams search` and `ft hparams show` print about a study: the summary counts, the best trial, and one
 * row per trial.
 */
import type { ParamValue } from '../engine/distributions.js';
import type { FrozenTrial, StudyDirection } from '../engine/storage.js';
import type { Study } from '../engine/study.js';

/** The summary `ft hparams search` prints (with `--json`, exactly this object). */
export interface StudySummary {
  study: string;
  direction: StudyDirection;
  /** The best complete trial's value, or null when no trial completed. */
  bestValue: number | null;
  /** The best complete trial's parameters, or null when no trial completed. */
  bestParams: Record<string, ParamValue> | null;
  /** Every trial of the study, whatever its state and whichever process ran it. */
  nTrials: number;
  nComplete: number;
  nPruned: number;
  nFail: number;
}

/** One trial as `ft hparams show` prints it. */
export interface TrialRow {
  number: number;
  state: FrozenTrial['state'];
  value: number | null;
  params: Record<string, ParamValue>;
  /** Seconds from start to finish, or null while it runs (or never started). */
  durationS: number | null;
}

/** The best complete trial, or null when none completed. */
export function bestTrialOrNull(study: Study): FrozenTrial | null {
  return study.trials.some((t) => t.state === 'complete' && t.value !== null) ? study.bestTrial : null;
}

/** The summary counts of a study, read from its storage's current view. */
export function studySummary(study: Study): StudySummary {
  const trials = study.trials;
  const count = (s: FrozenTrial['state']) => trials.filter((t) => t.state === s).length;
  const best = bestTrialOrNull(study);
  return {
    study: study.studyName,
    direction: study.direction,
    bestValue: best ? (best.value as number) : null,
    bestParams: best ? { ...best.params } : null,
    nTrials: trials.length,
    nComplete: count('complete'),
    nPruned: count('pruned'),
    nFail: count('fail'),
  };
}

/** A trial as a row of the trials table. */
export function trialRow(t: FrozenTrial): TrialRow {
  const durationS =
    t.datetimeStart && t.datetimeComplete ? (t.datetimeComplete.getTime() - t.datetimeStart.getTime()) / 1000 : null;
  return { number: t.number, state: t.state, value: t.value, params: { ...t.params }, durationS };
}

/** `x=0.1, layers=2` (numbers with 6 significant digits). */
export function formatParams(params: Readonly<Record<string, ParamValue>>): string {
  const parts = Object.entries(params).map(([k, v]) => `${k}=${formatValue(v)}`);
  return parts.length ? parts.join(', ') : '(no params)';
}

/** A value for a human line: numbers with 6 significant digits, strings quoted by JSON. */
export function formatValue(v: unknown): string {
  if (typeof v === 'number') return Number.isInteger(v) ? String(v) : String(Number(v.toPrecision(6)));
  if (typeof v === 'string') return JSON.stringify(v);
  return String(v);
}

/** The trials table, one line per trial, with a header; columns padded to their widest cell. */
export function trialsTable(rows: readonly TrialRow[]): string {
  const cells = [
    ['number', 'state', 'value', 'duration_s', 'params'],
    ...rows.map((r) => [
      String(r.number),
      r.state,
      r.value === null ? '-' : formatValue(r.value),
      r.durationS === null ? '-' : r.durationS.toFixed(3),
      formatParams(r.params),
    ]),
  ];
  const widths = cells[0].map((_, c) => Math.max(...cells.map((row) => row[c].length)));
  return cells
    .map((row) => row.map((cell, c) => (c === row.length - 1 ? cell : cell.padEnd(widths[c]))).join('  '))
    .join('\n');
}
