#!/usr/bin/env node
// Per-unit costs of the adv-finetune benchmark on this machine: wall and CPU seconds per 1,000 forward+backward
// passes for each kind of work (PGD-7 adversarial training, natural training, TRADES, Fast-AT, evaluation attacks).
// Used to plan the full run's budget (plan.mjs `estimateSeconds`). CPU seconds are process CPU time (all threads),
// so on a loaded machine `cpu s / threads` approximates the idle wall time.
//
//   nice -n 19 node benchmarks/adv-finetune/measure.mjs [--arch tinyCnn] [--n 1024] [--json out.json]
import fs from 'node:fs';
import { parseArgs } from 'node:util';
import { APGD, adversarialTrain, attackAccuracy, PGD } from '@ft/adv-finetune';
import {
  buildBackbone,
  createRng,
  initBackend,
  loadFashionMnist,
  piecewiseDecay,
  stratifiedSplit,
  subset,
} from '@ft/core';

const { values: args } = parseArgs({
  options: {
    arch: { type: 'string', default: 'tinyCnn' },
    n: { type: 'string', default: '1024' },
    json: { type: 'string' },
  },
});
const n = Number(args.n);
const eps = 0.1;
const backend = await initBackend();
const fm = await loadFashionMnist({ split: 'train' });
const data = subset(fm, stratifiedSplit(fm.labels, { testSize: n, seed: 'measure' }).test);
const fresh = () => buildBackbone(args.arch, { inputShape: [28, 28, 1], numClasses: 10, seed: 'measure' }).model;

async function timed(label, fn) {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const passes = await fn();
  const wall = (performance.now() - t0) / 1000;
  const c = process.cpuUsage(c0);
  const cpu = (c.user + c.system) / 1e6;
  const row = { label, passes, wall, cpu, wallPerKPass: (1000 * wall) / passes, cpuPerKPass: (1000 * cpu) / passes };
  process.stderr.write(
    `[measure] ${args.arch} ${label}: ${passes} passes, wall ${wall.toFixed(1)} s, cpu ${cpu.toFixed(1)} s → ` +
      `${row.wallPerKPass.toFixed(3)} wall-s / ${row.cpuPerKPass.toFixed(3)} cpu-s per 1k passes\n`,
  );
  return row;
}
const train =
  (method, extra = {}) =>
  async () => {
    const model = fresh();
    const r = await adversarialTrain(model, data, {
      method,
      epochs: 1,
      batchSize: 128,
      schedule: piecewiseDecay({ peakLr: 0.01 }),
      rng: createRng(0),
      eps,
      alpha: 0.025,
      steps: 7,
      ...extra,
    });
    model.dispose();
    return r.passes.natural + r.passes.adversarial;
  };
const rows = [];
rows.push(await timed('natural epoch', train('natural')));
rows.push(await timed('PGD-7 AT epoch', train('madry')));
rows.push(await timed('TRADES epoch', train('trades')));
rows.push(await timed('Fast-AT epoch', train('fast-at')));
const model = fresh();
await adversarialTrain(model, data, {
  method: 'natural',
  epochs: 2,
  batchSize: 128,
  schedule: piecewiseDecay({ peakLr: 0.05 }),
  rng: createRng(1),
});
for (const [label, atk] of [
  ['eval PGD-20', new PGD(model, { eps, alpha: 0.01, steps: 20, seed: 'm' })],
  ['eval APGD-CE-100', new APGD(model, { eps, steps: 100, seed: 'm' })],
]) {
  const sub = subset(
    data,
    Array.from({ length: Math.min(n, 256) }, (_, i) => i),
  );
  rows.push(
    await timed(label, async () => (await attackAccuracy(model, sub, { attacks: [atk], rng: createRng(2) })).passes),
  );
}
const out = { arch: args.arch, backend: backend.name, n, loadavg: (await import('node:os')).loadavg(), rows };
process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
if (args.json) fs.writeFileSync(args.json, `${JSON.stringify(out, null, 2)}\n`);
