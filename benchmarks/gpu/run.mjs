#!/usr/bin/env node
/**
 * GPU benchmark (issue 18): training and inference images/s of stock tfjs-webgpu, `ft-webgpu`
 * (@ft/tfjs-backend-webgpu), `ft-native` on all of the same machine's CPU cores, and PyTorch CUDA fp32 with TF32 off,
 * on TinyCNN, ResNet-8 and ResNet-20 (benchmarks/backend/models.mjs) at batch 128 and 512. Writes
 * docs/results/gpu.md and gpu.json.
 *
 * Both WebGPU columns run on the same Dawn device setup: stock is `registerWebGpuBackend({name: 'webgpu-stock',
 * overrides: false})`, i.e. every tfjs-backend-webgpu 4.22 kernel unchanged. Each (backend, model, batch) runs in its
 * own child process, one at a time.
 *
 * It refuses to report speed on a software adapter (llvmpipe & co.): without a hardware adapter it writes the page
 * with the H200 baseline of docs (research notes of 2026-12-04) and says the ft-webgpu column awaits a GPU run.
 * `--allow-software` runs the whole harness on the software adapter as a smoke test and still reports no speed.
 *
 * Usage (from the repo root, after `npx -y pnpm@10 run build`):
 *   node benchmarks/gpu/run.mjs                       # full run (3 models × 2 batches × 4 columns)
 *   node benchmarks/gpu/run.mjs --render=docs/results/gpu.json   # re-render the page from saved results
 * Flags: --models=tiny,resnet8,resnet20 --batches=128,512 --reps=3 --steps=2 --no-torch --no-native
 *        --allow-software --out=docs/results/gpu.md --json=docs/results/gpu.json --no-render (JSON only)
 *        --profile (GPU time per kernel of one training step in both WebGPU columns; needs the adapter's
 *          'timestamp-query': set FT_WEBGPU_DAWN_FLAGS=enable-dawn-features=allow_unsafe_apis)
 *        --no-ablation (skip the runs of ft-webgpu with one group of its kernels left stock, ResNet-20 batch 512)
 * On a bare GPU machine: benchmarks/gpu/pack.mjs packs Node, the trimmed node_modules and the Vulkan loader; see there.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { runChild as runBenchChild } from '../backend/children.mjs';
import { MODELS } from '../backend/models.mjs';
import { parseFlags } from '../flags.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..', '..');

const args = parseFlags(process.argv.slice(2));

/** Figures measured on 2026-12-04 on one NVIDIA H200 (driver 580.159, CUDA 13, 16-core Xeon), single runs. */
export const H200_BASELINE = {
  machine: 'one NVIDIA H200 (driver 580.159, CUDA 13; Dawn/Vulkan through the NVIDIA ICD), 16-core Intel Xeon',
  date: '2026-12-04',
  rows: [
    { model: 'TinyCNN', batch: 512, mode: 'training', stock: 2290, torch: 266632 },
    { model: 'ResNet-8', batch: 512, mode: 'training', stock: 448, torch: 111915 },
    { model: 'ResNet-20', batch: 512, mode: 'training', stock: 225, torch: 42530, native16: 2329 },
    { model: 'ResNet-20', batch: 512, mode: 'inference', stock: 3711, torch: 145193 },
  ],
  profile:
    'one stock ResNet-20 training step at batch 128: Conv2DBackpropFilter 394 of ~420 ms kernel time (94 %), 21 calls; 10 GFLOP/s at 16 channels 32×32; 2,379 kernels per step',
};

/** Issue 18's targets for ResNet-20 training at batch 512 on one GPU. */
export const TARGETS = { vsStock: 10, vsNative: 1, vsTorchAim: 0.25 };

const COLUMNS = ['webgpu-stock', 'ft-webgpu', 'ft-native', 'torch-cuda'];

/**
 * The ablation: ft-webgpu with one group of its replacements left stock (`stockKernels`), so one GPU run shows what
 * each kernel group is worth (issue 18: profile after each change and go where the time goes next).
 */
export const ABLATION_GROUPS = [
  { name: 'forward convolution', kernels: ['Conv2D', 'FusedConv2D'] },
  { name: 'filter gradient', kernels: ['Conv2DBackpropFilter'] },
  { name: 'input gradient', kernels: ['Conv2DBackpropInput'] },
  { name: 'fused BatchNorm', kernels: ['FtBatchNormTrain', 'FtBatchNormGrad'] },
  { name: 'fused optimizer update', kernels: ['FtSGDUpdate', 'FtMomentumUpdate', 'FtAdamUpdate'] },
];

// ---------------------------------------------------------------------------------------------------------------
// Worker: one backend, one model, one batch size in this process.

async function imp(name) {
  try {
    return await import(name);
  } catch (e) {
    // tfjs-backend-cpu is a devDependency of the backend packages, not of the benchmarks.
    for (const pkg of ['tfjs-backend-webgpu', 'tfjs-backend-native']) {
      try {
        const req = createRequire(path.join(root, 'packages', pkg, 'package.json'));
        return await import(pathToFileURL(req.resolve(name)).href);
      } catch {}
    }
    throw e;
  }
}

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

async function worker() {
  const tf = await imp('@tensorflow/tfjs-core');
  await imp('@tensorflow/tfjs-backend-cpu');
  const tfl = await imp('@tensorflow/tfjs-layers');
  const backend = args.backend;
  const software = Boolean(args['allow-software']);
  const out = (r) => process.stdout.write(`RESULT ${JSON.stringify(r)}\n`);
  let gpu = null;
  let info = null;
  if (backend === 'ft-native') {
    const native = await imp('@ft/tfjs-backend-native');
    const r = native.registerNativeBackend();
    if (!r.ok) return out({ backend, unavailable: r.reason });
    info = { threads: native.nativeInfo().threads, onednn: native.nativeInfo().onednn };
  } else {
    gpu = await imp('@ft/tfjs-backend-webgpu');
    const stockKernels = args.stock ? String(args.stock).split(',') : [];
    const r = await gpu.registerWebGpuBackend({
      name: backend,
      overrides: backend !== 'webgpu-stock',
      software,
      stockKernels,
    });
    if (!r.ok) {
      const i = gpu.webgpuInfo();
      return out({
        backend,
        unavailable: r.reason,
        code: r.code,
        versions: { dawn: i.dawn, tfjsWebgpu: i.tfjsWebgpu },
      });
    }
    info = r.info;
    if (args.probe) {
      gpu.disposeWebGpu();
      return out({ backend, probe: true, info });
    }
  }
  await tf.setBackend(backend);
  const spec = MODELS[args.model];
  const batch = Number(args.batch);
  const reps = Number(args.reps);
  const steps = Number(args.steps);
  const model = spec.build(tfl, spec.input);
  model.compile({ optimizer: tf.train.momentum(0.01, 0.9), loss: 'categoricalCrossentropy' });
  const x = tf.randomNormal([batch, ...spec.input], 0, 1, 'float32', 1);
  const y = tf.oneHot(tf.randomUniform([batch], 0, 10, 'int32', 2), 10);
  const timeReps = async (fn) => {
    const r = [];
    for (let i = 0; i < reps; i++) {
      const t0 = performance.now();
      for (let s = 0; s < steps; s++) await fn();
      r.push((steps * batch * 1000) / (performance.now() - t0));
    }
    return r;
  };
  // trainOnBatch reads the loss back every step: the same for every column.
  for (let i = 0; i < 2; i++) await model.trainOnBatch(x, y);
  const train = await timeReps(() => model.trainOnBatch(x, y));
  const infer = async () => {
    const p = model.predict(x, { batchSize: batch });
    await p.data();
    p.dispose();
  };
  await infer();
  const inf = await timeReps(infer);
  let profile;
  if (args.profile && gpu) {
    // GPU time per kernel of one training step (tfjs-webgpu's timestamp queries; zero without 'timestamp-query').
    const p = await tf.profile(async () => {
      await model.trainOnBatch(x, y);
    });
    const by = new Map();
    for (const k of p.kernels) {
      const ms = await k.kernelTimeMs;
      const e = by.get(k.name) ?? { kernel: k.name, calls: 0, ms: 0 };
      e.calls++;
      e.ms += typeof ms === 'number' ? ms : 0;
      by.set(k.name, e);
    }
    const kernels = [...by.values()].sort((a, b) => b.ms - a.ms);
    profile = {
      kernelsPerStep: p.kernels.length,
      kernelMs: kernels.reduce((a, k) => a + k.ms, 0),
      timestampQuery: info.adapter?.features?.includes('timestamp-query') ?? false,
      top: kernels.slice(0, 12),
    };
  }
  const result = {
    backend,
    ...(profile ? { profile } : {}),
    model: args.model,
    batch,
    reps,
    steps,
    train: { imgPerSec: median(train), runs: train },
    infer: { imgPerSec: median(inf), runs: inf },
    info: gpu ? gpu.webgpuInfo(backend) : info,
    software: gpu ? !gpu.isHardwareAdapter() : false,
  };
  model.dispose();
  tf.dispose([x, y]);
  gpu?.disposeWebGpu();
  out(result);
}

// ---------------------------------------------------------------------------------------------------------------
// Parent.

/** How a worker's result is logged. */
function describeResult(r) {
  return (
    r.unavailable ??
    (r.probe
      ? `adapter ${r.info.adapter.device} (${r.info.adapter.software ? 'software' : 'hardware'})`
      : r.software
        ? 'ran (software adapter: no speed reported)'
        : `train ${r.train?.imgPerSec?.toFixed(0)} / infer ${r.infer?.imgPerSec?.toFixed(0)} img/s`)
  );
}

const runChild = (cmd, argv, label) =>
  runBenchChild(cmd, argv, label, {}, { tag: 'gpu', timeoutMs: 15 * 60_000, describe: describeResult });

function gpuNames() {
  try {
    return execFileSync('nvidia-smi', ['--query-gpu=name,driver_version', '--format=csv,noheader'], {
      encoding: 'utf8',
    })
      .trim()
      .split('\n')[0];
  } catch {
    return null;
  }
}

function findPython() {
  for (const py of ['python3', '/usr/bin/python3']) {
    if (spawnSync(py, ['-c', 'import torch'], { encoding: 'utf8' }).status === 0) return py;
  }
  return null;
}

async function main() {
  if (args.render) return render(JSON.parse(readFileSync(args.render, 'utf8')));
  const self = fileURLToPath(import.meta.url);
  const common = ['--worker', ...(args['allow-software'] ? ['--allow-software'] : [])];
  const probe = runChild(process.execPath, [self, ...common, '--probe', '--backend=ft-webgpu'], 'adapter probe');
  const run = {
    date: new Date().toISOString(),
    host: { cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model ?? 'unknown', node: process.version },
    nvidiaSmi: gpuNames(),
    probe,
    cells: [],
  };
  const hardware = probe.info && !probe.info.adapter?.software;
  if (!probe.info) {
    run.noGpu = probe.unavailable ?? probe.error;
  } else if (!hardware && !args['allow-software']) {
    run.noGpu = 'software adapter only';
  } else {
    const models = String(args.models ?? 'tiny,resnet8,resnet20').split(',');
    const batches = String(args.batches ?? '128,512')
      .split(',')
      .map(Number);
    const reps = Number(args.reps ?? 3);
    const profileFlag = args.profile ? ['--profile'] : [];
    const steps = Number(args.steps ?? 2);
    const py = args['no-torch'] ? null : findPython();
    for (const model of models) {
      for (const batch of batches) {
        const cell = { model, batch, results: {} };
        for (const b of COLUMNS.slice(0, 3)) {
          if (b === 'ft-native' && args['no-native']) continue;
          cell.results[b] = runChild(
            process.execPath,
            [
              self,
              ...common,
              ...(b === 'ft-native' ? [] : profileFlag),
              `--backend=${b}`,
              `--model=${model}`,
              `--batch=${batch}`,
              `--reps=${reps}`,
              `--steps=${steps}`,
            ],
            `${b} ${model} bs${batch}`,
          );
        }
        if (py) {
          cell.results['torch-cuda'] = runChild(
            py,
            [path.join(here, 'torch_cuda.py'), `--model=${model}`, `--batch=${batch}`, `--reps=${reps}`, '--steps=5'],
            `torch-cuda ${model} bs${batch}`,
          );
        } else
          cell.results['torch-cuda'] = {
            unavailable: args['no-torch'] ? 'skipped (--no-torch)' : 'no Python with torch',
          };
        run.cells.push(cell);
      }
    }
    if (!args['no-ablation'] && models.includes('resnet20') && batches.includes(512)) {
      run.ablation = ABLATION_GROUPS.map((g) => ({
        ...g,
        result: runChild(
          process.execPath,
          [
            self,
            ...common,
            '--backend=ft-webgpu',
            `--stock=${g.kernels.join(',')}`,
            '--model=resnet20',
            '--batch=512',
            `--reps=${reps}`,
            `--steps=${steps}`,
          ],
          `ft-webgpu without its ${g.name} resnet20 bs512`,
        ),
      }));
    }
  }
  const jsonPath = args.json ?? path.join(root, 'docs', 'results', 'gpu.json');
  mkdirSync(path.dirname(jsonPath), { recursive: true });
  writeFileSync(jsonPath, `${JSON.stringify(run, null, 2)}\n`);
  process.stderr.write(`[gpu] wrote ${jsonPath}\n`);
  if (!args['no-render']) await render(run);
}

// ---------------------------------------------------------------------------------------------------------------
// Page.

const fmt = (v) => (v === undefined || v === null ? '–' : Math.round(v).toLocaleString('en-US'));
const ratio = (a, b) => (a && b ? `${(a / b).toFixed(2)}×` : '–');

function table(header, rows) {
  return [
    `| ${header.join(' | ')} |`,
    `|${header.map((_, i) => (i < 2 ? '---' : '---:')).join('|')}|`,
    ...rows.map((r) => `| ${r.join(' | ')} |`),
  ].join('\n');
}

function baselineSection() {
  const b = H200_BASELINE;
  return {
    title: 'Baseline: stock tfjs-webgpu on an H200 (no ft-webgpu figure yet)',
    body: [
      `Measured ${b.date} on ${b.machine}, single runs (this project's research notes on GPU paths). These are the`,
      'stock tfjs-webgpu 4.22 figures ft-webgpu has to beat; **the ft-webgpu column awaits a GPU run** of this command.',
      '',
      table(
        [
          'model',
          'mode',
          'batch',
          'stock tfjs-webgpu img/s',
          'ft-webgpu img/s',
          'ft-native 16 cores img/s',
          'PyTorch CUDA fp32 img/s',
        ],
        b.rows.map((r) => [r.model, r.mode, r.batch, fmt(r.stock), 'awaits a GPU run', fmt(r.native16), fmt(r.torch)]),
      ),
      '',
      `Profile of the stock backend: ${b.profile}. That kernel is the first one ft-webgpu replaces.`,
    ].join('\n'),
  };
}

function resultRows(run, mode) {
  return run.cells.map((c) => {
    const v = (k) => c.results[k]?.[mode]?.imgPerSec;
    return [
      MODELS[c.model]?.name ?? c.model,
      c.batch,
      fmt(v('webgpu-stock')),
      fmt(v('ft-webgpu')),
      fmt(v('ft-native')),
      c.results['torch-cuda']?.unavailable ? 'n/a' : fmt(v('torch-cuda')),
      ratio(v('ft-webgpu'), v('webgpu-stock')),
      ratio(v('ft-webgpu'), v('ft-native')),
      ratio(v('ft-webgpu'), v('torch-cuda')),
    ];
  });
}

/**
 * Renders the results page of a run (the parsed gpu.json); writes it to `outPath` unless null, and returns it.
 * Timings taken on a software adapter never appear on the page.
 */
export async function render(run, outPath = args.out ?? path.join(root, 'docs', 'results', 'gpu.md')) {
  const { resultsPage } = await import('@ft/report');
  const info = run.probe?.info ?? run.probe?.versions;
  const adapter = info?.adapter;
  const software = adapter?.software === true;
  const measured = run.cells.length > 0 && !software;
  const target = run.cells.find((c) => c.model === 'resnet20' && c.batch === 512);
  const t = (k) => target?.results[k]?.train?.imgPerSec;
  const sections = [];
  let verdict = 'inconclusive';
  let evidence;
  if (measured) {
    const vsStock = t('ft-webgpu') / t('webgpu-stock');
    const vsNative = t('ft-webgpu') / t('ft-native');
    const vsTorch = t('torch-cuda') ? t('ft-webgpu') / t('torch-cuda') : null;
    const met = [vsStock >= TARGETS.vsStock, vsNative > TARGETS.vsNative];
    verdict = !target ? 'inconclusive' : met.every(Boolean) ? 'reproduced' : met.some(Boolean) ? 'partly' : 'not';
    evidence = target
      ? [
          `ResNet-20 training, batch 512: ft-webgpu ${fmt(t('ft-webgpu'))} img/s = ${vsStock.toFixed(1)}× stock tfjs-webgpu (target ≥ ${TARGETS.vsStock}×)`,
          `${vsNative.toFixed(2)}× ft-native on all ${run.host.cpus} CPU cores (target > 1×)`,
          vsTorch === null
            ? 'PyTorch CUDA not measured in this run'
            : `${(100 * vsTorch).toFixed(1)} % of PyTorch CUDA fp32 with TF32 off (aim ${100 * TARGETS.vsTorchAim} %)`,
        ]
      : ['the ResNet-20 batch-512 cell was not run (see --models / --batches)'];
    for (const [mode, title] of [
      ['train', 'Training images/s'],
      ['infer', 'Inference images/s'],
    ]) {
      sections.push({
        title,
        body: table(
          [
            'model',
            'batch',
            'stock tfjs-webgpu',
            'ft-webgpu',
            `ft-native (${run.host.cpus} cores)`,
            'PyTorch CUDA fp32',
            'ft-webgpu / stock',
            'ft-webgpu / ft-native',
            'ft-webgpu / PyTorch',
          ],
          resultRows(run, mode),
        ),
      });
    }
    const failed = run.cells.flatMap((c) =>
      Object.entries(c.results)
        .filter(([, r]) => r.error || r.unavailable)
        .map(([b, r]) => `- ${b} ${c.model} bs${c.batch}: ${r.error ?? r.unavailable}`),
    );
    if (failed.length) sections.push({ title: 'Runs without a figure', body: failed.join('\n') });
    if (run.ablation?.length && t('ft-webgpu')) {
      sections.push({
        title: 'What each replacement is worth (ResNet-20, batch 512, training)',
        body: [
          'ft-webgpu with one group of its kernels left stock (`stockKernels`), each in its own process; a ratio below 1× means the replacement speeds the step up by its inverse.',
          '',
          table(
            ['left stock', 'kernels', 'img/s', 'vs all replacements on'],
            run.ablation.map((a) => [
              a.name,
              a.kernels.join(', '),
              a.result?.train ? fmt(a.result.train.imgPerSec) : (a.result?.error ?? a.result?.unavailable ?? '–'),
              ratio(a.result?.train?.imgPerSec, t('ft-webgpu')),
            ]),
          ),
        ].join('\n'),
      });
    }
    const profiled = run.cells.flatMap((c) =>
      ['webgpu-stock', 'ft-webgpu']
        .filter((b) => c.results[b]?.profile)
        .map((b) => ({ c, b, p: c.results[b].profile })),
    );
    if (profiled.length) {
      sections.push({
        title: 'Kernel profile of one training step (GPU time, timestamp queries)',
        body: profiled
          .map(({ c, b, p }) =>
            [
              `**${b}, ${MODELS[c.model]?.name ?? c.model}, batch ${c.batch}**: ${p.kernelsPerStep} kernels, ${p.kernelMs.toFixed(1)} ms of kernel time${p.timestampQuery ? '' : ' (no timestamp-query on this adapter: times read 0)'}`,
              '',
              table(
                ['kernel', 'calls', 'ms'],
                p.top.map((k) => [k.kernel, k.calls, k.ms.toFixed(2)]),
              ),
            ].join('\n'),
          )
          .join('\n\n'),
      });
    }
  } else {
    evidence = [
      software
        ? `this run found only a software adapter (${adapter.device || adapter.description}): it reports no speed, since a software rasteriser says nothing about a GPU`
        : `no GPU run yet: ${run.noGpu ?? 'no hardware adapter'}`,
      'the ft-webgpu column awaits a GPU run of this command; the kernels are tested for correctness against `cpu` on the software path in CI',
    ];
    if (software && run.cells.length) {
      const ok = run.cells.flatMap((c) => Object.values(c.results)).filter((r) => r.train).length;
      evidence.push(
        `the harness itself ran ${ok} cells on the software adapter (--allow-software); their timings are not shown`,
      );
    }
  }
  sections.push(baselineSection());
  sections.push({
    title: 'Setup',
    body: [
      '- Models: benchmarks/backend/models.mjs (TinyCNN 28×28×1, ResNet-8 and ResNet-20 32×32×3), SGD momentum 0.9, categorical cross-entropy, random inputs; PyTorch builds the same architectures (benchmarks/backend/torch_bench.py) and runs them with TF32 off in cuDNN and matmul.',
      '- stock tfjs-webgpu = `registerWebGpuBackend({name: "webgpu-stock", overrides: false})`: every tfjs-backend-webgpu 4.22 kernel on the same Dawn device setup; ft-webgpu = the same with this package\'s kernels.',
      '- Each figure is the median of `--reps` repetitions of `--steps` steps after 2 warm-up steps, in its own process; `trainOnBatch` reads the loss back every step in every column.',
      `- WebGPU: ${adapter ? `adapter \`${adapter.device}\` (vendor ${adapter.vendor || '–'}, architecture ${adapter.architecture || '–'}, driver ${adapter.description || '–'}), Dawn backend ${adapter.backend}, ${software ? 'software' : 'hardware'}` : 'no adapter'}; Dawn (npm webgpu) ${info?.dawn ?? '–'}, tfjs-backend-webgpu ${info?.tfjsWebgpu ?? '–'}.`,
      `- nvidia-smi: ${run.nvidiaSmi ?? 'not available'}.`,
    ].join('\n'),
  });
  const page = resultsPage({
    title: 'GPU training in Node: ft-webgpu vs stock tfjs-webgpu, ft-native and PyTorch CUDA',
    command: 'npx -y pnpm@10 run build && node benchmarks/gpu/run.mjs   # on a GPU machine: benchmarks/gpu/pack.mjs',
    backend: measured ? `WebGPU adapter ${adapter.device} (${adapter.backend})` : 'no GPU measured yet',
    machine: `${run.host.cpus} × ${run.host.cpuModel}; ${run.nvidiaSmi ?? (adapter ? adapter.device : 'no GPU')}`,
    date: run.date,
    seeds: [1, 2],
    seedsNote: 'A timing run: the seeds only draw the random inputs and labels.',
    claim:
      "Issue 18's targets for ResNet-20 training at batch 512 on one GPU: ≥ 10× stock tfjs-webgpu, faster than `ft-native` on all that machine's CPU cores, and an aim of 25 % of PyTorch CUDA fp32 (TF32 off).",
    verdict,
    evidence,
    sections,
  });
  if (outPath) {
    writeFileSync(outPath, page);
    process.stderr.write(`[gpu] wrote ${outPath}\n`);
  }
  return page;
}

if (args.worker) await worker();
else if (import.meta.url === pathToFileURL(process.argv[1]).href) await main();
