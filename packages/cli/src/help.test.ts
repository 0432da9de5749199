/** `--help` of ft, of a group and of a command: aligned columns, defaults, constraints, examples. */
import { type CommandSpec, defineCommand } from '@ft/core';
import { describe, expect, it } from 'vitest';
import { commandHelp, constraintText, groupHelp, mainHelp } from './help.js';
import { runCli } from './run-cli.js';
import { capture } from './test-helpers.js';

const common = {
  seed: { type: 'number', description: 'Seed', default: 0, integer: true },
  help: { type: 'boolean', description: 'Show help', short: 'h', default: false },
} as const;

const fit = defineCommand({
  group: 'demo',
  name: 'fit',
  description: 'Fit a demo model',
  positionals: [{ name: 'data', description: 'the data folder', required: true }],
  options: {
    steps: { type: 'number', description: 'Steps', default: 3, integer: true, min: 1 },
    mode: { type: 'string', description: 'Mode', choices: ['a', 'b'], default: 'a' },
    rate: { type: 'number', description: 'Rate', exclusiveMin: 0, max: 1 },
    out: { type: 'string', description: 'Where to write', required: true, output: 'dir' },
    quiet: { type: 'boolean', description: 'Less output', default: false },
  },
  examples: ['ft demo fit data/ --out model/', 'ft demo fit data/ --steps 10 --mode b --out model/ --json'],
  needsBackend: false,
  run: async () => ({}),
});
const score = defineCommand({
  group: 'demo',
  name: 'score',
  description: 'Score with a demo model',
  needsBackend: false,
  run: async () => ({}),
});
const top = defineCommand({ name: 'hello', description: 'Say hello', needsBackend: false, run: async () => ({}) });
const other = defineCommand({
  group: 'zz',
  name: 'x',
  description: 'Another group',
  needsBackend: false,
  run: async () => ({}),
});
const commands: CommandSpec[] = [top, fit, score, other];

/** The column (0-based) where the last cell of an aligned row starts. */
const lastCellStart = (line: string, cell: string) => line.lastIndexOf(cell);

describe('command help', () => {
  const text = commandHelp(fit, common);
  const lines = text.split('\n');
  const opts = lines.slice(lines.indexOf('Options:') + 1, lines.indexOf('', lines.indexOf('Options:')));

  it('names the usage with its arguments, then the description and the arguments', () => {
    expect(lines[0]).toBe('Usage: ft demo fit <data> [options]');
    expect(lines[2]).toBe('Fit a demo model');
    expect(text).toMatch(/Arguments:\n {2}<data> {2}required {2}the data folder/);
  });

  it('lists every option (own ones first, then the common ones) with type, default or required, constraints', () => {
    expect(opts.map((l) => l.trim().split(/\s{2,}/)[0])).toEqual([
      '--steps <number>',
      '--mode <string>',
      '--rate <number>',
      '--out <string>',
      '--quiet',
      '--seed <number>',
      '-h, --help',
    ]);
    expect(opts[0].trim().split(/\s{2,}/)).toEqual(['--steps <number>', '(default 3)', '[integer ≥ 1]', 'Steps']);
    expect(opts[1].trim().split(/\s{2,}/)).toEqual(['--mode <string>', '(default a)', '[a|b]', 'Mode']);
    expect(opts[2].trim().split(/\s{2,}/)).toEqual(['--rate <number>', '[0 < x ≤ 1]', 'Rate']);
    expect(opts[3].trim().split(/\s{2,}/)).toEqual(['--out <string>', 'required', 'Where to write']);
  });

  it('aligns the columns: each description starts at the same column', () => {
    const starts = opts.map((l, i) =>
      lastCellStart(l, ['Steps', 'Mode', 'Rate', 'Where to write', 'Less output', 'Seed', 'Show help'][i]),
    );
    expect(new Set(starts).size).toBe(1);
    // defaults and constraints too
    expect(opts[0].indexOf('(default 3)')).toBe(opts[1].indexOf('(default a)'));
    expect(opts[0].indexOf('[integer ≥ 1]')).toBe(opts[1].indexOf('[a|b]'));
    expect(opts[0].indexOf('[integer ≥ 1]')).toBe(opts[2].indexOf('[0 < x ≤ 1]'));
  });

  it('prints the examples under "Examples:"', () => {
    expect(text.endsWith(['Examples:', ...fit.examples!.map((e) => `  ${e}`)].join('\n'))).toBe(true);
    expect(commandHelp(score, common)).not.toContain('Examples:');
  });

  it('constraintText words each kind of bound', () => {
    expect(constraintText({ type: 'number', description: '', integer: true, min: 1 })).toBe('integer ≥ 1');
    expect(constraintText({ type: 'string', description: '', pattern: /^a/, patternHint: 'starts with a' })).toBe(
      'starts with a',
    );
  });
});

describe('ft --help and group help', () => {
  it('ft --help: every command in one aligned table (top-level first, then by group), common options, --version', () => {
    const lines = mainHelp(commands, common).split('\n');
    const rows = lines.slice(lines.indexOf('Commands:') + 1, lines.indexOf('', lines.indexOf('Commands:')));
    expect(rows).toEqual([
      '  hello       Say hello',
      '  demo fit    Fit a demo model',
      '  demo score  Score with a demo model',
      '  zz x        Another group',
    ]);
    const text = lines.join('\n');
    expect(text).toMatch(/^ {2}--seed <number> +\(default 0\) +\[integer\] +Seed$/m);
    expect(text).toMatch(/^ {2}-V, --version +Print the versions of @ft\/cli, @ft\/core and the method packages/m);
    const opt = lines.filter((l) => /^ {2}-/.test(l));
    expect(new Set(opt.map((l) => l.search(/(Seed|Show help|Print the versions)/))).size).toBe(1);
  });

  it('ft <group> --help lists only that group; ft <group> alone prints it and exits 2', async () => {
    expect(groupHelp(commands, 'demo').split('\n')).toEqual([
      'Usage: ft demo <command> [options]',
      '',
      'Commands:',
      '  demo fit    Fit a demo model',
      '  demo score  Score with a demo model',
      '',
      'Run `ft demo <command> --help` for its options and examples.',
    ]);
    const h = capture();
    expect(await runCli(['demo', '--help'], { commands, io: h.io })).toBe(0);
    expect(h.out()).toBe(`${groupHelp(commands, 'demo')}\n`);
    const bare = capture();
    expect(await runCli(['demo'], { commands, io: bare.io })).toBe(2);
    expect(bare.out()).toBe(`${groupHelp(commands, 'demo')}\n`);
    const bad = capture();
    expect(await runCli(['demo', 'nope'], { commands, io: bad.io })).toBe(2);
    expect(bad.err()).toMatch(/^ft: error \[USAGE\]: unknown command "demo nope"\. Run `ft demo --help`\./);
  });

  it('ft <group> <command> --help prints the command help with its examples, exit 0', async () => {
    const c = capture();
    expect(await runCli(['demo', 'fit', '--help'], { commands, io: c.io })).toBe(0);
    expect(c.out()).toContain('Usage: ft demo fit <data> [options]');
    expect(c.out()).toContain('Examples:\n  ft demo fit data/ --out model/\n');
    expect(c.out()).toMatch(/--json +Print the result as one JSON object/);
  });
});
