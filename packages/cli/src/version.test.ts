/** `ft --version` / `ft -V`: @ft/cli, @ft/core and the method packages, each read from its package.json. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { builtinCommands } from './builtin-commands.js';
import { defaultSearchDirs, discoverFtPackages, type FtPackage } from './method-commands.js';
import { runCli } from './run-cli.js';
import { capture } from './test-helpers.js';
import { formatVersionReport, versionReport } from './version.js';

const versionOf = (pkg: string) =>
  (JSON.parse(readFileSync(new URL(`../../${pkg}/package.json`, import.meta.url), 'utf8')) as { version: string })
    .version;

const fake = (name: string, version: string, kind: 'method' | 'library' | 'backend'): FtPackage => ({
  name,
  version,
  dir: `/nowhere/${name}`,
  manifest: { kind, summary: name },
});

describe('ft --version', () => {
  it('reports the cli, core and every discovered method package with the versions in their package.json', () => {
    const r = versionReport(discoverFtPackages(defaultSearchDirs()));
    expect(r.cli).toBe(versionOf('cli'));
    expect(r.core).toBe(versionOf('core'));
    for (const m of ['adv-finetune', 'jadce', 'mahalanobis-ad']) expect(r.methods[`@ft/${m}`]).toBe(versionOf(m));
    // only methods are listed under methods (not the report library or the native backend)
    expect(
      Object.keys(r.methods).every((n) => !['@ft/report', '@ft/core', '@ft/tfjs-backend-native'].includes(n)),
    ).toBe(true);
  });

  it('lists the packages it is given, methods sorted by name, aligned', () => {
    const packages = [
      fake('@ft/zeta', '2.0.1', 'method'),
      fake('@ft/core', '1.4.0', 'library'),
      fake('@ft/alpha', '0.3.0', 'method'),
      fake('@ft/report', '9.9.9', 'library'),
    ];
    const r = versionReport(packages);
    expect(r).toEqual({ cli: versionOf('cli'), core: '1.4.0', methods: { '@ft/alpha': '0.3.0', '@ft/zeta': '2.0.1' } });
    expect(formatVersionReport(r).split('\n')).toEqual([
      `@ft/cli    ${r.cli}`,
      '@ft/core   1.4.0',
      '@ft/alpha  0.3.0',
      '@ft/zeta   2.0.1',
    ]);
    // without a discovered core it falls back to the @ft/core the cli resolves
    expect(versionReport([]).core).toBe(versionOf('core'));
    expect(formatVersionReport(versionReport([]))).toMatch(/method packages {2}none found$/);
  });

  it('--version and -V print the report (exit 0); with --json one JSON object', async () => {
    const packages = [fake('@ft/core', '1.4.0', 'library'), fake('@ft/alpha', '0.3.0', 'method')];
    for (const flag of ['--version', '-V']) {
      const c = capture();
      expect(await runCli([flag], { commands: builtinCommands, io: c.io, packages })).toBe(0);
      expect(c.out()).toBe(`${formatVersionReport(versionReport(packages))}\n`);
      expect(c.out()).toMatch(/^@ft\/alpha +0\.3\.0$/m);
    }
    const j = capture();
    expect(await runCli(['-V', '--json'], { commands: builtinCommands, io: j.io, packages })).toBe(0);
    expect(JSON.parse(j.out())).toEqual({ cli: versionOf('cli'), core: '1.4.0', methods: { '@ft/alpha': '0.3.0' } });
  });
});
