import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { resultRecord } from '@ft/report';
import { describe, expect, it } from 'vitest';
import { bf16Config, plan, readReferences, secondsLeft, UNIT_SECONDS_GUESS } from './bf16.mjs';
import {
  adCells,
  bf16Unavailable,
  bf16Verdict,
  implSummary,
  kernelEvidence,
  renderBf16Markdown,
  spread,
  stepProfile,
  throughputRows,
  transferCells,
  twoSe,
  unitKey,
} from './bf16-report.mjs';
import { DEFAULT_WARMUP_S } from './warmup.mjs';

const FP32_IMPLS = [
  'fwd N128 32x32x16->16 k3x3 s1x1 g1: brgconv:avx512_core',
  'bwd_data N128 32x32x16->16 k3x3 s1x1 g1: jit:avx512_core',
  'bwd_weights N128 32x32x16->16 k3x3 s1x1 g1: jit:avx512_core',
];
const BF16_IMPLS = [
  'fwd_bf16_out N128 32x32x16->16 k3x3 s1x1 g1: brgconv:avx512_core_bf16',
  'fwd_bf16 N128 32x32x16->32 k1x1 s2x2 g1: brgconv_1x1:avx512_core_bf16',
  'bwd_data_bf16 N128 32x32x16->16 k3x3 s1x1 g1: jit_bf16:avx512_core_bf16',
  'bwd_weights_bf16 N128 32x32x16->16 k3x3 s1x1 g1: jit_bf16:avx512_core_bf16',
];

const tp = (p, train, infer) => ({
  backend: 'ft-native',
  precision: p,
  train: { imgPerSec: train },
  infer: { imgPerSec: infer },
  native: {
    convImpls: p === 'bf16' ? BF16_IMPLS : FP32_IMPLS,
    bf16Conversions:
      p === 'bf16'
        ? { converted: 40, reused: 30, fused: 20, outputs: 12, widened: 1 }
        : { converted: 0, reused: 0, fused: 0, outputs: 0, widened: 0 },
  },
});
const transferUnit = (accs) => ({
  runs: Object.entries(accs).flatMap(([budget, m]) =>
    Object.entries(m).map(([method, accuracy]) => ({ budget: Number(budget), method, accuracy, lr: 0.01 })),
  ),
});
const adUnit = (frozen, finetuned, earlyStopped) => ({ n: 800, nVal: 200, auroc: { frozen, finetuned, earlyStopped } });

/**
 * A fake run: ResNet-20 bf16 1.5×/1.6× (training/inference) in rounds 0 and 2, 1.3×/1.2× in round 1; transfer at 10
 * labels/class with per-seed bf16 − fp32 differences given; AD differences given.
 */
function fakeResults({ trainScale = 1, transferShift = [0.1, -0.2, 0.1], adShift = 0.001 } = {}) {
  const cfg = bf16Config({});
  cfg.throughput.models = ['resnet20', 'tiny'];
  cfg.transfer.budgets = [10];
  cfg.transfer.methods = ['linear-probe', 'full'];
  const units = {};
  const r20 = [
    [1.5, 1.6],
    [1.3, 1.2],
    [1.5, 1.6],
  ];
  r20.forEach(([t, i], r) => {
    const base = 300 + 10 * r; // drift between rounds cancels in the per-round ratio
    units[unitKey('throughput', 'resnet20', r, 'fp32')] = tp('fp32', base, 4 * base);
    units[unitKey('throughput', 'resnet20', r, 'bf16')] = tp('bf16', base * t * trainScale, 4 * base * i);
    units[unitKey('throughput', 'tiny', r, 'fp32')] = tp('fp32', 1000, 9000);
    units[unitKey('throughput', 'tiny', r, 'bf16')] = r === 1 ? { error: 'boom' } : tp('bf16', 1100, 9900);
  });
  for (const [i, seed] of [0, 1, 2].entries()) {
    const a = 0.6 + 0.01 * seed;
    units[unitKey('transfer', seed, 'fp32')] = transferUnit({ 10: { 'linear-probe': a, full: a + 0.05 } });
    units[unitKey('transfer', seed, 'bf16')] = transferUnit({
      10: { 'linear-probe': a + transferShift[i] / 100, full: a + 0.05 },
    });
    units[unitKey('ad', seed, 'fp32')] = adUnit(0.86, 0.87, 0.868);
    units[unitKey('ad', seed, 'bf16')] = adUnit(0.86 + adShift, 0.87 - adShift, 0.868 + 5 * adShift);
  }
  return {
    command: 'node benchmarks/backend/bf16.mjs',
    machine: 'test machine, 2 cores',
    date: '2026-12-05T00:00:00.000Z',
    loadavg: { start: 0.1, end: 0.2 },
    config: cfg,
    native: { onednn: '2.6.3', isa: 'avx512_core_bf16' },
    bf16Support: { supported: true },
    cuts: ['a cut'],
    reference: {
      backend: { date: '2026-11-29T01:57:31.180Z', batch: 128, models: { resnet20: { train: 954, infer: 3955 } } },
      transfer: { cells: { '10/full': [{ seed: 0, value: 0.6559 }] } },
    },
    units,
    complete: true,
  };
}

describe('throughput', () => {
  it('takes bf16 ÷ fp32 within each round and summarises by median, min and max', () => {
    const [r20, tiny] = throughputRows(fakeResults());
    expect(r20.rounds).toBe(3);
    expect(r20.trainRatio.median).toBeCloseTo(1.5, 12);
    expect(r20.trainRatio.min).toBeCloseTo(1.3, 12);
    expect(r20.trainRatio.max).toBeCloseTo(1.5, 12);
    expect(r20.inferRatio.median).toBeCloseTo(1.6, 12);
    expect(r20.inferRatio.min).toBeCloseTo(1.2, 12);
    expect(r20.fp32Train).toBe(310);
    expect(r20.bf16Train).toBeCloseTo(450, 9); // median of 450, 403, 480
    // a failed bf16 child drops that round only
    expect(tiny.rounds).toBe(2);
    expect(tiny.trainRatio.median).toBeCloseTo(1.1, 12);
  });

  it('spread of nothing is NaN', () => {
    expect(spread([Number.NaN])).toEqual({ median: Number.NaN, min: Number.NaN, max: Number.NaN, n: 0 });
    expect(spread([2, 1, 4])).toEqual({ median: 2, min: 1, max: 4, n: 3 });
  });

  it('counts bf16 primitives and names the implementations', () => {
    const s = implSummary(BF16_IMPLS);
    expect(s.total).toBe(4);
    expect(s.bf16).toBe(4);
    expect(s.impls[0]).toEqual({ impl: 'jit_bf16:avx512_core_bf16', count: 2 });
    expect(implSummary(FP32_IMPLS).bf16).toBe(0);
    expect(implSummary(undefined)).toEqual({ total: 0, bf16: 0, impls: [] });
    const ev = kernelEvidence(fakeResults());
    expect(ev.map((e) => e.model)).toEqual(['resnet20', 'tiny']);
    expect(ev[0].bf16.conversions).toEqual({ converted: 40, reused: 30, fused: 20, outputs: 12, widened: 1 });
  });
});

describe('step profile', () => {
  const prof = (step, groups) => ({ steps: 4, stepMs: step, functions: {}, groups });
  it('takes per-group medians over rounds, the time outside native calls, and the Amdahl bound', () => {
    const res = fakeResults();
    const fp32 = [100, 110, 90];
    fp32.forEach((conv, r) => {
      res.units[unitKey('throughput', 'resnet20', r, 'fp32')].nativeProfile = prof(200 + r, {
        'convolution forward': conv,
        'BatchNorm forward': 50,
      });
      res.units[unitKey('throughput', 'resnet20', r, 'bf16')].nativeProfile = prof(150, {
        'convolution forward': conv / 2,
        'BatchNorm forward': 55,
        'bf16 conversion': 1,
      });
    });
    const p = stepProfile(res);
    expect(p.rounds).toBe(3);
    expect(p.rows.map((r) => r.group)).toEqual([
      'convolution forward',
      'bf16 conversion',
      'BatchNorm forward',
      'outside native calls',
    ]);
    expect(p.rows[0]).toEqual({ group: 'convolution forward', fp32: 100, bf16: 50 });
    expect(p.rows[1].fp32).toBe(0);
    expect(p.step).toEqual({ fp32: 201, bf16: 150 });
    expect(p.rows[3].fp32).toBe(50); // median of 200 − 150, 201 − 160, 202 − 140
    expect(p.conv).toEqual({ fp32: 100, bf16: 50 });
    const md = renderBf16Markdown(res, 'x.svg');
    expect(md).toContain('## Where a ResNet-20 training step goes at fp32 and bf16');
    expect(md).toContain('the step can gain at most 1.99×'); // 201 / (201 − 100)
    expect(stepProfile(fakeResults())).toBeNull();
  });
});

describe('fp32 against the backend page', () => {
  it('names both CPUs when the backend page ran on another one, else points at the load', () => {
    const res = fakeResults();
    expect(renderBf16Markdown(res, 'x.svg')).toContain("a large gap here points at the machine's load");
    res.machine = { cpu: 'Intel Xeon' };
    res.reference.backend.machine = { cpu: 'AMD EPYC' };
    expect(renderBf16Markdown(res, 'x.svg')).toContain(
      'the backend page ran on another CPU (AMD EPYC; this run: Intel Xeon), so a gap here reflects the CPUs',
    );
  });
});

describe('accuracy pairing', () => {
  it('pairs bf16 with fp32 by seed, in points', () => {
    const [lp, full] = transferCells(fakeResults());
    expect(lp.delta.n).toBe(3);
    expect(lp.delta.mean).toBeCloseTo(0, 9); // (0.1 − 0.2 + 0.1) / 3
    expect(lp.delta.std).toBeCloseTo(Math.sqrt(0.03), 9);
    expect(lp.diffs.map((d) => d.points)).toEqual([
      expect.closeTo(0.1, 9),
      expect.closeTo(-0.2, 9),
      expect.closeTo(0.1, 9),
    ]);
    expect(full.delta.mean).toBeCloseTo(0, 12);
    const ad = adCells(fakeResults({ adShift: 0.002 }));
    expect(ad.map((c) => c.key)).toEqual(['frozen', 'finetuned', 'earlyStopped']);
    expect(ad[0].delta.mean).toBeCloseTo(0.2, 9);
    expect(ad[1].delta.mean).toBeCloseTo(-0.2, 9);
    expect(ad[2].delta.mean).toBeCloseTo(1.0, 9);
  });

  it('gives 2 SE of a mean difference', () => {
    expect(twoSe({ mean: 0.5, std: 0.3, n: 4 })).toBeCloseTo(0.3, 12);
    expect(twoSe({ mean: 0.5, std: Number.NaN, n: 1 })).toBeNaN();
    expect(twoSe(null)).toBeNaN();
  });

  it('leaves out seeds missing at one precision', () => {
    const res = fakeResults();
    res.units[unitKey('transfer', 1, 'bf16')] = { error: 'crashed' };
    const [lp] = transferCells(res);
    expect(lp.delta.n).toBe(2);
    expect(lp.delta.mean).toBeCloseTo(0.1, 9);
    expect(lp.fp32).toHaveLength(3);
    expect(lp.bf16).toHaveLength(2);
  });
});

describe('verdict', () => {
  it('reproduced when ResNet-20 is ≥ 1.4× in both and every counted cell is within 0.3 points', () => {
    const v = bf16Verdict(fakeResults());
    expect(v).toMatchObject({ verdict: 'reproduced', speed: true, accuracy: true });
    // the early-stopped AD row (5 × 0.1 = 0.5 points) is shown but does not count
    expect(adCells(fakeResults())[2].delta.mean).toBeCloseTo(0.5, 9);
  });

  it('partly when one target fails, not when both fail', () => {
    expect(bf16Verdict(fakeResults({ trainScale: 0.9 }))).toMatchObject({
      verdict: 'partly',
      speed: false,
      accuracy: true,
    });
    const acc = bf16Verdict(fakeResults({ transferShift: [0.4, 0.4, 0.3] }));
    expect(acc).toMatchObject({ verdict: 'partly', speed: true, accuracy: false });
    expect(acc.why.join(' ')).toContain('largest |Δ| 0.37 points (transfer 10/class linear-probe)');
    expect(bf16Verdict(fakeResults({ trainScale: 0.9, adShift: 0.004 })).verdict).toBe('not');
  });

  it('inconclusive when bf16 is unavailable or a target was not measured', () => {
    const res = fakeResults();
    res.bf16Support = { supported: false, reason: 'this CPU has no AVX512_BF16' };
    expect(bf16Unavailable(res)).toBe('this CPU has no AVX512_BF16');
    expect(bf16Verdict(res)).toMatchObject({ verdict: 'inconclusive', speed: null, accuracy: null });
    const child = fakeResults();
    child.units[unitKey('throughput', 'tiny', 0, 'bf16')] = {
      unavailable: { reason: 'no bf16', code: 'BACKEND_UNAVAILABLE' },
    };
    expect(bf16Unavailable(child)).toBe('no bf16');
    const noR20 = fakeResults();
    noR20.config.throughput.models = ['tiny'];
    expect(bf16Verdict(noR20)).toMatchObject({ verdict: 'inconclusive', speed: null, accuracy: true });
  });
});

describe('page', () => {
  it('renders the five headers, the tables and the verdict from a results object', () => {
    const md = renderBf16Markdown(fakeResults(), 'backend-bf16.svg');
    for (const h of ['## Command', '## Backend, machine and date', '## Seeds', "## Paper's claim", '## Verdict'])
      expect(md).toContain(h);
    expect(md).toContain('Reproduced');
    expect(md).toMatch(/\| ResNet-20 +\| +3 \| +310 \| +450 \| +1\.50× \(1\.30–1\.50\) \|/);
    expect(md).toContain('`brgconv:avx512_core_bf16` ×1');
    expect(md).toContain(
      '20 written by the producing kernel, 40 converted, 30 reused; 12 convolution outputs and input gradients written in bf16, 1 of them widened to float32',
    );
    expect(md).toContain('0: +0.10, 1: −0.20, 2: +0.10');
    expect(md).toContain('![bf16 ÷ fp32 images/s per model](backend-bf16.svg)');
    expect(md).toContain('after a warm-up of at least 3 s of training and 3 s of inference');
    const old = fakeResults();
    delete old.config.throughput.warmupS; // results from before --warmup-s
    expect(renderBf16Markdown(old, 'x.svg')).toContain('after a warm-up of 2 training steps and 1 inference step');
    expect(md).toContain('- a cut');
    expect(md).toContain('`throughput/tiny/1/bf16`: boom');
    expect(md).toMatch(/\| ResNet-20 +\| +310 \| +954 \| +1,240 \| +3,955 \|/); // fp32 here beside the backend page
    expect(md).toMatch(/\| +10 \| full fine-tuning +\| +0\.01 \| +65\.59 \|/); // the transfer page's fp32
  });

  it('says so when bf16 is unavailable', () => {
    const res = fakeResults();
    res.bf16Support = { supported: false, reason: 'this CPU has no AVX512_BF16' };
    res.units = {};
    res.complete = false;
    const md = renderBf16Markdown(res, 'x.svg');
    expect(md).not.toContain('incomplete');
    expect(md).not.toContain('## Accuracy');
    expect(md).toContain('No round completed at both precisions.');
    expect(md).toContain('Inconclusive');
    expect(md).toContain('bf16 is unavailable on this machine (this CPU has no AVX512_BF16)');
  });
});

describe('references', () => {
  it("reads the backend page's fp32 images/s and the transfer page's fixed-LR records of this run's cells", () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'bf16-ref-'));
    const summary = (train, infer) => ({ summary: { train: { native: train }, infer: { native: infer } } });
    writeFileSync(
      path.join(dir, 'backend.json'),
      JSON.stringify({
        date: 'd',
        batch: 128,
        machine: { cpu: 'AMD EPYC' },
        runs: { tiny: summary(5000, 20000), resnet20: summary(954, 3955) },
      }),
    );
    mkdirSync(path.join(dir, 'transfer'));
    // Records as the transfer benchmark writes them (@ft/report ResultRecords).
    const rec = (arm, budget, seed, accuracy, testSize = 10000) =>
      JSON.stringify(
        resultRecord({
          method: 'transfer',
          arm,
          dataset: `fashion-mnist/${budget}`,
          seed,
          metrics: { accuracy },
          backend: { name: 'ft-native' },
          command: 'node benchmarks/transfer/run.mjs',
          date: '2026-12-01T00:00:00.000Z',
          extra: { budget: String(budget), testSize },
        }),
      );
    writeFileSync(
      path.join(dir, 'transfer/records.jsonl'),
      [
        rec('full', 10, 0, 0.65),
        rec('full', 10, 1, 0.64),
        rec('full', 10, 7, 0.1), // another seed
        rec('full', 'all', 0, 0.85), // another budget
        rec('full-tuned', 10, 0, 0.7), // another arm
        rec('scratch', 100, 0, 0.78, 500), // another test size
      ].join('\n'),
    );
    const cfg = bf16Config({ models: 'tiny,resnet8' });
    const ref = readReferences(cfg, dir);
    expect(ref.backend).toEqual({
      date: 'd',
      batch: 128,
      machine: { cpu: 'AMD EPYC' },
      models: { tiny: { train: 5000, infer: 20000 } },
    });
    expect(ref.transfer.cells).toEqual({
      '10/full': [
        { seed: 0, value: 0.65 },
        { seed: 1, value: 0.64 },
      ],
    });
    expect(readReferences(bf16Config({ batch: '64' }), dir).backend).toBeNull(); // other batch: not comparable
    expect(readReferences(cfg, path.join(dir, 'missing'))).toEqual({ backend: null, transfer: null });
  });
});

describe('plan and estimate', () => {
  it('runs fp32 and bf16 back to back, swapping the order every other round', () => {
    const cfg = bf16Config({ models: 'tiny,resnet20', rounds: '2', seeds: '0,1' });
    const keys = plan(cfg).map((u) => u.key);
    expect(keys.slice(0, 8)).toEqual([
      'throughput/tiny/0/fp32',
      'throughput/tiny/0/bf16',
      'throughput/resnet20/0/fp32',
      'throughput/resnet20/0/bf16',
      'throughput/tiny/1/bf16',
      'throughput/tiny/1/fp32',
      'throughput/resnet20/1/bf16',
      'throughput/resnet20/1/fp32',
    ]);
    expect(keys.slice(8)).toEqual([
      'transfer/0/fp32',
      'transfer/0/bf16',
      'transfer/1/fp32',
      'transfer/1/bf16',
      'ad/0/fp32',
      'ad/0/bf16',
      'ad/1/fp32',
      'ad/1/bf16',
    ]);
    const u = plan(cfg).find((x) => x.key === 'ad/1/bf16');
    expect(u.env).toEqual({ FT_BACKEND: 'ft-native', FT_NATIVE_PRECISION: 'bf16' });
    expect(plan(cfg)[1].argv).toContain('--precision=bf16');
    expect(plan(cfg)[1].argv).toContain(`--warmup-s=${DEFAULT_WARMUP_S}`);
    expect(plan(bf16Config({ 'warmup-s': '0.5' }))[0].argv).toContain('--warmup-s=0.5');
    expect(() => bf16Config({ 'warmup-s': '-1' })).toThrow(/--warmup-s/);
    expect(plan(bf16Config({ skip: 'throughput,ad', seeds: '0' })).map((x) => x.key)).toEqual([
      'transfer/0/fp32',
      'transfer/0/bf16',
    ]);
  });

  it('defaults: the full run and the quick one', () => {
    const full = bf16Config({});
    expect(plan(full)).toHaveLength(3 * 4 * 2 + 3 * 2 + 3 * 2);
    expect(full.transfer).toMatchObject({ seeds: [0, 1, 2], budgets: [10, 100], testSize: 0 });
    const quick = bf16Config({ quick: true });
    expect(plan(quick)).toHaveLength(2 + 2 + 2);
    expect(() => bf16Config({ models: 'vgg' })).toThrow(/unknown model vgg/);
    expect(() => bf16Config({ seeds: 'a' })).toThrow(/--seeds/);
    expect(() => bf16Config({ skip: 'speed' })).toThrow(/--skip/);
  });

  it('estimates time left from measured means, scaling the guesses of unseen kinds', () => {
    const rest = [{ kind: 'throughput' }, { kind: 'transfer' }, { kind: 'ad' }];
    expect(secondsLeft(rest, {})).toBe(
      UNIT_SECONDS_GUESS.throughput + UNIT_SECONDS_GUESS.transfer + UNIT_SECONDS_GUESS.ad,
    );
    // throughput measured at twice its guess: the others are scaled by 2
    const t = 2 * UNIT_SECONDS_GUESS.throughput;
    expect(secondsLeft(rest, {}, { throughput: 1, transfer: 2, ad: 3 })).toBe(6);
    expect(secondsLeft(rest, { throughput: [t, t] })).toBeCloseTo(
      t + 2 * UNIT_SECONDS_GUESS.transfer + 2 * UNIT_SECONDS_GUESS.ad,
      9,
    );
  });
});
