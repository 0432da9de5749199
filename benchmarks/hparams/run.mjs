#!/usr/bin/env node
// @ft/hparams benchmarks: writes docs/results/hparams.md from three parts, each in its own module.
//   li.mjs       Li et al. (ICLR 2020) on this project's data: domain similarity, effective LR, L2-SP, BN momentum
//   engine.mjs   Random vs TPE vs TPE + Median vs TPE + SuccessiveHalving on a real fine-tuning objective
//   workers.mjs  1, 2 and 4 workers on one Redis journal: wall time to N trials
//
//   node benchmarks/hparams/run.mjs [--quick] [--parts li,engine,workers] [--seeds 0,1] [--from-records]
//
// --quick: one seed and small sizes; prints the page and writes nothing under docs/.
// --from-records: rebuild the page from docs/results/hparams/*.jsonl without running anything.
// --parts: run only these parts; the others are read from their committed records, so the page stays whole.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { initBackend } from '@ft/core';
import { machineInfo, resultsPage } from '@ft/report';
import { engineSection, runEngine, writeEnginePlots } from './engine.mjs';
import { readJsonl, writeJsonl } from './jsonl.mjs';
import { liSection, runLi, writeLiPlots } from './li.mjs';
import { runWorkers, workersSection } from './workers.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const PARTS = {
  li: { run: runLi, section: liSection, plots: writeLiPlots },
  engine: { run: runEngine, section: engineSection, plots: writeEnginePlots },
  workers: { run: runWorkers, section: workersSection },
};

const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    parts: { type: 'string' },
    seeds: { type: 'string' },
    out: { type: 'string', default: path.join(root, 'docs/results') },
    'from-records': { type: 'boolean', default: false },
  },
});
const log = (m) => process.stderr.write(`${m}\n`);
const quick = args.quick;
const fromRecords = args['from-records'];
const parts = (args.parts ?? Object.keys(PARTS).join(',')).split(',').map((p) => p.trim());
for (const p of parts) {
  if (!(p in PARTS)) {
    log(`[hparams] unknown part '${p}'; the parts are ${Object.keys(PARTS).join(', ')}`);
    process.exit(2);
  }
}
const recordsDir = path.join(args.out, 'hparams');
const recordsPath = (part) => path.join(recordsDir, `${part}.jsonl`);
const readRecords = (part) => readJsonl(recordsPath(part), { missingOk: true });

const backend = fromRecords ? null : await initBackend();
if (backend) log(`[hparams] backend ${backend.name}${backend.fallbackReason ? ` (${backend.fallbackReason})` : ''}`);
const seeds = (args.seeds ?? (quick ? '0' : '')).split(',').filter(Boolean).map(Number);

const recordsByPart = {};
for (const part of Object.keys(PARTS)) {
  if (!fromRecords && parts.includes(part)) {
    const started = Date.now();
    const ctx = { quick, seeds: seeds.length ? seeds : undefined, log, root, backend };
    const records = await PARTS[part].run(ctx);
    log(`[hparams] ${part}: ${records.length} records in ${((Date.now() - started) / 60000).toFixed(1)} min`);
    recordsByPart[part] = records;
    if (!quick) {
      writeJsonl(recordsPath(part), records);
    }
  } else {
    recordsByPart[part] = readRecords(part);
    // --from-records redraws the plots too, so a change to a chart needs no rerun.
    if (fromRecords && !quick && recordsByPart[part].length) await PARTS[part].plots?.(recordsByPart[part], recordsDir);
  }
}

const sections = {};
for (const part of Object.keys(PARTS)) {
  if (recordsByPart[part].length) sections[part] = PARTS[part].section(recordsByPart[part], { quick, root });
}
if (!sections.li) {
  log('[hparams] no records of the Li et al. part: run it first (node benchmarks/hparams/run.mjs --parts li)');
  process.exit(1);
}

// The page's verdict is on Li et al.'s claims; the engine and worker parts test this package's own engine.
const claims = sections.li.claims;
const verdicts = claims.map((c) => c.verdict);
const overall = verdicts.every((v) => v === 'reproduced')
  ? 'reproduced'
  : verdicts.every((v) => v === 'inconclusive')
    ? 'inconclusive'
    : verdicts.some((v) => v === 'reproduced' || v === 'partly')
      ? 'partly'
      : 'not';
const allRecords = Object.values(recordsByPart).flat();
const recordedSeeds = [...new Set(allRecords.map((r) => r.seed).filter((s) => Number.isInteger(s)))].sort(
  (a, b) => a - b,
);
const cuts = Object.values(sections).flatMap((s) => s.cuts ?? []);
const evidence = [
  ...claims.map((c) => `${c.claim}: **${c.verdict}**. ${c.evidence}`),
  ...(sections.engine?.verdict ?? []).map((v) => `Engine: ${v}`),
  ...(sections.workers?.verdict ?? []).map((v) => `Workers: ${v}`),
  cuts.length ? `Cuts: ${cuts.join('; ')}.` : 'No sizes were cut.',
];
const lastDate = allRecords
  .map((r) => r.date)
  .filter(Boolean)
  .sort()
  .at(-1);
const page = resultsPage({
  title: '@ft/hparams: Li et al. on MNIST/Fashion-MNIST, and the search engine at work',
  command:
    'npx -y pnpm@10 run bench:hparams   # = node benchmarks/hparams/run.mjs; --parts li,engine,workers runs some, --from-records rebuilds the page',
  backend: backend ?? allRecords.find((r) => r.backend)?.backend ?? 'unknown',
  machine: machineInfo(),
  date: fromRecords || !backend ? (lastDate ?? new Date()) : new Date(),
  seeds: recordedSeeds,
  claim: sections.li.claim,
  verdict: overall,
  evidence,
  sections: [
    {
      title: 'Setup',
      body: Object.values(sections)
        .flatMap((s) => s.setup ?? [])
        .map((l) => `- ${l}`)
        .join('\n'),
    },
  ],
});
const body = [page.trimEnd(), ...Object.values(sections).map((s) => s.markdown.trim())].join('\n\n');
if (quick) {
  process.stdout.write(`${body}\n`);
} else {
  fs.writeFileSync(path.join(args.out, 'hparams.md'), `${body}\n`);
  log(`[hparams] wrote ${path.relative(root, path.join(args.out, 'hparams.md'))}`);
}
