#!/usr/bin/env node
/**
 * Thread scaling: ft-native and PyTorch (CPU, channels_last) side by side at each thread count, training and
 * inference images/s, plus a per-kernel profile of one ft-native inference step at every thread count, from which
 * scaling-report.mjs computes the serial fraction (Amdahl) and the kernels responsible. Writes
 * docs/results/backend-scaling.md (+ .json and two SVG charts).
 *
 * Usage (from the repo root, after `npx -y pnpm@10 run build`):
 *   node benchmarks/backend/scaling.mjs --threads 1,2,4,8,16     # on a machine with 16 cores
 *   node benchmarks/backend/scaling.mjs                          # 1, 2, 4, … up to this machine's cores
 *   node benchmarks/backend/scaling.mjs --quick                  # 1 round, short timings: a smoke test
 *   node benchmarks/backend/scaling.mjs --render docs/results/backend-scaling.json   # re-render only
 * Flags: --models resnet8,resnet20  --batch 512  --rounds 3  --reps 5  --steps 3  --warmup-s 3  --no-torch
 *        --out docs/results/backend-scaling.md
 * Every measurement runs in its own child process, one at a time (run.mjs's worker for ft-native, torch_bench.py for
 * PyTorch), with the thread count set through FT_NATIVE_THREADS / torch.set_num_threads and OMP_NUM_THREADS. Within
 * a round, each (model, threads) runs ft-native with its default OpenMP wait policy and with GOMP_SPINCOUNT=50000,
 * then PyTorch with its default OpenMP settings and with OMP_WAIT_POLICY=passive; each framework is taken at the
 * faster of its two (as run.mjs does), and ratios are taken within the round.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseFlags } from '../flags.mjs';
import { findTorchPython, runChild } from './children.mjs';
import { MODELS } from './models.mjs';
import { DEFAULT_WARMUP_S, warmupSeconds } from './warmup.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..', '..');

/** Thread counts: the `--threads` list, else 1, 2, 4, … up to the machine's cores (and the cores themselves). */
export function threadCounts(flag, cores) {
  if (flag !== undefined && flag !== true) {
    const list = String(flag)
      .split(',')
      .map((t) => Number(t.trim()));
    if (!list.length || list.some((t) => !Number.isInteger(t) || t < 1))
      throw new Error(`--threads must be a comma-separated list of positive integers, got "${flag}"`);
    return [...new Set(list)].sort((a, b) => a - b);
  }
  const out = [];
  for (let t = 1; t < cores; t *= 2) out.push(t);
  out.push(cores);
  return [...new Set(out)];
}

async function measure(args) {
  const { machineInfo } = await import('@ft/report');
  const quick = Boolean(args.quick);
  const machine = machineInfo();
  const threads = threadCounts(args.threads, machine.cores);
  if (Math.max(...threads) > machine.cores) {
    process.stderr.write(
      `[scaling] warning: ${Math.max(...threads)} threads on a ${machine.cores}-core machine oversubscribes it; those rows measure contention, not scaling\n`,
    );
  }
  const models = String(args.models ?? 'resnet8,resnet20').split(',');
  for (const m of models)
    if (!MODELS[m]) throw new Error(`unknown model ${m}; expected ${Object.keys(MODELS).join(', ')}`);
  const int = (key, dflt) => {
    const v = Number(args[key] ?? dflt);
    if (!Number.isInteger(v) || v < 1) throw new Error(`--${key} must be a positive integer, got ${args[key]}`);
    return v;
  };
  const batch = int('batch', 512);
  const rounds = int('rounds', quick ? 1 : 3);
  const reps = int('reps', quick ? 2 : 5);
  const steps = int('steps', quick ? 1 : 3);
  const warmupS = warmupSeconds(args['warmup-s'], quick ? 0 : DEFAULT_WARMUP_S);
  let torch = null;
  let torchError;
  if (!args['no-torch']) {
    torch = findTorchPython();
    if (torch.error) {
      torchError = torch.error;
      process.stderr.write(`[scaling] PyTorch skipped: ${torch.error}\n`);
      torch = null;
    }
  }
  const runMjs = path.join(here, 'run.mjs');
  const results = {
    command: `node benchmarks/backend/scaling.mjs${process.argv.length > 2 ? ` ${process.argv.slice(2).join(' ')}` : ''}`,
    machine,
    date: new Date().toISOString(),
    loadavg: { start: os.loadavg()[0] },
    threads,
    models,
    batch,
    reps,
    steps,
    warmupS,
    torchError,
    rounds: [],
  };
  const total = rounds * models.length * threads.length;
  let done = 0;
  const t0 = Date.now();
  for (let i = 0; i < rounds; i++) {
    const round = {};
    for (const m of models) {
      round[m] = {};
      for (const t of threads) {
        const label = `${m} ${t} thread${t === 1 ? '' : 's'} round ${i + 1}/${rounds}`;
        const env = { FT_NATIVE_THREADS: String(t), OMP_NUM_THREADS: String(t) };
        const common = [runMjs, '--worker', `--model=${m}`, '--backend=ft-native', `--batch=${batch}`];
        const timing = [`--reps=${reps}`, `--steps=${steps}`, `--warmup-s=${warmupS}`];
        const cell = {};
        cell.native = runChild(process.execPath, [...common, ...timing, '--profile-infer'], `ft-native ${label}`, env);
        cell.nativeSpin = runChild(process.execPath, [...common, ...timing], `ft-native (spin) ${label}`, {
          ...env,
          GOMP_SPINCOUNT: '50000',
        });
        if (torch) {
          const targs = [
            path.join(here, 'torch_bench.py'),
            `--model=${m}`,
            `--batch=${batch}`,
            ...timing,
            `--threads=${t}`,
            '--layouts=cl',
          ];
          cell.torch = runChild(torch.py, targs, `torch ${label}`, env);
          cell.torchPassive = runChild(torch.py, targs, `torch (passive) ${label}`, {
            ...env,
            OMP_WAIT_POLICY: 'passive',
          });
          results.torchVersion ??= cell.torch.torch;
        }
        results.native ??= cell.native.native;
        round[m][t] = cell;
        done++;
        const min = (Date.now() - t0) / 60000;
        process.stderr.write(
          `[scaling] ${done}/${total} cells, ${min.toFixed(1)} min, ~${((min / done) * (total - done)).toFixed(1)} min left\n`,
        );
      }
    }
    results.rounds.push(round);
  }
  results.loadavg.end = os.loadavg()[0];
  return results;
}

async function write(results, out) {
  const { renderScalingMarkdown, renderScalingSvgs } = await import('./scaling-report.mjs');
  const base = out.replace(/\.md$/, '');
  const names = { infer: `${path.basename(base)}-infer.svg`, train: `${path.basename(base)}-train.svg` };
  const svgs = await renderScalingSvgs(results);
  mkdirSync(path.dirname(out), { recursive: true });
  writeFileSync(`${base}.json`, `${JSON.stringify(results, null, 2)}\n`);
  writeFileSync(path.join(path.dirname(out), names.infer), svgs.infer);
  writeFileSync(path.join(path.dirname(out), names.train), svgs.train);
  writeFileSync(out, renderScalingMarkdown(results, names));
  process.stderr.write(`[scaling] wrote ${path.relative(root, out)} (+ .json, 2 charts)\n`);
}

async function main() {
  const args = parseFlags(process.argv.slice(2));
  if (typeof args.render === 'string') {
    const file = path.resolve(root, args.render);
    await write(JSON.parse(readFileSync(file, 'utf8')), file.replace(/\.json$/, '.md'));
    return;
  }
  const out = path.resolve(root, String(args.out ?? 'docs/results/backend-scaling.md'));
  await write(await measure(args), out);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  main().catch((e) => {
    console.error(e);
    process.exit(1);
  });
}
