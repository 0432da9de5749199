// SVG curves of the results page: NMSE vs SNR, NMSE vs L and AER vs L per antenna count M.
import { mkdirSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { meanStd } from '@ft/core';
import { lineChartSvg, writeSvg } from '@ft/report';
import { LABEL, label, spread } from './format.mjs';

/** One line per method: y = NMSE (with the seed or block std as error bar) or AER (floored at 1e-5) against x. */
function curves(grid, methods, M, x, y, filter) {
  return methods
    .map((m) => ({
      name: label(m),
      points: grid
        .filter((r) => r.method === m && r.M === M && filter(r))
        .sort((a, b) => a[x] - b[x])
        .map((r) => {
          // error bars: std over training seeds (learned methods) or test blocks (the others)
          const ys = y === 'nmseDb' ? spread(r, 'nmseDb') : spread(r, 'aer').map((v) => Math.max(v, 1e-5));
          const s = meanStd(ys);
          const val = y === 'nmseDb' ? r.nmseDb : Math.max(r.aer, 1e-5);
          return { x: r[x], y: val, yErr: Number.isFinite(s.std) && y === 'nmseDb' ? s.std : undefined };
        }),
    }))
    .filter((s) => s.points.length > 0);
}

async function chart(path, options) {
  await writeSvg(path, await lineChartSvg(options));
}

/** The charts of one M; pushes the written images onto `images.snr`, `images.L` and `images.aer`. */
async function chartsForM(c, grid, methods, M, o, images) {
  const rel = (p) => relative(dirname(o.out), p);
  // A grid cut short (--quick, an interrupted run) may have no point for a chart: skip it rather than fail.
  const snrSeries = curves(grid, methods, M, 'snrDb', 'nmseDb', (r) => r.L === c.Lref);
  if (c.snrs.length > 1 && snrSeries.length > 0) {
    const p = join(o.svgDir, `nmse-vs-snr-M${M}.svg`);
    const title = `NMSE vs SNR (N = ${c.N}, M = ${M}, L = ${c.Lref})`;
    await chart(p, { title, series: snrSeries, xLabel: 'SNR (dB)', yLabel: 'NMSE (dB)' });
    images.snr.push({ path: rel(p), alt: `NMSE vs SNR, M = ${M}` });
  }
  const lSeries = curves(grid, methods, M, 'L', 'nmseDb', (r) => r.snrDb === c.snrRef);
  const aerSeries = curves(grid, methods, M, 'L', 'aer', (r) => r.snrDb === c.snrRef).filter(
    (s) => s.name !== LABEL.oracle && s.name !== LABEL['oracle-mmse'],
  );
  if (c.Ls.length > 1 && lSeries.length > 0 && aerSeries.length > 0) {
    const p = join(o.svgDir, `nmse-vs-L-M${M}.svg`);
    const title = `NMSE vs pilot length (M = ${M}, ${c.snrRef} dB)`;
    await chart(p, { title, series: lSeries, xLabel: 'pilot length L', yLabel: 'NMSE (dB)' });
    images.L.push({ path: rel(p), alt: `NMSE vs L, M = ${M}` });
    const q = join(o.svgDir, `aer-vs-L-M${M}.svg`);
    await chart(q, {
      title: `Activity error rate vs pilot length (M = ${M}, ${c.snrRef} dB)`,
      series: aerSeries,
      xLabel: 'pilot length L',
      yLabel: 'AER (floored at 1e-5)',
      logY: true,
    });
    images.aer.push({ path: rel(q), alt: `AER vs L, M = ${M}` });
  }
}

/**
 * Writes the SVG curves into `o.svgDir`; returns the images per page section, paths relative to the page.
 * @param {object} c the run configuration
 * @param {object[]} grid the grid records
 * @param {string[]} methods grid methods present, in page order
 * @param {{ out: string, svgDir: string }} o
 */
export async function writeCharts(c, grid, methods, o) {
  const images = { snr: [], L: [], aer: [] };
  mkdirSync(o.svgDir, { recursive: true });
  for (const M of c.Ms) await chartsForM(c, grid, methods, M, o, images);
  return images;
}
