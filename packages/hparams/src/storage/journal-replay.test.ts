import { describe, expect, it } from 'vitest';
import type { JournalDistribution, JournalOp } from './journal-ops.js';
import { distributionsCompatible, JournalReplay } from './journal-replay.js';

const FLOAT: JournalDistribution = { kind: 'float', low: 0, high: 1, log: false, step: null };
const at = (s: number) => `2026-01-01T00:00:${String(s).padStart(2, '0')}.000000`;

describe('JournalReplay', () => {
  it('numbers trials per study in log order, with global trial ids, and ignores a duplicate study name', () => {
    const r = new JournalReplay();
    const ops: JournalOp[] = [
      { op: 'createStudy', workerId: 'a', studyName: 's0', directions: ['MINIMIZE'] },
      { op: 'createStudy', workerId: 'b', studyName: 's1', directions: ['MAXIMIZE'] },
      { op: 'createStudy', workerId: 'b', studyName: 's0', directions: ['MAXIMIZE'] },
      { op: 'createTrial', workerId: 'a', studyId: 0, datetimeStart: at(1) },
      { op: 'createTrial', workerId: 'b', studyId: 1, datetimeStart: at(2) },
      { op: 'createTrial', workerId: 'b', studyId: 0, datetimeStart: at(3) },
      { op: 'createTrial', workerId: 'a', studyId: 7, datetimeStart: at(4) },
    ];
    expect(ops.map((o) => r.apply(o))).toEqual([true, true, false, true, true, true, false]);
    expect(r.studies.size).toBe(2);
    expect(r.studyByName('s0')?.directions).toEqual(['MINIMIZE']);
    expect(r.trialsOf(0).map((t) => [t.trialId, t.number])).toEqual([
      [0, 0],
      [2, 1],
    ]);
    expect(r.trialsOf(1).map((t) => [t.trialId, t.number])).toEqual([[1, 0]]);
    expect(r.lastTrialCreatedBy('b')).toBe(2);
    expect(r.opsRead).toBe(7);
  });

  it('applies params, reports, attrs and states; a finished trial and a second RUNNING change nothing', () => {
    const r = new JournalReplay();
    r.applyAll([
      { op: 'createStudy', workerId: 'a', studyName: 's', directions: ['MINIMIZE'] },
      { op: 'setStudyUserAttr', workerId: 'a', studyId: 0, key: 'k', value: 1 },
      {
        op: 'createTrial',
        workerId: 'a',
        studyId: 0,
        datetimeStart: null,
        template: {
          state: 'WAITING',
          values: null,
          params: {},
          userAttrs: {},
          systemAttrs: {},
          intermediateValues: {},
        },
      },
    ]);
    expect(
      r.apply({
        op: 'setTrialStateValues',
        workerId: 'a',
        trialId: 0,
        state: 'RUNNING',
        values: null,
        datetimeStart: at(5),
      }),
    ).toBe(true);
    expect(
      r.apply({
        op: 'setTrialStateValues',
        workerId: 'b',
        trialId: 0,
        state: 'RUNNING',
        values: null,
        datetimeStart: at(6),
      }),
    ).toBe(false);
    r.apply({
      op: 'setTrialParam',
      workerId: 'a',
      trialId: 0,
      name: 'x',
      param: { internal: 0.25, distribution: FLOAT },
    });
    r.apply({ op: 'setTrialIntermediateValue', workerId: 'a', trialId: 0, step: 2, value: 0.5 });
    r.apply({ op: 'setTrialUserAttr', workerId: 'a', trialId: 0, key: 'u', value: 'v' });
    r.apply({ op: 'setTrialSystemAttr', workerId: 'a', trialId: 0, key: 'hb', value: 3 });
    expect(
      r.apply({
        op: 'setTrialStateValues',
        workerId: 'a',
        trialId: 0,
        state: 'COMPLETE',
        values: [0.125],
        datetimeComplete: at(9),
      }),
    ).toBe(true);
    expect(r.apply({ op: 'setTrialUserAttr', workerId: 'a', trialId: 0, key: 'late', value: 1 })).toBe(false);
    expect(
      r.apply({
        op: 'setTrialStateValues',
        workerId: 'a',
        trialId: 0,
        state: 'FAIL',
        values: null,
        datetimeComplete: at(10),
      }),
    ).toBe(false);
    const t = r.trials[0];
    expect(t).toMatchObject({
      state: 'COMPLETE',
      values: [0.125],
      datetimeStart: at(5),
      datetimeComplete: at(9),
      userAttrs: { u: 'v' },
      systemAttrs: { hb: 3 },
    });
    expect(t?.params.x?.internal).toBe(0.25);
    expect([...(t?.intermediateValues ?? [])]).toEqual([[2, 0.5]]);
    expect(r.studies.get(0)?.userAttrs).toEqual({ k: 1 });
  });

  it('ignores a param whose distribution is incompatible with an earlier trial of the study', () => {
    const r = new JournalReplay();
    r.applyAll([
      { op: 'createStudy', workerId: 'a', studyName: 's', directions: ['MINIMIZE'] },
      { op: 'createTrial', workerId: 'a', studyId: 0, datetimeStart: at(0) },
      { op: 'setTrialParam', workerId: 'a', trialId: 0, name: 'x', param: { internal: 0.5, distribution: FLOAT } },
      {
        op: 'setTrialParam',
        workerId: 'a',
        trialId: 0,
        name: 'c',
        param: { internal: 0, distribution: { kind: 'categorical', choices: ['a', 'b'] } },
      },
      { op: 'createTrial', workerId: 'a', studyId: 0, datetimeStart: at(1) },
    ]);
    expect(
      r.apply({
        op: 'setTrialParam',
        workerId: 'a',
        trialId: 1,
        name: 'x',
        param: { internal: 0.5, distribution: { ...FLOAT, log: true, low: 0.1 } },
      }),
    ).toBe(false);
    expect(
      r.apply({
        op: 'setTrialParam',
        workerId: 'a',
        trialId: 1,
        name: 'c',
        param: { internal: 0, distribution: { kind: 'categorical', choices: ['a'] } },
      }),
    ).toBe(false);
    expect(
      r.apply({
        op: 'setTrialParam',
        workerId: 'a',
        trialId: 1,
        name: 'x',
        param: { internal: 2, distribution: { ...FLOAT, high: 4 } },
      }),
    ).toBe(true);
    expect(distributionsCompatible({ kind: 'int', low: 0, high: 1, log: false, step: 1 }, FLOAT)).toBe(false);
  });

  it('picks the best complete trial by direction (first on ties) and keeps trials of a deleted study', () => {
    const r = new JournalReplay();
    r.applyAll([
      { op: 'createStudy', workerId: 'a', studyName: 'max', directions: ['MAXIMIZE'] },
      ...[3, 7, 7, Number.POSITIVE_INFINITY].flatMap((v, i): JournalOp[] => [
        { op: 'createTrial', workerId: 'a', studyId: 0, datetimeStart: at(i) },
        {
          op: 'setTrialStateValues',
          workerId: 'a',
          trialId: i,
          state: i === 3 ? 'PRUNED' : 'COMPLETE',
          values: [v],
          datetimeComplete: at(i),
        },
      ]),
    ]);
    expect(r.bestTrial(0)?.number).toBe(1);
    r.apply({ op: 'deleteStudy', workerId: 'a', studyId: 0 });
    expect(r.studies.size).toBe(0);
    expect(r.trials.length).toBe(4);
    expect(r.apply({ op: 'createStudy', workerId: 'a', studyName: 'max', directions: ['MINIMIZE'] })).toBe(true);
    expect(r.studyByName('max')?.studyId).toBe(1);
  });
});
