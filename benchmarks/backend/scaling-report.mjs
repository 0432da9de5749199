/**
 * Thread scaling of `ft-native` against PyTorch: the analysis and the page of `scaling.mjs`. Pure functions of the
 * saved results (`backend-scaling.json`), so the page can be re-rendered without re-measuring.
 *
 * Amdahl's law: with a serial fraction s of the one-thread time T₁, p threads take T_p = T₁·(s + (1 − s)/p), so
 * s = (p·T_p/T₁ − 1)/(p − 1) and the speed-up from 1 to p threads is 1/(s + (1 − s)/p).
 */
import { lineChartSvg, markdownTable, resultsPage } from '@ft/report';
import { median } from './report.mjs';
import { warmupText } from './warmup.mjs';

/** The figures of issue 20, measured on a 16-core Intel Xeon (the host of a GPU machine), PyTorch 2.11, channels_last, batch 512, in one run. */
export const XEON_16_CORE_BASELINE = {
  source:
    'issue 20: a 16-core Intel Xeon server (the host of a GPU machine), ft-native against PyTorch 2.11 on the CPU, both channels_last, batch 512, same thread counts, one run',
  rows: [
    { threads: 2, resnet20Train: [441, 393], resnet20Infer: [1350, 1412], resnet8Infer: [3980, 5125] },
    { threads: 8, resnet20Train: [1429, 1152], resnet20Infer: [2660, 3300], resnet8Infer: [4485, 7512] },
    { threads: 16, resnet20Train: [2329, 1861], resnet20Infer: [2714, 5514], resnet8Infer: [5644, 13689] },
  ],
};

/** Issue 20's target: the serial fraction of a ResNet-20 inference step below 10 %, which predicts ≥ 6× from 1 to 16 threads. */
export const TARGET = { serialFraction: 0.1, model: 'resnet20', predictAt: 16 };

/** Serial fraction s from the time at 1 thread and at p threads (Amdahl); negative values are noise around 0. */
export function serialFraction(t1, tp, p) {
  if (!(p > 1)) throw new RangeError(`serialFraction needs p > 1 threads, got ${p}`);
  if (!(t1 > 0) || !(tp > 0)) throw new RangeError(`serialFraction needs positive times, got ${t1} and ${tp}`);
  return ((p * tp) / t1 - 1) / (p - 1);
}

/** Amdahl's predicted speed-up from 1 to p threads for serial fraction s (s clamped to [0, 1]). */
export function amdahlSpeedup(s, p) {
  const c = Math.min(1, Math.max(0, s));
  return 1 / (c + (1 - c) / p);
}

/**
 * Per-kernel attribution from two inference profiles (1 and p threads): each kernel's wall ms at both, its own
 * serial fraction, and its serial ms (the part of its one-thread time that did not shrink: s·T₁). The time outside
 * kernels is a row of its own. Sorted by serial ms.
 */
export function kernelSerialRows(prof1, profP, p) {
  const byName = new Map(profP.kernels.map((k) => [k.kernel, k]));
  const rows = prof1.kernels.map((k) => {
    const kp = byName.get(k.kernel);
    const tp = kp ? kp.wallMs : 0;
    const s = k.wallMs > 0 && tp > 0 ? serialFraction(k.wallMs, tp, p) : Number.NaN;
    return { kernel: k.kernel, calls: k.calls, ms1: k.wallMs, msP: tp, serial: s, serialMs: s * k.wallMs };
  });
  const outsideS = serialFraction(Math.max(prof1.outsideMs, 1e-9), Math.max(profP.outsideMs, 1e-9), p);
  rows.push({
    kernel: '(outside kernels: engine, layers, allocation, output copy)',
    calls: Number.NaN,
    ms1: prof1.outsideMs,
    msP: profP.outsideMs,
    serial: outsideS,
    serialMs: outsideS * prof1.outsideMs,
  });
  return rows.sort((a, b) => (b.serialMs || 0) - (a.serialMs || 0));
}

const faster = (a, b) => Math.max(a ?? 0, b ?? 0) || Number.NaN;

/**
 * Per (model, threads): the median over rounds of ft-native's and PyTorch's (channels_last) images/s, each the faster
 * of its two processes of the round (default OpenMP and the alternative setting), and the median per-round ratio.
 */
export function summarizeScaling(results) {
  const out = [];
  for (const model of results.models) {
    for (const threads of results.threads) {
      const rounds = results.rounds.map((r) => r[model]?.[threads]).filter(Boolean);
      const per = rounds.map((r) => ({
        nativeTrain: faster(r.native?.train?.imgPerSec, r.nativeSpin?.train?.imgPerSec),
        nativeInfer: faster(r.native?.infer?.imgPerSec, r.nativeSpin?.infer?.imgPerSec),
        torchTrain: faster(r.torch?.cl?.train, r.torchPassive?.cl?.train),
        torchInfer: faster(r.torch?.cl?.infer, r.torchPassive?.cl?.infer),
        profile: r.native?.inferProfile,
      }));
      const med = (key) => median(per.map((x) => x[key]).filter(Number.isFinite));
      const ratio = (a, b) => median(per.map((x) => x[a] / x[b]).filter(Number.isFinite));
      out.push({
        model,
        threads,
        rounds: per.length,
        nativeTrain: med('nativeTrain'),
        nativeInfer: med('nativeInfer'),
        torchTrain: med('torchTrain'),
        torchInfer: med('torchInfer'),
        trainRatio: ratio('nativeTrain', 'torchTrain'),
        inferRatio: ratio('nativeInfer', 'torchInfer'),
        profile: per.find((x) => x.profile)?.profile ?? null,
      });
    }
  }
  return out;
}

/** Serial fraction of each model's inference (and training) step between the fewest and most threads measured. */
export function serialFractions(summary) {
  const out = [];
  for (const model of [...new Set(summary.map((r) => r.model))]) {
    const rows = summary.filter((r) => r.model === model).sort((a, b) => a.threads - b.threads);
    const lo = rows[0];
    const hi = rows.at(-1);
    if (!lo || !hi || lo.threads !== 1 || hi.threads === 1) {
      out.push({ model, p: null });
      continue;
    }
    const p = hi.threads;
    const s = (key) => serialFraction(1 / lo[key], 1 / hi[key], p);
    out.push({
      model,
      p,
      nativeInfer: s('nativeInfer'),
      nativeTrain: s('nativeTrain'),
      torchInfer: s('torchInfer'),
      torchTrain: s('torchTrain'),
    });
  }
  return out;
}

/** The verdict on issue 20's target from what was measured (never extrapolated beyond the threads measured). */
export function scalingVerdict(fractions) {
  const f = fractions.find((x) => x.model === TARGET.model);
  if (!f || f.p === null || !Number.isFinite(f.nativeInfer)) {
    return { verdict: 'inconclusive', met: null, why: `${TARGET.model} was not measured at 1 thread and at more` };
  }
  const met = f.nativeInfer < TARGET.serialFraction;
  const covered = f.p >= TARGET.predictAt;
  const why = `ResNet-20 inference serial fraction ${pct(f.nativeInfer)} between 1 and ${f.p} threads (target < ${pct(TARGET.serialFraction)}); Amdahl would predict ${amdahlSpeedup(f.nativeInfer, TARGET.predictAt).toFixed(1)}× from 1 to ${TARGET.predictAt} threads`;
  if (met && !covered) {
    // A fraction measured over few threads cannot vouch for many: bandwidth, synchronisation and work too small to
    // split only show up there. The target is met where measured, the scaling claim awaits a bigger machine.
    return {
      verdict: 'partly',
      met,
      why: `${why}, but only ${f.p} threads were measured: the ${TARGET.predictAt}-thread claim needs a run with ${TARGET.predictAt} threads, not extrapolation`,
    };
  }
  return { verdict: met ? 'reproduced' : 'not', met, why };
}

const pct = (x) => (Number.isFinite(x) ? `${(100 * x).toFixed(1)} %` : 'n/a');
const num = (x) => (Number.isFinite(x) ? Math.round(x).toLocaleString('en-US') : 'n/a');
const ratioText = (x) => (Number.isFinite(x) ? `${x.toFixed(2)}×` : 'n/a');
const ms = (x) => (Number.isFinite(x) ? x.toFixed(2) : 'n/a');
const MODEL_NAMES = { tiny: 'TinyCNN', resnet8: 'ResNet-8', resnet20: 'ResNet-20', resnet20g: 'ResNet-20 (28×28×1)' };
const modelName = (m) => MODEL_NAMES[m] ?? m;

/** The two charts: images/s against threads (log₂ x), ft-native and PyTorch per model, inference and training. */
export async function renderScalingSvgs(results) {
  const summary = summarizeScaling(results);
  const chart = (key, what) => {
    const series = [];
    for (const model of results.models) {
      const rows = summary.filter((r) => r.model === model);
      for (const [fw, k] of [
        ['ft-native', `native${key}`],
        ['PyTorch', `torch${key}`],
      ]) {
        const points = rows.filter((r) => Number.isFinite(r[k])).map((r) => ({ x: r.threads, y: r[k] }));
        if (points.length) series.push({ name: `${modelName(model)}, ${fw}`, points });
      }
    }
    return lineChartSvg({
      title: `${what} images/s against threads (batch ${results.batch})`,
      series,
      xLabel: 'threads',
      yLabel: 'images/s',
      logX: true,
      logY: true,
    });
  };
  return { infer: await chart('Infer', 'Inference'), train: await chart('Train', 'Training') };
}

/** The page `docs/results/backend-scaling.md`. */
export function renderScalingMarkdown(results, svgNames) {
  const summary = summarizeScaling(results);
  const fractions = serialFractions(summary);
  const v = scalingVerdict(fractions);
  const maxThreads = Math.max(...results.threads);
  const evidence = [
    v.why,
    ...fractions
      .filter((f) => f.p !== null)
      .map(
        (f) =>
          `${modelName(f.model)}, serial fraction between 1 and ${f.p} threads: inference ft-native ${pct(f.nativeInfer)} vs PyTorch ${pct(f.torchInfer)}; training ft-native ${pct(f.nativeTrain)} vs PyTorch ${pct(f.torchTrain)}.`,
      ),
    `Measured here up to ${maxThreads} thread${maxThreads === 1 ? '' : 's'} (the machine has ${results.machine.cores ?? '?'} cores); nothing on this page is extrapolated to more threads than were run. The 16-core figures below are the baseline of issue 20, not a run of this page's code.`,
    `Baseline contrast: the 16-core Xeon run of issue 20 implies a serial fraction of ${pct(serialFraction(1 / XEON_16_CORE_BASELINE.rows[0].resnet20Infer[0], 1 / XEON_16_CORE_BASELINE.rows[2].resnet20Infer[0], 8))} between 2 and 16 threads; if this page measures far less between 1 and 2, what stops the scaling there is not time that stays serial at 2 threads (it grows with the thread count: memory bandwidth, per-kernel synchronisation, layers too small to split), and only a run on such a machine can locate it.`,
    `Load average (1 min) ${results.loadavg.start.toFixed(2)} at start and ${results.loadavg.end.toFixed(2)} at end: the serial fraction is a difference of two timings, so a busy machine inflates it.`,
  ];
  const table = markdownTable(
    summary.map((r) => ({
      model: modelName(r.model),
      threads: r.threads,
      nTrain: num(r.nativeTrain),
      tTrain: num(r.torchTrain),
      rTrain: ratioText(r.trainRatio),
      nInfer: num(r.nativeInfer),
      tInfer: num(r.torchInfer),
      rInfer: ratioText(r.inferRatio),
    })),
    [
      { key: 'model' },
      { key: 'threads', align: 'right' },
      { key: 'nTrain', header: 'train ft-native', align: 'right' },
      { key: 'tTrain', header: 'train PyTorch cl', align: 'right' },
      { key: 'rTrain', header: 'ratio', align: 'right' },
      { key: 'nInfer', header: 'inference ft-native', align: 'right' },
      { key: 'tInfer', header: 'inference PyTorch cl', align: 'right' },
      { key: 'rInfer', header: 'ratio', align: 'right' },
    ],
  );
  const sections = [
    {
      title: 'Images/s by thread count',
      body: `Median over ${results.rounds.length} round${results.rounds.length === 1 ? '' : 's'} of each framework's faster process per round (ft-native with its default OpenMP wait policy and with \`GOMP_SPINCOUNT=50000\`; PyTorch channels_last with its default OpenMP settings and with \`OMP_WAIT_POLICY=passive\`); ratios are medians of the per-round ratios. Batch ${results.batch}, fp32; each process times ${results.reps ?? 5} repetitions of ${results.steps ?? 3} steps after ${warmupText(results.warmupS)} and reports their median.\n\n${table}`,
      images: [
        { path: svgNames.infer, alt: 'inference images/s against threads' },
        { path: svgNames.train, alt: 'training images/s against threads' },
      ],
    },
  ];
  for (const model of results.models) {
    const rows = summary.filter((r) => r.model === model).sort((a, b) => a.threads - b.threads);
    const a = rows[0]?.profile;
    const b = rows.at(-1)?.profile;
    if (!a || !b || rows[0].threads !== 1 || rows.at(-1).threads === 1) continue;
    const p = rows.at(-1).threads;
    const kr = kernelSerialRows(a, b, p);
    const totalSerial = kr.reduce((acc, r) => acc + Math.max(0, r.serialMs || 0), 0);
    const top = kr.slice(0, 12).map((r) => ({
      kernel: r.kernel,
      calls: Number.isFinite(r.calls) ? r.calls : '',
      ms1: ms(r.ms1),
      msP: ms(r.msP),
      s: pct(r.serial),
      serialMs: ms(r.serialMs),
      share: totalSerial > 0 ? pct(Math.max(0, r.serialMs) / totalSerial) : 'n/a',
    }));
    sections.push({
      title: `Where the serial time goes: ${modelName(model)} inference at 1 and ${p} threads`,
      body: [
        `One inference step (batch ${results.batch}), the mean of ${a.steps} profiled steps in the first round, each kernel wrapped with a wall-clock timer: step ${ms(a.stepMs)} ms at 1 thread and ${ms(b.stepMs)} ms at ${p}; kernels ${ms(a.kernelMs)} / ${ms(b.kernelMs)} ms; outside kernels ${ms(a.outsideMs)} / ${ms(b.outsideMs)} ms. A kernel's serial ms is the part of its one-thread time that did not shrink (s·T₁); the share is of the sum of positive serial ms.`,
        '',
        markdownTable(top, [
          { key: 'kernel' },
          { key: 'calls', header: 'calls/step', align: 'right' },
          { key: 'ms1', header: 'ms at 1 thread', align: 'right' },
          { key: 'msP', header: `ms at ${p}`, align: 'right' },
          { key: 's', header: 'serial fraction', align: 'right' },
          { key: 'serialMs', header: 'serial ms', align: 'right' },
          { key: 'share', header: 'share of serial time', align: 'right' },
        ]),
      ].join('\n'),
    });
  }
  const base = XEON_16_CORE_BASELINE;
  const baseRows = base.rows.map((r) => ({
    threads: r.threads,
    train: `${num(r.resnet20Train[0])} / ${num(r.resnet20Train[1])}`,
    trainR: ratioText(r.resnet20Train[0] / r.resnet20Train[1]),
    inf: `${num(r.resnet20Infer[0])} / ${num(r.resnet20Infer[1])}`,
    infR: ratioText(r.resnet20Infer[0] / r.resnet20Infer[1]),
    inf8: `${num(r.resnet8Infer[0])} / ${num(r.resnet8Infer[1])}`,
    inf8R: ratioText(r.resnet8Infer[0] / r.resnet8Infer[1]),
  }));
  const [b2, , b16] = base.rows;
  const implied = serialFraction(1 / b2.resnet20Infer[0], 1 / b16.resnet20Infer[0], 8);
  sections.push({
    title: 'Baseline: 16 cores, before this work',
    body: [
      `Source: ${base.source}. Images/s, ft-native / PyTorch.`,
      '',
      markdownTable(baseRows, [
        { key: 'threads', align: 'right' },
        { key: 'train', header: 'ResNet-20 train', align: 'right' },
        { key: 'trainR', header: 'ratio', align: 'right' },
        { key: 'inf', header: 'ResNet-20 inference', align: 'right' },
        { key: 'infR', header: 'ratio', align: 'right' },
        { key: 'inf8', header: 'ResNet-8 inference', align: 'right' },
        { key: 'inf8R', header: 'ratio', align: 'right' },
      ]),
      '',
      `From 2 to 16 threads ft-native's ResNet-20 inference went from ${num(b2.resnet20Infer[0])} to ${num(b16.resnet20Infer[0])} images/s: by Amdahl's law a serial fraction of ${pct(implied)} of the 2-thread step.`,
    ].join('\n'),
  });
  sections.push({
    title: 'Run it on a bigger machine',
    body: `\`node benchmarks/backend/scaling.mjs --threads 1,2,4,8,16\` (after \`npx -y pnpm@10 run build\`; Debian's \`python3-torch\` or any PyTorch for the side-by-side column, \`--no-torch\` without it). It writes this page, \`backend-scaling.json\` and the two charts; \`--render docs/results/backend-scaling.json\` re-renders them.`,
  });
  return resultsPage({
    title: 'ft-native thread scaling against PyTorch (CPU)',
    command: results.command,
    backend: `\`ft-native\` (oneDNN ${results.native?.onednn ?? '?'}, ISA ${results.native?.isa ?? '?'}) vs PyTorch ${results.torchVersion ?? '(not run)'} channels_last, threads ${results.threads.join(', ')}`,
    machine: results.machine,
    date: results.date,
    seeds: [1, 2],
    seedsNote:
      'A timing run: the seeds draw the random input batch and labels of the tfjs runs and nothing else, so no figure on this page depends on them.',
    claim: `Issue 20: ft-native's inference step must scale with threads: its serial fraction on ResNet-20 inference below ${pct(TARGET.serialFraction)} by Amdahl's law, which predicts ≥ ${amdahlSpeedup(TARGET.serialFraction, TARGET.predictAt).toFixed(1)}× from 1 to ${TARGET.predictAt} threads. Before this work, ResNet-20 inference went from 2,660 to 2,714 images/s between 8 and 16 threads on a 16-core Xeon.`,
    verdict: v.verdict,
    evidence,
    sections,
  });
}
