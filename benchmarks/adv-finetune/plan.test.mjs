import { describe, expect, it } from 'vitest';
import {
  aftExamples,
  beats,
  edgeCaveat,
  edgeOf,
  estimateSeconds,
  passIndices,
  selectBest,
  tuneWithWidening,
  valEvery,
  valPoints,
  verdictMatches,
  verdictSchedules,
  WIDEN,
  workList,
} from './plan.mjs';

const c = (valRobust, valClean = 0.5) => ({ valRobust, valClean });

describe('selection on validation', () => {
  it('prefers robust accuracy, then clean, then the earlier candidate', () => {
    expect(beats(c(0.5), c(0.4))).toBe(true);
    expect(beats(c(0.5, 0.6), c(0.5, 0.7))).toBe(false);
    expect(selectBest([c(0.4), c(0.5, 0.6), c(0.5, 0.7), c(0.5, 0.7)])).toBe(2);
    expect(selectBest([])).toBe(-1);
  });
  it('edgeOf', () => {
    expect(edgeOf([0.1, 0.05, 0.2], 0.05)).toBe('low');
    expect(edgeOf([0.1, 0.05, 0.2], 0.2)).toBe('high');
    expect(edgeOf([0.1, 0.05, 0.2], 0.1)).toBe('interior');
  });
});

describe('tuneWithWidening', () => {
  // a validation curve peaking at lr = 0.0125 (log scale)
  const peaked = (peak) => async (v) => c(1 - Math.abs(Math.log2(v / peak)) / 10);
  it('widens below until the choice is interior', async () => {
    const t = await tuneWithWidening({ values: [0.05, 0.1, 0.2], widen: WIDEN.log(2), evaluate: peaked(0.0125) });
    expect(t.tried.map((x) => x.value)).toEqual([0.05, 0.1, 0.2, 0.025, 0.0125, 0.00625]);
    expect(t.value).toBe(0.0125);
    expect(t.edge).toBe(null);
    expect(t.widenings).toBe(3);
    expect(edgeCaveat('A', 'peak LR', t)).toBe(null);
  });
  it('widens above and stops at the cap with a flag', async () => {
    const t = await tuneWithWidening({
      values: [0.01, 0.02],
      widen: WIDEN.log(2),
      maxWidenings: 2,
      evaluate: peaked(10),
    });
    expect(t.tried.map((x) => x.value)).toEqual([0.01, 0.02, 0.04, 0.08]);
    expect(t).toMatchObject({ value: 0.08, edge: 'high', reason: 'max-widenings', widenings: 2 });
    expect(edgeCaveat('A', 'peak LR', t)).toBe(
      "A's chosen peak LR 0.08 is at the high end of its grid {0.01, 0.02, 0.04, 0.08}: still on the edge after 2 automatic widening(s), the cap.",
    );
  });
  it('no widening when the first grid is interior; a bounded fraction stops at its bound', async () => {
    const t = await tuneWithWidening({
      values: [0.5, 0.7, 0.9],
      widen: WIDEN.unit(),
      evaluate: async (p) => c(-Math.abs(p - 0.7)),
    });
    expect(t.tried).toHaveLength(3);
    expect(t.value).toBe(0.7);
    const up = await tuneWithWidening({
      values: [0.5, 0.7, 0.9],
      widen: WIDEN.unit(0.02),
      maxWidenings: 10,
      evaluate: async (p) => c(p),
    });
    expect(up.tried.map((x) => x.value)).toEqual([0.5, 0.7, 0.9, 0.95, 0.975]);
    expect(up).toMatchObject({ value: 0.975, edge: 'high', reason: 'bound' });
  });
  it('rejects an empty grid', async () => {
    await expect(tuneWithWidening({ values: [], widen: WIDEN.log(), evaluate: async () => c(0) })).rejects.toThrow(
      /empty/,
    );
  });
});

describe('AFT budget', () => {
  it('2.5 passes over 10,000 images = 1/8 of 20 epochs; whole shuffled passes', () => {
    expect(aftExamples({ trainSize: 10000, epochsA: 20, ratio: 8 })).toBe(25000);
    const rev = (k) => Array.from({ length: k }, (_, i) => k - 1 - i);
    const idx = passIndices(4, 10, rev);
    expect(Array.from(idx)).toEqual([3, 2, 1, 0, 3, 2, 1, 0, 3, 2]);
    expect(() => passIndices(0, 3, rev)).toThrow(/positive/);
  });
});

describe('cost model', () => {
  it('about ten validation points per run, always the last epoch', () => {
    expect([1, 4, 20, 25].map(valEvery)).toEqual([1, 1, 2, 3]);
    expect([1, 4, 20, 25].map(valPoints)).toEqual([1, 4, 10, 9]);
  });
  it('counts every unit of work and scales linearly with the rates', () => {
    const cfg = {
      trainSize: 1000,
      valSize: 100,
      testSize: 100,
      pgd50Size: 50,
      epochsA: 4,
      ratio: 8,
      K: 7,
      pretrainEpochs: 2,
      epochsTrades: 4,
      epochsFast: 4,
      tuneFraction: 0.25,
      aftValPoints: 1,
      seeds: [0, 1],
      trials: { A: 3, TRADES: 3, B: 5, C: 3, D: 3, E: 3, F: 3, 'Fast-AT': 3 },
    };
    const w = workList(cfg);
    const a = w.find((x) => x.what === 'A');
    expect(a.passes).toBe(2 * 4 * 1000 * 8);
    expect(w.find((x) => x.what === 'tune B').passes).toBe(4 * 500 * 8);
    const one = estimateSeconds(w, { natural: 1, adversarial: 1, eval: 1 });
    expect(one).toBeCloseTo(w.reduce((s, x) => s + x.passes, 0) / 1000, 6);
    expect(estimateSeconds(w, { natural: 2, adversarial: 2, eval: 2 })).toBeCloseTo(2 * one, 6);
  });
});

describe('verdict rules', () => {
  const A = { clean: [0.75, 0.74, 0.76], robust: [0.45, 0.44, 0.46] };
  it('claim 1: matches within 1 point at ≥ 8×', () => {
    const B = { clean: [0.745, 0.74, 0.75], robust: [0.45, 0.45, 0.46] };
    expect(verdictMatches({ A, B, ratio: 8 }).verdict).toBe('reproduced');
    expect(verdictMatches({ A, B, ratio: 6 }).verdict).toBe('not reproduced');
    const lowClean = { clean: [0.7, 0.7, 0.7], robust: B.robust };
    expect(verdictMatches({ A, B: lowClean, ratio: 8 })).toMatchObject({
      verdict: 'partly',
      okClean: false,
      okRobust: true,
    });
  });
  it('claim 2: beats every schedule clearly, within noise, or none', () => {
    const B = [0.5, 0.52, 0.51];
    expect(verdictSchedules({ B, others: { C: [0.4, 0.41, 0.4], D: [0.3, 0.31, 0.3] } }).verdict).toBe('reproduced');
    const noisy = verdictSchedules({ B, others: { C: [0.49, 0.53, 0.5], D: [0.3, 0.31, 0.3] } });
    expect(noisy.verdict).toBe('partly');
    expect(noisy.beaten).toEqual(['C', 'D']);
    expect(noisy.clearlyBeaten).toEqual(['D']);
    expect(verdictSchedules({ B, others: { C: [0.6, 0.6, 0.6] } }).verdict).toBe('not reproduced');
  });
});
