/**
 * `--help` text of `ft`, of a command group (`ft ad --help`) and of one command (`ft ad fit --help`): commands and
 * options in aligned columns (flag and type, default or `required`, constraints and choices, description), then the
 * command's examples.
 */
import type { CommandOption, CommandSpec } from '@ft/core';
import { formatTable } from './format.js';

/** `--seed`, `--backend`, `--json` and `--help`: the options the CLI adds to every command. */
export interface CommonOptions {
  [name: string]: CommandOption;
}

/** `ft <group> <name>`, or `ft <name>` for a top-level command, without the `ft`. */
export function fullName(c: CommandSpec): string {
  return c.group ? `${c.group} ${c.name}` : c.name;
}

/** The constraint of a number option in words, e.g. `integer ≥ 1`, `> 0`, `0 ≤ x ≤ 1`; '' when unconstrained. */
export function constraintText(o: CommandOption): string {
  if (o.type !== 'number') return o.pattern && o.patternHint ? o.patternHint : '';
  const parts: string[] = [];
  const lo = o.min !== undefined ? `${o.min} ≤ ` : o.exclusiveMin !== undefined ? `${o.exclusiveMin} < ` : '';
  const hi = o.max !== undefined ? ` ≤ ${o.max}` : o.exclusiveMax !== undefined ? ` < ${o.exclusiveMax}` : '';
  if (lo && hi) parts.push(`${lo}x${hi}`);
  else if (lo) parts.push(o.min !== undefined ? `≥ ${o.min}` : `> ${o.exclusiveMin}`);
  else if (hi) parts.push(hi.trim());
  if (o.integer) parts.unshift('integer');
  return parts.join(' ');
}

/** Cells wider than this do not widen their column (the row's later cells then shift right, the others stay aligned). */
const MAX_CELL = 32;

/** Like formatTable without a header, but a cell longer than MAX_CELL does not set its column's width. */
function columns(rows: string[][], indent = '  '): string[] {
  const n = Math.max(0, ...rows.map((r) => r.length));
  const widths = Array.from({ length: n }, (_, j) =>
    Math.max(0, ...rows.map((r) => [...(r[j] ?? '')].length).filter((w) => w <= MAX_CELL)),
  );
  return rows.map((r) =>
    `${indent}${r
      .map((c, j) => (j === r.length - 1 ? c : c + ' '.repeat(Math.max(0, widths[j] - [...c].length))))
      .join('  ')}`.trimEnd(),
  );
}

/** One option as columns: `-h, --name <type>`, `(default x)` or `required`, `[constraints|choices]`, description. */
function optionRow(name: string, o: CommandOption): string[] {
  const flag = `${o.short ? `-${o.short}, ` : ''}--${name}${o.type === 'boolean' ? '' : ` <${o.type}>`}`;
  const def = o.required ? 'required' : o.default !== undefined && o.type !== 'boolean' ? `(default ${o.default})` : '';
  const con = [o.choices ? o.choices.join('|') : '', constraintText(o), o.input ? `${o.input}` : '']
    .filter(Boolean)
    .join(', ');
  return [flag, def, con ? `[${con}]` : '', o.description];
}

/** The commands as an aligned table, top-level ones first, then each group's. */
function commandRows(commands: CommandSpec[]): string[] {
  const top = commands.filter((c) => !c.group);
  const groups = [...new Set(commands.filter((c) => c.group).map((c) => c.group as string))];
  const rows = [...top, ...groups.flatMap((g) => commands.filter((c) => c.group === g))].map((c) => [
    fullName(c),
    c.description,
  ]);
  return formatTable(['', ''], rows, { indent: '  ' }).slice(1);
}

/** `ft --help`. */
export function mainHelp(commands: CommandSpec[], common: CommonOptions): string {
  const lines = [
    'Usage: ft <command> [options]',
    '       ft <group> <command> [options]',
    '',
    'Commands:',
    ...commandRows(commands),
    '',
    'Options of every command:',
    ...columns([
      ...Object.entries(common).map(([n, o]) => optionRow(n, o)),
      ['-V, --version', '', '', 'Print the versions of @ft/cli, @ft/core and the method packages (alone)'],
    ]),
    '',
    'Run `ft <command> --help` (or `ft <group> --help`) for its options and examples.',
  ];
  return lines.join('\n');
}

/** `ft <group> --help`: the group's commands. */
export function groupHelp(commands: CommandSpec[], group: string): string {
  const own = commands.filter((c) => c.group === group);
  return [
    `Usage: ft ${group} <command> [options]`,
    '',
    'Commands:',
    ...commandRows(own),
    '',
    `Run \`ft ${group} <command> --help\` for its options and examples.`,
  ].join('\n');
}

/** `ft <command> --help`: usage, description, arguments, options in aligned columns, examples. */
export function commandHelp(cmd: CommandSpec, common: CommonOptions): string {
  const pos = (cmd.positionals ?? []).map((p) => (p.required ? `<${p.name}>` : `[${p.name}]`));
  const lines = [`Usage: ft ${[fullName(cmd), ...pos].join(' ')} [options]`, '', cmd.description];
  if (cmd.positionals?.length) {
    lines.push(
      '',
      'Arguments:',
      ...columns(
        cmd.positionals.map((p) => [
          p.required ? `<${p.name}>` : `[${p.name}]`,
          p.required ? 'required' : '',
          p.description,
        ]),
      ),
    );
  }
  const own = Object.entries(cmd.options ?? {});
  const rows = [...own, ...Object.entries(common)].map(([n, o]) => optionRow(n, o));
  lines.push('', 'Options:', ...columns(rows));
  if (cmd.examples?.length) lines.push('', 'Examples:', ...cmd.examples.map((e) => `  ${e}`));
  return lines.join('\n');
}
