/**
 * bf16 against fp32 on `ft-native`: the analysis and the page of `bf16.mjs`. Pure functions of the saved results
 * (`backend-bf16.json`), so the page can be re-rendered without re-measuring.
 *
 * The results hold one entry per child process in `units`, keyed by {@link unitKey}:
 * `throughput/<model>/<round>/<precision>` (a run.mjs worker result), `transfer/<seed>/<precision>` and
 * `ad/<seed>/<precision>` (bf16-worker.mjs results); a failed child is `{ error }`, bf16 on a CPU without it
 * `{ unavailable }`.
 */
import { barChartSvg, markdownTable, pairedGain, resultsPage } from '@ft/report';
import { median } from './report.mjs';
import { warmupText } from './warmup.mjs';

/** Issue 20 part 2's targets: bf16 ≥ 1.4× fp32 images/s in training and inference on ResNet-20; accuracies within 0.3 points. */
export const BF16_TARGETS = { speedup: 1.4, model: 'resnet20', points: 0.3 };

/** The two precisions, in the order of the table columns. */
export const PRECISIONS = ['fp32', 'bf16'];

const MODEL_NAMES = { tiny: 'TinyCNN', resnet8: 'ResNet-8', resnet20: 'ResNet-20', resnet20g: 'ResNet-20 (28×28×1)' };
const modelName = (m) => MODEL_NAMES[m] ?? m;
const METHOD_NAMES = { 'linear-probe': 'linear probe', full: 'full fine-tuning', scratch: 'scratch' };
/** The AD metrics: the first two count for the verdict, the early-stopped one is shown for information. */
export const AD_METRICS = [
  { key: 'frozen', label: 'frozen Gaussian AD (MahalanobisDetector)', counts: true },
  { key: 'finetuned', label: 'Mahalanobis fine-tuning, last epoch', counts: true },
  { key: 'earlyStopped', label: 'Mahalanobis fine-tuning, early-stopped epoch (patience 3)', counts: false },
];

/** The OpenMP wait setting the throughput children ran with (`nativeInfo().ompWaitPolicy`), if recorded. */
function ompSetting(results) {
  const unit = Object.values(results.units ?? {}).find((u) => u?.native?.ompWaitPolicy);
  return unit?.native.ompWaitPolicy;
}

/** The key of one child's result in `results.units`. */
export function unitKey(kind, ...parts) {
  return [kind, ...parts].join('/');
}

/** min, median and max of the finite values (NaN each when none). */
export function spread(xs) {
  const v = xs.filter(Number.isFinite);
  if (!v.length) return { median: Number.NaN, min: Number.NaN, max: Number.NaN, n: 0 };
  return { median: median(v), min: Math.min(...v), max: Math.max(...v), n: v.length };
}

/** A unit that measured something (not failed, not unavailable). */
const ok = (u) => Boolean(u) && !u.error && !u.unavailable;

/**
 * Per model: fp32 and bf16 images/s (medians over rounds) and the bf16 ÷ fp32 ratio taken within each round
 * (median, min and max over rounds), for training and inference. Rounds where either child failed are left out.
 */
export function throughputRows(results) {
  const { models, rounds } = results.config.throughput;
  return models.map((model) => {
    const per = [];
    for (let r = 0; r < rounds; r++) {
      const a = results.units[unitKey('throughput', model, r, 'fp32')];
      const b = results.units[unitKey('throughput', model, r, 'bf16')];
      if (!ok(a) || !ok(b)) continue;
      per.push({
        fp32Train: a.train.imgPerSec,
        bf16Train: b.train.imgPerSec,
        fp32Infer: a.infer.imgPerSec,
        bf16Infer: b.infer.imgPerSec,
        trainRatio: b.train.imgPerSec / a.train.imgPerSec,
        inferRatio: b.infer.imgPerSec / a.infer.imgPerSec,
      });
    }
    const med = (k) => median(per.map((x) => x[k]));
    return {
      model,
      rounds: per.length,
      fp32Train: per.length ? med('fp32Train') : Number.NaN,
      bf16Train: per.length ? med('bf16Train') : Number.NaN,
      fp32Infer: per.length ? med('fp32Infer') : Number.NaN,
      bf16Infer: per.length ? med('bf16Infer') : Number.NaN,
      trainRatio: spread(per.map((x) => x.trainRatio)),
      inferRatio: spread(per.map((x) => x.inferRatio)),
    };
  });
}

/**
 * oneDNN's convolution implementations of one child (`nativeInfo().convImpls`, lines `"<pass> <shape>: <impl>"`):
 * how many primitives there are, how many are bf16 (pass tagged `_bf16`, or `_bf16_out` for a forward writing bf16,
 * and an implementation with `bf16` in its name) and the distinct implementation names with their counts.
 */
export function implSummary(convImpls) {
  const list = convImpls ?? [];
  const counts = new Map();
  let bf16 = 0;
  for (const line of list) {
    const i = line.lastIndexOf(': ');
    const pass = line.slice(0, line.indexOf(' '));
    const impl = i >= 0 ? line.slice(i + 2) : line;
    counts.set(impl, (counts.get(impl) ?? 0) + 1);
    if (/_bf16(_out)?$/.test(pass) && impl.includes('bf16')) bf16++;
  }
  return {
    total: list.length,
    bf16,
    impls: [...counts.entries()].sort((a, b) => b[1] - a[1]).map(([impl, count]) => ({ impl, count })),
  };
}

/** Per model, what the first measured round's children ran: implementations and bf16 conversion counts. */
export function kernelEvidence(results) {
  const { models, rounds } = results.config.throughput;
  const out = [];
  for (const model of models) {
    for (let r = 0; r < rounds; r++) {
      const a = results.units[unitKey('throughput', model, r, 'fp32')];
      const b = results.units[unitKey('throughput', model, r, 'bf16')];
      if (!ok(a) || !ok(b)) continue;
      out.push({
        model,
        fp32: { precision: a.precision, ...implSummary(a.native?.convImpls), conversions: a.native?.bf16Conversions },
        bf16: { precision: b.precision, ...implSummary(b.native?.convImpls), conversions: b.native?.bf16Conversions },
      });
      break;
    }
  }
  return out;
}

/** The order of the step-profile rows; groups not listed come after, then "outside native calls". */
const PROFILE_ORDER = [
  'convolution forward',
  'convolution backward-data',
  'convolution backward-weights',
  'matmul',
  'bf16 conversion',
  'BatchNorm forward',
  'BatchNorm backward',
  'elementwise',
];

/**
 * Where ResNet-20's training step goes at fp32 and bf16 (`--profile-native` of the throughput children): per group
 * of native functions, the median over rounds of ms per step, plus the time outside native calls (tfjs, JS kernels,
 * the optimizer) and the whole step. Null when no round has both profiles.
 */
export function stepProfile(results, model = 'resnet20') {
  const per = { fp32: [], bf16: [] };
  for (let r = 0; r < results.config.throughput.rounds; r++) {
    const a = results.units[unitKey('throughput', model, r, 'fp32')];
    const b = results.units[unitKey('throughput', model, r, 'bf16')];
    if (!ok(a) || !ok(b) || !a.nativeProfile || !b.nativeProfile) continue;
    per.fp32.push(a.nativeProfile);
    per.bf16.push(b.nativeProfile);
  }
  if (!per.fp32.length) return null;
  const names = new Set([...per.fp32, ...per.bf16].flatMap((p) => Object.keys(p.groups)));
  const groups = [
    ...PROFILE_ORDER.filter((g) => names.has(g)),
    ...[...names].filter((g) => !PROFILE_ORDER.includes(g)),
  ];
  const at = (prec, g) => median(per[prec].map((p) => p.groups[g] ?? 0));
  const outside = (prec) => median(per[prec].map((p) => p.stepMs - Object.values(p.groups).reduce((x, y) => x + y, 0)));
  const rows = groups.map((g) => ({ group: g, fp32: at('fp32', g), bf16: at('bf16', g) }));
  rows.push({ group: 'outside native calls', fp32: outside('fp32'), bf16: outside('bf16') });
  const step = { fp32: median(per.fp32.map((p) => p.stepMs)), bf16: median(per.bf16.map((p) => p.stepMs)) };
  const convs = (prec) => rows.filter((r) => r.group.startsWith('convolution')).reduce((x, r) => x + r[prec], 0);
  return { model, rounds: per.fp32.length, rows, step, conv: { fp32: convs('fp32'), bf16: convs('bf16') } };
}

/** fp32 and bf16 values of one quantity per seed, and their paired difference bf16 − fp32 in points (× 100). */
function pairedCell(results, kind, pick) {
  const vals = { fp32: [], bf16: [] };
  for (const seed of results.config[kind].seeds) {
    for (const p of PRECISIONS) {
      const u = results.units[unitKey(kind, seed, p)];
      if (!ok(u)) continue;
      const v = pick(u);
      if (Number.isFinite(v)) vals[p].push({ seed, value: v });
    }
  }
  const gain = pairedGain(vals.bf16, vals.fp32, 100);
  const diffs = vals.bf16.flatMap((b) => {
    const a = vals.fp32.find((x) => x.seed === b.seed);
    return a ? [{ seed: b.seed, points: 100 * (b.value - a.value) }] : [];
  });
  return { fp32: vals.fp32, bf16: vals.bf16, delta: gain, diffs };
}

/** The transfer table: per (budget, method), fp32 and bf16 test accuracies per seed and the paired difference. */
export function transferCells(results) {
  const cfg = results.config.transfer;
  const cells = [];
  for (const budget of cfg.budgets) {
    for (const method of cfg.methods) {
      const c = pairedCell(
        results,
        'transfer',
        (u) => u.runs?.find((r) => r.budget === budget && r.method === method)?.accuracy,
      );
      const lr = firstOk(results, 'transfer')?.runs?.find((r) => r.method === method)?.lr;
      const reference = results.reference?.transfer?.cells?.[`${budget}/${method}`] ?? [];
      cells.push({ budget, method, lr, ...c, reference });
    }
  }
  return cells;
}

/** The AD rows: per metric, fp32 and bf16 test AUROC per seed and the paired difference in AUROC points. */
export function adCells(results) {
  return AD_METRICS.map((m) => ({ ...m, ...pairedCell(results, 'ad', (u) => u.auroc?.[m.key]) }));
}

function firstOk(results, kind) {
  for (const seed of results.config[kind].seeds) {
    for (const p of PRECISIONS) {
      const u = results.units[unitKey(kind, seed, p)];
      if (ok(u)) return u;
    }
  }
  return null;
}

/** Why bf16 could not run here (the parent's probe or any child's), or null when it ran. */
export function bf16Unavailable(results) {
  if (results.bf16Support && results.bf16Support.supported === false)
    return results.bf16Support.reason ?? 'unsupported';
  for (const u of Object.values(results.units))
    if (u?.unavailable) return String(u.unavailable.reason ?? u.unavailable);
  return null;
}

/**
 * The verdict on issue 20's targets. Speed: the median per-round bf16 ÷ fp32 ratio on ResNet-20 ≥ 1.4 in training
 * and in inference. Accuracy: |mean paired difference| ≤ 0.3 points in every transfer cell and in the AD rows
 * that count. Both met: reproduced; one: partly; none: not; bf16 unavailable or a target not measured: inconclusive.
 */
export function bf16Verdict(results) {
  const why = [];
  const unavailable = bf16Unavailable(results);
  if (unavailable) {
    return {
      verdict: 'inconclusive',
      speed: null,
      accuracy: null,
      why: [`bf16 did not run on this machine: ${unavailable}`],
    };
  }
  const t = BF16_TARGETS;
  const row = throughputRows(results).find((r) => r.model === t.model && r.rounds > 0);
  let speed = null;
  if (row) {
    speed = row.trainRatio.median >= t.speedup && row.inferRatio.median >= t.speedup;
    why.push(
      `Speed ${speed ? 'met' : 'not met'}: ${modelName(t.model)} bf16 ÷ fp32 images/s ${ratioText(row.trainRatio.median)} in training and ${ratioText(row.inferRatio.median)} in inference (median over ${row.rounds} round${row.rounds === 1 ? '' : 's'}; target ≥ ${t.speedup.toFixed(1)}× in both).`,
    );
  } else {
    why.push(`Speed not measured: no round of ${modelName(t.model)} completed at both precisions.`);
  }
  const cells = [
    ...transferCells(results).map((c) => ({ label: `transfer ${c.budget}/class ${c.method}`, delta: c.delta })),
    ...adCells(results)
      .filter((c) => c.counts)
      .map((c) => ({ label: `AD ${c.key}`, delta: c.delta })),
  ].filter((c) => c.delta);
  let accuracy = null;
  if (cells.length) {
    const worst = cells.reduce((a, c) => (Math.abs(c.delta.mean) > Math.abs(a.delta.mean) ? c : a));
    const off = cells.filter((c) => Math.abs(c.delta.mean) > t.points);
    accuracy = off.length === 0;
    why.push(
      `Accuracy ${accuracy ? 'met' : 'not met'}: ${cells.length - off.length} of ${cells.length} cells within ±${t.points} points (mean paired difference bf16 − fp32 over seeds); largest |Δ| ${Math.abs(worst.delta.mean).toFixed(2)} points (${worst.label})${off.length ? `; outside: ${off.map((c) => `${c.label} ${signed(c.delta.mean)}`).join(', ')}` : ''}.`,
    );
  } else {
    why.push('Accuracy not measured: no seed completed at both precisions.');
  }
  let verdict;
  if (speed === null || accuracy === null) verdict = 'inconclusive';
  else if (speed && accuracy) verdict = 'reproduced';
  else if (speed || accuracy) verdict = 'partly';
  else verdict = 'not';
  return { verdict, speed, accuracy, why };
}

const num = (x) => (Number.isFinite(x) ? Math.round(x).toLocaleString('en-US') : 'n/a');
const ratioText = (x) => (Number.isFinite(x) ? `${x.toFixed(2)}×` : 'n/a');
const signed = (x, d = 2) => (Number.isFinite(x) ? `${x >= 0 ? '+' : '−'}${Math.abs(x).toFixed(d)}` : 'n/a');
const ratioSpread = (s) =>
  s.n === 0
    ? 'n/a'
    : s.n === 1
      ? ratioText(s.median)
      : `${ratioText(s.median)} (${s.min.toFixed(2)}–${s.max.toFixed(2)})`;
const pctMeanStd = (vals, scale = 100, d = 2) => {
  if (!vals.length) return 'n/a';
  const xs = vals.map((v) => scale * v.value);
  const m = xs.reduce((a, b) => a + b, 0) / xs.length;
  if (xs.length === 1) return m.toFixed(d);
  const sd = Math.sqrt(xs.reduce((a, b) => a + (b - m) ** 2, 0) / (xs.length - 1));
  return `${m.toFixed(d)} ± ${sd.toFixed(d)}`;
};
const deltaText = (g) => {
  if (!g) return 'n/a';
  return Number.isNaN(g.std) ? signed(g.mean) : `${signed(g.mean)} ± ${g.std.toFixed(2)}`;
};
/** Twice the standard error of a mean paired difference (std·2/√n): a rough 95 % half-width. */
export function twoSe(g) {
  return g && g.n > 1 && Number.isFinite(g.std) ? (2 * g.std) / Math.sqrt(g.n) : Number.NaN;
}
const twoSeText = (g) => (Number.isFinite(twoSe(g)) ? twoSe(g).toFixed(2) : 'n/a');
const within = (g) => (!g ? 'n/a' : Math.abs(g.mean) <= BF16_TARGETS.points ? 'yes' : '**no**');
const perSeed = (diffs) => diffs.map((d) => `${d.seed}: ${signed(d.points)}`).join(', ') || 'n/a';

/** The chart: the bf16 ÷ fp32 images/s ratio per model, training and inference (median over rounds). */
export async function renderBf16Svg(results) {
  const rows = throughputRows(results).filter((r) => r.rounds > 0);
  const bars = rows.flatMap((r) => [
    { group: modelName(r.model), name: 'training', value: r.trainRatio.median },
    { group: modelName(r.model), name: 'inference', value: r.inferRatio.median },
  ]);
  if (!bars.length) bars.push({ group: 'not measured', name: 'training', value: 0 });
  const top = Math.max(2, ...bars.map((b) => b.value));
  return barChartSvg({
    title: `bf16 ÷ fp32 images/s (batch ${results.config.throughput.batch}; 1.0 = fp32, target ≥ ${BF16_TARGETS.speedup}× on ResNet-20)`,
    bars,
    yLabel: 'bf16 ÷ fp32 images/s',
    yDomain: [0, Math.ceil(top * 5) / 5],
    legendTitle: 'step',
    width: 520,
  });
}

/** The page `docs/results/backend-bf16.md`. */
export function renderBf16Markdown(results, svgName) {
  const cfg = results.config;
  const v = bf16Verdict(results);
  const unavailable = bf16Unavailable(results);
  const rows = throughputRows(results);
  const tCells = transferCells(results);
  const aCells = adCells(results);
  const evidence = [...v.why];
  evidence.push(
    `Load average (1 min) ${fmtLoad(results.loadavg?.start)} at start and ${fmtLoad(results.loadavg?.end)} at end: ratios are taken within a round (fp32 and bf16 back to back), so slow drifts of the machine cancel; noise within a round does not.`,
  );
  if (!results.complete && !unavailable)
    evidence.push('**The run is incomplete** (interrupted; `--resume` continues it): the tables show what finished.');
  const sections = [];
  sections.push({
    title: 'Throughput: images/s at fp32 and bf16',
    body: [
      unavailable
        ? `bf16 is unavailable on this machine (${unavailable}), so there is no throughput verdict.`
        : `Batch ${cfg.throughput.batch}, ${cfg.throughput.threads ?? 'all'} threads, momentum SGD, the models of \`benchmarks/backend/models.mjs\`; each child times ${cfg.throughput.reps} repetitions of ${cfg.throughput.steps} steps after ${warmupText(cfg.throughput.warmupS)} and reports their median. ${cfg.throughput.rounds} round${cfg.throughput.rounds === 1 ? '' : 's'} of (fp32 child, bf16 child) back to back, the order swapped every other round; images/s are medians over rounds and the ratio bf16 ÷ fp32 is taken within each round (median, and min–max over rounds in brackets).`,
      '',
      !rows.some((r) => r.rounds > 0)
        ? 'No round completed at both precisions.'
        : markdownTable(
            rows.map((r) => ({
              model: modelName(r.model),
              rounds: r.rounds,
              fTrain: num(r.fp32Train),
              bTrain: num(r.bf16Train),
              rTrain: ratioSpread(r.trainRatio),
              fInfer: num(r.fp32Infer),
              bInfer: num(r.bf16Infer),
              rInfer: ratioSpread(r.inferRatio),
            })),
            [
              { key: 'model' },
              { key: 'rounds', align: 'right' },
              { key: 'fTrain', header: 'train fp32', align: 'right' },
              { key: 'bTrain', header: 'train bf16', align: 'right' },
              { key: 'rTrain', header: 'train bf16 ÷ fp32', align: 'right' },
              { key: 'fInfer', header: 'inference fp32', align: 'right' },
              { key: 'bInfer', header: 'inference bf16', align: 'right' },
              { key: 'rInfer', header: 'inference bf16 ÷ fp32', align: 'right' },
            ],
          ),
    ].join('\n'),
    images: rows.some((r) => r.rounds > 0) ? [{ path: svgName, alt: 'bf16 ÷ fp32 images/s per model' }] : [],
  });
  const prof = stepProfile(results);
  if (prof) {
    const ms = (x) => (Number.isFinite(x) ? x.toFixed(1) : 'n/a');
    const rest = (prec) => prof.step[prec] - prof.conv[prec];
    sections.push({
      title: 'Where a ResNet-20 training step goes at fp32 and bf16',
      body: [
        `Wall ms per step spent in each group of native functions (\`--profile-native\` of the throughput children: the same model, batch and threads, ${prof.rounds} round${prof.rounds === 1 ? '' : 's'} after the timed repetitions; median over rounds). "outside native calls" is tfjs, the JS kernels and the optimizer. The convolutions take ${ms(prof.conv.fp32)} of ${ms(prof.step.fp32)} ms in fp32 and ${ms(prof.conv.bf16)} of ${ms(prof.step.bf16)} ms in bf16 (${ratioText(prof.conv.fp32 / prof.conv.bf16)} faster); the rest of the step, ${ms(rest('fp32'))} → ${ms(rest('bf16'))} ms, does not run in bf16, so by Amdahl's law the step can gain at most ${ratioText(prof.step.fp32 / rest('fp32'))} however fast the convolutions get.`,
        '',
        markdownTable(
          [...prof.rows, { group: '**whole step**', fp32: prof.step.fp32, bf16: prof.step.bf16 }].map((r) => ({
            group: r.group,
            fp32: ms(r.fp32),
            bf16: ms(r.bf16),
            ratio: r.bf16 > 0 && r.fp32 > 0 ? ratioText(r.fp32 / r.bf16) : '—',
          })),
          [
            { key: 'group', header: 'native functions' },
            { key: 'fp32', header: 'fp32 ms/step', align: 'right' },
            { key: 'bf16', header: 'bf16 ms/step', align: 'right' },
            { key: 'ratio', header: 'fp32 ÷ bf16', align: 'right' },
          ],
        ),
      ].join('\n'),
    });
  }
  const ev = kernelEvidence(results);
  if (ev.length) {
    const implText = (s) => s.impls.map((x) => `\`${x.impl}\` ×${x.count}`).join(', ') || 'n/a';
    const conv = (c) =>
      c
        ? `${c.fused !== undefined ? `${num(c.fused)} written by the producing kernel, ` : ''}${num(c.converted)} converted, ${num(c.reused)} reused${c.outputs !== undefined ? `; ${num(c.outputs)} convolution outputs and input gradients written in bf16, ${num(c.widened)} of them widened to float32` : ''}`
        : 'n/a';
    sections.push({
      title: 'What ran: oneDNN implementations and bf16 conversions',
      body: [
        "From each model's first complete round (`nativeInfo()` at the end of the child): the convolution primitives oneDNN built (forward, backward-data, backward-weights per distinct layer; `fwd_bf16_out` is a forward and `bwd_data_bf16_out` a backward-data that writes its result in bf16) and the implementation it chose, the bf16 copies of activations and output gradients (written by the BatchNorm / Add + ReLU kernel that produced them, converted by a separate pass, and reused from the per-buffer cache), and the convolution outputs and input gradients written in bf16 only, for the BatchNorm that reads them (and how many some other kernel had to widen to float32).",
        '',
        markdownTable(
          ev.map((e) => ({
            model: modelName(e.model),
            fp32: `${e.fp32.total} primitives, ${e.fp32.bf16} bf16: ${implText(e.fp32)}`,
            bf16: `${e.bf16.total} primitives, ${e.bf16.bf16} bf16: ${implText(e.bf16)}`,
            conv: conv(e.bf16.conversions),
          })),
          [
            { key: 'model' },
            { key: 'fp32', header: 'fp32 child' },
            { key: 'bf16', header: 'bf16 child' },
            { key: 'conv', header: 'bf16 conversions (bf16 child)' },
          ],
        ),
      ].join('\n'),
    });
  }
  if (tCells.some((c) => c.fp32.length || c.bf16.length)) {
    const seeds = cfg.transfer.seeds;
    sections.push({
      title: 'Accuracy: the transfer table at fp32 and bf16',
      body: [
        `@ft/core \`transferRun\`: the zoo ResNet-8 pretrained on MNIST digits, adapted to Fashion-MNIST with ${cfg.transfer.budgets.join(' and ')} labels per class at the fixed peak LRs (\`DEFAULT_TRANSFER_LR\`), ${cfg.transfer.epochs} epochs and at least ${cfg.transfer.minSteps} optimizer steps${cfg.transfer.maxSteps ? ` (capped at ${cfg.transfer.maxSteps})` : ''}, tested on ${cfg.transfer.testSize ? `a stratified ${num(cfg.transfer.testSize)}` : 'all 10,000'} test images. Seeds ${seeds.join(', ')}; each (seed, precision) in its own process, same data and seed at both precisions. Test accuracy in %, mean ± std over seeds; Δ = bf16 − fp32 in points, paired by seed, with 2 SE = 2·std/√n (a mean |Δ| above the target but within 2 SE of 0 is not told apart from 0 by this many seeds). "fp32, transfer page": the same fixed-LR runs of the same seeds on the transfer page (\`docs/results/transfer/records.jsonl\`, ${results.reference?.transfer ? 'read when this run started' : 'none at these settings'}), a check that the fp32 runs here are the table's.`,
        '',
        markdownTable(
          tCells.map((c) => ({
            budget: c.budget,
            method: METHOD_NAMES[c.method] ?? c.method,
            lr: c.lr ?? 'n/a',
            page: pctMeanStd(c.reference),
            fp32: pctMeanStd(c.fp32),
            bf16: pctMeanStd(c.bf16),
            delta: deltaText(c.delta),
            se: twoSeText(c.delta),
            seeds: perSeed(c.diffs),
            ok: within(c.delta),
          })),
          [
            { key: 'budget', header: 'labels/class', align: 'right' },
            { key: 'method' },
            { key: 'lr', header: 'peak LR', align: 'right' },
            { key: 'page', header: 'fp32, transfer page', align: 'right' },
            { key: 'fp32', header: 'fp32 acc.', align: 'right' },
            { key: 'bf16', header: 'bf16 acc.', align: 'right' },
            { key: 'delta', header: 'Δ points', align: 'right' },
            { key: 'se', header: '2 SE', align: 'right' },
            { key: 'seeds', header: 'Δ per seed' },
            { key: 'ok', header: `|Δ| ≤ ${BF16_TARGETS.points}` },
          ],
        ),
      ].join('\n'),
    });
  }
  const adU = firstOk(results, 'ad');
  if (aCells.some((c) => c.fp32.length || c.bf16.length)) {
    const a = cfg.ad;
    sections.push({
      title: `Accuracy: Mahalanobis AD on Fashion-MNIST class ${a.normalClass} at fp32 and bf16`,
      body: [
        `@ft/mahalanobis-ad, backbone \`zoo:mnist-resnet8\`, normal class ${a.normalClass}: ${a.n} training normals (${adU ? `${adU.n} fit / ${adU.nVal} val` : '80 % fit / 20 % val'}), ${a.testSize ? `a stratified ${num(a.testSize)}` : 'all 10,000'} test images. Frozen: \`MahalanobisDetector\` (Gaussians per level, Ledoit-Wolf) fitted on the fit split. Fine-tuned: \`mahalanobisFinetune\` (Mahalanobis loss, Adam ${a.lr}, batch ${a.batch}, BatchNorm frozen, ${a.epochs} epochs, no early stop), test AUROC after the last epoch; the early-stopped row is the epoch an early stop with patience 3 on the validation pseudo-AUROC would pick (shown, not counted: a discrete choice amplifies small differences). Test AUROC × 100, mean ± std over seeds ${cfg.ad.seeds.join(', ')}; Δ = bf16 − fp32 in AUROC points, paired by seed.`,
        '',
        markdownTable(
          aCells.map((c) => ({
            metric: c.label,
            fp32: pctMeanStd(c.fp32),
            bf16: pctMeanStd(c.bf16),
            delta: deltaText(c.delta),
            se: twoSeText(c.delta),
            seeds: perSeed(c.diffs),
            ok: c.counts ? within(c.delta) : `(${within(c.delta)})`,
          })),
          [
            { key: 'metric' },
            { key: 'fp32', header: 'fp32 AUROC', align: 'right' },
            { key: 'bf16', header: 'bf16 AUROC', align: 'right' },
            { key: 'delta', header: 'Δ points', align: 'right' },
            { key: 'se', header: '2 SE', align: 'right' },
            { key: 'seeds', header: 'Δ per seed' },
            { key: 'ok', header: `|Δ| ≤ ${BF16_TARGETS.points}` },
          ],
        ),
      ].join('\n'),
    });
  }
  const refB = results.reference?.backend;
  if (refB && rows.some((r) => r.rounds > 0 && refB.models[r.model])) {
    sections.push({
      title: 'fp32 here against the backend page',
      body: [
        `ft-native's fp32 images/s in this run beside those of the backend page (\`docs/results/backend.json\`, run ${String(refB.date).slice(0, 10)}, batch ${refB.batch}; there each round takes the faster of two OpenMP settings, here the default only). The bf16 option leaves the fp32 path untouched (bit-identical, tested in the package); ${refB.machine?.cpu && results.machine?.cpu && refB.machine.cpu !== results.machine.cpu ? `the backend page ran on another CPU (${refB.machine.cpu}; this run: ${results.machine.cpu}), so a gap here reflects the CPUs and the load, not the option.` : "a large gap here points at the machine's load, not at the option."}`,
        '',
        markdownTable(
          rows
            .filter((r) => r.rounds > 0 && refB.models[r.model])
            .map((r) => ({
              model: modelName(r.model),
              train: num(r.fp32Train),
              trainPage: num(refB.models[r.model].train),
              infer: num(r.fp32Infer),
              inferPage: num(refB.models[r.model].infer),
            })),
          [
            { key: 'model' },
            { key: 'train', header: 'train fp32 here', align: 'right' },
            { key: 'trainPage', header: 'train, backend page', align: 'right' },
            { key: 'infer', header: 'inference fp32 here', align: 'right' },
            { key: 'inferPage', header: 'inference, backend page', align: 'right' },
          ],
        ),
      ].join('\n'),
    });
  }
  const failed = Object.entries(results.units).filter(([, u]) => u?.error);
  if (failed.length) {
    sections.push({
      title: 'Failed children',
      body: failed.map(([k, u]) => `- \`${k}\`: ${u.error}`).join('\n'),
    });
  }
  sections.push({ title: 'Cuts', body: (results.cuts ?? []).map((c) => `- ${c}`).join('\n') || 'None.' });
  sections.push({
    title: 'Regenerate',
    body: `\`npx -y pnpm@10 run bench:bf16\` (= \`turbo run build && node benchmarks/backend/bf16.mjs\`) on an otherwise idle machine with AVX512_BF16 or AMX-BF16; it writes this page, \`backend-bf16.json\` and the chart. \`node benchmarks/backend/bf16.mjs --render docs/results/backend-bf16.json\` re-renders them; \`--resume\` continues an interrupted run from the JSON; \`--quick\` is a smoke test into a temporary folder.`,
  });
  const seeds = [...new Set([...(cfg.transfer.seeds ?? []), ...(cfg.ad.seeds ?? [])])].sort((a, b) => a - b);
  return resultsPage({
    title: 'ft-native bf16 against fp32: throughput and accuracy',
    command: results.command,
    backend: `\`ft-native\` (oneDNN ${results.native?.onednn ?? '?'}, ISA ${results.native?.isa ?? '?'}${ompSetting(results) ? `, OpenMP ${ompSetting(results)}` : ''}), precision fp32 and bf16 (${unavailable ? `bf16 unavailable: ${unavailable}` : 'bf16 supported'})`,
    machine: results.machine,
    date: results.date,
    seeds,
    seedsNote: `Accuracy runs: in the transfer runs the seed draws the labelled budget, the head initialisation (all weights for scratch) and the batch order; in the AD runs it draws the training subsample of the normal class, its fit/val split, the test subsample, the batch order and the validation pseudo-anomalies. fp32 and bf16 share each seed (paired). The throughput runs draw their random batch from fixed seeds 1 and 2 and do not depend on these.`,
    claim: `Issue 20 part 2: an opt-in bf16 mode of \`ft-native\` (convolutions and matmuls with bf16 operands and fp32 accumulation, fp32 master weights) should train and infer ≥ ${BF16_TARGETS.speedup}× faster than fp32 on ResNet-20, with the transfer table's accuracies and one Mahalanobis-AD class's AUROC within ${BF16_TARGETS.points} points of fp32 over 3 seeds.`,
    verdict: v.verdict,
    evidence,
    sections,
  });
}

const fmtLoad = (x) => (Number.isFinite(x) ? x.toFixed(2) : 'n/a');
