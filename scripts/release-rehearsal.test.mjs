import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort, registryConfig, startLocalRegistry } from './local-registry.mjs';
import {
  changelogEntry,
  changelogProblems,
  digestDiff,
  manifestDiff,
  planProblems,
  treeDigest,
} from './release-rehearsal.mjs';
import { root } from './workspace.mjs';

const cs = (id, summary, releases) => ({ id, summary, releases });

describe('planProblems', () => {
  const plan = {
    changesets: [
      cs('a', 'Core feature', [{ name: '@ft/core', type: 'minor' }]),
      cs('b', 'New', [{ name: '@ft/x', type: 'minor' }]),
    ],
    releases: [
      { name: '@ft/core', type: 'minor', oldVersion: '0.1.0', newVersion: '0.2.0', changesets: ['a'] },
      { name: '@ft/x', type: 'major', oldVersion: '0.1.0', newVersion: '1.0.0', changesets: ['b'] },
      { name: '@ft/y', type: 'major', oldVersion: '0.1.0', newVersion: '1.0.0', changesets: [] },
      { name: '@ft/bench', type: 'none', oldVersion: '0.0.0', newVersion: '0.0.0', changesets: [] },
    ],
  };

  it('flags the peer-dependency cascade: a major no changeset asked for', () => {
    const p = planProblems(plan, { '@ft/core': '0.2.0', '@ft/x': '1.0.0', '@ft/y': '1.0.0' });
    expect(p).toHaveLength(2);
    expect(p[0]).toMatch(
      /^@ft\/x: 0\.1\.0 → 1\.0\.0 is a major bump no changeset asked for \(its own changesets ask for minor\)/,
    );
    expect(p[1]).toMatch(/^@ft\/y: .*ask for nothing/);
  });

  it('accepts a major a changeset asks for, and flags a version that differs from the plan', () => {
    const asked = {
      ...plan,
      changesets: [
        ...plan.changesets,
        cs('c', 'Break', [
          { name: '@ft/x', type: 'major' },
          { name: '@ft/y', type: 'major' },
        ]),
      ],
    };
    expect(planProblems(asked, { '@ft/core': '0.2.0', '@ft/x': '1.0.0', '@ft/y': '1.0.0' })).toEqual([]);
    expect(planProblems(asked, { '@ft/core': '0.1.1', '@ft/x': '1.0.0', '@ft/y': '1.0.0' })).toEqual([
      '@ft/core: planned 0.2.0, package.json says 0.1.1',
    ]);
  });
});

describe('the pending changesets', () => {
  it('release no major that no changeset asks for (the 0.x peer cascade; CONTRIBUTING.md, "Versions while 0.x")', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ft-plan-'));
    try {
      const out = path.join(dir, 'plan.json');
      // changeset status wants the output path relative to the repository
      execFileSync(
        path.join(root, 'node_modules', '.bin', 'changeset'),
        ['status', `--output=${path.relative(root, out)}`],
        {
          cwd: root,
          stdio: 'pipe',
        },
      );
      const plan = JSON.parse(fs.readFileSync(out, 'utf8'));
      const planned = Object.fromEntries(plan.releases.map((r) => [r.name, r.newVersion]));
      expect(planProblems(plan, planned)).toEqual([]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 30_000);
});

describe('changelogProblems', () => {
  const log = [
    '# @ft/core',
    '',
    '## 0.2.0',
    '',
    '### Minor Changes',
    '',
    '- 1234567: Core feature',
    '  with a second line',
    '',
    '## 0.1.0',
    '',
    '- abcdef0: Old change',
  ].join('\n');
  const changesets = [
    cs('a', 'Core feature\n\nwith a second line', []),
    cs('b', 'Old change', []),
    cs('c', 'Missing one', []),
  ];

  it('reads the entry of one version only', () => {
    expect(changelogEntry(log, '0.2.0')).toContain('Core feature');
    expect(changelogEntry(log, '0.2.0')).not.toContain('Old change');
    expect(changelogEntry(log, '0.3.0')).toBeNull();
  });

  it('requires every changeset of the release in its entry', () => {
    const r = { name: '@ft/core', newVersion: '0.2.0', changesets: ['a'] };
    expect(changelogProblems(log, r, changesets)).toEqual([]);
    expect(changelogProblems(log, { ...r, changesets: ['a', 'b'] }, changesets)).toEqual([
      '@ft/core@0.2.0: CHANGELOG entry lacks changeset b ("Old change")',
    ]);
    expect(changelogProblems(log, { ...r, newVersion: '0.2.1' }, changesets)).toEqual([
      '@ft/core: CHANGELOG.md has no "## 0.2.1" entry',
    ]);
    expect(changelogProblems(null, r, changesets)).toHaveLength(1);
  });

  it('a release without changesets must list its updated dependencies', () => {
    const r = { name: '@ft/cli', newVersion: '0.2.0', changesets: [] };
    expect(changelogProblems(log, r, changesets)[0]).toMatch(/names neither changesets nor dependencies/);
    const deps = '## 0.2.0\n\n### Patch Changes\n\n- Updated dependencies [1234567]\n  - @ft/core@0.2.0\n';
    expect(changelogProblems(deps, r, changesets)).toEqual([]);
  });
});

describe('manifestDiff', () => {
  it('ignores key order and names each differing field', () => {
    expect(manifestDiff({ a: 1, d: { x: '^1', y: 2 } }, { d: { y: 2, x: '^1' }, a: 1 })).toEqual([]);
    expect(manifestDiff({ a: 1, d: { x: '^0.1.0' } }, { a: 1, d: { x: '^0.1.1' }, e: [1] })).toEqual([
      'd.x: "^0.1.0" → "^0.1.1"',
      'e: undefined → [1]',
    ]);
  });
});

describe('treeDigest / digestDiff', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ft-digest-'));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('finds missing, extra and changed files', () => {
    const a = path.join(dir, 'a');
    const b = path.join(dir, 'b');
    for (const d of [a, b]) fs.mkdirSync(path.join(d, 'package', 'dist'), { recursive: true });
    fs.writeFileSync(path.join(a, 'package', 'dist', 'index.js'), 'x');
    fs.writeFileSync(path.join(b, 'package', 'dist', 'index.js'), 'x');
    expect(digestDiff(treeDigest(a), treeDigest(b))).toEqual([]);
    fs.writeFileSync(path.join(a, 'package', 'README.md'), 'r');
    fs.writeFileSync(path.join(b, 'package', 'extra.js'), 'e');
    fs.writeFileSync(path.join(b, 'package', 'dist', 'index.js'), 'y');
    expect(digestDiff(treeDigest(a), treeDigest(b))).toEqual([
      `only in the packed tarball: ${path.join('package', 'README.md')}`,
      `only in the published tarball: ${path.join('package', 'extra.js')}`,
      `content differs: ${path.join('package', 'dist', 'index.js')}`,
    ]);
  });
});

describe('local registry (Verdaccio on loopback)', () => {
  it('writes a config with local storage, no uplinks and authenticated publishing', () => {
    const c = registryConfig('/tmp/r');
    expect(c).toContain('storage: "/tmp/r/storage"');
    expect(c).toContain('uplinks: {}');
    expect(c).toContain('publish: $authenticated');
    expect(c).not.toContain('proxy:');
  });

  it('gives a free port', async () => {
    const p = await freePort();
    expect(p).toBeGreaterThan(1023);
    expect(p).toBeLessThan(65536);
  });

  it('starts, takes a real npm publish with its token, serves the package and stops', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ft-registry-'));
    const reg = await startLocalRegistry({ dir: path.join(dir, 'registry') });
    try {
      const pkg = path.join(dir, 'pkg');
      fs.mkdirSync(pkg);
      fs.writeFileSync(path.join(pkg, 'package.json'), JSON.stringify({ name: '@ft-test/hello', version: '1.2.3' }));
      fs.writeFileSync(path.join(pkg, 'index.js'), 'module.exports = 42;\n');
      const npmrc = path.join(dir, '.npmrc');
      const env = { ...process.env, NPM_CONFIG_USERCONFIG: npmrc };
      // Without the token, the registry refuses the publish.
      fs.writeFileSync(npmrc, `registry=${reg.url}\n`);
      expect(() => execFileSync('npm', ['publish', '--registry', reg.url], { cwd: pkg, env, stdio: 'pipe' })).toThrow();
      fs.writeFileSync(npmrc, reg.npmrc());
      execFileSync('npm', ['publish', '--registry', reg.url], { cwd: pkg, env, stdio: 'pipe' });
      const doc = await (await fetch(`${reg.url}@ft-test%2fhello`)).json();
      expect(Object.keys(doc.versions)).toEqual(['1.2.3']);
      expect(doc.versions['1.2.3'].dist.tarball).toContain(reg.host);
      // Nothing is proxied: a name only the public registry has is not found here.
      expect((await fetch(`${reg.url}left-pad`)).status).toBe(404);
    } finally {
      await reg.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    }
    await expect(fetch(`${reg.url}-/ping`)).rejects.toThrow();
  }, 60_000);
});
