import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { discoverFtPackages } from '../packages/cli/src/method-commands.ts';
import { packagesTable, withPackagesTable } from './docs-tables.mjs';
import { createMethodPackage } from './new-method.mjs';
import { metadataDiffs } from './package-metadata.mjs';
import { listWorkspacePackages, publishablePackages, root } from './workspace.mjs';

const KINDS = ['method', 'library', 'cli', 'backend'];

describe('package registry', () => {
  const pkgs = listWorkspacePackages();

  it('every package declares an ft manifest with a kind and a summary', () => {
    for (const p of pkgs) {
      expect(p.manifest, `${p.json.name}: package.json has no "ft" field`).toBeTruthy();
      expect(KINDS, p.json.name).toContain(p.manifest.kind);
      expect(p.manifest.summary?.length ?? 0, `${p.json.name}: ft.summary`).toBeGreaterThan(20);
      if (p.manifest.results) expect(fs.existsSync(path.join(root, p.manifest.results)), p.manifest.results).toBe(true);
    }
  });

  it('every method package exports its commands and names its paper', () => {
    const methods = pkgs.filter((p) => p.manifest?.kind === 'method');
    expect(methods.length).toBeGreaterThanOrEqual(3);
    for (const p of methods) {
      expect(p.manifest.commands, p.json.name).toBe(true);
      expect(p.manifest.paper, p.json.name).toBeTruthy();
      const index = fs.readFileSync(path.join(p.dir, 'src', 'index.ts'), 'utf8');
      expect(index, `${p.json.name} src/index.ts`).toMatch(/export \{[^}]*\bcommands\b[^}]*\} from/);
    }
  });

  it('every publishable package has a smoke call the pack-and-install test can run', async () => {
    for (const p of publishablePackages()) {
      const file = path.join(p.dir, 'test', 'smoke.mjs');
      expect(fs.existsSync(file), `${p.json.name}: test/smoke.mjs`).toBe(true);
      const { imports, body } = await import(pathToFileURL(file).href);
      expect(Array.isArray(imports) && imports.length > 0, p.json.name).toBe(true);
      expect(imports.some(([mod]) => mod === p.json.name || mod.startsWith(`${p.json.name}/`))).toBe(true);
      expect(typeof body).toBe('string');
    }
  });

  it('the benchmarks depend on every package they have a folder for', () => {
    const deps = JSON.parse(fs.readFileSync(path.join(root, 'benchmarks', 'package.json'), 'utf8')).dependencies;
    for (const p of pkgs)
      if (fs.existsSync(path.join(root, 'benchmarks', p.folder))) expect(deps, p.json.name).toHaveProperty(p.json.name);
  });

  it('every publishable package carries the publishing metadata (license, repository with directory, homepage, ...)', () => {
    expect(metadataDiffs(), 'run node scripts/package-metadata.mjs').toEqual([]);
    for (const p of publishablePackages()) {
      expect(fs.existsSync(path.join(p.dir, 'LICENSE')), `${p.json.name}: LICENSE`).toBe(true);
      expect(p.json.keywords.length, `${p.json.name}: keywords of its own`).toBeGreaterThan(4);
    }
  });

  it('the README package table is generated from the registry and up to date', () => {
    const readme = fs.readFileSync(path.join(root, 'README.md'), 'utf8');
    expect(withPackagesTable(readme), 'run node scripts/docs-tables.mjs').toBe(readme);
    for (const p of pkgs) expect(packagesTable()).toContain(`[\`${p.json.name}\`](packages/${p.folder})`);
  });
});

describe('new-method generator', () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ft-new-method-'));
  afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));
  for (const f of ['packages/adv-finetune/package.json', 'benchmarks/package.json']) {
    fs.mkdirSync(path.dirname(path.join(tmp, f)), { recursive: true });
    fs.copyFileSync(path.join(root, f), path.join(tmp, f));
  }

  it('adds a folder that every tool discovers, and the benchmarks dependency', () => {
    const opts = { summary: 'A demo method for the generator test.', paper: 'Doe et al., arXiv 0000.00000' };
    const written = createMethodPackage(tmp, 'demo-method', opts);
    expect(written).toContain('packages/demo-method/src/commands.ts');
    expect(written).toContain('packages/demo-method/test/smoke.mjs');
    const json = JSON.parse(fs.readFileSync(path.join(tmp, 'packages/demo-method/package.json'), 'utf8'));
    expect(json).toMatchObject({ name: '@ft/demo-method', ft: { kind: 'method', commands: true, paper: opts.paper } });
    expect(json.peerDependencies).toHaveProperty('@ft/core');
    expect(json.exports['.'].require.default).toBe('./dist/index.cjs');
    const bench = JSON.parse(fs.readFileSync(path.join(tmp, 'benchmarks/package.json'), 'utf8'));
    expect(bench.dependencies['@ft/demo-method']).toBe('workspace:^');
    const found = discoverFtPackages([path.join(tmp, 'packages')]).map((p) => p.name);
    expect(found).toContain('@ft/demo-method');
    expect(() => createMethodPackage(tmp, 'demo-method', opts)).toThrow(/already exists/);
    expect(() => createMethodPackage(tmp, 'Bad_Name', opts)).toThrow(/kebab-case/);
  });
});

describe('changesets', () => {
  it('every .changeset/*.md has frontmatter naming workspace packages and a bump', () => {
    const names = new Set(listWorkspacePackages().map((p) => p.json.name));
    const dir = path.join(root, '.changeset');
    for (const f of fs.readdirSync(dir).filter((n) => n.endsWith('.md') && n !== 'README.md')) {
      const text = fs.readFileSync(path.join(dir, f), 'utf8');
      const m = /^---\n([\s\S]*?)\n---\n\s*\S/.exec(text);
      expect(m, `${f}: needs '---' frontmatter, then a summary`).not.toBeNull();
      for (const line of m[1].split('\n').filter(Boolean)) {
        const entry = /^['"]?(@ft\/[a-z0-9-]+)['"]?:\s*(major|minor|patch)$/.exec(line.trim());
        expect(entry, `${f}: '${line}'`).not.toBeNull();
        expect(names, `${f}: unknown package ${entry[1]}`).toContain(entry[1]);
      }
    }
  });
});
