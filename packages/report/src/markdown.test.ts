import { InvalidArgumentError } from '@ft/core';
import { describe, expect, it } from 'vitest';
import { formatMeanStd, markdownTable } from './markdown.js';

describe('markdownTable', () => {
  const rows = [
    { arm: 'FT', acc: 91.25, n: 3 },
    { arm: 'AdaFilter', acc: 92.5, n: 3 },
  ];

  it('pads columns and writes alignment markers', () => {
    expect(markdownTable(rows, ['arm', 'acc', 'n'], { align: ['left', 'right', 'center'] })).toBe(
      [
        '| arm       |   acc |  n  |',
        '| :-------- | ----: | :-: |',
        '| FT        | 91.25 |  3  |',
        '| AdaFilter |  92.5 |  3  |',
      ].join('\n'),
    );
  });

  it('default alignment, headers, digits and per-column formatters', () => {
    expect(
      markdownTable(
        rows,
        [
          { key: 'arm', header: 'Arm' },
          { key: 'acc', header: 'Accuracy (%)', align: 'right' },
          { key: 'n', format: (v) => `n=${v}` },
        ],
        { digits: 1 },
      ),
    ).toBe(
      [
        '| Arm       | Accuracy (%) | n   |',
        '| --------- | -----------: | --- |',
        '| FT        |         91.3 | n=3 |',
        '| AdaFilter |         92.5 | n=3 |',
      ].join('\n'),
    );
  });

  it('escapes pipes and newlines, leaves missing cells empty, counts ± as one character', () => {
    expect(markdownTable([{ a: 'x|y', b: 'l1\nl2' }, { a: '1.0 ± 0.2' }], ['a', 'b'])).toBe(
      [
        '| a         | b        |',
        '| --------- | -------- |',
        '| x\\|y      | l1<br>l2 |',
        '| 1.0 ± 0.2 |          |',
      ].join('\n'),
    );
  });

  it('throws on no columns or a wrong number of alignments', () => {
    expect(() => markdownTable(rows, [])).toThrow(InvalidArgumentError);
    expect(() => markdownTable(rows, ['arm'], { align: ['left', 'right'] })).toThrow(/align has 2 entries/);
  });
});

describe('formatMeanStd', () => {
  it('mean ± sample std with fixed digits', () => {
    expect(formatMeanStd([83.1, 84.3, 85.5])).toBe('84.3 ± 1.2');
    expect(formatMeanStd([83.1, 84.3, 85.5], 2)).toBe('84.30 ± 1.20');
    expect(formatMeanStd([0.9, 0.92, 0.94], 1, { scale: 100 })).toBe('92.0 ± 2.0');
    expect(formatMeanStd({ mean: 0.5, std: 0.25, n: 4 }, 3)).toBe('0.500 ± 0.250');
  });

  it('a single value prints without ± (std undefined); empty throws', () => {
    expect(formatMeanStd([84.25], 1)).toBe('84.3');
    expect(() => formatMeanStd([])).toThrow(InvalidArgumentError);
  });
});
