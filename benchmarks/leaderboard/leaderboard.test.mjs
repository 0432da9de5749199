import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { contentDigest } from './app.mjs';
import { loadEntries } from './entry.mjs';
import { CLAIMS, claimVerdict, currentMain, overallVerdict, pickAt } from './page.mjs';
import { FULL, imagesSeen, QUICK, runKey } from './protocol.mjs';

const rec = (method, budget, seed, acc, tag = 't1') => ({
  phase: 'main',
  method,
  budget,
  seed,
  testAccuracy: acc,
  tag,
});

describe('leaderboard entries', () => {
  it('are discovered from entries/*.mjs, each complete, with unique ids and a workspace package', async () => {
    const entries = await loadEntries();
    const ids = entries.map((e) => e.id);
    expect(ids).toEqual(
      expect.arrayContaining([
        'linear-probe',
        'ssl-supervised',
        'finetune',
        'scratch',
        'l2sp',
        'adafilter',
        'sup-akc-arc',
        'fixmatch',
        'fixmatch-akc-arc',
        'adv-finetune',
      ]),
    );
    expect(new Set(ids).size).toBe(ids.length);
    const pkgs = fs.readdirSync(path.resolve(import.meta.dirname, '../../packages'));
    for (const e of entries) {
      expect(['supervised', 'unlabelled', 'robust']).toContain(e.kind);
      expect(pkgs).toContain(e.pkg.replace('@ft/', ''));
    }
  });

  it('rejects an entry module without entries, or a duplicate id', async () => {
    // one folder per case: an ES module is cached by its URL, so a rewritten file would not be re-read
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'ft-entries-'));
    const folder = (name, files) => {
      const dir = path.join(root, name);
      fs.mkdirSync(dir);
      for (const [f, src] of Object.entries(files)) fs.writeFileSync(path.join(dir, f), src);
      return dir;
    };
    const e = "{ id: 'x', label: 'x', pkg: '@ft/core', kind: 'supervised', space: () => ({}), train: () => null }";
    try {
      await expect(loadEntries(folder('none', { 'a.mjs': 'export const nothing = 1;\n' }))).rejects.toThrow(
        /a\.mjs: no 'entries' array export/,
      );
      const dup = { 'a.mjs': `export const entries = [${e}];\n`, 'b.mjs': `export const entries = [${e}];\n` };
      await expect(loadEntries(folder('dup', dup))).rejects.toThrow(/b\.mjs: duplicate entry id 'x'/);
      const partial = { 'a.mjs': "export const entries = [{ id: 'y', label: 'y' }];\n" };
      await expect(loadEntries(folder('partial', partial))).rejects.toThrow(/entry y lacks 'pkg'/);
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });
});

describe('protocol', () => {
  it('gives every method the same budgets, seeds, trials and steps; quick is smaller in each', () => {
    expect(FULL.budgets).toEqual([4, 10, 25, 100]);
    expect(FULL.seeds.length).toBeGreaterThanOrEqual(3);
    expect(FULL.seeds).not.toContain(FULL.selectSeed);
    for (const k of ['trials', 'steps', 'robustN', 'unlabeledLimit']) expect(QUICK[k]).toBeLessThan(FULL[k]);
  });

  it('counts the images an epoch loader feeds, the partial last batch included', () => {
    expect(imagesSeen(80, 64, 200)).toBe(100 * 80); // 2 steps per epoch: 100 epochs
    expect(imagesSeen(30, 30, 200)).toBe(200 * 30);
    expect(imagesSeen(100, 64, 3)).toBe(100 + 64); // one epoch, then one full batch
    expect(imagesSeen(1000, 64, 10)).toBe(640);
  });

  it('keys runs by phase, method, budget, seed, trial and tag', () => {
    expect(runKey({ phase: 'main', method: 'a', budget: 4, seed: 1, tag: 't' })).toBe('main|a|4|1|-|t');
    expect(runKey({ phase: 'select', method: 'a', budget: 4, seed: 1, trial: 2, tag: 't' })).toBe('select|a|4|1|2|t');
  });
});

describe('page helpers', () => {
  it('with the current tags, keeps only the runs of the code now in the tree', () => {
    const rs = [rec('a', 4, 0, 0.5, 'old'), rec('a', 4, 0, 0.6, 'new'), rec('b', 4, 0, 0.7, 'x')];
    expect(currentMain(rs, { a: 'old', b: 'y' }).map((r) => `${r.method}:${r.tag}`)).toEqual(['a:old']);
  });

  it('judges each claim on its paired gains, and the page over the claims', () => {
    const g = (mean, std, n = 3) => ({ mean, std, n, positive: 0 });
    expect(claimVerdict([g(2, 1), g(3, 1)])).toBe('reproduced');
    expect(claimVerdict([g(2, 1), g(0.5, 1)])).toBe('partly');
    expect(claimVerdict([g(-2, 1), g(0.5, 1)])).toBe('not');
    expect(claimVerdict([g(0.5, 1), g(-0.5, 1)])).toBe('inconclusive');
    expect(claimVerdict([null, g(2, 1, 1)])).toBe('inconclusive');
    expect(overallVerdict(['reproduced', 'reproduced'])).toBe('reproduced');
    expect(overallVerdict(['not', 'partly'])).toBe('partly');
    expect(overallVerdict(['not', 'not'])).toBe('not');
    expect(overallVerdict(['not', 'inconclusive'])).toBe('inconclusive');
    // every claim names an entry and a baseline that exist
    const ids = [
      'finetune',
      'l2sp',
      'adafilter',
      'ssl-supervised',
      'sup-akc-arc',
      'fixmatch',
      'fixmatch-akc-arc',
      'adv-finetune',
    ];
    for (const c of CLAIMS) expect(ids).toEqual(expect.arrayContaining([c.id, c.base]));
  });

  it('keeps the newest tag of each (method, budget) without current tags', () => {
    const rs = [
      rec('a', 4, 0, 0.5, 'old'),
      rec('a', 4, 1, 0.5, 'old'),
      rec('a', 4, 0, 0.6, 'new'),
      rec('b', 4, 0, 0.7),
    ];
    expect(currentMain(rs).map((r) => `${r.method}:${r.tag}:${r.seed}`)).toEqual(['a:new:0', 'b:t1:0']);
  });

  it('picks the best mean, and says whether its paired gain over the runner-up exceeds the spread', () => {
    const entries = [{ id: 'a' }, { id: 'b' }, { id: 'c' }];
    const clear = [
      rec('a', 4, 0, 0.6),
      rec('a', 4, 1, 0.62),
      rec('a', 4, 2, 0.61),
      rec('b', 4, 0, 0.5),
      rec('b', 4, 1, 0.51),
      rec('b', 4, 2, 0.5),
    ];
    const p = pickAt(clear, entries, 4);
    expect(p.best.e.id).toBe('a');
    expect(p.second.e.id).toBe('b');
    expect(p.vs.mean).toBeCloseTo((10 + 11 + 11) / 3, 6);
    expect(p.clear).toBe(true);
    const close = [rec('a', 4, 0, 0.6), rec('a', 4, 1, 0.5), rec('b', 4, 0, 0.56), rec('b', 4, 1, 0.55)];
    const q = pickAt(close, entries, 4);
    expect(q.best.e.id).toBe('b');
    expect(q.clear).toBe(false);
    expect(pickAt(close, entries, 10)).toBeNull();
  });
});

describe('contentDigest', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ft-digest-'));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
  const write = (version, range, code, changelog, description = 'x') => {
    fs.mkdirSync(path.join(dir, 'package', 'dist'), { recursive: true });
    fs.writeFileSync(
      path.join(dir, 'package', 'package.json'),
      JSON.stringify({ name: '@ft/x', version, description, peerDependencies: { '@ft/core': range, tfjs: '^4' } }),
    );
    fs.writeFileSync(path.join(dir, 'package', 'dist', 'index.js'), code);
    fs.writeFileSync(path.join(dir, 'package', 'CHANGELOG.md'), changelog);
    fs.writeFileSync(path.join(dir, 'package', 'README.md'), changelog);
    return contentDigest(dir);
  };

  it('ignores a release and the docs (version, @ft ranges, CHANGELOG, README, description), not code', () => {
    const a = write('0.1.0', '^0.1.0', 'x', '# a');
    expect(write('0.2.0', '^0.2.0', 'x', '# b', 'other words')).toBe(a);
    expect(write('0.1.0', '^0.1.0', 'y', '# a')).not.toBe(a);
    expect(a).toMatch(/^[0-9a-f]{16}$/);
  });
});

describe('the page', () => {
  const dirs = [];
  afterAll(() => {
    for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
  });

  it('builds Markdown tables from column specs and row arrays', async () => {
    const { table } = await import('./page.mjs');
    expect(
      table(
        [{ header: 'method' }, { header: 'acc', align: 'right' }],
        [
          ['a', '1.0'],
          ['b|c', '22.5'],
        ],
      ),
    ).toBe(['| method |  acc |', '| ------ | ---: |', '| a      |  1.0 |', '| b\\|c   | 22.5 |'].join('\n'));
  });

  it('is written from the committed records of the full run, every table and plot included', async () => {
    const { writePage } = await import('./page.mjs');
    const here = path.dirname(new URL(import.meta.url).pathname);
    const records = fs
      .readFileSync(path.join(here, '../../docs/results/leaderboard/records.jsonl'), 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l));
    const entries = await loadEntries();
    const currentTags = Object.fromEntries(records.filter((r) => r.phase === 'main').map((r) => [r.method, r.tag]));
    const out = fs.mkdtempSync(path.join(os.tmpdir(), 'ft-leaderboard-page-'));
    dirs.push(out);
    await writePage({
      records,
      entries,
      cfg: FULL,
      currentTags,
      packed: { '@ft/core': { version: '0.1.0', digest: 'abc' } },
      command: 'npx -y pnpm@10 run bench:leaderboard',
      out,
      log: () => {},
    });
    const md = fs.readFileSync(path.join(out, 'leaderboard.md'), 'utf8');
    for (const h of ['## Verdict', '## Test accuracy (%)', '## Each claim against its own baseline', '## Compute'])
      expect(md).toContain(h);
    expect(md).toMatch(/\| full fine-tuning +\|.*\d+\.\d ± \d+\.\d/);
    for (const f of ['accuracy-vs-labels.svg', 'accuracy-vs-compute.svg'])
      expect(fs.readFileSync(path.join(out, 'leaderboard', f), 'utf8')).toMatch(/^<svg/);
  }, 60_000);
});
