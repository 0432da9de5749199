import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CommandSpec } from '@ft/core';
import { afterAll, describe, expect, it } from 'vitest';
import { builtinCommands } from './builtin-commands.js';
import { defaultSearchDirs, discoverFtPackages, importFtPackage, loadMethodCommands } from './method-commands.js';
import { parseExample, runCli } from './run-cli.js';
import { capture } from './test-helpers.js';

const work = mkdtempSync(join(tmpdir(), 'ft-registry-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** Writes a fake installed package `<scope>/<folder>` with a package.json and an ESM entry. */
function fakePackage(scope: string, folder: string, json: Record<string, unknown>, entry?: string): void {
  const dir = join(work, scope, folder);
  mkdirSync(join(dir, 'dist'), { recursive: true });
  writeFileSync(
    join(dir, 'package.json'),
    JSON.stringify({ version: '1.0.0', type: 'module', exports: { '.': { import: './dist/index.js' } }, ...json }),
  );
  if (entry !== undefined) writeFileSync(join(dir, 'dist', 'index.js'), entry);
}

const command = (group: string) =>
  `export const commands = [{ group: '${group}', name: 'run', description: 'x', run: async () => ({ ok: 1 }) }];`;

fakePackage('a', 'good', { name: '@ft/good', ft: { kind: 'method', commands: true, summary: 's' } }, command('good'));
fakePackage('a', 'plain', { name: '@ft/plain' }, 'export const x = 1;');
fakePackage('a', 'library', { name: '@ft/library', ft: { kind: 'library', summary: 's' } }, 'export const x = 1;');
fakePackage(
  'a',
  'broken',
  { name: '@ft/broken', ft: { kind: 'method', commands: true, summary: 's' } },
  'throw new Error("boom");',
);
fakePackage(
  'a',
  'empty',
  { name: '@ft/empty', ft: { kind: 'method', commands: true, summary: 's' } },
  'export const y = 1;',
);
fakePackage(
  'b',
  'good',
  { name: '@ft/good', version: '2.0.0', ft: { kind: 'method', commands: true, summary: 's' } },
  command('other'),
);
mkdirSync(join(work, 'a', 'not-a-package'));
writeFileSync(join(work, 'a', 'stray-file'), '');

describe('method package discovery', () => {
  it('lists only packages that declare an ft manifest, first folder wins for a name', () => {
    const found = discoverFtPackages([join(work, 'missing'), join(work, 'a'), join(work, 'b')]);
    expect(found.map((p) => p.name)).toEqual(['@ft/broken', '@ft/empty', '@ft/good', '@ft/library']);
    expect(found.find((p) => p.name === '@ft/good')).toMatchObject({ version: '1.0.0', dir: join(work, 'a', 'good') });
  });

  it('loads the commands of packages with ft.commands and warns about the ones that fail, without stopping', async () => {
    const warnings: string[] = [];
    const packages = discoverFtPackages([join(work, 'a')]);
    const commands = await loadMethodCommands((m) => warnings.push(m), importFtPackage, packages);
    expect(commands.map((c) => `${c.group} ${c.name}`)).toEqual(['good run']);
    expect(warnings).toEqual([
      '[ft] could not load @ft/broken: boom',
      '[ft] @ft/empty declares ft.commands but exports no `commands` array',
    ]);
  });

  it('finds the workspace method packages beside the CLI without any list of names', () => {
    const methods = discoverFtPackages(defaultSearchDirs())
      .filter((p) => p.manifest.kind === 'method')
      .map((p) => p.name);
    expect(methods).toEqual(expect.arrayContaining(['@ft/adv-finetune', '@ft/jadce', '@ft/mahalanobis-ad']));
    for (const p of discoverFtPackages(defaultSearchDirs()))
      expect(['method', 'library', 'cli', 'backend']).toContain(p.manifest.kind);
  });

  it('searches node_modules/@ft of the working directory and every parent', () => {
    const dirs = defaultSearchDirs(join(work, 'x', 'y'));
    expect(dirs).toContain(join(work, 'x', 'y', 'node_modules', '@ft'));
    expect(dirs).toContain(join(work, 'node_modules', '@ft'));
    expect(dirs).toContain(join('/', 'node_modules', '@ft'));
  });
});

describe('every mounted command documents itself with examples', () => {
  // the commands ft mounts: the built-ins plus every discovered package's `commands`, read from its source (so the
  // test sees this checkout, not a stale dist/)
  const load = async () => {
    const methods = await loadMethodCommands(
      (m) => {
        throw new Error(m);
      },
      (p) => import(join(p.dir, 'src', 'index.ts')),
      discoverFtPackages(defaultSearchDirs()),
    );
    return [...builtinCommands, ...methods] as CommandSpec[];
  };
  const name = (c: CommandSpec) => (c.group ? `${c.group} ${c.name}` : c.name);

  it('each discovered command has at least one example, and each example parses as a valid ft command line', async () => {
    const commands = await load();
    const groups = new Set(commands.map((c) => c.group));
    for (const g of ['ad', 'adv', 'jadce', 'data']) expect(groups.has(g), g).toBe(true);
    for (const c of commands) {
      expect(c.examples?.length ?? 0, `ft ${name(c)} has no examples`).toBeGreaterThanOrEqual(1);
      for (const e of c.examples ?? []) {
        expect(e.startsWith(`ft ${name(c)}`), e).toBe(true);
        // the same parser ft uses: known flags, valid values and choices, required options and arguments present
        expect(() => parseExample(commands, c, e), e).not.toThrow();
      }
    }
  });

  it('parseExample refuses an example with an unknown flag, a bad value or a missing required option', async () => {
    const commands = await load();
    const score = commands.find((c) => name(c) === 'ad score') as CommandSpec;
    expect(() => parseExample(commands, score, 'ft ad score --detector d/ --images i/ > s.txt')).not.toThrow();
    expect(() => parseExample(commands, score, 'ft ad score --detector d/')).toThrow(/--images is required/);
    expect(() => parseExample(commands, score, 'ft ad score --detector d/ --images i/ --bogus')).toThrow(/bogus/);
    expect(() => parseExample(commands, score, 'ft ad fit --out d/')).toThrow(/does not run "ft ad score"/);
    const inspect = commands.find((c) => name(c) === 'data inspect') as CommandSpec;
    expect(() => parseExample(commands, inspect, 'ft data inspect mnist --split val')).toThrow(
      /--split must be one of/,
    );
  });

  it('the help of each command prints its examples under "Examples:", ft completion included', async () => {
    const commands = await load();
    for (const c of [...commands, { name: 'completion' } as CommandSpec]) {
      const h = capture();
      expect(await runCli([...name(c).split(' '), '--help'], { commands, io: h.io })).toBe(0);
      const after = h.out().split('\nExamples:\n')[1] ?? '';
      expect(after.split('\n')[0], name(c)).toMatch(new RegExp(`^  ft ${name(c)}\\b`));
    }
  });
});
