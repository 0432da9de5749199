#!/usr/bin/env node
// Writes the README's package table from the registry (each package's package.json "ft" field), between the
// `<!-- packages:start -->` and `<!-- packages:end -->` markers. `--check` exits 1 when the README is out of date.
import fs from 'node:fs';
import path from 'node:path';
import { listWorkspacePackages, root, tableOrder } from './workspace.mjs';

const START = '<!-- packages:start -->';
const END = '<!-- packages:end -->';

/** The markdown table of every package with an ft manifest. */
export function packagesTable(pkgs = listWorkspacePackages()) {
  const rows = tableOrder(pkgs.filter((p) => p.manifest)).map((p) => {
    const m = p.manifest;
    const paper = m.paper ? ` (${m.paper})` : '';
    const results = m.results ? `[results](${m.results})` : '';
    return `| [\`${p.json.name}\`](packages/${p.folder}) | ${m.summary}${paper} | ${results} | ${p.json.version} |`;
  });
  return ['| package | what it does | results | version |', '|---|---|---|---|', ...rows].join('\n');
}

/** The README text with the table between the markers replaced. */
export function withPackagesTable(readme, table = packagesTable()) {
  const a = readme.indexOf(START);
  const b = readme.indexOf(END);
  if (a < 0 || b < a) throw new Error(`README.md has no ${START} … ${END} block`);
  return `${readme.slice(0, a + START.length)}\n${table}\n${readme.slice(b)}`;
}

if (process.argv[1] && path.resolve(process.argv[1]) === path.resolve(new URL(import.meta.url).pathname)) {
  const file = path.join(root, 'README.md');
  const before = fs.readFileSync(file, 'utf8');
  const after = withPackagesTable(before);
  if (process.argv.includes('--check')) {
    if (after !== before) {
      console.error('README.md package table is out of date: run node scripts/docs-tables.mjs');
      process.exit(1);
    }
    console.log('README.md package table is up to date');
  } else {
    fs.writeFileSync(file, after);
    console.log(after === before ? 'README.md unchanged' : 'README.md package table rewritten');
  }
}
