import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InvalidArgumentError } from '@ft/core';
import { describe, expect, it } from 'vitest';
import { barChartSvg, lineChartSvg, writeSvg } from './plots.js';

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
