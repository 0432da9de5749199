import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InvalidArgumentError } from '@ft/core';
import { describe, expect, it } from 'vitest';
import {
  axisLabels,
  markColors,
  markExtent,
  plotFrame,
  rasterise,
  svgSize,
  textsOfRole,
} from '../test/test-helpers.js';
import {
  barChartSvg,
  estimateTextWidth,
  labelLimitFor,
  lineChartSvg,
  logTicks,
  MAX_SERIES,
  niceTicks,
  SERIES_COLORS,
  seriesStyle,
  writeSvg,
} from './plots.js';

/** Checks that every opened tag is closed in order (self-closing tags allowed): a cheap well-formedness test. */
function expectBalancedTags(svg: string): void {
  const stack: string[] = [];
  for (const m of svg.matchAll(/<(\/?)([A-Za-z][\w:-]*)[^>]*?(\/?)>/g)) {
    const [, close, name, self] = m;
    if (self) continue;
    if (close) expect(stack.pop(), `closing </${name}>`).toBe(name);
    else stack.push(name);
  }
  expect(stack).toEqual([]);
}

const line = {
  title: 'Accuracy vs labels per class',
  xLabel: 'labels per class',
  yLabel: 'accuracy (%)',
  logX: true,
  series: [
    {
      name: 'FixMatch-lite',
      points: [
        { x: 1, y: 60, yErr: 3 },
        { x: 4, y: 80, yErr: 2 },
        { x: 25, y: 90, yErr: 1 },
      ],
    },
    {
      name: 'Supervised',
      points: [
        { x: 1, y: 40 },
        { x: 4, y: 65 },
        { x: 25, y: 85 },
      ],
    },
  ],
};

const bars = {
  title: 'Error by arm',
  yLabel: 'error (%)',
  bars: [
    { group: 'MNIST', name: 'FT', value: 5, err: 0.5 },
    { group: 'MNIST', name: 'AdaFilter', value: 4, err: 0.3 },
    { group: 'FMNIST', name: 'FT', value: 12, err: 1 },
    { group: 'FMNIST', name: 'AdaFilter', value: 10.5 },
  ],
};

describe('SVG charts', () => {
  it('lineChartSvg: well-formed SVG with paths, title, labels and series names; deterministic', async () => {
    const a = await lineChartSvg(line);
    const b = await lineChartSvg(line);
    expect(a).toBe(b);
    expect(a.startsWith('<svg')).toBe(true);
    expect(a.trimEnd().endsWith('</svg>')).toBe(true);
    expect(a).toMatch(/<path [^>]*d="M/);
    for (const s of [
      'Accuracy vs labels per class',
      'labels per class',
      'accuracy (%)',
      'FixMatch-lite',
      'Supervised',
    ]) {
      expect(a).toContain(s);
    }
    expectBalancedTags(a);
    // The error band is an extra filled area: the 'bars' style draws a different picture.
    const c = await lineChartSvg({ ...line, errorStyle: 'bars' });
    expect(c).not.toBe(a);
    expectBalancedTags(c);
  });

  it('barChartSvg: groups, names and error bars; deterministic', async () => {
    const a = await barChartSvg(bars);
    expect(await barChartSvg(bars)).toBe(a);
    expect(a.startsWith('<svg')).toBe(true);
    for (const s of ['Error by arm', 'error (%)', 'MNIST', 'FMNIST', 'FT', 'AdaFilter']) expect(a).toContain(s);
    expect(a).toMatch(/<path [^>]*d="M/);
    expectBalancedTags(a);
    // Error bars add marks: the same bars without errors give a shorter SVG.
    const noErr = await barChartSvg({ ...bars, bars: bars.bars.map(({ err: _e, ...b }) => b) });
    expect(noErr.length).toBeLessThan(a.length);
  });

  it('escapes markup in names', async () => {
    const svg = await lineChartSvg({ title: 'a <b> & c', series: [{ name: 'x<y', points: [{ x: 0, y: 1 }] }] });
    expect(svg).toContain('a &lt;b&gt; &amp; c');
    expectBalancedTags(svg);
  });

  it('rejects bad input with typed errors', async () => {
    await expect(lineChartSvg({ title: 't', series: [] })).rejects.toThrow(InvalidArgumentError);
    await expect(
      lineChartSvg({ title: 't', series: [{ name: 'a', points: [{ x: 0, y: 1 }] }], logX: true }),
    ).rejects.toThrow(/x = 0 ≤ 0 on a log x axis/);
    await expect(
      lineChartSvg({ title: 't', series: [{ name: 'a', points: [{ x: 1, y: Number.NaN }] }] }),
    ).rejects.toThrow(/series "a" point 0 y must be a finite number/);
    await expect(
      lineChartSvg({
        title: 't',
        series: [
          { name: 'a', points: [{ x: 1, y: 1 }] },
          { name: 'a', points: [{ x: 1, y: 1 }] },
        ],
      }),
    ).rejects.toThrow(/duplicate series name "a"/);
    await expect(barChartSvg({ title: 't', bars: [{ group: 'g', name: 'n', value: 1, err: -1 }] })).rejects.toThrow(
      /err = -1 < 0/,
    );
  });

  it('writeSvg writes the file with a trailing newline', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ft-svg-'));
    try {
      const path = join(dir, 'nested', 'chart.svg');
      const svg = await barChartSvg(bars);
      expect(await writeSvg(path, svg)).toBe(path);
      expect(await readFile(path, 'utf8')).toBe(`${svg}\n`);
      await expect(writeSvg(path, 'not svg')).rejects.toThrow(/does not start with <svg/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('plot layout rules', () => {
  it('niceTicks: 1-2-5 steps, a domain from tick to tick that contains the data', () => {
    const t = niceTicks(0, 3938);
    expect(t.step).toBe(1000);
    expect(t.values).toEqual([0, 1000, 2000, 3000, 4000]);
    expect(t.domain).toEqual([0, 4000]);
    expect(t.format).toBe('.0f');
    expect(niceTicks(0, 3938, 8).values).toEqual([0, 500, 1000, 1500, 2000, 2500, 3000, 3500, 4000]);
    expect(niceTicks(-24.6, -1.3, 6)).toMatchObject({ step: 5, domain: [-25, 0], values: [-25, -20, -15, -10, -5, 0] });
    // Binary noise is rounded away (3 × 0.02 is 0.06, not 0.06000000000000001).
    expect(niceTicks(0, 0.1, 5)).toMatchObject({ step: 0.02, values: [0, 0.02, 0.04, 0.06, 0.08, 0.1], format: '.2f' });
    // A fixed domain is kept; only the ticks inside it are listed.
    expect(niceTicks(50, 100, 6, true)).toMatchObject({ domain: [50, 100], values: [50, 60, 70, 80, 90, 100] });
    expect(niceTicks(3, 3)).toMatchObject({ domain: [2.7, 3.3], step: 0.1 });
    expect(niceTicks(0, 0).domain).toEqual([0, 1]);
    // A sweep of ranges: every step is 1, 2 or 5 × 10^k, at most ~target intervals, and the domain covers the data.
    let x = 0.37;
    for (let i = 0; i < 200; i++) {
      x = (x * 9301 + 49297) % 233280; // a fixed sequence of ranges over many magnitudes
      const lo = ((x % 1000) - 500) * 10 ** ((i % 9) - 4);
      const hi = lo + (1 + (x % 777)) * 10 ** ((i % 7) - 3);
      const target = 3 + (i % 6);
      const tk = niceTicks(lo, hi, target);
      const m = tk.step / 10 ** Math.floor(Math.log10(tk.step) + 1e-9);
      expect(
        [1, 2, 5].some((n) => Math.abs(m - n) < 1e-9),
        `step ${tk.step}`,
      ).toBe(true);
      expect(tk.values.length - 1).toBeLessThanOrEqual(target + 1);
      expect(tk.domain[0]).toBeLessThanOrEqual(lo);
      expect(tk.domain[1]).toBeGreaterThanOrEqual(hi);
    }
    expect(() => niceTicks(2, 1)).toThrow(InvalidArgumentError);
  });

  it('logTicks: whole decades, with 2 and 5 on short ranges', () => {
    expect(logTicks(1e-5, 1)).toMatchObject({ domain: [1e-5, 1], values: [1e-5, 1e-4, 1e-3, 1e-2, 0.1, 1] });
    expect(logTicks(1, 25)).toMatchObject({ domain: [1, 50], values: [1, 2, 5, 10, 20, 50] });
    expect(logTicks(0.003, 0.04).values).toEqual([0.002, 0.005, 0.01, 0.02, 0.05]);
    expect(logTicks(3, 3)).toMatchObject({ domain: [2, 5], values: [2, 5] });
    expect(logTicks(5, 5).values).toEqual([5, 10]);
    expect(logTicks(1e-12, 1).values).toEqual([1e-12, 1e-10, 1e-8, 1e-6, 1e-4, 1e-2, 1]);
    expect(logTicks(1e-9, 1)).toMatchObject({ domain: [1e-9, 10], values: [1e-9, 1e-7, 1e-5, 1e-3, 0.1, 10] });
    expect(() => logTicks(0, 1)).toThrow(/0 < min/);
  });

  it('a log axis shows the log ticks, and a fixed log range keeps only the ticks inside it', async () => {
    const series = [{ name: 'a', points: [1, 4, 25].map((x) => ({ x, y: 100 / x })) }];
    const svg = await lineChartSvg({ title: 't', series, logX: true, logY: true });
    const [x, y] = axisLabels(svg);
    expect(x).toEqual(['1', '2', '5', '10', '20', '50']);
    expect(y).toEqual(['2', '5', '10', '20', '50', '100']);
    const fixed = await lineChartSvg({ title: 't', series, logY: true, yDomain: [3, 150] });
    expect(axisLabels(fixed)[1]).toEqual(['5', '10', '20', '50', '100']);
  });

  it('a rendered axis shows exactly the nice ticks (backend-style bars up to 3938 images/s)', async () => {
    const svg = await barChartSvg({
      title: 'images/s',
      bars: [
        { group: 'TinyCNN', name: 'ft-native', value: 3938 },
        { group: 'TinyCNN', name: 'PyTorch', value: 2625 },
        { group: 'ResNet-8', name: 'ft-native', value: 1313 },
        { group: 'ResNet-8', name: 'PyTorch', value: 1200 },
      ],
    });
    const [groupLabels, yLabels] = axisLabels(svg);
    expect(groupLabels).toEqual(['TinyCNN', 'ResNet-8']);
    expect(yLabels).toEqual(['0', '1000', '2000', '3000', '4000']);
  });

  it('bars start at 0: the bar bottoms sit on the x axis, and a y range without 0 is refused', async () => {
    const bars = [
      { group: 'MNIST', name: 'raw', value: 91.1, err: 0.2 },
      { group: 'MNIST', name: 'LW', value: 92.4, err: 0.1 },
      { group: 'F-MNIST', name: 'raw', value: 93, err: 0.1 },
    ];
    const svg = await barChartSvg({ title: 'AUROC', bars });
    const frame = plotFrame(svg);
    const rects = [...svg.matchAll(/aria-roledescription="bar" d="M([\d.]+),([\d.]+)h([\d.]+)v([\d.]+)h/g)];
    expect(rects).toHaveLength(3);
    for (const r of rects) expect(Number(r[2]) + Number(r[4])).toBeCloseTo(frame.height, 6);
    expect(axisLabels(svg)[1]?.[0]).toBe('0');
    // Negative values hang down from 0, inside the axis.
    const neg = await barChartSvg({
      title: 'Δ',
      bars: [
        { group: 'g', name: 'a', value: -3 },
        { group: 'g', name: 'b', value: 2 },
      ],
    });
    expect(axisLabels(neg)[1]).toEqual(['-3', '-2', '-1', '0', '1', '2'].map((v) => v.replace('-', '−')));
    const box = markExtent(neg);
    expect(box.y0).toBeGreaterThanOrEqual(0);
    expect(box.y1).toBeLessThanOrEqual(plotFrame(neg).height + 1e-9);
    await expect(barChartSvg({ title: 't', bars, yDomain: [50, 100] })).rejects.toThrow(/must contain 0/);
    await expect(barChartSvg({ title: 't', bars, yDomain: [0, 92] })).rejects.toThrow(/every bar and error bar/);
    expect(axisLabels(await barChartSvg({ title: 't', bars, yDomain: [0, 100] }))[1]?.at(-1)).toBe('100');
  });

  it('palette: Okabe-Ito colours, and past 8 series a distinct shape and dash for every series', async () => {
    expect(SERIES_COLORS.map((c) => c.toUpperCase())).toEqual([
      '#0072B2',
      '#E69F00',
      '#009E73',
      '#D55E00',
      '#CC79A7',
      '#56B4E9',
      '#000000',
      '#F0E442',
    ]);
    const styles = Array.from({ length: MAX_SERIES }, (_, i) => seriesStyle(i));
    const keys = styles.map((s) => `${s.color}|${s.shape}|${s.dash.join(',')}`);
    expect(new Set(keys).size).toBe(MAX_SERIES);
    expect(new Set(styles.slice(0, 8).map((s) => s.color)).size).toBe(8);
    expect(styles[8]?.color).toBe(styles[0]?.color);
    expect(styles[8]?.shape).not.toBe(styles[0]?.shape);
    expect(styles[8]?.dash).not.toEqual(styles[0]?.dash);
    expect(() => seriesStyle(MAX_SERIES)).toThrow(InvalidArgumentError);

    // 11 series, as on the JADCE NMSE chart: 8 colours, and series 9-11 dashed with square points.
    const names = Array.from({ length: 11 }, (_, i) => `method ${i + 1}`);
    const svg = await lineChartSvg({
      title: 'NMSE',
      series: names.map((name, i) => ({ name, points: [0, 10, 20].map((x) => ({ x, y: -x - i })) })),
    });
    const lines = [
      ...svg.matchAll(/aria-roledescription="line mark" d="[^"]*" stroke="([^"]+)"[^>]*stroke-dasharray="([^"]+)"/g),
    ];
    expect(lines).toHaveLength(11);
    expect(new Set(lines.map((l) => `${l[1]}|${l[2]}`)).size).toBe(11);
    expect(new Set(lines.map((l) => l[1])).size).toBe(8);
    expect(lines.slice(8).every((l) => l[2] === '7,3')).toBe(true);
    expect(textsOfRole(svg, 'legend-label')).toEqual(names);
    expect(markColors(svg).size).toBe(8);
    await expect(
      lineChartSvg({
        title: 't',
        series: Array.from({ length: MAX_SERIES + 1 }, (_, i) => ({ name: `s${i}`, points: [{ x: 0, y: i }] })),
      }),
    ).rejects.toThrow(/at most 48 can be told apart/);
  });

  it('legend: the label area grows with the longest label, and no label is cut', async () => {
    expect(estimateTextWidth('abcd', 10)).toBe(32);
    expect(labelLimitFor(['a', 'Proposed (reconstruction-aware training)'])).toBe(
      estimateTextWidth('Proposed (reconstruction-aware training)', 10) + 2,
    );
    const chart = (name: string) =>
      lineChartSvg({
        title: 't',
        series: [
          { name: 'A', points: [{ x: 0, y: 0 }] },
          { name, points: [{ x: 1, y: 1 }] },
        ],
      });
    const short = await chart('B');
    const longName = 'Euclidean FT early-stopped, best validation checkpoint';
    const long = await chart(longName);
    expect(textsOfRole(long, 'legend-label')).toEqual(['A', longName]);
    expect(long).not.toContain('…');
    // The image widens by the extra label width Vega reserves (0.8 × 10 px per character).
    const grow = svgSize(long).width - svgSize(short).width;
    expect(grow).toBeGreaterThanOrEqual(estimateTextWidth(longName, 10) - estimateTextWidth('B', 10) - 2);
    // Rasterised, the legend text stays inside the image.
    const r = rasterise(long);
    expect(r.box.x1).toBeLessThan(r.width - 1);
    // Long group names are labelled in full too (slanted when wider than a group).
    const bars = await barChartSvg({
      title: 't',
      bars: ['ResNet-20 (28×28×1), batch 128', 'TinyCNN'].map((group) => ({ group, name: 'x', value: 1 })),
      width: 120,
    });
    expect(axisLabels(bars)[0]).toEqual(['ResNet-20 (28×28×1), batch 128', 'TinyCNN']);
    const rb = rasterise(bars);
    expect([rb.box.x0, rb.box.y0]).not.toContain(0);
    expect(rb.box.y1).toBeLessThan(rb.height - 1);
  });

  it('a fixed y range of a line chart clips the marks at the frame; fitted axes contain every error interval', async () => {
    const series = [
      {
        name: 'a',
        points: [
          { x: 0, y: 1, yErr: 0.5 },
          { x: 1, y: 3, yErr: 2.2 },
        ],
      },
    ];
    const fitted = await lineChartSvg({ title: 't', series });
    const ticks = axisLabels(fitted)[1]?.map((l) => Number(l.replace('−', '-'))) ?? [];
    expect(ticks[0]).toBeLessThanOrEqual(0.5);
    expect(ticks.at(-1)).toBeGreaterThanOrEqual(5.2);
    const box = markExtent(fitted);
    expect(box.y0).toBeGreaterThanOrEqual(-4);
    expect(box.y1).toBeLessThanOrEqual(plotFrame(fitted).height + 4);
    const zoomed = await lineChartSvg({ title: 't', series, yDomain: [0, 2] });
    expect(zoomed).toMatch(/<g class="mark-line role-mark[^"]*"[^>]*clip-path=/);
    await expect(lineChartSvg({ title: 't', series, yDomain: [2, 0] })).rejects.toThrow(/increasing/);
  });
});
