/**
 * Human-readable rendering of command results (the output without `--json`): key/value blocks with aligned values,
 * arrays of records as column-aligned tables, nested objects as indented sub-blocks or tables, numbers rounded to
 * four significant digits, and units read from the field name (`…Pct` → `%`, `seconds` → `12.3 s`, `…Bytes` →
 * `1.5 MiB`, `…Db` → `dB`). Long lists are cut after `maxRows` rows with a `… (K more, use --json)` line. The JSON
 * output (`--json`) never goes through this module.
 */

/** Options of {@link formatResult}. */
export interface FormatOptions {
  /** Rows shown of a long list before the `… (K more, use --json)` line. Default 20. */
  maxRows?: number;
  /** Arrays of plain values up to this length are printed on one line (`a, b, c`); longer ones as a table. Default 12. */
  maxInline?: number;
}

/** Rows shown of a long list by default. */
export const DEFAULT_MAX_ROWS = 20;
const DEFAULT_MAX_INLINE = 12;

/**
 * A number for people: integers as they are, others to 4 significant digits without trailing zeros (`0.16`, not
 * `0.16000000000000003`); magnitudes ≥ 10⁴ rounded to an integer, below 10⁻⁴ in exponent form (`1.235e-7`).
 */
export function formatNumber(x: number): string {
  if (!Number.isFinite(x) || Number.isInteger(x)) return String(x);
  const a = Math.abs(x);
  if (a >= 1e4) return String(Math.round(x));
  if (a < 1e-4) {
    const [m, e] = x.toExponential(3).split('e');
    return `${String(Number(m))}e${e.replace('+', '')}`;
  }
  return String(Number(x.toPrecision(4)));
}

/** A duration in milliseconds: `850 ms`, `12.3 s`, `2 min 5 s`, `1 h 2 min`. */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms)) return String(ms);
  const neg = ms < 0 ? '-' : '';
  const a = Math.abs(ms);
  if (a < 1000) return `${neg}${formatNumber(a)} ms`;
  const s = a / 1000;
  if (s < 60) return `${neg}${String(Number(s.toPrecision(3)))} s`;
  const total = Math.round(s);
  if (total < 3600) return `${neg}${Math.floor(total / 60)} min ${total % 60} s`;
  return `${neg}${Math.floor(total / 3600)} h ${Math.floor((total % 3600) / 60)} min`;
}

/** A size in bytes with binary units: `512 B`, `1.5 KiB`, `20.3 MiB`. */
export function formatBytes(n: number): string {
  if (!Number.isFinite(n)) return String(n);
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = Math.abs(n);
  let k = 0;
  while (v >= 1024 && k < units.length - 1) {
    v /= 1024;
    k++;
  }
  const sign = n < 0 ? '-' : '';
  return k === 0 ? `${sign}${v} B` : `${sign}${String(Number(v.toPrecision(3)))} ${units[k]}`;
}

/**
 * A number formatted by what its field name says it holds: `…Pct`/`…Percent` (already ×100) and `…Rate`/`…Fraction`
 * (in [0, 1]) as percentages, `seconds`/`…Seconds` and `ms`/`…Ms` as durations, `ms…` (`msPerSample`) in ms,
 * `bytes`/`…Bytes` in KiB/MiB, `…GiB`/`…MiB` as such, `…Db` in dB; anything else by {@link formatNumber}.
 */
export function formatNumberFor(key: string, x: number): string {
  if (!Number.isFinite(x)) return String(x);
  if (/(Pct|Percent)$/.test(key)) return `${formatNumber(x)}%`;
  if (/(Rate|Fraction)$/.test(key) && x >= 0 && x <= 1) return `${formatNumber(x * 100)}%`;
  if (/^(seconds|secs)$|Seconds$/.test(key)) return formatDuration(x * 1000);
  if (/^ms$|Ms$/.test(key)) return formatDuration(x);
  if (/^ms[A-Z]/.test(key)) return `${formatNumber(x)} ms`;
  if (/^bytes$|Bytes$/.test(key)) return formatBytes(x);
  const unit = key.match(/(GiB|MiB|KiB)$/)?.[1];
  if (unit) return `${formatNumber(x)} ${unit}`;
  if (/Db$/.test(key)) return `${formatNumber(x)} dB`;
  return formatNumber(x);
}

type Rec = Record<string, unknown>;

function isRecord(v: unknown): v is Rec {
  return v !== null && typeof v === 'object' && !Array.isArray(v) && !ArrayBuffer.isView(v);
}

function asArray(v: unknown): unknown[] | null {
  if (Array.isArray(v)) return v;
  if (ArrayBuffer.isView(v) && !(v instanceof DataView)) return Array.from(v as unknown as ArrayLike<unknown>);
  return null;
}

const isScalar = (v: unknown) => v === null || v === undefined || typeof v !== 'object';

/** One value on one line: scalars formatted by their key, short arrays comma-joined, the rest as compact JSON. */
export function formatValue(key: string, v: unknown): string {
  if (v === null || v === undefined) return '-';
  if (typeof v === 'number') return formatNumberFor(key, v);
  if (typeof v === 'boolean') return v ? 'yes' : 'no';
  if (typeof v === 'string') return v;
  if (typeof v === 'bigint') return String(v);
  const arr = asArray(v);
  if (arr)
    return arr.length === 0 ? '(none)' : arr.map((x) => (isScalar(x) ? formatValue(key, x) : compact(x))).join(', ');
  return compact(v);
}

function compact(v: unknown): string {
  const arr = asArray(v);
  if (arr) return `[${arr.map((x) => (isScalar(x) ? formatValue('', x) : compact(x))).join(', ')}]`;
  if (isRecord(v)) {
    return `{${Object.entries(v)
      .map(([k, x]) => `${k}: ${isScalar(x) ? formatValue(k, x) : compact(x)}`)
      .join(', ')}}`;
  }
  return formatValue('', v);
}

/** Display width of a string (code points; the box and math symbols used here are one column wide). */
function width(s: string): number {
  return [...s].length;
}

function pad(s: string, w: number, right = false): string {
  const fill = ' '.repeat(Math.max(0, w - width(s)));
  return right ? fill + s : s + fill;
}

/** Rows of `[key, value]` with the values aligned in one column. */
export function formatKeyValues(rows: [string, string][], indent = ''): string[] {
  const w = Math.max(0, ...rows.map(([k]) => width(k)));
  return rows.map(([k, v]) => `${indent}${pad(k, w)}  ${v}`.trimEnd());
}

/**
 * A column-aligned table: a header row, then one row per entry; columns whose cells are all numbers are
 * right-aligned. Rows past `maxRows` are left out and counted in a `… (K more, use --json)` line.
 */
export function formatTable(
  header: string[],
  rows: string[][],
  opts: { indent?: string; maxRows?: number; numeric?: boolean[] } = {},
): string[] {
  const indent = opts.indent ?? '';
  const maxRows = opts.maxRows ?? Number.POSITIVE_INFINITY;
  const shown = rows.slice(0, maxRows);
  const widths = header.map((h, j) => Math.max(width(h), ...shown.map((r) => width(r[j] ?? ''))));
  const line = (cells: string[]) =>
    `${indent}${cells.map((c, j) => pad(c ?? '', widths[j], opts.numeric?.[j] ?? false)).join('  ')}`.trimEnd();
  const out = [line(header), ...shown.map(line)];
  if (rows.length > shown.length) out.push(`${indent}… (${rows.length - shown.length} more, use --json)`);
  return out;
}

/** Flattens nested records into dotted keys (`perLevel.block1`); arrays and scalars are leaves. */
function flatten(r: Rec, prefix = '', out: Rec = {}): Rec {
  for (const [k, v] of Object.entries(r)) {
    const key = prefix ? `${prefix}.${k}` : k;
    if (isRecord(v) && Object.keys(v).length > 0) flatten(v, key, out);
    else out[key] = v;
  }
  return out;
}

const lastKey = (k: string) => k.slice(k.lastIndexOf('.') + 1);

/** Table lines for a list of records (nested records flattened into dotted columns). */
function recordsTable(items: Rec[], indent: string, maxRows: number, first?: { header: string; cells: string[] }) {
  const flat = items.map((it) => flatten(it));
  const cols: string[] = [];
  for (const f of flat) for (const k of Object.keys(f)) if (!cols.includes(k)) cols.push(k);
  const rows = flat.map((f) => cols.map((c) => (c in f ? formatValue(lastKey(c), f[c]) : '')));
  const numeric = cols.map((c) => flat.every((f) => f[c] === undefined || typeof f[c] === 'number'));
  if (first) {
    return formatTable(
      [first.header, ...cols],
      rows.map((r, i) => [first.cells[i], ...r]),
      { indent, maxRows, numeric: [false, ...numeric] },
    );
  }
  return formatTable(cols, rows, { indent, maxRows, numeric });
}

/** A record whose values are all records of plain values (e.g. per-method metrics): rendered as one table. */
function isRecordOfRecords(v: Rec): boolean {
  const vals = Object.values(v);
  return vals.length > 1 && vals.every((x) => isRecord(x) && Object.values(flatten(x)).every(isScalar));
}

/** The singular of a field name for a table's first column (`methods` → `method`). */
function singular(k: string): string {
  return k.endsWith('ies') ? `${k.slice(0, -3)}y` : k.endsWith('s') && !k.endsWith('ss') ? k.slice(0, -1) : k;
}

/** Lines of one object: plain fields first as an aligned block, then each nested field as a section. */
function formatObject(obj: Rec, indent: string, o: Required<FormatOptions>): string[] {
  const plain: [string, string][] = [];
  const sections: string[][] = [];
  const inner = `${indent}  `;
  for (const [k, v] of Object.entries(obj)) {
    const arr = asArray(v);
    if (arr) {
      if (arr.every(isScalar) && arr.length <= o.maxInline) plain.push([k, formatValue(k, arr)]);
      else if (arr.every(isScalar)) {
        const rows = arr.map((x, i) => [String(i), formatValue(k, x)]);
        sections.push([
          `${indent}${k} (${arr.length})`,
          ...formatTable(['#', singular(k)], rows, {
            indent: inner,
            maxRows: o.maxRows,
            numeric: [true, arr.every((x) => typeof x === 'number')],
          }),
        ]);
      } else if (arr.every(isRecord)) {
        sections.push([`${indent}${k} (${arr.length})`, ...recordsTable(arr as Rec[], inner, o.maxRows)]);
      } else plain.push([k, compact(arr)]);
    } else if (isRecord(v)) {
      if (Object.keys(v).length === 0) plain.push([k, '(none)']);
      else if (isRecordOfRecords(v)) {
        const names = Object.keys(v);
        sections.push([
          `${indent}${k}`,
          ...recordsTable(Object.values(v) as Rec[], inner, o.maxRows, { header: singular(k), cells: names }),
        ]);
      } else sections.push([`${indent}${k}`, ...formatObject(v, inner, o)]);
    } else plain.push([k, formatValue(k, v)]);
  }
  const blocks = [...(plain.length ? [formatKeyValues(plain, indent)] : []), ...sections];
  return blocks.flatMap((b, i) => (i > 0 && indent === '' ? ['', ...b] : b));
}

/**
 * Renders a command's result for people. A string field named `table` (a Markdown table a command built) is printed
 * as it is, after the rest.
 */
export function formatResult(result: Record<string, unknown>, opts: FormatOptions = {}): string {
  const o = { maxRows: opts.maxRows ?? DEFAULT_MAX_ROWS, maxInline: opts.maxInline ?? DEFAULT_MAX_INLINE };
  const { table, ...rest } = result;
  const body = typeof table === 'string' ? rest : result;
  const lines = formatObject(body, '', o);
  if (typeof table === 'string') lines.push('', table);
  return lines.join('\n');
}
