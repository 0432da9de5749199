import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { defaultSearchDirs, discoverFtPackages, importFtPackage, loadMethodCommands } from './method-commands.js';

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
