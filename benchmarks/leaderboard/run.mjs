#!/usr/bin/env node
// The cross-package leaderboard (issue 19): every method that adapts a pre-trained model to few labels, under one
// protocol (protocol.mjs), run from the packages as published (app.mjs), written to docs/results/leaderboard.md.
//
//   node benchmarks/leaderboard/run.mjs [--quick] [--methods a,b] [--budgets 4,10] [--from-records]
//
// Resumable and incremental: each run's record carries the tag of the code it ran (the content digests of the
// packages the method uses and of the benchmark files), and a re-run skips (method, budget, seed) runs recorded under
// the current tag, so a change to one package re-runs only the methods that depend on it (a change to @ft/core, which
// all depend on, re-runs everything). `turbo run leaderboard` builds what changed first, then runs this.
// --quick: one budget, one seed, one trial, a few steps, into a temporary folder; prints the table, writes no page.
import { execFileSync, spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { ftClosure } from '../../scripts/smoke-pack.mjs';
import { publishablePackages } from '../../scripts/workspace.mjs';
import { readJsonl } from '../hparams/jsonl.mjs';
import { packAll, prepareApp } from './app.mjs';
import { loadEntries } from './entry.mjs';
import { writePage } from './page.mjs';
import { FULL, QUICK, ROBUST_SCORED } from './protocol.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../..');
const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    methods: { type: 'string' },
    budgets: { type: 'string' },
    'from-records': { type: 'boolean', default: false },
    out: { type: 'string', default: path.join(root, 'docs/results') },
  },
});
const log = (m) => process.stderr.write(`${m}\n`);
const quick = args.quick;
const cfg = quick ? QUICK : FULL;
const budgets = args.budgets ? args.budgets.split(',').map(Number) : cfg.budgets;
const all = await loadEntries();
const entries = args.methods ? args.methods.split(',').map((id) => all.find((e) => e.id === id) ?? fail(id)) : all;
function fail(id) {
  throw new Error(`unknown method '${id}'; expected one of ${all.map((e) => e.id).join(', ')}`);
}
const outDir = quick
  ? fs.mkdtempSync(path.join(os.tmpdir(), 'ft-leaderboard-quick-'))
  : path.join(args.out, 'leaderboard');
fs.mkdirSync(outDir, { recursive: true });
const recordsPath = path.join(outDir, 'records.jsonl');
const journal = path.join(outDir, 'studies.journal');
const command = quick ? 'npx -y pnpm@10 run leaderboard' : 'npx -y pnpm@10 run bench:leaderboard';

/**
 * sha256 of the benchmark files a run executes (hex, 16 chars). protocol.mjs is hashed without its QUICK settings,
 * so tuning the CI-sized run does not invalidate the full one.
 */
const filesDigest = (files) =>
  crypto
    .createHash('sha256')
    .update(
      files
        .map((f) => {
          let text = fs.readFileSync(f, 'utf8');
          if (path.basename(f) === 'protocol.mjs') text = text.replace(/export const QUICK = [\s\S]*?\n\}\);\n/, '');
          return `${path.relative(here, f)}\0${text}`;
        })
        .join('\0'),
    )
    .digest('hex')
    .slice(0, 16);

/** The commit the workspace is at, with '+dirty' when it has uncommitted changes (recorded with every run). */
function workspaceCommit() {
  try {
    const sha = execFileSync('git', ['rev-parse', '--short=12', 'HEAD'], { cwd: root, encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--', 'packages', 'benchmarks/leaderboard'], {
      cwd: root,
      encoding: 'utf8',
    }).trim();
    return dirty ? `${sha}+dirty` : sha;
  } catch {
    return 'unknown';
  }
}

/**
 * The packages whose code decides an entry's numbers: its own and what it needs, the source zoo and the search engine
 * (and the attacks where robust accuracy is scored). The backend is left out: it changes speed, not results (its
 * differential tests hold it to the cpu backend), and each record names the backend digest it ran on.
 */
function packagesOf(entry, byName) {
  const robust = ROBUST_SCORED(entry) || entry.selectOn === 'robust';
  const base = [entry.pkg, '@ft/core', '@ft/zoo', '@ft/hparams'];
  if (robust) base.push('@ft/adv-finetune');
  return [...new Set(base.flatMap((n) => [n, ...ftClosure(n, byName)]))].sort();
}

const t0 = Date.now();
const currentTags = {};
const failures = [];
// The tags of the current code: every package is packed (what would be published) and digested.
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'ft-leaderboard-pack-'));
let packed;
let installed = null;
try {
  packed = packAll(work, log);
  if (!args['from-records'])
    installed = await prepareApp(path.join(root, '.cache/leaderboard/app'), packed, { benchDir: here, log });
} finally {
  fs.rmSync(work, { recursive: true, force: true });
}
const byName = new Map(publishablePackages().map((p) => [p.json.name, p]));
const common = ['worker.mjs', 'entry.mjs', 'protocol.mjs', 'transfer-model.mjs'].map((f) => path.join(here, f));
const tagOf = (e) => {
  const pkgs = packagesOf(e, byName);
  const files = [...common, path.join(here, 'entries', e.file)];
  if (pkgs.includes('@ft/adv-finetune')) files.push(path.join(here, 'entries', 'adv-finetune.mjs'));
  return crypto
    .createHash('sha256')
    .update(JSON.stringify([pkgs.map((n) => `${n}:${packed[n].digest}`), filesDigest([...new Set(files)])]))
    .digest('hex')
    .slice(0, 12);
};
for (const e of all) currentTags[e.id] = tagOf(e);

if (!args['from-records']) {
  const commit = workspaceCommit();
  const records = readJsonl(recordsPath, { missingOk: true });
  for (const budget of budgets) {
    for (const e of entries) {
      const tag = currentTags[e.id];
      const have = new Set(
        records
          .filter((r) => r.phase === 'main' && r.method === e.id && r.budget === budget && r.tag === tag)
          .map((r) => r.seed),
      );
      const seeds = cfg.seeds.filter((s) => !have.has(s));
      if (!seeds.length) continue;
      log(
        `[leaderboard] ${e.id} K=${budget} seeds ${seeds.join(',')} (tag ${tag}; ${((Date.now() - t0) / 60000).toFixed(1)} min)`,
      );
      const job = {
        method: e.id,
        budget,
        seeds,
        quick,
        records: recordsPath,
        journal,
        tag,
        commit,
        native: installed['@ft/tfjs-backend-native'].digest,
      };
      const code = await new Promise((resolve) => {
        const child = spawn(process.execPath, [path.join('bench', 'worker.mjs'), JSON.stringify(job)], {
          cwd: path.join(root, '.cache/leaderboard/app'),
          stdio: ['ignore', 'inherit', 'inherit'],
        });
        child.on('exit', (c, sig) => resolve(c ?? (sig ? 128 : 1)));
      });
      // one failing job does not stop the others; the run exits non-zero at the end and the page marks the cell
      if (code !== 0) {
        failures.push(`${e.id} at ${budget} labels/class (exit ${code})`);
        log(`[leaderboard] worker for ${e.id} K=${budget} exited with ${code}; going on`);
      }
    }
  }
}

const records = readJsonl(recordsPath, { missingOk: true });
if (quick) {
  try {
    const main = records.filter((r) => r.phase === 'main');
    log('\nmethod | K | seed | test % | robust % | train s | steps | passes | tensors left');
    for (const r of main)
      log(
        `${r.method} | ${r.budget} | ${r.seed} | ${(100 * r.testAccuracy).toFixed(1)} | ${r.robustAccuracy !== undefined ? (100 * r.robustAccuracy).toFixed(1) : '-'} | ${r.trainSeconds} | ${r.steps} | ${r.passes.train} | ${r.leakedTensors}`,
      );
    const expected = entries.length * budgets.length * cfg.seeds.length;
    const bad = main.filter((r) => !(r.testAccuracy >= 0 && r.testAccuracy <= 1) || r.leakedTensors !== 0);
    if (main.length !== expected || bad.length || failures.length) {
      log(
        `[leaderboard] quick: ${main.length}/${expected} runs, ${bad.length} with a bad accuracy or leaked tensors, failed: ${failures.join(', ') || 'none'}`,
      );
      process.exitCode = 1;
    } else log(`[leaderboard] quick: ${main.length} runs ok (${((Date.now() - t0) / 1000).toFixed(0)} s)`);
  } finally {
    fs.rmSync(outDir, { recursive: true, force: true });
  }
} else {
  await writePage({ records, entries: all, cfg, currentTags, packed, command, out: args.out, log });
  if (failures.length) {
    log(`[leaderboard] failed jobs: ${failures.join(', ')}`);
    process.exitCode = 1;
  }
}
