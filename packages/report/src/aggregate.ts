/**
 * Grouping of result records into "mean ± std over seeds" rows for tables and plots.
 */
import { InvalidArgumentError, meanStd } from '@ft/core';
import type { ResultRecord } from './result-record.js';

/** Record fields that can be grouped on. */
export type GroupField = 'method' | 'arm' | 'dataset' | 'seed';

/** Options of {@link aggregate}. */
export interface AggregateOptions {
  /** Metric name in `record.metrics`. */
  metric: string;
  /** Fields to group by, or a key function. Default `['method', 'arm', 'dataset']`. */
  groupBy?: readonly GroupField[] | ((r: ResultRecord) => string);
}

/** One group's statistics. */
export interface AggregateRow {
  /** Group key: the groupBy values joined by `' / '` (or the key function's value). */
  key: string;
  /** The groupBy fields and their values (empty when grouping with a function). */
  group: Partial<Record<GroupField, string | number>>;
  /** The metric aggregated. */
  metric: string;
  /** Mean over the finite values. */
  mean: number;
  /** Sample standard deviation (ddof = 1); `NaN` when n < 2. */
  std: number;
  /** Standard error of the mean; `NaN` when n < 2. */
  sem: number;
  /** Number of finite values. */
  n: number;
  /** The finite values, in record order. */
  values: number[];
  /** Seeds of those values, in record order. */
  seeds: number[];
  /** Records of the group whose value was NaN or ±Infinity (diverged runs); left out of mean/std. */
  nonFinite: number;
  /** Records of the group without this metric. */
  missing: number;
}

/**
 * Groups records and summarises one metric per group (mean, std with ddof = 1, sem, n). Groups appear in order of
 * first appearance. Non-finite values are counted in `nonFinite` and left out; records without the metric are
 * counted in `missing`. A group with no finite value gets `mean = NaN`.
 */
export function aggregate(records: readonly ResultRecord[], options: AggregateOptions): AggregateRow[] {
  const { metric } = options;
  if (typeof metric !== 'string' || metric === '') {
    throw new InvalidArgumentError('aggregate needs a metric name', { parameter: 'metric' });
  }
  const groupBy = options.groupBy ?? (['method', 'arm', 'dataset'] as const);
  const rows = new Map<string, AggregateRow>();
  for (const r of records) {
    let key: string;
    const group: Partial<Record<GroupField, string | number>> = {};
    if (typeof groupBy === 'function') key = groupBy(r);
    else {
      for (const f of groupBy) group[f] = r[f];
      key = groupBy.map((f) => String(r[f])).join(' / ');
    }
    let row = rows.get(key);
    if (!row) {
      row = {
        key,
        group,
        metric,
        mean: Number.NaN,
        std: Number.NaN,
        sem: Number.NaN,
        n: 0,
        values: [],
        seeds: [],
        nonFinite: 0,
        missing: 0,
      };
      rows.set(key, row);
    }
    const v = r.metrics[metric];
    if (v === undefined) row.missing++;
    else if (!Number.isFinite(v)) row.nonFinite++;
    else {
      row.values.push(v);
      row.seeds.push(r.seed);
    }
  }
  for (const row of rows.values()) {
    row.n = row.values.length;
    if (row.n > 0) {
      const s = meanStd(row.values);
      row.mean = s.mean;
      row.std = s.std;
      row.sem = s.std / Math.sqrt(s.n);
    }
  }
  return [...rows.values()];
}
