import { createRng } from '@ft/core';
import { describe, expect, it } from 'vitest';
import { chooseThreshold, runMethod, scoreRun } from './evaluate.js';
import { carray } from './host-complex.js';
import type { MethodRun } from './learned-models.js';
import { simulateMassiveAccess } from './simulate.js';

describe('chooseThreshold', () => {
  it('minimises the activity error rate on validation scores', () => {
    // separable: any threshold in (0.4, 0.6] is perfect; the midpoint is returned
    expect(chooseThreshold([0.1, 0.4, 0.6, 0.9], [0, 0, 1, 1])).toBeCloseTo(0.5, 12);
    // one overlap: best is to keep a single error
    const t = chooseThreshold([0.1, 0.5, 0.3, 0.9], [0, 0, 1, 1]);
    const errs = [0.1, 0.5, 0.3, 0.9].map((s, i) => (s >= t ? 1 : 0) !== [0, 0, 1, 1][i]).filter(Boolean).length;
    expect(errs).toBe(1);
    // all negative: threshold above every score
    expect(chooseThreshold([0.2, 0.3], [0, 0])).toBeGreaterThan(0.3);
    expect(() => chooseThreshold([1], [1, 0])).toThrow(/equal/);
  });
});

describe('scoreRun', () => {
  const d = simulateMassiveAccess({ N: 10, M: 2, L: 6, activity: 0.3, snrDb: 10, count: 8, rng: createRng(1) });
  it('gives P_miss, P_FA, AER by counting and NMSE as a ratio of sums', () => {
    const X = carray([8, 10, 2]);
    // estimate = half the truth on every entry: NMSE = 10·log10(0.25)
    for (let i = 0; i < X.re.length; i++) {
      X.re[i] = 0.5 * d.X!.re[i];
      X.im[i] = 0.5 * d.X!.im[i];
    }
    const score = Float64Array.from(d.active!, (a) => (a ? 0.9 : 0.1));
    score[0] = d.active![0] ? 0.1 : 0.9; // one error
    const run: MethodRun = {
      X,
      score,
      scoreKind: 'probability',
      active: score.map((s) => (s >= 0.5 ? 1 : 0)) as unknown as Uint8Array,
      seconds: 0.008,
      iterations: 3,
    };
    const s = scoreRun(run, d);
    expect(s.nmseDb).toBeCloseTo(10 * Math.log10(0.25), 10);
    expect(s.nmseActiveDb).toBeCloseTo(10 * Math.log10(0.25), 10);
    expect(s.aer).toBeCloseTo(1 / 80, 12);
    const nAct = d.active!.reduce((a, b) => a + b, 0);
    if (d.active![0]) expect(s.pMiss).toBeCloseTo(1 / nAct, 12);
    else expect(s.pFa).toBeCloseTo(1 / (80 - nAct), 12);
    expect(s.msPerSample).toBeCloseTo(1, 12);
    expect(s.auroc).toBeLessThan(1);
  });

  it('runMethod runs a solver over the set and refuses learned methods without a model', () => {
    const priors = { eps: 0.3, beta: new Float64Array(10).fill(1), source: { eps: 'flag', beta: 'flag' } } as const;
    const r = runMethod('oracle', d, { priors, count: 4 });
    expect(r.X.shape).toEqual([4, 10, 2]);
    expect(scoreRun(r, d).aer).toBe(0);
    expect(() => runMethod('proposed', d, { priors })).toThrow(/needs a trained model/);
  });
});
