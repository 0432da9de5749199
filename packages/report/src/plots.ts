/**
 * SVG line and bar charts for results pages, rendered headlessly with Vega-Lite → Vega
 * (`new vega.View(vega.parse(vl.compile(spec).spec), { renderer: 'none' }).toSVG()`). No canvas is needed: without
 * the optional `canvas` package Vega estimates text widths from character counts, so the output is a pure function
 * of the input (no timestamps, SVG definition ids reset before each render).
 *
 * vega and vega-lite 6 are ESM-only. They are loaded lazily with `await import(...)` the first time a chart is
 * drawn, which keeps `@ft/report` importable from CommonJS (`require('@ft/report')` never loads them) and keeps them
 * off the start-up path of code that never plots.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { InvalidArgumentError } from '@ft/core';

type VegaModule = typeof import('vega');
type VegaLiteModule = typeof import('vega-lite');

let libs: Promise<{ vega: VegaModule; vl: VegaLiteModule }> | undefined;

function loadVega(): Promise<{ vega: VegaModule; vl: VegaLiteModule }> {
  libs ??= Promise.all([import('vega'), import('vega-lite')]).then(([vega, vl]) => ({ vega, vl }));
  return libs;
}

/**
 * Renders a Vega-Lite spec (a plain object) to an SVG string. Exposed for custom charts; the spec should carry
 * its data inline (`data.values`).
 */
export async function renderVegaLiteSvg(spec: Record<string, unknown>): Promise<string> {
  const { vega, vl } = await loadVega();
  const compiled = vl.compile(spec as unknown as Parameters<VegaLiteModule['compile']>[0]).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: 'none' });
  try {
    vega.resetSVGDefIds();
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

// ---- Layout rules shared by the charts (pure functions; exported for tests, not from the package index) ----

/**
 * Okabe & Ito's colour-blind-safe palette ("Color Universal Design", 2008): blue, orange, bluish green, vermillion,
 * reddish purple, sky blue, black, yellow. Yellow is last: it has the least contrast on white.
 */
export const SERIES_COLORS: readonly string[] = [
  '#0072B2',
  '#E69F00',
  '#009E73',
  '#D55E00',
  '#CC79A7',
  '#56B4E9',
  '#000000',
  '#F0E442',
];

/** Point shapes (Vega symbol names), one per block of {@link SERIES_COLORS}.length series. */
export const SERIES_SHAPES: readonly string[] = [
  'circle',
  'square',
  'triangle-up',
  'diamond',
  'cross',
  'triangle-down',
];

/** Line dash patterns (SVG `stroke-dasharray`), one per block of series: solid, dashed, dotted, dash-dot, ... */
export const SERIES_DASHES: readonly (readonly number[])[] = [
  [1, 0],
  [7, 3],
  [2, 2],
  [8, 3, 2, 3],
  [12, 4],
  [4, 2, 1, 2, 1, 2],
];

/** The most series (lines, or bar names) a chart can tell apart: every one gets its own colour/shape/dash triple. */
export const MAX_SERIES = SERIES_COLORS.length * SERIES_SHAPES.length;

/** How series `index` is drawn. */
export interface SeriesStyle {
  color: string;
  shape: string;
  dash: readonly number[];
}

/**
 * The style of the `index`-th series: the colour cycles through {@link SERIES_COLORS}; each further block of 8 series
 * switches to the next point shape and dash pattern, so no two series of a chart share colour, shape and dash.
 */
export function seriesStyle(index: number): SeriesStyle {
  if (!Number.isInteger(index) || index < 0 || index >= MAX_SERIES) {
    throw new InvalidArgumentError(`series index ${index} is outside 0..${MAX_SERIES - 1}`, { parameter: 'series' });
  }
  const block = Math.floor(index / SERIES_COLORS.length);
  return {
    color: SERIES_COLORS[index % SERIES_COLORS.length] as string,
    shape: SERIES_SHAPES[block] as string,
    dash: SERIES_DASHES[block] as readonly number[],
  };
}

/** Axis ticks: the scale domain (from the first to the last tick when fitted) and the tick values. */
export interface AxisTicks {
  domain: [number, number];
  values: number[];
  /** Distance between ticks (linear axes) or 0 (log axes). */
  step: number;
  /** d3-format specifier for the tick labels. */
  format: string;
}

/** Rounds away binary noise (0.1 * 3 → 0.3) without changing representable tick values; −0 becomes 0. */
function clean(v: number): number {
  return Number(v.toPrecision(12)) + 0;
}

/**
 * "Nice" linear ticks: the step is 1, 2 or 5 × 10^k, the smallest such that at most about `target` intervals cover
 * [min, max]. A fitted domain (`fixed` false) is widened to the enclosing multiples of the step, so the axis starts
 * and ends on a labelled tick and contains the data; a fixed domain is kept and only the ticks inside it are listed.
 * Example: 0..3938 with target 6 → step 1000, domain [0, 4000], ticks 0, 1000, ..., 4000.
 * @param target about how many intervals (default 6).
 */
export function niceTicks(min: number, max: number, target = 6, fixed = false): AxisTicks {
  checkNumber(min, 'niceTicks min');
  checkNumber(max, 'niceTicks max');
  if (min > max) throw new InvalidArgumentError(`niceTicks: min ${min} > max ${max}`, { parameter: 'min' });
  if (min === max) {
    const pad = min === 0 ? 1 : Math.abs(min) * 0.1;
    return niceTicks(min - (min === 0 ? 0 : pad), max + pad, target, fixed);
  }
  const raw = (max - min) / Math.max(1, Math.round(target));
  const exp = Math.floor(Math.log10(raw));
  const mag = 10 ** exp;
  const mult = [1, 2, 5, 10].find((m) => m * mag >= raw * (1 - 1e-9)) ?? 10;
  const step = clean(mult * mag);
  const decimals = Math.max(0, -Math.floor(Math.log10(step) + 1e-9));
  const eps = 1e-9;
  const first = fixed ? Math.ceil(min / step - eps) : Math.floor(min / step + eps);
  const last = fixed ? Math.floor(max / step + eps) : Math.ceil(max / step - eps);
  const values: number[] = [];
  for (let i = first; i <= last; i++) values.push(clean(i * step));
  const domain: [number, number] = fixed ? [min, max] : [values[0] as number, values[values.length - 1] as number];
  return { domain, values, step, format: `.${decimals}f` };
}

/**
 * Ticks of a log axis (0 < min ≤ max). When max / min ≤ 100 the ticks are 1, 2 and 5 × 10^k and the domain runs
 * from the largest such value ≤ min to the smallest ≥ max (1..25 → 1, 2, 5, 10, 20, 50); over more, the domain spans
 * whole decades with a tick at each power of 10 (every other power past eight decades).
 */
export function logTicks(min: number, max: number): AxisTicks {
  checkNumber(min, 'logTicks min');
  checkNumber(max, 'logTicks max');
  if (min <= 0 || min > max) {
    throw new InvalidArgumentError(`logTicks needs 0 < min ≤ max, got ${min}, ${max}`, { parameter: 'min' });
  }
  const lo = Math.floor(Math.log10(min) + 1e-9);
  let hi = Math.ceil(Math.log10(max) - 1e-9);
  if (hi === lo) hi = lo + 1;
  if (Math.log10(max / min) <= 2) {
    const all: number[] = [];
    for (let k = lo; k <= hi; k++) for (const m of [1, 2, 5]) all.push(clean(m * 10 ** k));
    const first = all.filter((v) => v <= min * (1 + 1e-9)).at(-1) as number;
    const last = all.find((v) => v >= max * (1 - 1e-9)) as number;
    const values = all.filter((v) => v >= first && v <= last);
    if (values.length < 2) values.push(all[all.indexOf(last) + 1] as number);
    return { domain: [first, values.at(-1) as number], values, step: 0, format: '~g' };
  }
  const every = hi - lo > 8 ? 2 : 1;
  hi += (hi - lo) % every;
  const values: number[] = [];
  for (let k = lo; k <= hi; k += every) values.push(clean(10 ** k));
  return { domain: [clean(10 ** lo), clean(10 ** hi)], values, step: 0, format: '~g' };
}

/**
 * Width in pixels that Vega reserves for `text` at `fontSize` when no canvas is installed (its estimate,
 * 0.8 × font size per character, generous for real sans-serif fonts). Labels are never cut at this width.
 */
export function estimateTextWidth(text: string, fontSize: number): number {
  return Math.floor(0.8 * text.length * fontSize);
}

/** Legend and axis labels are drawn at Vega's default 10 px. */
const LABEL_FONT_SIZE = 10;

/** The label width limit that fits the longest of `labels` (so none is truncated with an ellipsis). */
export function labelLimitFor(labels: readonly string[], fontSize = LABEL_FONT_SIZE): number {
  return Math.max(0, ...labels.map((l) => estimateTextWidth(l, fontSize))) + 2;
}

function legendFor(labels: readonly string[], title: string | null): Record<string, unknown> {
  return { title, labelLimit: labelLimitFor(labels), symbolOpacity: 1, symbolStrokeWidth: 2, symbolSize: 90 };
}

/** One point of a line series. */
export interface LinePoint {
  x: number;
  y: number;
  /** Half-width of the error interval: drawn from y − yErr to y + yErr. */
  yErr?: number;
}

/** One line. */
export interface LineSeries {
  name: string;
  points: readonly LinePoint[];
}

/** Options of {@link lineChartSvg}. */
export interface LineChartOptions {
  title: string;
  series: readonly LineSeries[];
  xLabel?: string;
  yLabel?: string;
  /** Logarithmic x axis (all x must be > 0). Default false. */
  logX?: boolean;
  /** Logarithmic y axis (all y and y − yErr must be > 0). Default false. */
  logY?: boolean;
  /** How `yErr` is drawn: shaded `'band'` (default) or `'bars'` (error bars with ticks). */
  errorStyle?: 'band' | 'bars';
  /** Plot area width in pixels. Default 480. */
  width?: number;
  /** Plot area height in pixels. Default 300. */
  height?: number;
  /**
   * Fixed y-axis range; default fitted to the data and error intervals (not forced to include 0), widened to nice
   * ticks. Marks outside a fixed range are clipped at the frame.
   */
  yDomain?: readonly [number, number];
  /** Legend title; default none. */
  legendTitle?: string;
}

function checkNumber(v: unknown, what: string): void {
  if (typeof v !== 'number' || !Number.isFinite(v)) {
    throw new InvalidArgumentError(`${what} must be a finite number, got ${v}`, { parameter: what });
  }
}

function checkNames(names: readonly string[], what: string): void {
  const seen = new Set<string>();
  for (const n of names) {
    if (typeof n !== 'string') throw new InvalidArgumentError(`${what} names must be strings, got ${n}`, {});
    if (seen.has(n)) throw new InvalidArgumentError(`duplicate ${what} name "${n}"`, { parameter: what });
    seen.add(n);
  }
  if (names.length > MAX_SERIES) {
    throw new InvalidArgumentError(`${names.length} ${what} names: at most ${MAX_SERIES} can be told apart`, {
      parameter: what,
    });
  }
}

function checkDomain(d: readonly [number, number] | undefined, what: string): void {
  if (d === undefined) return;
  checkNumber(d[0], `${what}[0]`);
  checkNumber(d[1], `${what}[1]`);
  if (!(d[0] < d[1])) throw new InvalidArgumentError(`${what} must be increasing, got [${d}]`, { parameter: what });
}

/** Pixels per tick interval aimed at: about 6 intervals on a 300 px y axis and on a 480 px x axis. */
const TICK_SPACING = { x: 80, y: 50 };

/** Ticks of a quantitative axis over the data extent `[min, max]` (or the fixed `domain`). */
function axisTicks(
  min: number,
  max: number,
  log: boolean,
  axis: 'x' | 'y',
  pixels: number,
  domain?: readonly [number, number],
) {
  const target = Math.max(3, Math.round(pixels / TICK_SPACING[axis]));
  if (log && domain) {
    const t = logTicks(domain[0], domain[1]);
    const values = t.values.filter((v) => v >= domain[0] && v <= domain[1]);
    return { ...t, domain: [domain[0], domain[1]] as [number, number], values };
  }
  if (log) return logTicks(min, max);
  return domain ? niceTicks(domain[0], domain[1], target, true) : niceTicks(min, max, target);
}

/** Vega-Lite scale and axis properties of a quantitative axis with the given ticks. */
function quantitative(ticks: AxisTicks, log: boolean) {
  return {
    scale: log
      ? { type: 'log', domain: ticks.domain, nice: false }
      : { domain: ticks.domain, nice: false, zero: false },
    // labelExpr rather than format: the marks' aria-labels keep the data's full precision.
    axis: { values: ticks.values, labelExpr: `format(datum.value, '${ticks.format}')` },
  };
}

function extent(values: Iterable<number>): [number, number] {
  let lo = Number.POSITIVE_INFINITY;
  let hi = Number.NEGATIVE_INFINITY;
  for (const v of values) {
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  return [lo, hi];
}

/** Per-series encodings (colour, and point shape / dash pattern past 8 series) sharing one legend. */
function seriesEncodings(names: readonly string[], legendTitle: string | null) {
  const styles = names.map((_, i) => seriesStyle(i));
  const legend = legendFor(names, legendTitle);
  const field = { field: 'series', type: 'nominal', sort: names, title: legendTitle };
  return {
    color: { ...field, scale: { domain: names, range: styles.map((s) => s.color) }, legend },
    shape: { ...field, scale: { domain: names, range: styles.map((s) => s.shape) }, legend },
    strokeDash: { ...field, scale: { domain: names, range: styles.map((s) => s.dash) }, legend },
  };
}

/**
 * A line chart (one line with points per series, optional error bands or bars, legend in series order) as an SVG
 * string. Same input ⇒ identical SVG. Colours are colour-blind safe (Okabe–Ito); past 8 series, point shapes and
 * dash patterns keep every series distinct. Axes have 1-2-5 ticks and contain every point and error interval;
 * legend labels are never truncated.
 * @param options.errorStyle `'band'` (default) or `'bars'`.
 * @param options.logX / options.logY logarithmic axes (default false).
 */
export async function lineChartSvg(options: LineChartOptions): Promise<string> {
  const { series } = options;
  if (!series || series.length === 0) {
    throw new InvalidArgumentError('lineChartSvg needs at least one series', { parameter: 'series' });
  }
  const names = series.map((s) => s.name);
  checkNames(names, 'series');
  checkDomain(options.yDomain, 'yDomain');
  const values: Array<Record<string, unknown>> = [];
  const xs: number[] = [];
  const ys: number[] = [];
  let hasErr = false;
  for (const s of series) {
    if (s.points.length === 0) {
      throw new InvalidArgumentError(`series "${s.name}" has no points`, { parameter: 'series' });
    }
    s.points.forEach((p, i) => {
      const where = `series "${s.name}" point ${i}`;
      checkNumber(p.x, `${where} x`);
      checkNumber(p.y, `${where} y`);
      if (options.logX && p.x <= 0) throw new InvalidArgumentError(`${where}: x = ${p.x} ≤ 0 on a log x axis`, {});
      if (options.logY && p.y <= 0) throw new InvalidArgumentError(`${where}: y = ${p.y} ≤ 0 on a log y axis`, {});
      const row: Record<string, unknown> = { series: s.name, x: p.x, y: p.y, lo: null, hi: null };
      xs.push(p.x);
      ys.push(p.y);
      if (p.yErr !== undefined) {
        checkNumber(p.yErr, `${where} yErr`);
        if (p.yErr < 0) throw new InvalidArgumentError(`${where}: yErr = ${p.yErr} < 0`, {});
        row.lo = p.y - p.yErr;
        row.hi = p.y + p.yErr;
        // On a log axis an interval reaching 0 or below cannot be drawn: it is cut at the smallest y of the chart.
        if (options.logY && (row.lo as number) <= 0) row.lo = null;
        else ys.push(row.lo as number);
        ys.push(row.hi as number);
        hasErr = true;
      }
      values.push(row);
    });
  }
  const width = options.width ?? 480;
  const height = options.height ?? 300;
  const xTicks = axisTicks(...extent(xs), options.logX === true, 'x', width);
  const yTicks = axisTicks(...extent(ys), options.logY === true, 'y', height, options.yDomain);
  const yq = quantitative(yTicks, options.logY === true);
  const y = { field: 'y', type: 'quantitative', title: options.yLabel ?? 'y', ...yq };
  const enc = seriesEncodings(names, options.legendTitle ?? null);
  const clip = options.yDomain !== undefined;
  const layers: Array<Record<string, unknown>> = [];
  if (hasErr) {
    const errMark =
      (options.errorStyle ?? 'band') === 'band'
        ? { type: 'area', opacity: 0.2, clip }
        : { type: 'errorbar', ticks: true, thickness: 1.5, clip };
    layers.push({
      transform: [{ filter: 'isValid(datum.lo) && isValid(datum.hi)' }],
      mark: errMark,
      encoding: { y: { ...y, field: 'lo' }, y2: { field: 'hi' }, color: enc.color },
    });
  }
  layers.push({
    mark: { type: 'line', strokeWidth: 2, clip },
    encoding: { y, color: enc.color, strokeDash: enc.strokeDash },
  });
  layers.push({
    mark: { type: 'point', filled: true, opacity: 1, size: 36, clip },
    encoding: { y, color: enc.color, shape: enc.shape },
  });
  const spec = {
    title: options.title,
    width,
    height,
    background: 'white',
    data: { values },
    encoding: {
      x: {
        field: 'x',
        type: 'quantitative',
        title: options.xLabel ?? 'x',
        ...quantitative(xTicks, options.logX === true),
      },
    },
    layer: layers,
  };
  return renderVegaLiteSvg(spec);
}

/** One bar. */
export interface Bar {
  /** Position on the x axis (e.g. dataset or budget); labelled under its bars. */
  group: string;
  /** Bar within the group (e.g. method or arm); colored and listed in the legend. */
  name: string;
  value: number;
  /** Half-width of the error bar (e.g. std over seeds). */
  err?: number;
}

/** Options of {@link barChartSvg}. */
export interface BarChartOptions {
  title: string;
  bars: readonly Bar[];
  xLabel?: string;
  yLabel?: string;
  /** Plot area width in pixels. Default 480. */
  width?: number;
  /** Plot area height in pixels. Default 300. */
  height?: number;
  /**
   * Fixed y-axis range. Bars start at 0, so it must contain 0 and every bar and error bar; default fitted to 0 and
   * the data, widened to nice ticks.
   */
  yDomain?: readonly [number, number];
  /** Legend title; default none. */
  legendTitle?: string;
}

/** The x axis of a bar chart: every group labelled in full, slanted when the labels are wider than a group. */
function groupAxis(groups: readonly string[], width: number): Record<string, unknown> {
  const limit = labelLimitFor(groups);
  const slanted = limit > width / groups.length - 4;
  return {
    labelAngle: slanted ? -30 : 0,
    ...(slanted ? { labelAlign: 'right', labelBaseline: 'top' } : {}),
    labelLimit: limit,
    labelOverlap: false,
    labelFontSize: LABEL_FONT_SIZE,
  };
}

/**
 * A grouped bar chart (groups on x in order of first appearance, each labelled; one colored bar per name inside each
 * group, error bars where `err` is given) as an SVG string. Same input ⇒ identical SVG. Bars start at 0 and the y
 * axis (1-2-5 ticks) contains 0, every bar and every error bar; colours are Okabe–Ito, and past 8 names the bars get
 * dashed outlines; legend and group labels are never truncated.
 */
export async function barChartSvg(options: BarChartOptions): Promise<string> {
  const { bars } = options;
  if (!bars || bars.length === 0) {
    throw new InvalidArgumentError('barChartSvg needs at least one bar', { parameter: 'bars' });
  }
  checkDomain(options.yDomain, 'yDomain');
  const groups: string[] = [];
  const names: string[] = [];
  const seen = new Set<string>();
  const ys: number[] = [0];
  let hasErr = false;
  const values = bars.map((b, i) => {
    const where = `bar ${i} ("${b.group}" / "${b.name}")`;
    if (typeof b.group !== 'string' || typeof b.name !== 'string') {
      throw new InvalidArgumentError(`${where}: group and name must be strings`, { parameter: 'bars' });
    }
    checkNumber(b.value, `${where} value`);
    const pair = JSON.stringify([b.group, b.name]);
    if (seen.has(pair)) throw new InvalidArgumentError(`${where}: duplicate group/name pair`, { parameter: 'bars' });
    seen.add(pair);
    if (!groups.includes(b.group)) groups.push(b.group);
    if (!names.includes(b.name)) names.push(b.name);
    const row: Record<string, unknown> = { group: b.group, series: b.name, value: b.value, lo: null, hi: null };
    ys.push(b.value);
    if (b.err !== undefined) {
      checkNumber(b.err, `${where} err`);
      if (b.err < 0) throw new InvalidArgumentError(`${where}: err = ${b.err} < 0`, {});
      row.lo = b.value - b.err;
      row.hi = b.value + b.err;
      ys.push(row.lo as number, row.hi as number);
      hasErr = true;
    }
    return row;
  });
  checkNames(names, 'bar');
  const [lo, hi] = extent(ys);
  const d = options.yDomain;
  if (d && (d[0] > lo || d[1] < hi)) {
    throw new InvalidArgumentError(
      `yDomain [${d}] must contain 0 and every bar and error bar (${lo}..${hi}): bars start at 0`,
      { parameter: 'yDomain' },
    );
  }
  const width = options.width ?? 480;
  const height = options.height ?? 300;
  const yTicks = axisTicks(lo, hi, false, 'y', height, d);
  const y = { field: 'value', type: 'quantitative', title: options.yLabel ?? 'value', ...quantitative(yTicks, false) };
  (y.scale as { zero?: boolean }).zero = true;
  const enc = seriesEncodings(names, options.legendTitle ?? null);
  const barEncoding: Record<string, unknown> = { y, color: enc.color };
  let barMark: Record<string, unknown> = { type: 'bar' };
  if (names.length > SERIES_COLORS.length) {
    // Past 8 names the colours repeat: each further block is drawn lighter, with a dashed outline in its colour.
    const blocks = names.map((_, i) => Math.floor(i / SERIES_COLORS.length));
    const field = { field: 'series', type: 'nominal', sort: names, title: options.legendTitle ?? null };
    const legend = enc.color.legend;
    barEncoding.stroke = { ...field, scale: enc.color.scale, legend };
    barEncoding.strokeDash = enc.strokeDash;
    for (const row of values) row.alpha = 1 / (1 + 1.5 * (blocks[names.indexOf(row.series as string)] as number));
    barEncoding.fillOpacity = { field: 'alpha', type: 'quantitative', scale: null, legend: null };
    barMark = { type: 'bar', strokeWidth: 2 };
  }
  const layers: Array<Record<string, unknown>> = [{ mark: barMark, encoding: barEncoding }];
  if (hasErr) {
    layers.push({
      transform: [{ filter: 'isValid(datum.lo)' }],
      mark: { type: 'errorbar', ticks: { size: 10 }, thickness: 1.5 },
      encoding: { y: { ...y, field: 'lo' }, y2: { field: 'hi' }, color: { value: 'black' } },
    });
  }
  const spec = {
    title: options.title,
    width,
    height,
    background: 'white',
    data: { values },
    encoding: {
      x: {
        field: 'group',
        type: 'nominal',
        title: options.xLabel ?? null,
        sort: groups,
        scale: { domain: groups },
        axis: groupAxis(groups, width),
      },
      xOffset: { field: 'series', type: 'nominal', sort: names, scale: { domain: names } },
    },
    layer: layers,
  };
  return renderVegaLiteSvg(spec);
}

/** Writes an SVG string to `path` (creating parent directories) and returns the path. */
export async function writeSvg(path: string, svg: string): Promise<string> {
  if (!svg.startsWith('<svg')) {
    throw new InvalidArgumentError(`writeSvg: content for ${path} does not start with <svg`, { file: path });
  }
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, svg.endsWith('\n') ? svg : `${svg}\n`, 'utf8');
  return path;
}
