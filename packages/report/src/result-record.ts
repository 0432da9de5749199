/**
 * Benchmark results as records: one `ResultRecord` per (method, arm, dataset, seed) run, written as JSON Lines
 * (`.jsonl`, one record per line). JSON Lines is chosen over a JSON array because runs append to a results file as
 * they finish (a crash loses at most the run in progress, never the file), and `git diff` shows one changed line
 * per run. `readResults` also accepts a JSON array file. Non-finite metric values (a diverged run) are written as
 * the strings `"NaN"`, `"Infinity"`, `"-Infinity"` (JSON has no such numbers) and read back as numbers.
 */
import { appendFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { InvalidArgumentError } from '@ft/core';

/** The backend a result was measured on: `BackendInfo` from `initBackend` fits, as does a hand-written summary. */
export interface ResultBackend {
  /** tfjs backend name (`tensorflow`, `ft-native`, `cpu`, ...) or another runtime (`pytorch` for baselines). */
  name: string;
  /** Package that provides it. */
  package?: string;
  /** True only when a GPU was actually used. */
  gpu?: boolean;
  /** Compute threads. */
  threads?: number;
  /** Versions of tfjs and of the backend package. */
  versions?: Record<string, string>;
  /** Why a preferred backend was not used. */
  fallbackReason?: string;
  /** True when sizes were shrunk for a slow backend (results are "reduced"). */
  reduced?: boolean;
}

/** One run's result. */
export interface ResultRecord {
  /** Method, e.g. `'adafilter'`, `'mahalanobis-ad'`. */
  method: string;
  /** Arm (variant / baseline) within the experiment, e.g. `'ft'`, `'l2sp'`, `'ours'`. */
  arm: string;
  /** Dataset (and split or category), e.g. `'fmnist'`, `'mvtec/bottle'`. */
  dataset: string;
  /** Seed of the run. */
  seed: number;
  /** Named metric values, e.g. `{ accuracy: 0.912, auroc: 0.97 }`. */
  metrics: Record<string, number>;
  /** Backend the run used. */
  backend: ResultBackend;
  /** Package and runtime versions, e.g. `{ node: '20.19.0', '@ft/core': '0.1.0' }`. */
  versions: Record<string, string>;
  /** Command line that produced the record. */
  command: string;
  /** ISO 8601 date-time of the run. */
  date: string;
  /** Anything else worth keeping (sizes, timings, hyper-parameters). */
  extra?: Record<string, unknown>;
}

/** Fields of {@link resultRecord}; the ones with defaults may be omitted. */
export type ResultRecordInput = Omit<ResultRecord, 'versions' | 'command' | 'date' | 'backend'> & {
  backend: ResultBackend;
  versions?: Record<string, string>;
  command?: string;
  date?: string | Date;
};

/**
 * Builds a `ResultRecord`, filling the defaults: `date` = now (ISO 8601), `command` = `process.argv` joined
 * (node and script paths included), `versions.node` = `process.versions.node` (merged under the given versions).
 * The backend is reduced to the fields of {@link ResultBackend} (e.g. `BackendInfo.attempts` is dropped).
 */
export function resultRecord(input: ResultRecordInput): ResultRecord {
  const b = input.backend;
  const backend: ResultBackend = { name: b.name };
  if (b.package !== undefined) backend.package = b.package;
  if (b.gpu !== undefined) backend.gpu = b.gpu;
  if (b.threads !== undefined) backend.threads = b.threads;
  if (b.versions !== undefined) backend.versions = { ...b.versions };
  if (b.fallbackReason !== undefined) backend.fallbackReason = b.fallbackReason;
  if (b.reduced !== undefined) backend.reduced = b.reduced;
  const date = input.date === undefined ? new Date().toISOString() : dateString(input.date);
  const record: ResultRecord = {
    method: input.method,
    arm: input.arm,
    dataset: input.dataset,
    seed: input.seed,
    metrics: { ...input.metrics },
    backend,
    versions: { node: process.versions.node, ...input.versions },
    command: input.command ?? process.argv.join(' '),
    date,
  };
  if (input.extra !== undefined) record.extra = input.extra;
  validateResultRecord(record, 'resultRecord');
  return record;
}

function dateString(d: string | Date): string {
  return typeof d === 'string' ? d : d.toISOString();
}

function fail(where: string, message: string): never {
  throw new InvalidArgumentError(`${where}: ${message}`, { where });
}

/**
 * Checks the fields and types of a record; throws `InvalidArgumentError` naming `where` (file and line, or
 * record index) and the offending field.
 */
export function validateResultRecord(r: unknown, where: string): asserts r is ResultRecord {
  if (typeof r !== 'object' || r === null || Array.isArray(r)) fail(where, 'a result record must be an object');
  const o = r as Record<string, unknown>;
  for (const f of ['method', 'arm', 'dataset', 'command', 'date'] as const) {
    if (typeof o[f] !== 'string') fail(where, `field "${f}" must be a string, got ${JSON.stringify(o[f])}`);
  }
  if (typeof o.seed !== 'number' || !Number.isInteger(o.seed)) {
    fail(where, `field "seed" must be an integer, got ${JSON.stringify(o.seed)}`);
  }
  const m = o.metrics;
  if (typeof m !== 'object' || m === null || Array.isArray(m)) fail(where, 'field "metrics" must be an object');
  for (const [k, v] of Object.entries(m as Record<string, unknown>)) {
    if (typeof v !== 'number') fail(where, `metric "${k}" must be a number, got ${JSON.stringify(v)}`);
  }
  const b = o.backend as Record<string, unknown> | null;
  if (typeof b !== 'object' || b === null || typeof b.name !== 'string') {
    fail(where, 'field "backend" must be an object with a string "name"');
  }
  const v = o.versions;
  if (typeof v !== 'object' || v === null || Array.isArray(v)) fail(where, 'field "versions" must be an object');
  if (o.extra !== undefined && (typeof o.extra !== 'object' || o.extra === null)) {
    fail(where, 'field "extra" must be an object when present');
  }
}

function encodeMetric(v: number): number | string {
  return Number.isFinite(v) ? v : String(v);
}

function decodeMetric(v: unknown): unknown {
  if (v === 'NaN') return Number.NaN;
  if (v === 'Infinity') return Number.POSITIVE_INFINITY;
  if (v === '-Infinity') return Number.NEGATIVE_INFINITY;
  return v;
}

/** One record as one JSON line, keys in the fixed order of `ResultRecord` (deterministic output). */
export function serializeResultRecord(r: ResultRecord): string {
  const metrics: Record<string, number | string> = {};
  for (const [k, v] of Object.entries(r.metrics)) metrics[k] = encodeMetric(v);
  const ordered: Record<string, unknown> = {
    method: r.method,
    arm: r.arm,
    dataset: r.dataset,
    seed: r.seed,
    metrics,
    backend: r.backend,
    versions: r.versions,
    command: r.command,
    date: r.date,
  };
  if (r.extra !== undefined) ordered.extra = r.extra;
  return JSON.stringify(ordered);
}

/** Options of {@link writeResults}. */
export interface WriteResultsOptions {
  /** Append to an existing file instead of replacing it. Default `false`. */
  append?: boolean;
}

/**
 * Writes records as JSON Lines (one record per line, trailing newline), creating parent directories. Each record
 * is validated first (`InvalidArgumentError` naming its index and field), so a bad record writes nothing.
 * @param path file to write, conventionally `*.jsonl`.
 * @param options.append append instead of replace (default false).
 */
export async function writeResults(
  path: string,
  records: readonly ResultRecord[],
  options: WriteResultsOptions = {},
): Promise<void> {
  records.forEach((r, i) => {
    validateResultRecord(r, `record ${i}`);
  });
  const text = records.map((r) => `${serializeResultRecord(r)}\n`).join('');
  await mkdir(dirname(path), { recursive: true });
  if (options.append) await appendFile(path, text, 'utf8');
  else await writeFile(path, text, 'utf8');
}

/**
 * Parses results text: JSON Lines (blank lines ignored) or a JSON array. `where` names the source in errors.
 * Throws `InvalidArgumentError` naming the line (or array index) of a malformed or invalid record.
 */
export function parseResults(text: string, where = 'results'): ResultRecord[] {
  const trimmed = text.trimStart();
  let raw: Array<{ value: unknown; at: string }>;
  if (trimmed.startsWith('[')) {
    let arr: unknown;
    try {
      arr = JSON.parse(trimmed);
    } catch (e) {
      throw new InvalidArgumentError(`${where}: invalid JSON array (${(e as Error).message})`, { where });
    }
    if (!Array.isArray(arr)) fail(where, 'expected a JSON array');
    raw = arr.map((value, i) => ({ value, at: `${where} [${i}]` }));
  } else {
    raw = [];
    const lines = text.split('\n');
    lines.forEach((line, i) => {
      if (line.trim() === '') return;
      const at = `${where}:${i + 1}`;
      try {
        raw.push({ value: JSON.parse(line), at });
      } catch (e) {
        throw new InvalidArgumentError(`${at}: invalid JSON line (${(e as Error).message})`, { where: at });
      }
    });
  }
  return raw.map(({ value, at }) => {
    if (typeof value === 'object' && value !== null && 'metrics' in value) {
      const m = (value as { metrics: unknown }).metrics;
      if (typeof m === 'object' && m !== null) {
        for (const k of Object.keys(m))
          (m as Record<string, unknown>)[k] = decodeMetric((m as Record<string, unknown>)[k]);
      }
    }
    validateResultRecord(value, at);
    return value;
  });
}

/**
 * Reads a results file written by {@link writeResults} (JSON Lines) or a JSON array of records.
 * @throws InvalidArgumentError naming the file and line of a malformed record.
 */
export async function readResults(path: string): Promise<ResultRecord[]> {
  return parseResults(await readFile(path, 'utf8'), path);
}
