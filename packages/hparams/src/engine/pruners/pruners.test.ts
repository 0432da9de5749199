import { InvalidArgumentError } from '@ft/core';
import { describe, expect, it } from 'vitest';
import type { FrozenTrial, StudyDirection, TrialState } from '../storage.js';
import type { StudyView } from '../types.js';
import { MedianPruner, nanPercentile, PercentilePruner } from './percentile.js';
import { crc32, estimateMinResource, HyperbandPruner, SuccessiveHalvingPruner } from './successive-halving.js';

/** A hand-built study: trials with intermediate values, and system attributes the pruner may write. */
function fakeStudy(direction: StudyDirection, name = 'hb') {
  const trials: { number: number; state: TrialState; iv: Map<number, number>; sys: Record<string, unknown> }[] = [];
  const frozen = (t: (typeof trials)[number]): FrozenTrial => ({
    trialId: t.number,
    number: t.number,
    state: t.state,
    value: null,
    params: {},
    distributions: {},
    intermediateValues: new Map(t.iv),
    userAttrs: {},
    systemAttrs: { ...t.sys },
    datetimeStart: null,
    datetimeComplete: null,
  });
  const view: StudyView = {
    studyName: name,
    direction,
    getTrials: (states) => trials.filter((t) => !states || states.includes(t.state)).map(frozen),
    stop: () => {},
    setTrialSystemAttr: (t, k, v) => {
      (trials[t.number] as (typeof trials)[number]).sys[k] = v;
    },
  };
  const add = (state: TrialState, values: Record<number, number>) => {
    const t = {
      number: trials.length,
      state,
      iv: new Map(Object.entries(values).map(([k, v]) => [Number(k), v])),
      sys: {},
    };
    trials.push(t);
    return t;
  };
  return {
    view,
    add,
    get: (n: number) => frozen(trials[n] as (typeof trials)[number]),
    report: (n: number, step: number, v: number) => (trials[n] as (typeof trials)[number]).iv.set(step, v),
    sys: (n: number) => (trials[n] as (typeof trials)[number]).sys,
  };
}

describe('MedianPruner', () => {
  it('has numpy-style percentiles', () => {
    expect(nanPercentile([1, 2, 3, 4], 50)).toBe(2.5);
    expect(nanPercentile([4, Number.NaN, 1, 2], 25)).toBe(1.5);
    expect(nanPercentile([Number.NaN], 50)).toBeNaN();
  });

  it('prunes a trial whose best value so far is worse than the median at its step (hand-computed)', () => {
    const s = fakeStudy('minimize');
    // Five completed trials; at step 2 their values are 0.5, 0.4, 0.3, 0.9, 0.6 → median 0.5.
    for (const v of [0.5, 0.4, 0.3, 0.9, 0.6]) s.add('complete', { 0: 1, 1: v + 0.1, 2: v });
    const p = new MedianPruner();
    const t = s.add('running', { 0: 0.7, 1: 0.65, 2: 0.55 }).number;
    expect(p.prune(s.view, s.get(t))).toBe(true); // best 0.55 > 0.5
    const u = s.add('running', { 0: 0.9, 1: 0.45, 2: 0.8 }).number;
    expect(p.prune(s.view, s.get(u))).toBe(false); // best so far 0.45 <= 0.5
    // Maximising, the 50th percentile of the other side is the same median; 0.55 > 0.5 → keep.
    const m = fakeStudy('maximize');
    for (const v of [0.5, 0.4, 0.3, 0.9, 0.6]) m.add('complete', { 2: v });
    const w = m.add('running', { 2: 0.55 }).number;
    expect(p.prune(m.view, m.get(w))).toBe(false);
    m.report(w, 3, 0.2); // no completed trial reported at step 3 → no comparison
    expect(p.prune(m.view, m.get(w))).toBe(false);
  });

  it('waits for nStartupTrials completed trials and nWarmupSteps, and prunes only at interval steps', () => {
    const s = fakeStudy('minimize');
    for (let i = 0; i < 4; i++) s.add('complete', { 0: 0, 1: 0, 2: 0, 3: 0, 4: 0 });
    const t = s.add('running', { 0: 5 }).number;
    expect(new MedianPruner().prune(s.view, s.get(t))).toBe(false); // 4 < 5 completed
    s.add('complete', { 0: 0, 1: 0, 2: 0, 3: 0, 4: 0 });
    expect(new MedianPruner().prune(s.view, s.get(t))).toBe(true);
    expect(new MedianPruner({ nWarmupSteps: 1 }).prune(s.view, s.get(t))).toBe(false); // step 0 < 1
    const q = new MedianPruner({ nWarmupSteps: 1, intervalSteps: 2 }); // checkpoints at steps 1, 3, 5, …
    s.report(t, 1, 5);
    expect(q.prune(s.view, s.get(t))).toBe(true); // step 1: first report at checkpoint 1
    s.report(t, 2, 5);
    expect(q.prune(s.view, s.get(t))).toBe(false); // step 2: step 1 already passed checkpoint 1
    s.report(t, 3, 5);
    expect(q.prune(s.view, s.get(t))).toBe(true);
    const n = s.add('running', { 0: Number.NaN }).number;
    expect(new MedianPruner().prune(s.view, s.get(n))).toBe(true); // all-NaN trial
    expect(() => new PercentilePruner(120)).toThrow(InvalidArgumentError);
    expect(() => new MedianPruner({ intervalSteps: 0 })).toThrow(InvalidArgumentError);
  });
});

describe('SuccessiveHalvingPruner', () => {
  it('promotes the top 1/η at each rung, asynchronously (hand-computed, minResource 1, η 4)', () => {
    const s = fakeStudy('minimize');
    const p = new SuccessiveHalvingPruner({ minResource: 1 });
    // Rung 0 is at step 1. Values arrive one trial at a time.
    const decide = (v: number) => {
      const t = s.add('running', { 0: 9, 1: v }).number;
      return p.prune(s.view, s.get(t));
    };
    expect(decide(0.5)).toBe(false); // [0.5]: ⌊1/4⌋−1 = −1 → index 0, 0.5 ≤ 0.5
    expect(decide(0.6)).toBe(true); // [0.5, 0.6]: index 0 → needs ≤ 0.5
    expect(decide(0.4)).toBe(false); // best so far
    expect(decide(0.45)).toBe(true); // 4 values, ⌊4/4⌋−1 = 0 → needs ≤ 0.4
    for (const v of [0.9, 0.8, 0.7]) decide(v);
    // 8 values: index 1 → the second smallest of [0.4,0.45,0.5,0.6,0.7,0.8,0.9,0.42] is 0.42 → promoted.
    expect(decide(0.42)).toBe(false);
    expect(s.sys(7)).toEqual({ completed_rung_0: 0.42 });
    // A promoted trial is compared again at rung 1 (step 4), where it is alone.
    s.report(7, 4, 0.3);
    expect(p.prune(s.view, s.get(7))).toBe(false);
    expect(s.sys(7)).toEqual({ completed_rung_0: 0.42, completed_rung_1: 0.3 });
    // Steps between rungs do not prune.
    s.report(7, 5, 10);
    expect(p.prune(s.view, s.get(7))).toBe(false);
  });

  it('maximises with the top of the sorted values, and minEarlyStoppingRate moves the first rung', () => {
    const s = fakeStudy('maximize');
    const p = new SuccessiveHalvingPruner({ minResource: 1, reductionFactor: 2, minEarlyStoppingRate: 1 });
    const a = s.add('running', { 1: 0.9 }).number;
    expect(p.prune(s.view, s.get(a))).toBe(false); // first rung at 1·2^1 = 2
    s.report(a, 2, 0.9);
    expect(p.prune(s.view, s.get(a))).toBe(false);
    const b = s.add('running', { 2: 0.8 }).number;
    expect(p.prune(s.view, s.get(b))).toBe(true); // [0.8, 0.9]: ⌊2/2⌋−1 = 0 → needs ≥ 0.9
  });

  it("estimates minResource 'auto' from the longest completed trial", () => {
    const s = fakeStudy('minimize');
    const p = new SuccessiveHalvingPruner();
    const t = s.add('running', { 1: 5 }).number;
    expect(p.prune(s.view, s.get(t))).toBe(false); // nothing completed: no pruning
    expect(p.resolvedMinResource).toBeNull();
    s.add('complete', { 250: 1 });
    expect(estimateMinResource(s.view.getTrials())).toBe(2);
    expect(p.prune(s.view, s.get(t))).toBe(false); // step 1 < 2
    expect(p.resolvedMinResource).toBe(2);
    expect(() => new SuccessiveHalvingPruner({ reductionFactor: 1 })).toThrow(InvalidArgumentError);
  });
});

describe('HyperbandPruner', () => {
  it('computes crc32 as binascii.crc32', () => {
    expect(crc32('hello')).toBe(907060870);
  });

  it("assigns brackets as Optuna does (budgets 27, 12, 6, 4 for 1..27, η 3; ids from Python's binascii.crc32)", () => {
    const p = new HyperbandPruner({ minResource: 1, maxResource: 27 });
    expect(p.nBrackets).toBe(4);
    const expected = [0, 1, 1, 0, 1, 0, 0, 1, 0, 1, 3, 0, 3, 2, 0, 0, 1, 1, 0, 3];
    expect(expected.map((_, i) => p.bracketOf('hb', i))).toEqual(expected);
    // Counted exactly: 1, 3, 9, 27, 81, 243 → 6 (Optuna's float math.log(243, 3) = 4.999… gives 5).
    expect(new HyperbandPruner({ maxResource: 243 }).nBrackets).toBe(6);
    expect(new HyperbandPruner({ maxResource: 242 }).nBrackets).toBe(5);
    expect(new HyperbandPruner({ maxResource: 2 }).nBrackets).toBe(1);
  });

  it('runs successive halving within a bracket only', () => {
    const s = fakeStudy('minimize', 'hb');
    const p = new HyperbandPruner({ minResource: 1, maxResource: 27 });
    // Trials 0, 3, 5 are in bracket 0 (first rung at step 1); trial 1 is in bracket 1 (first rung at step 3).
    s.add('running', { 1: 0.5 });
    expect(p.prune(s.view, s.get(0))).toBe(false);
    s.add('running', { 1: 0.1 }); // bracket 1: step 1 is below its first rung
    expect(p.prune(s.view, s.get(1))).toBe(false);
    s.add('running', {});
    s.add('running', { 1: 0.6 }); // trial 3, bracket 0: worse than 0.5 → pruned, trial 1's 0.1 is not compared
    expect(p.prune(s.view, s.get(3))).toBe(true);
    expect(s.sys(1)).toEqual({});
  });
});
