/**
 * Reading back the charts that `plots.ts` draws: texts by Vega role, the plot frame, the extent of the data marks
 * and a rasterised image (resvg), for the plot tests and the committed-SVG checks. Vega's SVG output is regular: the
 * root frame group holds the cell background (`<path class="background" d="M0.5,0.5hWvHh-WZ">`), and the data marks
 * (`<g class="mark-<type> role-mark ...">`) are drawn in the cell's coordinates, one element per item.
 */
import { Resvg } from '@resvg/resvg-js';

const ENTITIES: Record<string, string> = { '&lt;': '<', '&gt;': '>', '&amp;': '&', '&quot;': '"', '&#39;': "'" };

function unescapeXml(s: string): string {
  return s.replace(/&(lt|gt|amp|quot|#39);/g, (m) => ENTITIES[m] ?? m);
}

/** The text of every `<text>` inside the mark groups of Vega role `role` (e.g. `legend-label`, `axis-label`). */
export function textsOfRole(svg: string, role: string): string[] {
  const out: string[] = [];
  const open = new RegExp(`<g class="mark-text role-${role}\\b[^"]*"[^>]*>`, 'g');
  for (const m of svg.matchAll(open)) {
    const rest = svg.slice((m.index ?? 0) + m[0].length);
    const body = rest.slice(0, rest.indexOf('</g>'));
    for (const t of body.matchAll(/<text\b[^>]*>([^<]*)<\/text>/g)) out.push(unescapeXml(t[1] as string));
  }
  return out;
}

/** The labels of each axis, one array per axis (in document order). */
export function axisLabels(svg: string): string[][] {
  const out: string[][] = [];
  for (const m of svg.matchAll(/<g class="mark-text role-axis-label\b[^"]*"[^>]*>/g)) {
    const rest = svg.slice((m.index ?? 0) + m[0].length);
    const body = rest.slice(0, rest.indexOf('</g>'));
    out.push([...body.matchAll(/<text\b[^>]*>([^<]*)<\/text>/g)].map((t) => unescapeXml(t[1] as string)));
  }
  return out;
}

/** A tick label as a number ('−' minus, thousands commas), or NaN. */
export function tickValue(label: string): number {
  const s = label.replace(/\u2212/g, '-').replace(/,/g, '');
  return /^-?(\d+\.?\d*|\.\d+)(e[-+]?\d+)?$/i.test(s) ? Number(s) : Number.NaN;
}

/** Whether `v` is 1, 2 or 5 × 10^k. */
export function isNiceNumber(v: number): boolean {
  if (!(v > 0)) return false;
  const k = Math.floor(Math.log10(v) + 1e-9);
  const m = v / 10 ** k;
  return [1, 2, 5, 10].some((n) => Math.abs(m - n) < 1e-6);
}

/**
 * Whether numeric tick labels step in 1-2-5 units: equal steps of 1, 2 or 5 × 10^k (linear axes), or every tick
 * itself 1, 2 or 5 × 10^k (log axes).
 */
export function isNiceTickSequence(values: readonly number[]): boolean {
  if (values.length < 2) return true;
  const steps = values.slice(1).map((v, i) => v - (values[i] as number));
  const step = steps[0] as number;
  const tol = Math.abs(step) * 1e-6 + 1e-12;
  if (steps.every((s) => Math.abs(s - step) <= tol)) return isNiceNumber(Math.abs(step));
  return values.every((v) => isNiceNumber(v));
}

/** The fill and stroke colours of the data marks (upper case; `none` and transparent ones left out). */
export function markColors(svg: string): Set<string> {
  const colors = new Set<string>();
  for (const m of svg.matchAll(/<g class="mark-\w+ role-mark\b[^>]*>/g)) {
    const rest = svg.slice((m.index ?? 0) + m[0].length);
    const body = rest.slice(0, rest.indexOf('</g>'));
    for (const c of body.matchAll(/\b(?:fill|stroke)="(#[0-9a-fA-F]{3,6})"/g))
      colors.add((c[1] as string).toUpperCase());
  }
  return colors;
}

/** Every `<text>` of the SVG (unescaped). */
export function allTexts(svg: string): string[] {
  return [...svg.matchAll(/<text\b[^>]*>([^<]*)<\/text>/g)].map((m) => unescapeXml(m[1] as string));
}

/** Width, height and viewBox size of the root `<svg>`. */
export function svgSize(svg: string): { width: number; height: number } {
  const m = /^<svg\b[^>]*\bwidth="([\d.]+)"[^>]*\bheight="([\d.]+)"/.exec(svg);
  if (!m) throw new Error('no <svg width height>');
  return { width: Number(m[1]), height: Number(m[2]) };
}

/** The plot area (the first cell background of the root frame): width and height in pixels. */
export function plotFrame(svg: string): { width: number; height: number } {
  const m = /<path class="background"[^>]*\bd="M0\.5,0\.5h([\d.]+)v([\d.]+)h-[\d.]+Z"/.exec(svg);
  if (!m) throw new Error('no plot frame background');
  return { width: Number(m[1]), height: Number(m[2]) };
}

/** The points an SVG path's commands visit (arc and curve end points included; control points ignored). */
export function pathPoints(d: string): Array<[number, number]> {
  const pts: Array<[number, number]> = [];
  const tokens = d.match(/[a-zA-Z]|-?(?:\d+\.?\d*|\.\d+)(?:e[-+]?\d+)?/g) ?? [];
  let x = 0;
  let y = 0;
  let sx = 0;
  let sy = 0;
  let cmd = '';
  let i = 0;
  const num = () => Number(tokens[i++]);
  const arity: Record<string, number> = { m: 2, l: 2, h: 1, v: 1, c: 6, s: 4, q: 4, t: 2, a: 7, z: 0 };
  while (i < tokens.length) {
    if (/[a-zA-Z]/.test(tokens[i] as string)) cmd = tokens[i++] as string;
    const lower = cmd.toLowerCase();
    const rel = cmd === lower;
    if (lower === 'z') {
      x = sx;
      y = sy;
      continue;
    }
    const args = Array.from({ length: arity[lower] ?? 0 }, num);
    if (lower === 'h') x = (rel ? x : 0) + (args[0] as number);
    else if (lower === 'v') y = (rel ? y : 0) + (args[0] as number);
    else {
      const ex = args[args.length - 2] as number;
      const ey = args[args.length - 1] as number;
      x = (rel ? x : 0) + ex;
      y = (rel ? y : 0) + ey;
    }
    if (lower === 'm') {
      sx = x;
      sy = y;
      cmd = rel ? 'l' : 'L';
    }
    pts.push([x, y]);
  }
  return pts;
}

/** Bounding box of every data mark (bars, lines, areas, points, rules) of the chart, in plot-area coordinates. */
export function markExtent(svg: string): { x0: number; y0: number; x1: number; y1: number; marks: number } {
  const box = { x0: Infinity, y0: Infinity, x1: -Infinity, y1: -Infinity, marks: 0 };
  const add = (px: number, py: number) => {
    box.x0 = Math.min(box.x0, px);
    box.y0 = Math.min(box.y0, py);
    box.x1 = Math.max(box.x1, px);
    box.y1 = Math.max(box.y1, py);
  };
  for (const m of svg.matchAll(/<g class="mark-(\w+) role-mark\b[^"]*"[^>]*>/g)) {
    if (m[0].includes('clip-path')) continue; // clipped at the frame by construction
    const rest = svg.slice((m.index ?? 0) + m[0].length);
    const body = rest.slice(0, rest.indexOf('</g>'));
    for (const el of body.matchAll(/<(path|line)\b([^>]*)>/g)) {
      const attrs = el[2] as string;
      const t = /transform="translate\((-?[\d.e+-]+),\s*(-?[\d.e+-]+)\)"/.exec(attrs);
      const tx = t ? Number(t[1]) : 0;
      const ty = t ? Number(t[2]) : 0;
      box.marks++;
      if (el[1] === 'line') {
        const x2 = Number(/\bx2="([^"]+)"/.exec(attrs)?.[1] ?? 0);
        const y2 = Number(/\by2="([^"]+)"/.exec(attrs)?.[1] ?? 0);
        add(tx, ty);
        add(tx + x2, ty + y2);
        continue;
      }
      const d = /\bd="([^"]*)"/.exec(attrs)?.[1] ?? '';
      for (const [px, py] of pathPoints(d)) add(tx + px, ty + py);
    }
  }
  return box;
}

/** The SVG rasterised at its own size on white, with the share of non-white pixels and their bounding box. */
export function rasterise(svg: string): {
  width: number;
  height: number;
  inked: number;
  box: { x0: number; y0: number; x1: number; y1: number };
  png: Buffer;
} {
  const image = new Resvg(svg, {
    background: 'white',
    fitTo: { mode: 'original' },
    font: { loadSystemFonts: true, defaultFontFamily: 'DejaVu Sans', sansSerifFamily: 'DejaVu Sans' },
  }).render();
  const { width, height, pixels } = image;
  let inked = 0;
  const box = { x0: width, y0: height, x1: -1, y1: -1 };
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const k = 4 * (y * width + x);
      if ((pixels[k] as number) < 245 || (pixels[k + 1] as number) < 245 || (pixels[k + 2] as number) < 245) {
        inked++;
        if (x < box.x0) box.x0 = x;
        if (y < box.y0) box.y0 = y;
        if (x > box.x1) box.x1 = x;
        if (y > box.y1) box.y1 = y;
      }
    }
  }
  return { width, height, inked: inked / (width * height), box, png: image.asPng() };
}

/** Series names the data marks carry in their `aria-label` (`series: …`, or `name: …` in older bar charts). */
export function markSeriesNames(svg: string): Set<string> {
  const names = new Set<string>();
  for (const m of svg.matchAll(/<g class="mark-\w+ role-mark\b[^>]*>/g)) {
    const rest = svg.slice((m.index ?? 0) + m[0].length);
    const body = rest.slice(0, rest.indexOf('</g>'));
    for (const a of body.matchAll(/aria-label="[^"]*?\b(?:series|name): ([^";]*)[";]/g)) {
      names.add(unescapeXml(a[1] as string));
    }
  }
  return names;
}
