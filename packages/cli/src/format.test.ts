/** The human-readable result formatter: rounding, units, aligned blocks, tables and truncation. */
import { defineCommand } from '@ft/core';
import { describe, expect, it } from 'vitest';
import {
  formatBytes,
  formatDuration,
  formatKeyValues,
  formatNumber,
  formatNumberFor,
  formatResult,
  formatTable,
  formatValue,
} from './format.js';
import { runCli } from './run-cli.js';
import { capture } from './test-helpers.js';

describe('numbers', () => {
  it('formatNumber keeps integers and rounds the rest to 4 significant digits', () => {
    expect(formatNumber(0.16000000000000003)).toBe('0.16');
    expect(formatNumber(0.123456)).toBe('0.1235');
    expect(formatNumber(-2.71234)).toBe('-2.712');
    expect(formatNumber(1234.5678)).toBe('1235');
    expect(formatNumber(123456.78)).toBe('123457');
    expect(formatNumber(60000)).toBe('60000');
    expect(formatNumber(0)).toBe('0');
    expect(formatNumber(0.00012346)).toBe('0.0001235');
    expect(formatNumber(1.23456e-7)).toBe('1.235e-7');
    expect(formatNumber(-5e-9)).toBe('-5e-9');
  });

  it('durations and sizes carry units', () => {
    expect(formatDuration(850)).toBe('850 ms');
    expect(formatDuration(0.5234)).toBe('0.5234 ms');
    expect(formatDuration(12_345)).toBe('12.3 s');
    expect(formatDuration(125_000)).toBe('2 min 5 s');
    expect(formatDuration(3_725_000)).toBe('1 h 2 min');
    expect(formatBytes(512)).toBe('512 B');
    expect(formatBytes(1536)).toBe('1.5 KiB');
    expect(formatBytes(20.3 * 2 ** 20)).toBe('20.3 MiB');
    expect(formatBytes(3 * 2 ** 30)).toBe('3 GiB');
  });

  it('formatNumberFor reads the unit from the field name', () => {
    expect(formatNumberFor('accuracyPct', 87.5)).toBe('87.5%');
    expect(formatNumberFor('successRate', 0.16000000000000003)).toBe('16%');
    expect(formatNumberFor('activeFraction', 0.05123)).toBe('5.123%');
    expect(formatNumberFor('successRate', 3)).toBe('3'); // not a fraction: left as a number
    expect(formatNumberFor('seconds', 75.3)).toBe('1 min 15 s');
    expect(formatNumberFor('trainSeconds', 2.25)).toBe('2.25 s');
    expect(formatNumberFor('ms', 1500)).toBe('1.5 s');
    expect(formatNumberFor('msPerSample', 0.51234)).toBe('0.5123 ms');
    expect(formatNumberFor('bytes', 2048)).toBe('2 KiB');
    expect(formatNumberFor('fileBytes', 10)).toBe('10 B');
    expect(formatNumberFor('memoryGiB', 125)).toBe('125 GiB');
    expect(formatNumberFor('nmseDb', -12.345678)).toBe('-12.35 dB');
    expect(formatNumberFor('loss', 0.693456)).toBe('0.6935');
  });

  it('formatValue: booleans as yes/no, null as -, short arrays joined, typed arrays like arrays', () => {
    expect(formatValue('gpu', false)).toBe('no');
    expect(formatValue('anomalous', true)).toBe('yes');
    expect(formatValue('normalClass', null)).toBe('-');
    expect(formatValue('shape', [28, 28, 1])).toBe('28, 28, 1');
    expect(formatValue('mean', Float32Array.of(0.5, 0.25))).toBe('0.5, 0.25');
    expect(formatValue('snrDb', [0, 20])).toBe('0 dB, 20 dB');
    expect(formatValue('levels', [])).toBe('(none)');
  });
});

describe('blocks and tables', () => {
  it('formatKeyValues aligns the values in one column', () => {
    expect(
      formatKeyValues([
        ['n', '10'],
        ['successRate', '16%'],
      ]),
    ).toEqual(['n            10', 'successRate  16%']);
  });

  it('formatTable aligns columns, right-aligns numeric ones and cuts long lists with a count', () => {
    const lines = formatTable(
      ['file', 'score'],
      [
        ['a.png', '1.5'],
        ['bb.png', '12.25'],
        ['c.png', '3'],
      ],
      { maxRows: 2, numeric: [false, true] },
    );
    expect(lines).toEqual(['file    score', 'a.png     1.5', 'bb.png  12.25', '… (1 more, use --json)']);
  });

  it('a flat result is one aligned key/value block with rounded numbers and units', () => {
    const out = formatResult({
      attack: 'fgsm',
      n: 10,
      clean: 0.8,
      robust: 0.672,
      successRate: 0.16000000000000003,
      meanLinf: 0.049999999,
      seconds: 12.3,
    });
    expect(out.split('\n')).toEqual([
      'attack       fgsm',
      'n            10',
      'clean        0.8',
      'robust       0.672',
      'successRate  16%',
      'meanLinf     0.05',
      'seconds      12.3 s',
    ]);
    expect(out).not.toContain('0.16000000000000003');
  });

  it('nested objects become indented sub-blocks after the plain fields, never a raw {…} dump', () => {
    const out = formatResult({
      backend: 'ft-native',
      versions: { 'tfjs-core': '4.22.0', node: '20.19.0' },
      details: { isa: 'avx2', threads: 2, onednn: { version: '3.1' } },
      gpu: false,
    });
    expect(out.split('\n')).toEqual([
      'backend  ft-native',
      'gpu      no',
      '',
      'versions',
      '  tfjs-core  4.22.0',
      '  node       20.19.0',
      '',
      'details',
      '  isa      avx2',
      '  threads  2',
      '  onednn',
      '    version  3.1',
    ]);
    expect(out).not.toMatch(/[{}]/);
  });

  it('a list of records is a table with one row per item (nested fields as dotted columns), cut after maxRows', () => {
    const images = Array.from({ length: 25 }, (_, i) => ({
      file: `img/${i}.png`,
      score: 10 + i / 3,
      anomalous: i >= 20,
      perLevel: { block1: i * 1.111111, block2: 2.5 },
    }));
    const lines = formatResult({ n: 25, images }, { maxRows: 20 }).split('\n');
    expect(lines.slice(0, 5)).toEqual([
      'n  25',
      '',
      'images (25)',
      '  file        score  anomalous  perLevel.block1  perLevel.block2',
      '  img/0.png      10  no                       0              2.5',
    ]);
    expect(lines[5]).toBe('  img/1.png   10.33  no                   1.111              2.5');
    expect(lines).toHaveLength(4 + 20 + 1);
    expect(lines.at(-2)).toMatch(/^ {2}img\/19\.png/);
    expect(lines.at(-1)).toBe('  … (5 more, use --json)');
    // the last column is numeric and right-aligned: header and every row end at the same column
    expect(new Set(lines.slice(3, -1).map((l) => l.length)).size).toBe(1);
  });

  it('a record of records (metrics per method) is one table with the key as first column', () => {
    const lines = formatResult({
      methods: {
        'amp-mmv': { nmseDb: -12.345678, pMiss: 0.00012346, msPerSample: 0.5123 },
        fista: { nmseDb: -9.1, pMiss: 0.01, msPerSample: 3.21 },
      },
    }).split('\n');
    expect(lines).toEqual([
      'methods',
      '  method      nmseDb      pMiss  msPerSample',
      '  amp-mmv  -12.35 dB  0.0001235    0.5123 ms',
      '  fista      -9.1 dB       0.01      3.21 ms',
    ]);
  });

  it('a long list of plain values is a numbered table, a short one stays on one line; a Markdown table is kept', () => {
    const long = formatResult({ perClass: Array.from({ length: 30 }, (_, i) => i / 4) }, { maxRows: 3 });
    expect(long.split('\n')).toEqual([
      'perClass (30)',
      '  #  perClass',
      '  0         0',
      '  1      0.25',
      '  2       0.5',
      '  … (27 more, use --json)',
    ]);
    expect(formatResult({ classCounts: [3, 3] })).toBe('classCounts  3, 3');
    expect(formatResult({ n: 1, table: '| a |\n|---|' })).toBe('n  1\n\n| a |\n|---|');
  });
});

describe('runCli output', () => {
  const result = {
    attack: 'fgsm',
    n: 3,
    successRate: 0.16000000000000003,
    seconds: 1.25,
    versions: { core: '1.0.0' },
    images: [
      { file: 'a.png', score: 1.23456789, perLevel: { block1: 0.5 } },
      { file: 'b.png', score: 2, perLevel: { block1: 0.25 } },
      { file: 'c.png', score: 3.5, perLevel: { block1: 1 / 3 } },
    ],
  };
  const commands = [
    defineCommand({ name: 'demo', description: 'demo result', needsBackend: false, run: async () => result }),
  ];

  it('without --json: the formatted tables; with --json: exactly JSON.stringify(result), unrounded', async () => {
    const human = capture();
    expect(await runCli(['demo'], { commands, io: human.io })).toBe(0);
    expect(human.out()).toBe(`${formatResult(result)}\n`);
    expect(human.out()).toContain('successRate  16%');
    expect(human.out()).toMatch(/^ {2}a\.png +1\.235 +0\.5$/m);
    const json = capture();
    expect(await runCli(['demo', '--json'], { commands, io: json.io })).toBe(0);
    expect(json.out()).toBe(`${JSON.stringify(result)}\n`);
    expect(json.out()).toContain('"successRate":0.16000000000000003');
    expect(JSON.parse(json.out())).toEqual(result);
  });
});
