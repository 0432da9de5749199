#!/usr/bin/env node
/**
 * Backend benchmark: training and inference images/s of `ft-native` (@ft/tfjs-backend-native), the stock tfjs
 * `cpu` backend (reduced batch: it trains ~1,000× slower) and PyTorch on CPU (2 threads, NCHW and channels_last)
 * on TinyCNN 28×28×1, ResNet-8 and ResNet-20 32×32×3 and ResNet-20 28×28×1 with identical architectures; plus
 * per-layer convolution GFLOP/s and peak RSS. Writes docs/results/backend.md (+ backend.json, backend.svg).
 *
 * Usage (from the repo root; `npx -y pnpm@10 run bench:backend` builds first and runs the full benchmark):
 *   node benchmarks/backend/run.mjs                 # full run (3 rounds, ~30 min on 2 cores)
 *   node benchmarks/backend/run.mjs --quick         # 1 round, 3 reps, smaller cpu batches, for a smoke test
 * Flags: --models=tiny,resnet8,resnet20,resnet20g  --rounds=3  --batch=128  --reps=5  --steps=3  --no-cpu
 *        --no-torch  --cpu-batch=tiny:8,resnet8:4,resnet20:2,resnet20g:2  --cpu-reps=5
 *        --out=docs/results/backend.md
 *        --profile (adds a per-kernel profile of one ft-native training step per model, first round)
 *        --profile-infer (worker only: per-kernel wall times of an inference step, used by scaling.mjs)
 *        --profile-native (worker only, ft-native: ms per training step in each native addon function, and the
 *          step's median; used by bf16.mjs)
 *        --warmup-s=3 (each ft-native and PyTorch child also warms up until this many seconds of training, then
 *          of inference, have run, so that the timed repetitions see the steady state: the first seconds of a
 *          process run 10–30 % slower; warmup.mjs DEFAULT_WARMUP_S; 0 with --quick, and for a worker run by hand)
 *        --precision=fp32|bf16 (worker only, ft-native: registerNativeBackend({ precision }), used by bf16.mjs; the
 *          result records it, and bf16 on a CPU without it is a result `{ unavailable: { reason, code } }`)
 *        --render=docs/results/backend.json (only re-render the page from saved results)
 *        --merge=other/backend.json [--into=docs/results/backend.json] (replace those models' entries, add a note)
 * Per model, `--rounds` rounds of (ft-native, PyTorch, PyTorch with OMP_WAIT_POLICY=passive) run back to back,
 * then one tfjs `cpu` run: the shared machine drifts over minutes, so ratios are taken within a round and
 * summarised as the median over rounds (report.mjs `summarize`, stored as `runs[model].summary`). Each
 * (backend, model, round) runs in its own child process, one at a time, so peak RSS is per run and runs do not
 * compete for the two cores.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseFlags } from '../flags.mjs';
import { findTorchPython, runChild } from './children.mjs';
import { convLayers, MODELS } from './models.mjs';
import { DEFAULT_WARMUP_S, warmUp, warmupSeconds } from './warmup.mjs';

/** report.mjs loads @ft/report: imported only by the parent (render/merge/main), never by the worker children. */
const loadReport = () => import('./report.mjs');

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..', '..');
const nativePkgDir = path.join(root, 'packages', 'tfjs-backend-native');

const args = parseFlags(process.argv.slice(2));

/**
 * Resolves tfjs and the native package by name, as a user would. `@tensorflow/tfjs-backend-cpu` is not a benchmarks
 * dependency, so a name that does not resolve here is looked up from the native package (whose devDependency it is).
 */
async function loadLibs() {
  const req = createRequire(path.join(nativePkgDir, 'package.json'));
  const imp = async (name) => {
    try {
      return await import(name);
    } catch {
      return import(pathToFileURL(req.resolve(name)).href);
    }
  };
  const tf = await imp('@tensorflow/tfjs-core');
  await imp('@tensorflow/tfjs-backend-cpu');
  const tfl = await imp('@tensorflow/tfjs-layers');
  const native = await import('@ft/tfjs-backend-native');
  return { tf, tfl, native };
}

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Times `fn` (already warmed up) `reps` times; returns per-rep seconds. */
async function timeReps(reps, fn) {
  const out = [];
  for (let r = 0; r < reps; r++) {
    const t0 = performance.now();
    await fn();
    out.push((performance.now() - t0) / 1000);
  }
  return out;
}

/**
 * Wraps every kernel of `backend` with timers (wall ms, and process CPU ms, which is insensitive to other load
 * when the backend runs one thread); returns a reader.
 */
function installProfiler(tf, backend) {
  const times = new Map();
  for (const k of tf.getKernelsForBackend(backend)) {
    const f = k.kernelFunc;
    tf.unregisterKernel(k.kernelName, backend);
    tf.registerKernel({
      ...k,
      kernelFunc: (a) => {
        const c0 = process.cpuUsage();
        const t0 = performance.now();
        const r = f(a);
        const wall = performance.now() - t0;
        const c = process.cpuUsage(c0);
        const e = times.get(k.kernelName) ?? { wallMs: 0, cpuMs: 0, calls: 0 };
        e.wallMs += wall;
        e.cpuMs += (c.user + c.system) / 1000;
        e.calls++;
        times.set(k.kernelName, e);
        return r;
      },
    });
  }
  return {
    reset: () => times.clear(),
    read: () => [...times.entries()].sort((a, b) => b[1].cpuMs - a[1].cpuMs),
  };
}

/** Native addon functions timed by `--profile-native`, grouped for reporting. */
const NATIVE_GROUPS = {
  convForward: 'convolution forward',
  convForwardBf16: 'convolution forward',
  convBackwardData: 'convolution backward-data',
  convBackwardDataBf16: 'convolution backward-data',
  convBackwardWeights: 'convolution backward-weights',
  convBackwardWeightsBf16: 'convolution backward-weights',
  matmul: 'matmul',
  matmulBf16: 'matmul',
  bnTrain: 'BatchNorm forward',
  bnGrad: 'BatchNorm backward',
  binary: 'elementwise',
  unary: 'elementwise',
  addReluSameShape: 'elementwise',
  toBf16: 'bf16 conversion',
  fromBf16: 'bf16 conversion',
};

/**
 * Wall time of each native addon call during `steps` training steps, by function (ms per step), and the step's
 * own median wall time: what is not in any native call is tfjs, JS kernels and the optimizer. Exact attribution,
 * unlike the kernel profiler, whose lazily computed outputs (backward-data) land in the kernel that reads them.
 */
async function profileNative(tf, step, steps = 4) {
  const addon = tf.backend().native;
  const totals = {};
  const originals = {};
  for (const name of Object.keys(NATIVE_GROUPS)) {
    const f = addon[name];
    if (typeof f !== 'function') continue;
    originals[name] = f;
    addon[name] = (...a) => {
      const t0 = performance.now();
      try {
        return f.apply(addon, a);
      } finally {
        totals[name] = (totals[name] ?? 0) + performance.now() - t0;
      }
    };
  }
  const stepMs = [];
  try {
    for (let i = 0; i < steps; i++) {
      const t0 = performance.now();
      await step();
      stepMs.push(performance.now() - t0);
    }
  } finally {
    Object.assign(addon, originals);
  }
  const groups = {};
  for (const [k, v] of Object.entries(totals)) groups[NATIVE_GROUPS[k]] = (groups[NATIVE_GROUPS[k]] ?? 0) + v / steps;
  return {
    steps,
    stepMs: median(stepMs),
    functions: Object.fromEntries(Object.entries(totals).map(([k, v]) => [k, v / steps])),
    groups,
  };
}

async function worker() {
  const { tf, tfl, native } = await loadLibs();
  const backend = args.backend;
  const spec = MODELS[args.model];
  const batch = Number(args.batch);
  const reps = Number(args.reps);
  const steps = Number(args.steps);
  const precision = args.precision;
  if (precision !== undefined && precision !== 'fp32' && precision !== 'bf16')
    throw new Error(`--precision must be fp32 or bf16, got ${precision}`);
  if (precision !== undefined && backend !== 'ft-native') throw new Error('--precision needs --backend=ft-native');
  if (backend === 'ft-native') {
    const r = native.registerNativeBackend(precision ? { precision } : {});
    if (!r.ok && r.code === 'BACKEND_UNAVAILABLE' && precision === 'bf16') {
      // A CPU without bf16: a result, not a crash, so that bf16.mjs can say so on its page.
      const bf16Support = native.nativeInfo().bf16Support ?? null;
      const unavailable = { reason: r.reason, code: r.code, bf16Support };
      process.stdout.write(`RESULT ${JSON.stringify({ backend, model: args.model, precision, unavailable })}\n`);
      return;
    }
    if (!r.ok) throw new Error(`ft-native unavailable: ${r.reason}`);
  }
  await tf.setBackend(backend);
  await tf.ready();
  const model = spec.build(tfl, spec.input);
  model.compile({ optimizer: tf.train.momentum(0.01, 0.9), loss: 'categoricalCrossentropy' });
  const x = tf.randomNormal([batch, ...spec.input], 0, 1, 'float32', 1);
  const y = tf.oneHot(tf.randomUniform([batch], 0, 10, 'int32', 2), 10);
  const warmupS = warmupSeconds(args['warmup-s'], 0);
  const warmTrain = await warmUp(() => model.trainOnBatch(x, y), backend === 'cpu' ? 1 : 2, warmupS);
  const trainSecs = await timeReps(reps, async () => {
    for (let s = 0; s < steps; s++) await model.trainOnBatch(x, y);
  });
  const infer = () => {
    // predict() would split the batch into chunks of 32 by default.
    const p = model.predict(x, { batchSize: batch });
    p.dataSync();
    p.dispose();
  };
  const warmInfer = await warmUp(infer, 1, warmupS);
  const inferSecs = await timeReps(reps, async () => {
    for (let s = 0; s < steps; s++) infer();
  });
  const result = {
    backend,
    ...(precision ? { precision: native.getPrecision() } : {}),
    model: args.model,
    batch,
    reps,
    steps,
    warmup: { seconds: warmupS, trainSteps: warmTrain, inferCalls: warmInfer },
    train: {
      imgPerSec: median(trainSecs.map((t) => (steps * batch) / t)),
      runs: trainSecs.map((t) => (steps * batch) / t),
    },
    infer: {
      imgPerSec: median(inferSecs.map((t) => (steps * batch) / t)),
      runs: inferSecs.map((t) => (steps * batch) / t),
    },
  };
  if (args.profile && backend === 'ft-native') {
    const prof = installProfiler(tf, backend);
    await model.trainOnBatch(x, y);
    prof.reset();
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    await model.trainOnBatch(x, y);
    const stepMs = performance.now() - t0;
    const c = process.cpuUsage(c0);
    result.profile = {
      stepMs,
      stepCpuMs: (c.user + c.system) / 1000,
      kernels: prof
        .read()
        .slice(0, 25)
        .map(([k, v]) => ({ kernel: k, ...v })),
    };
  }
  if (args['profile-native'] && backend === 'ft-native')
    result.nativeProfile = await profileNative(tf, () => model.trainOnBatch(x, y));
  if (args['profile-infer'] && backend === 'ft-native') result.inferProfile = profileInference(tf, backend, infer);
  if (args.convs && backend === 'ft-native') {
    result.convs = convBench(tf, model, batch);
    // Outputs read in place (no copy); results without this field timed a dataSync() copy of each output too.
    result.convTiming = 'in-place';
  }
  if (backend === 'ft-native') {
    const info = native.nativeInfo();
    result.native = {
      version: info.version,
      onednn: info.onednn,
      isa: info.isa,
      threads: info.threads,
      ompWaitPolicy: info.ompWaitPolicy,
      pool: info.pool,
      lazy: info.lazy,
      convCache: info.convCache,
      convImpls: info.convImpls,
      precision: info.precision,
      bf16Support: info.bf16Support,
      bf16Conversions: info.bf16Conversions,
      layersBatchNormPatched: info.layersBatchNormPatched,
      fallbacks: Object.fromEntries(
        Object.entries(info.kernels)
          .filter(([, c]) => c.fallback > 0 || c.errors > 0)
          .map(([k, c]) => [k, c]),
      ),
      nativeKernels: Object.keys(info.kernels).filter((k) => info.kernels[k].native > 0),
    };
  }
  result.tfjsCore = tf.version_core;
  result.maxRssMB = process.resourceUsage().maxRSS / 1024;
  process.stdout.write(`RESULT ${JSON.stringify(result)}\n`);
}

/**
 * Per-kernel wall time of an inference step (the mean over `FT_PROFILE_STEPS`, default 5, steps after one warm-up), the
 * step's wall time, and the time outside kernels (tfjs' engine, tfjs-layers, allocation, the output copy): what
 * `scaling.mjs` compares at 1 and 2 threads to find the serial fraction. Wall time, not CPU time: CPU time grows
 * with threads, wall time is what Amdahl's law is about.
 */
function profileInference(tf, backend, infer) {
  const prof = installProfiler(tf, backend);
  const steps = Number(process.env.FT_PROFILE_STEPS ?? 5);
  infer();
  prof.reset();
  const t0 = performance.now();
  for (let i = 0; i < steps; i++) infer();
  const stepMs = (performance.now() - t0) / steps;
  const kernels = prof
    .read()
    .map(([kernel, v]) => ({ kernel, wallMs: v.wallMs / steps, calls: v.calls / steps }))
    .sort((a, b) => b.wallMs - a.wallMs);
  const kernelMs = kernels.reduce((a, k) => a + k.wallMs, 0);
  return { steps, stepMs, kernelMs, outsideMs: stepMs - kernelMs, kernels };
}

/**
 * Median ms of each convolution kernel per distinct layer, and nominal GFLOP/s. A call is timed from the kernel
 * call until its output values exist, without copying them out: `dataSync()` would copy the whole output on
 * ft-native (pooled buffers are never handed out), so the storage's `values` are read in place instead; reading
 * them also runs a deferred computation (ft-native defers Conv2DBackpropInput until its result is read).
 */
function convBench(tf, model, batch) {
  const out = [];
  const backend = tf.backend();
  for (const L of convLayers(model, batch)) {
    const oh = Math.ceil(L.h / L.s);
    const ow = Math.ceil(L.w / L.s);
    const x = tf.randomNormal([L.n, L.h, L.w, L.c], 0, 1, 'float32', 3);
    const w = tf.randomNormal([L.k, L.k, L.c, L.oc], 0, 0.1, 'float32', 4);
    const dy = tf.randomNormal([L.n, oh, ow, L.oc], 0, 1, 'float32', 5);
    const attrs = { strides: [L.s, L.s], pad: 'same', dataFormat: 'NHWC', dilations: [1, 1] };
    const run = (name, inputs, extra) => {
      const t = tf.engine().runKernel(name, inputs, { ...attrs, ...extra });
      // The kernels are synchronous; reading `values` forces a deferred result without copying it.
      if (backend.data.get(t.dataId).values === undefined) throw new Error(`${name}: output has no values`);
      t.dispose();
    };
    const best = {};
    const time = (name, inputs, extra) => {
      for (let i = 0; i < 2; i++) run(name, inputs, extra);
      const ms = [];
      for (let i = 0; i < 7; i++) {
        const t0 = performance.now();
        run(name, inputs, extra);
        ms.push(performance.now() - t0);
      }
      best[name] = Math.min(...ms);
      return median(ms);
    };
    const fwd = time('Conv2D', { x, filter: w }, {});
    const bwdData = time('Conv2DBackpropInput', { dy, filter: w }, { inputShape: x.shape });
    const bwdWeights = time('Conv2DBackpropFilter', { x, dy }, { filterShape: w.shape });
    const gflop = (2 * L.n * oh * ow * L.oc * L.k * L.k * L.c) / 1e9;
    const gfs = (ms) => gflop / (ms / 1e3);
    out.push({
      ...L,
      gflopPerPass: gflop,
      ms: { fwd, bwdData, bwdWeights },
      gflops: { fwd: gfs(fwd), bwdData: gfs(bwdData), bwdWeights: gfs(bwdWeights) },
      bestGflops: {
        fwd: gfs(best.Conv2D),
        bwdData: gfs(best.Conv2DBackpropInput),
        bwdWeights: gfs(best.Conv2DBackpropFilter),
      },
    });
    tf.dispose([x, w, dy]);
  }
  return out;
}

async function main() {
  const { machineInfo } = await import('@ft/report');
  const { renderMarkdown, renderSvg, summarize } = await loadReport();
  const quick = Boolean(args.quick);
  const models = String(args.models ?? 'tiny,resnet8,resnet20,resnet20g').split(',');
  const rounds = Number(args.rounds ?? (quick ? 1 : 3));
  if (!Number.isInteger(rounds) || rounds < 1)
    throw new Error(`--rounds must be a positive integer, got ${args.rounds}`);
  const batch = Number(args.batch ?? 128);
  const reps = Number(args.reps ?? (quick ? 3 : 5));
  const steps = Number(args.steps ?? (quick ? 2 : 3));
  const cpuReps = Number(args['cpu-reps'] ?? (quick ? 1 : 5));
  const warmupS = warmupSeconds(args['warmup-s'], quick ? 0 : DEFAULT_WARMUP_S);
  const cpuBatch = { tiny: 8, resnet8: 4, resnet20: 2, resnet20g: 2 };
  if (quick) Object.assign(cpuBatch, { tiny: 2, resnet8: 1, resnet20: 1, resnet20g: 1 });
  for (const kv of String(args['cpu-batch'] ?? '')
    .split(',')
    .filter(Boolean)) {
    const [k, v] = kv.split(':');
    cpuBatch[k] = Number(v);
  }
  const self = fileURLToPath(import.meta.url);
  const results = {
    machine: machineInfo(),
    date: new Date().toISOString(),
    batch,
    reps,
    steps,
    warmupS,
    cpuReps,
    rounds,
    models,
    runs: {},
  };
  results.loadavg = { start: os.loadavg()[0] };
  let torch = null;
  if (!args['no-torch']) {
    torch = findTorchPython();
    if (torch.error) {
      results.torchError = torch.error;
      process.stderr.write(`[bench] PyTorch skipped: ${torch.error}\n`);
      torch = null;
    }
  }
  for (const m of models) {
    if (!MODELS[m]) throw new Error(`unknown model ${m}; expected ${Object.keys(MODELS).join(', ')}`);
  }
  // Per model: `rounds` rounds of ft-native then PyTorch right after (same load period), then the slow tfjs cpu
  // run. Ratios are taken within a round; runs[m].native is the first round's (with convs and the profile).
  for (const m of models) {
    const r = { rounds: [] };
    results.runs[m] = r;
    const common = [`--model=${m}`, '--worker'];
    const nativeArgs = [
      self,
      ...common,
      '--backend=ft-native',
      `--batch=${batch}`,
      `--reps=${reps}`,
      `--steps=${steps}`,
      `--warmup-s=${warmupS}`,
    ];
    for (let i = 0; i < rounds; i++) {
      const tag = rounds > 1 ? ` round ${i + 1}/${rounds}` : '';
      const round = {};
      round.native = runChild(
        process.execPath,
        [...nativeArgs, ...(i === 0 ? ['--convs', ...(args.profile ? ['--profile'] : [])] : [])],
        `ft-native ${m} bs ${batch}${tag}`,
      );
      // ft-native with a bounded OpenMP spin (its README's setting for a dedicated machine), as PyTorch is run with
      // both of its settings: each framework is taken at the faster of its two per round.
      round.nativeSpin = runChild(
        process.execPath,
        nativeArgs,
        `ft-native (GOMP_SPINCOUNT=50000) ${m} bs ${batch}${tag}`,
        { GOMP_SPINCOUNT: '50000' },
      );
      if (torch) {
        const targs = [
          path.join(here, 'torch_bench.py'),
          `--model=${m}`,
          `--batch=${batch}`,
          `--reps=${reps}`,
          `--steps=${steps}`,
          `--warmup-s=${warmupS}`,
          '--threads=2',
        ];
        // PyTorch with its default OpenMP settings (spinning), and with passive waiting (calmer on a busy machine):
        // ratios are taken against the faster of the two, per layout.
        round.torch = runChild(torch.py, targs, `torch ${m} bs ${batch}${tag}`);
        round.torchPassive = runChild(torch.py, targs, `torch (OMP passive) ${m} bs ${batch}${tag}`, {
          OMP_WAIT_POLICY: 'passive',
        });
      }
      r.rounds.push(round);
    }
    r.native = r.rounds[0].native;
    r.summary = summarize(r);
    if (!args['no-cpu']) {
      r.cpu = runChild(
        process.execPath,
        [self, ...common, '--backend=cpu', `--batch=${cpuBatch[m]}`, `--reps=${cpuReps}`, '--steps=1'],
        `cpu ${m} bs ${cpuBatch[m]}`,
      );
    }
  }
  results.loadavg.end = os.loadavg()[0];
  results.command = `node benchmarks/backend/run.mjs${process.argv.slice(2).length ? ` ${process.argv.slice(2).join(' ')}` : ''}`;
  const out = path.resolve(root, String(args.out ?? 'docs/results/backend.md'));
  mkdirSync(path.dirname(out), { recursive: true });
  writeFileSync(out.replace(/\.md$/, '.json'), `${JSON.stringify(results, null, 2)}\n`);
  writeFileSync(out.replace(/\.md$/, '.svg'), await renderSvg(results));
  writeFileSync(out, renderMarkdown(results, path.basename(out.replace(/\.md$/, '.svg'))));
  process.stderr.write(`[bench] wrote ${path.relative(root, out)} (+ .json, .svg)\n`);
}

/**
 * Replaces some models' runs in a saved results file with those of another run (same settings), e.g. to redo one
 * model whose run failed, and records a note; then re-renders.
 */
async function mergeRuns(intoPath, fromPath) {
  const into = JSON.parse(readFileSync(path.resolve(root, intoPath), 'utf8'));
  const from = JSON.parse(readFileSync(path.resolve(root, fromPath), 'utf8'));
  for (const m of from.models) into.runs[m] = from.runs[m];
  into.notes = [
    ...(into.notes ?? []),
    `${from.models.join(', ')} re-measured at ${from.date.replace('T', ' ').slice(0, 16)} UTC (${from.rounds ?? 1} round${(from.rounds ?? 1) === 1 ? '' : 's'}, load ${from.loadavg.start.toFixed(2)} / ${from.loadavg.end.toFixed(2)}) with \`${from.command}\` and merged with \`--merge\`.`,
  ];
  writeFileSync(path.resolve(root, intoPath), `${JSON.stringify(into, null, 2)}\n`);
  await renderOnly(intoPath);
}

/** Re-renders the page (and chart) from a saved backend.json, e.g. after changing report.mjs. */
async function renderOnly(jsonPath) {
  const { renderMarkdown, renderSvg } = await loadReport();
  const file = path.resolve(root, jsonPath);
  const results = JSON.parse(readFileSync(file, 'utf8'));
  const out = file.replace(/\.json$/, '.md');
  writeFileSync(out.replace(/\.md$/, '.svg'), await renderSvg(results));
  writeFileSync(out, renderMarkdown(results, path.basename(out.replace(/\.md$/, '.svg'))));
  process.stderr.write(`[bench] re-rendered ${path.relative(root, out)}\n`);
}

if (typeof args.merge === 'string') {
  // --merge=from.json --into=docs/results/backend.json
  mergeRuns(String(args.into ?? 'docs/results/backend.json'), args.merge).catch((e) => {
    console.error(e);
    process.exit(1);
  });
} else if (typeof args.render === 'string') {
  renderOnly(args.render).catch((e) => {
    console.error(e);
    process.exit(1);
  });
} else if (args.worker) {
  worker().catch((e) => {
    console.error(e);
    process.exit(1);
  });
} else {
  main().catch((e) => {
    console.error(e);
    process.exit(1);
  });
}
