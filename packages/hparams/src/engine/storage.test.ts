import { InvalidArgumentError } from '@ft/core';
import { describe, expect, it } from 'vitest';
import {
  CategoricalDistribution,
  DistributionConflictError,
  FloatDistribution,
  IntDistribution,
} from './distributions.js';
import { InMemoryStorage, lastStep } from './storage.js';

describe('InMemoryStorage', () => {
  it("stores studies and trials with Optuna's BaseStorage operations", async () => {
    const s = new InMemoryStorage();
    const a = await s.createNewStudy('minimize', 'a');
    const b = await s.createNewStudy('maximize', 'b');
    await expect(s.createNewStudy('minimize', 'a')).rejects.toBeInstanceOf(InvalidArgumentError);
    expect(await s.getStudyIdFromName('b')).toBe(b);
    expect(await s.getStudyIdFromName('c')).toBeNull();
    expect([s.getStudyDirection(b), s.getStudyName(a)]).toEqual(['maximize', 'a']);
    s.setStudyUserAttr(a, 'k', 1);
    s.setStudySystemAttr(a, 'j', 'x');
    expect([s.getStudyUserAttrs(a), s.getStudySystemAttrs(a)]).toEqual([{ k: 1 }, { j: 'x' }]);

    const t0 = await s.createNewTrial(a);
    const t1 = await s.createNewTrial(b);
    const t2 = await s.createNewTrial(a);
    expect([s.getTrial(t0).number, s.getTrial(t1).number, s.getTrial(t2).number]).toEqual([0, 0, 1]);
    s.setTrialParam(t0, 'lr', 0.01, new FloatDistribution(1e-4, 1, { log: true }));
    s.setTrialParam(t0, 'opt', 1, new CategoricalDistribution(['sgd', 'adam']));
    s.setTrialIntermediateValue(t0, 3, 0.5);
    s.setTrialIntermediateValue(t0, 1, 0.7);
    s.setTrialUserAttr(t0, 'u', [1]);
    s.setTrialSystemAttr(t0, 'h', 2);
    const before = s.getTrial(t0);
    expect(await s.setTrialStateValues(t0, 'complete', 0.4)).toBe(true);
    const f = s.getTrial(t0);
    expect(before.state).toBe('running'); // snapshots do not change
    expect(f).toMatchObject({
      state: 'complete',
      value: 0.4,
      params: { lr: 0.01, opt: 'adam' },
      userAttrs: { u: [1] },
      systemAttrs: { h: 2 },
    });
    expect([...f.intermediateValues]).toEqual([
      [1, 0.7],
      [3, 0.5],
    ]);
    expect(lastStep(f)).toBe(3);
    expect(f.datetimeComplete).toBeInstanceOf(Date);
    expect(() => s.setTrialUserAttr(t0, 'x', 1)).toThrow(/already finished/);
    // The study remembers each parameter's distribution kind across trials.
    expect(() => s.setTrialParam(t2, 'lr', 1, new IntDistribution(1, 3))).toThrow(DistributionConflictError);
    expect(s.getAllTrials(a).map((t) => t.state)).toEqual(['complete', 'running']);
    expect(s.getAllTrials(a, ['running']).map((t) => t.trialId)).toEqual([t2]);
  });

  it('creates waiting trials from a template and lets exactly one claim run them', async () => {
    const s = new InMemoryStorage();
    const a = await s.createNewStudy('minimize', 'a');
    const w = await s.createNewTrial(a, { state: 'waiting', systemAttrs: { fixed_params: { x: 1 } } });
    expect(s.getTrial(w).datetimeStart).toBeNull();
    expect(await s.setTrialStateValues(w, 'running')).toBe(true);
    expect(await s.setTrialStateValues(w, 'running')).toBe(false);
    const done = await s.createNewTrial(a, {
      state: 'complete',
      value: 2,
      params: { n: 4 },
      distributions: { n: new IntDistribution(0, 8, { step: 2 }) },
    });
    expect(s.getTrial(done)).toMatchObject({ state: 'complete', value: 2, params: { n: 4 } });
    await expect(s.createNewTrial(a, { params: { m: 1 } })).rejects.toThrow(/no distribution/);
  });
});
