#!/usr/bin/env node
/**
 * OpenMP wait settings for ft-native: ResNet training and inference images/s at each setting, fp32 and bf16, on an
 * idle machine or (--busy) next to a looping 2-thread ResNet-8 fp32 training, the case where spinning threads hurt.
 * The numbers behind the default `GOMP_SPINCOUNT` of @ft/tfjs-backend-native (its README, "Threads").
 *
 * Usage (from the repo root, after `npx -y pnpm@10 run build`; run it on an otherwise idle machine):
 *   node benchmarks/backend/wait-policy.mjs                 # idle
 *   node benchmarks/backend/wait-policy.mjs --busy          # next to another training
 * Flags: --settings passive,3000,5000,10000 (passive = OMP_WAIT_POLICY=passive, a number = GOMP_SPINCOUNT, active =
 *        OMP_WAIT_POLICY=active)  --models resnet20  --precisions fp32,bf16  --rounds 3  --batch 128
 * Every measurement is its own child process (run.mjs's worker: 5 repetitions of 3 steps after warm-up, median);
 * rounds visit the settings in alternating order, and the table gives the median over rounds. Prints a Markdown table.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseFlags } from '../flags.mjs';
import { runChild } from './children.mjs';
import { median } from './report.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const runMjs = path.join(here, 'run.mjs');

/** The environment for one setting: exactly one of OMP_WAIT_POLICY / GOMP_SPINCOUNT, the other unset. */
export function settingEnv(setting) {
  if (setting === 'passive' || setting === 'active') return { OMP_WAIT_POLICY: setting, GOMP_SPINCOUNT: undefined };
  if (!/^\d+$/.test(setting))
    throw new Error(`--settings: "${setting}" is neither passive, active nor a GOMP_SPINCOUNT number`);
  return { GOMP_SPINCOUNT: setting, OMP_WAIT_POLICY: undefined };
}

async function main() {
  const args = parseFlags(process.argv.slice(2));
  const list = (v, d) => String(v ?? d).split(',');
  const settings = list(args.settings, 'passive,3000,5000,10000');
  for (const s of settings) settingEnv(s); // validate before measuring
  const models = list(args.models, 'resnet20');
  const precisions = list(args.precisions, 'fp32,bf16');
  const rounds = Number(args.rounds ?? 3);
  const batch = Number(args.batch ?? 128);
  const busy = Boolean(args.busy);

  let neighbour;
  if (busy) {
    const loop = `while true; do "${process.execPath}" "${runMjs}" --worker --model=resnet8 --backend=ft-native --batch=128 --reps=50 --steps=3 >/dev/null 2>&1; done`;
    neighbour = spawn('bash', ['-c', loop], { stdio: 'ignore', detached: true });
    process.on('exit', () => {
      try {
        process.kill(-neighbour.pid, 'SIGKILL');
      } catch {}
    });
    await new Promise((r) => setTimeout(r, 5000));
  }
  const cells = new Map();
  for (let r = 0; r < rounds; r++) {
    const order = r % 2 ? [...settings].reverse() : settings;
    for (const model of models)
      for (const precision of precisions)
        for (const setting of order) {
          const env = settingEnv(setting);
          const res = runChild(
            process.execPath,
            [
              runMjs,
              '--worker',
              `--model=${model}`,
              '--backend=ft-native',
              `--precision=${precision}`,
              `--batch=${batch}`,
              '--reps=5',
              '--steps=3',
            ],
            `${model} ${precision} ${setting}${busy ? ' (busy)' : ''} round ${r + 1}/${rounds}`,
            env,
          );
          if (res.error || res.unavailable) continue;
          const key = `${model}\t${precision}\t${setting}`;
          if (!cells.has(key)) cells.set(key, []);
          cells.get(key).push([res.train.imgPerSec, res.infer.imgPerSec]);
        }
  }
  if (neighbour) process.kill(-neighbour.pid, 'SIGKILL');
  const rows = [...cells].map(([k, v]) => {
    const [model, precision, setting] = k.split('\t');
    const label =
      setting === 'passive' || setting === 'active' ? `OMP_WAIT_POLICY=${setting}` : `GOMP_SPINCOUNT=${setting}`;
    const fmt = (i) => Math.round(median(v.map((x) => x[i]))).toLocaleString('en-US');
    return `| ${model} | ${precision} | \`${label}\` | ${v.length} | ${fmt(0)} | ${fmt(1)} |`;
  });
  process.stdout.write(
    `${busy ? 'Next to a 2-thread ResNet-8 training' : 'Idle machine'}, batch ${batch}, median images/s over rounds\n\n` +
      '| model | precision | setting | rounds | train | inference |\n| --- | --- | --- | ---: | ---: | ---: |\n' +
      `${rows.join('\n')}\n`,
  );
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  main().catch((e) => {
    console.error(e);
    process.exit(1);
  });
}
