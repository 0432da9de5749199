import { describe, expect, it } from 'vitest';
import { threadCounts } from './scaling.mjs';
import {
  amdahlSpeedup,
  kernelSerialRows,
  renderScalingMarkdown,
  scalingVerdict,
  serialFraction,
  serialFractions,
  summarizeScaling,
  XEON_16_CORE_BASELINE,
} from './scaling-report.mjs';

describe("Amdahl's law", () => {
  it('recovers the serial fraction of a step built from a serial and a parallel part', () => {
    // 30 ms serial + 70 ms that splits perfectly over p threads.
    for (const p of [2, 4, 16]) expect(serialFraction(100, 30 + 70 / p, p)).toBeCloseTo(0.3, 12);
    expect(serialFraction(100, 50, 2)).toBeCloseTo(0, 12); // halves: nothing serial
    expect(serialFraction(100, 100, 2)).toBeCloseTo(1, 12); // does not move: all serial
  });

  it('predicts the speed-up, and the target predicts ≥ 6× at 16 threads', () => {
    expect(amdahlSpeedup(0, 16)).toBe(16);
    expect(amdahlSpeedup(1, 16)).toBe(1);
    expect(amdahlSpeedup(0.1, 16)).toBeCloseTo(6.4, 10);
    expect(amdahlSpeedup(-0.05, 4)).toBe(4); // noise below 0 is clamped
  });

  it('rejects what it cannot compute', () => {
    expect(() => serialFraction(100, 50, 1)).toThrow(RangeError);
    expect(() => serialFraction(0, 50, 2)).toThrow(RangeError);
  });

  it('reads the 16-core baseline of issue 20 as a large serial fraction', () => {
    const [b2, , b16] = XEON_16_CORE_BASELINE.rows;
    const s = serialFraction(1 / b2.resnet20Infer[0], 1 / b16.resnet20Infer[0], 8);
    expect(s).toBeGreaterThan(0.4);
    expect(s).toBeLessThan(0.45);
  });
});

const profile = (kernels, outsideMs) => {
  const kernelMs = kernels.reduce((a, k) => a + k.wallMs, 0);
  return { steps: 5, stepMs: kernelMs + outsideMs, kernelMs, outsideMs, kernels };
};

describe('kernel attribution', () => {
  it('ranks kernels by the part of their time that did not shrink, with the time outside kernels as a row', () => {
    const one = profile(
      [
        { kernel: 'Conv2D', wallMs: 80, calls: 3 },
        { kernel: 'MaxPool', wallMs: 10, calls: 1 },
      ],
      10,
    );
    const two = profile(
      [
        { kernel: 'Conv2D', wallMs: 40, calls: 3 },
        { kernel: 'MaxPool', wallMs: 10, calls: 1 },
      ],
      10,
    );
    const rows = kernelSerialRows(one, two, 2);
    expect(rows.map((r) => r.kernel.slice(0, 8))).toEqual(['MaxPool', '(outside', 'Conv2D']);
    expect(rows[0].serialMs).toBeCloseTo(10, 10);
    expect(rows[1].serialMs).toBeCloseTo(10, 10);
    expect(rows[2].serialMs).toBeCloseTo(0, 10);
  });
});

/** Results with a step time of serial + parallel/p for ft-native and a perfectly parallel PyTorch. */
function fakeResults(serialMs, threads = [1, 2]) {
  const cell = (t) => {
    const nativeMs = serialMs + (100 - serialMs) / t;
    const ips = (ms) => (512 * 1000) / ms;
    const prof = profile([{ kernel: 'Conv2D', wallMs: nativeMs - 1, calls: 21 }], 1);
    return {
      native: { train: { imgPerSec: ips(nativeMs * 3) }, infer: { imgPerSec: ips(nativeMs) }, inferProfile: prof },
      nativeSpin: { train: { imgPerSec: ips(nativeMs * 3) * 0.9 }, infer: { imgPerSec: ips(nativeMs) * 0.9 } },
      torch: { cl: { train: ips(300 / t), infer: ips(100 / t) } },
      torchPassive: { cl: { train: ips(300 / t) * 0.8, infer: ips(100 / t) * 0.8 } },
    };
  };
  const round = { resnet20: Object.fromEntries(threads.map((t) => [t, cell(t)])) };
  return {
    command: 'node benchmarks/backend/scaling.mjs --threads 1,2',
    machine: { os: 'Linux', cpu: 'test', cores: 2, memoryGiB: 1, node: 'v20' },
    date: '2026-12-05T00:00:00.000Z',
    loadavg: { start: 0.1, end: 0.2 },
    threads,
    models: ['resnet20'],
    batch: 512,
    rounds: [round, round],
    native: { onednn: '2.6.3', isa: 'avx512_core' },
    torchVersion: '1.13',
  };
}

describe('summary and verdict', () => {
  it('takes each framework at its faster process and recovers the serial fraction from images/s', () => {
    const s = summarizeScaling(fakeResults(20));
    expect(s).toHaveLength(2);
    expect(s[0].nativeInfer).toBeCloseTo(5120, 6);
    expect(s[1].torchInfer / s[0].torchInfer).toBeCloseTo(2, 10);
    const f = serialFractions(s);
    expect(f[0].p).toBe(2);
    expect(f[0].nativeInfer).toBeCloseTo(0.2, 10);
    expect(f[0].torchInfer).toBeCloseTo(0, 10);
  });

  it('meets the target below 10 % and misses it above, and is inconclusive without a 1-thread and a multi-thread run', () => {
    expect(scalingVerdict(serialFractions(summarizeScaling(fakeResults(5, [1, 2, 16])))).verdict).toBe('reproduced');
    // met over 1–2 threads only: the 16-thread claim is not extrapolated
    expect(scalingVerdict(serialFractions(summarizeScaling(fakeResults(5)))).verdict).toBe('partly');
    expect(scalingVerdict(serialFractions(summarizeScaling(fakeResults(30)))).verdict).toBe('not');
    expect(scalingVerdict(serialFractions(summarizeScaling(fakeResults(5, [2])))).verdict).toBe('inconclusive');
  });

  it('renders a page that opens with the five headers and names the verdict', () => {
    const md = renderScalingMarkdown(fakeResults(30), { infer: 'i.svg', train: 't.svg' });
    expect(md).toMatch(/## Verdict\n\n\*\*Not reproduced\.\*\*/);
    expect(md).toContain('serial fraction 30.0 % between 1 and 2 threads');
    expect(md).toContain('Where the serial time goes: ResNet-20 inference at 1 and 2 threads');
  });
});

describe('thread counts', () => {
  it('defaults to powers of two up to the cores, and checks a given list', () => {
    expect(threadCounts(undefined, 2)).toEqual([1, 2]);
    expect(threadCounts(undefined, 12)).toEqual([1, 2, 4, 8, 12]);
    expect(threadCounts('16,1,2,2', 2)).toEqual([1, 2, 16]);
    expect(() => threadCounts('1,x', 2)).toThrow(/positive integers/);
  });
});
