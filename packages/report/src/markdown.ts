/**
 * Markdown output for results pages: GitHub-flavoured tables with padded columns (readable as plain text too) and
 * "mean ± std" cells.
 */
import { InvalidArgumentError, type MeanStd, meanStd } from '@ft/core';

/** Column alignment; `'none'` writes a plain `---` separator. */
export type Align = 'left' | 'right' | 'center' | 'none';

/** A table column: the row key to read, and optionally its header, alignment and formatter. */
export interface TableColumn<R = Record<string, unknown>> {
  /** Key of the row object. */
  key: string;
  /** Header text; default the key. */
  header?: string;
  /** Alignment; overrides the table-wide `align` option. */
  align?: Align;
  /** Cell formatter; default: numbers with `digits` (if set) or `String(value)`, null/undefined → empty. */
  format?: (value: unknown, row: R) => string;
}

/** Options of {@link markdownTable}. */
export interface MarkdownTableOptions {
  /** One alignment for all columns, or one per column. Default `'none'`. */
  align?: Align | readonly Align[];
  /** Fixed decimals for numeric cells without their own formatter. Default: `String(value)`. */
  digits?: number;
}

function escapeCell(s: string): string {
  return s.replace(/\|/g, '\\|').replace(/\r?\n/g, '<br>');
}

function separator(align: Align, width: number): string {
  const w = Math.max(width, 3);
  switch (align) {
    case 'left':
      return `:${'-'.repeat(w - 1)}`;
    case 'right':
      return `${'-'.repeat(w - 1)}:`;
    case 'center':
      return `:${'-'.repeat(w - 2)}:`;
    default:
      return '-'.repeat(w);
  }
}

function pad(s: string, width: number, align: Align): string {
  const gap = width - [...s].length;
  if (gap <= 0) return s;
  if (align === 'right') return ' '.repeat(gap) + s;
  if (align === 'center') return ' '.repeat(gap >> 1) + s + ' '.repeat(gap - (gap >> 1));
  return s + ' '.repeat(gap);
}

/**
 * A GitHub-flavoured Markdown table. Cells are padded to the column width (widths count Unicode code points),
 * `|` is escaped and newlines become `<br>`. Output ends without a trailing newline.
 * @param rows one object per row.
 * @param columns keys (strings) or {@link TableColumn}s, in display order.
 * @param options.align `'left' | 'right' | 'center' | 'none'` for all columns or per column (default `'none'`).
 * @param options.digits decimals for numbers (default: `String(n)`).
 * @example markdownTable([{ arm: 'ft', acc: 91.2 }], ['arm', 'acc'], { align: ['left', 'right'] })
 * // | arm | acc  |
 * // | :-- | ---: |
 * // | ft  | 91.2 |
 */
export function markdownTable<R extends object>(
  rows: readonly R[],
  columns: ReadonlyArray<string | TableColumn<R>>,
  options: MarkdownTableOptions = {},
): string {
  if (columns.length === 0) throw new InvalidArgumentError('markdownTable needs at least one column', {});
  const cols = columns.map((c) => (typeof c === 'string' ? ({ key: c } as TableColumn<R>) : c));
  const aligns = cols.map((c, i): Align => {
    if (c.align) return c.align;
    const a = options.align;
    if (a === undefined) return 'none';
    if (typeof a === 'string') return a;
    if (a.length !== cols.length) {
      throw new InvalidArgumentError(`align has ${a.length} entries but there are ${cols.length} columns`, {
        parameter: 'align',
      });
    }
    return a[i];
  });
  const cell = (c: TableColumn<R>, row: R): string => {
    const v = (row as Record<string, unknown>)[c.key];
    if (c.format) return escapeCell(c.format(v, row));
    if (v === null || v === undefined) return '';
    if (typeof v === 'number' && options.digits !== undefined && Number.isFinite(v)) {
      return v.toFixed(options.digits);
    }
    return escapeCell(String(v));
  };
  const header = cols.map((c) => escapeCell(c.header ?? c.key));
  const body = rows.map((r) => cols.map((c) => cell(c, r)));
  const widths = cols.map((_, j) => Math.max(3, [...header[j]].length, ...body.map((b) => [...b[j]].length)));
  const line = (cells: string[]) => `| ${cells.map((s, j) => pad(s, widths[j], aligns[j])).join(' | ')} |`;
  return [
    line(header),
    `| ${aligns.map((a, j) => separator(a, widths[j])).join(' | ')} |`,
    ...body.map((b) => line(b)),
  ].join('\n');
}

/** Options of {@link formatMeanStd}. */
export interface FormatMeanStdOptions {
  /** Multiply mean and std by this first (e.g. 100 for percent). Default 1. */
  scale?: number;
}

/**
 * `"mean ± std"` with `digits` decimals, std the sample standard deviation (ddof = 1), e.g. `"84.3 ± 1.2"`.
 * A single value (std undefined) prints as the mean alone, e.g. `"84.3"`.
 * @param values the per-seed values, or an existing {@link MeanStd}.
 * @param digits decimals, default 1.
 * @param options.scale factor applied first, default 1 (100 turns fractions into percent).
 */
export function formatMeanStd(
  values: ArrayLike<number> | MeanStd,
  digits = 1,
  options: FormatMeanStdOptions = {},
): string {
  const s = 'mean' in values && 'std' in values ? values : meanStd(values as ArrayLike<number>);
  const scale = options.scale ?? 1;
  const mean = (s.mean * scale).toFixed(digits);
  if (s.n < 2 || Number.isNaN(s.std)) return mean;
  return `${mean} ± ${(s.std * scale).toFixed(digits)}`;
}
