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
  /** Fixed y-axis range; default fitted to the data (not forced to include 0). */
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
}

/**
 * A line chart (one colored line with points per series, optional error bands or bars, legend in series order)
 * as an SVG string. Same input ⇒ identical SVG.
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
  const values: Array<Record<string, unknown>> = [];
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
      if (p.yErr !== undefined) {
        checkNumber(p.yErr, `${where} yErr`);
        if (p.yErr < 0) throw new InvalidArgumentError(`${where}: yErr = ${p.yErr} < 0`, {});
        row.lo = p.y - p.yErr;
        row.hi = p.y + p.yErr;
        hasErr = true;
      }
      values.push(row);
    });
  }
  const yScale: Record<string, unknown> = options.logY ? { type: 'log' } : { zero: false };
  if (options.yDomain) yScale.domain = [...options.yDomain];
  const y = { field: 'y', type: 'quantitative', title: options.yLabel ?? 'y', scale: yScale };
  const layers: Array<Record<string, unknown>> = [];
  if (hasErr) {
    const errMark =
      (options.errorStyle ?? 'band') === 'band'
        ? { type: 'area', opacity: 0.2 }
        : { type: 'errorbar', ticks: true, thickness: 1.5 };
    layers.push({
      transform: [{ filter: 'isValid(datum.lo)' }],
      mark: errMark,
      encoding: {
        y: { ...y, field: 'lo' },
        y2: { field: 'hi' },
      },
    });
  }
  layers.push({ mark: { type: 'line', point: true }, encoding: { y } });
  const spec = {
    title: options.title,
    width: options.width ?? 480,
    height: options.height ?? 300,
    background: 'white',
    data: { values },
    encoding: {
      x: {
        field: 'x',
        type: 'quantitative',
        title: options.xLabel ?? 'x',
        scale: options.logX ? { type: 'log' } : { zero: false },
      },
      color: {
        field: 'series',
        type: 'nominal',
        title: options.legendTitle ?? null,
        scale: { domain: names },
        sort: names,
      },
    },
    layer: layers,
  };
  return renderVegaLiteSvg(spec);
}

/** One bar. */
export interface Bar {
  /** Position on the x axis (e.g. dataset or budget). */
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
  /** Fixed y-axis range; default from 0 (or the minimum) to the maximum. */
  yDomain?: readonly [number, number];
  /** Legend title; default none. */
  legendTitle?: string;
}

/**
 * A grouped bar chart (groups on x in order of first appearance, one colored bar per name inside each group, error
 * bars where `err` is given) as an SVG string. Same input ⇒ identical SVG.
 */
export async function barChartSvg(options: BarChartOptions): Promise<string> {
  const { bars } = options;
  if (!bars || bars.length === 0) {
    throw new InvalidArgumentError('barChartSvg needs at least one bar', { parameter: 'bars' });
  }
  const groups: string[] = [];
  const names: string[] = [];
  const seen = new Set<string>();
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
    const row: Record<string, unknown> = { group: b.group, name: b.name, value: b.value, lo: null, hi: null };
    if (b.err !== undefined) {
      checkNumber(b.err, `${where} err`);
      if (b.err < 0) throw new InvalidArgumentError(`${where}: err = ${b.err} < 0`, {});
      row.lo = b.value - b.err;
      row.hi = b.value + b.err;
      hasErr = true;
    }
    return row;
  });
  const yScale: Record<string, unknown> = {};
  if (options.yDomain) yScale.domain = [...options.yDomain];
  const y = { field: 'value', type: 'quantitative', title: options.yLabel ?? 'value', scale: yScale };
  const layers: Array<Record<string, unknown>> = [{ mark: 'bar', encoding: { y } }];
  if (hasErr) {
    layers.push({
      transform: [{ filter: 'isValid(datum.lo)' }],
      mark: { type: 'errorbar', ticks: { size: 10 }, thickness: 1.5 },
      encoding: { y: { ...y, field: 'lo' }, y2: { field: 'hi' }, color: { value: 'black' } },
    });
  }
  const spec = {
    title: options.title,
    width: options.width ?? 480,
    height: options.height ?? 300,
    background: 'white',
    data: { values },
    encoding: {
      x: { field: 'group', type: 'nominal', title: options.xLabel ?? null, sort: groups, axis: { labelAngle: 0 } },
      xOffset: { field: 'name', type: 'nominal', sort: names, scale: { domain: names } },
      color: { field: 'name', type: 'nominal', title: options.legendTitle ?? null, scale: { domain: names } },
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
