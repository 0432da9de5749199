import { describe, expect, it } from 'vitest';
import {
  decodeJournalOp,
  encodeJournalOp,
  formatJournalDatetime,
  JournalFormatError,
  type JournalOp,
  journalDistributionFromJson,
  journalDistributionToJson,
  paramExternalValue,
} from './journal-ops.js';

// Lines written by Debian's Optuna 3.1 (recorded from `optuna.storages.JournalFileStorage`, worker id shortened).
const W = '4706-139643203809344';
const PY_LINES = [
  `{"op_code": 0, "worker_id": "${W}", "study_name": "demo", "directions": [1]}`,
  `{"op_code": 4, "worker_id": "${W}", "study_id": 0, "datetime_start": "2026-12-04T17:16:08.845406"}`,
  `{"op_code": 5, "worker_id": "${W}", "trial_id": 0, "param_name": "x", "param_value_internal": 0.01567667719550607, "distribution": "{\\"name\\": \\"FloatDistribution\\", \\"attributes\\": {\\"step\\": null, \\"low\\": 0.0001, \\"high\\": 1.0, \\"log\\": true}}"}`,
  `{"op_code": 5, "worker_id": "${W}", "trial_id": 0, "param_name": "n", "param_value_internal": 6.0, "distribution": "{\\"name\\": \\"IntDistribution\\", \\"attributes\\": {\\"log\\": false, \\"step\\": 1, \\"low\\": 1, \\"high\\": 8}}"}`,
  `{"op_code": 5, "worker_id": "${W}", "trial_id": 0, "param_name": "c", "param_value_internal": 0, "distribution": "{\\"name\\": \\"CategoricalDistribution\\", \\"attributes\\": {\\"choices\\": [\\"a\\", \\"b\\", null]}}"}`,
  `{"op_code": 8, "worker_id": "${W}", "trial_id": 0, "user_attr": {"note": "hi"}}`,
  `{"op_code": 7, "worker_id": "${W}", "trial_id": 0, "step": 0, "intermediate_value": 0.0}`,
  `{"op_code": 6, "worker_id": "${W}", "trial_id": 0, "state": 1, "values": [6.015676677195506], "datetime_complete": "2026-12-04T17:16:08.848336"}`,
  `{"op_code": 6, "worker_id": "${W}", "trial_id": 2, "state": 3, "values": null, "datetime_complete": "2026-12-04T17:16:08.9"}`,
];

describe('journal ops', () => {
  it('decodes lines written by Optuna 3.1 and re-encodes them byte for byte', () => {
    for (const line of PY_LINES) expect(encodeJournalOp(decodeJournalOp(line))).toBe(line);
    const p = decodeJournalOp(PY_LINES[3] as string);
    expect(p).toEqual({
      op: 'setTrialParam',
      workerId: W,
      trialId: 0,
      name: 'n',
      param: { internal: 6, distribution: { kind: 'int', low: 1, high: 8, log: false, step: 1 } },
    });
    const c = decodeJournalOp(PY_LINES[4] as string);
    expect(c.op === 'setTrialParam' && paramExternalValue(c.param)).toBe('a');
  });

  it('round-trips every op code, NaN and ±Infinity included', () => {
    const ops: JournalOp[] = [
      { op: 'createStudy', workerId: 'w', studyName: 's', directions: ['MINIMIZE', 'MAXIMIZE'] },
      { op: 'deleteStudy', workerId: 'w', studyId: 3 },
      { op: 'setStudyUserAttr', workerId: 'w', studyId: 0, key: 'k', value: [1, 'x', null] },
      { op: 'setStudySystemAttr', workerId: 'w', studyId: 0, key: 'k', value: { a: Number.POSITIVE_INFINITY } },
      { op: 'createTrial', workerId: 'w', studyId: 0, datetimeStart: '2026-01-02T03:04:05.000006' },
      {
        op: 'createTrial',
        workerId: 'w',
        studyId: 0,
        datetimeStart: null,
        template: {
          state: 'WAITING',
          values: null,
          datetimeComplete: null,
          params: {
            lr: { internal: 0.001, distribution: { kind: 'float', low: 1e-5, high: 1, log: true, step: null } },
          },
          userAttrs: { u: 1 },
          systemAttrs: {},
          intermediateValues: { 0: 0.5, 3: Number.NaN },
        },
      },
      {
        op: 'setTrialParam',
        workerId: 'w',
        trialId: 1,
        name: 'b',
        param: { internal: 1, distribution: { kind: 'categorical', choices: [true, false, 1.5, 'x', null] } },
      },
      {
        op: 'setTrialStateValues',
        workerId: 'w',
        trialId: 1,
        state: 'RUNNING',
        values: null,
        datetimeStart: '2026-01-02T03:04:05.000006',
      },
      {
        op: 'setTrialStateValues',
        workerId: 'w',
        trialId: 1,
        state: 'COMPLETE',
        values: [Number.NEGATIVE_INFINITY, 2],
        datetimeComplete: '2026-01-02T03:04:06.000000',
      },
      { op: 'setTrialIntermediateValue', workerId: 'w', trialId: 1, step: 4, value: Number.NaN },
      { op: 'setTrialUserAttr', workerId: 'w', trialId: 1, key: 'k', value: 'v' },
      { op: 'setTrialSystemAttr', workerId: 'w', trialId: 1, key: 'k', value: 2.5 },
    ];
    const codes = ops.map((o) => JSON.parse(encodeJournalOp(o).replace(/NaN|-?Infinity/g, '0')).op_code);
    expect(codes).toEqual([0, 1, 2, 3, 4, 4, 5, 6, 6, 7, 8, 9]);
    for (const o of ops) expect(decodeJournalOp(encodeJournalOp(o))).toEqual(o);
    expect(encodeJournalOp(ops[9] as JournalOp)).toBe(
      '{"op_code": 7, "worker_id": "w", "trial_id": 1, "step": 4, "intermediate_value": NaN}',
    );
    expect(encodeJournalOp(ops[8] as JournalOp)).toContain('"values": [-Infinity, 2.0], "datetime_complete"');
  });

  it('writes a template trial with Optuna create_new_trial field order', () => {
    const line = encodeJournalOp({
      op: 'createTrial',
      workerId: 'w',
      studyId: 0,
      datetimeStart: null,
      template: {
        state: 'WAITING',
        values: null,
        params: { n: { internal: 3, distribution: { kind: 'int', low: 1, high: 5, log: false, step: 1 } } },
        userAttrs: {},
        systemAttrs: {},
        intermediateValues: {},
      },
    });
    expect(line).toBe(
      '{"op_code": 4, "worker_id": "w", "study_id": 0, "datetime_start": null, "state": 4, "value": null, "values": null, ' +
        '"distributions": {"n": "{\\"name\\": \\"IntDistribution\\", \\"attributes\\": {\\"log\\": false, \\"step\\": 1, \\"low\\": 1, \\"high\\": 5}}"}, ' +
        '"params": {"n": 3.0}, "user_attrs": {}, "system_attrs": {}, "intermediate_values": {}}',
    );
  });

  it('reads the legacy and abbreviated distribution forms', () => {
    expect(
      journalDistributionFromJson('{"name": "LogUniformDistribution", "attributes": {"low": 0.1, "high": 1.0}}'),
    ).toEqual({ kind: 'float', low: 0.1, high: 1, log: true, step: null });
    expect(
      journalDistributionFromJson(
        '{"name": "DiscreteUniformDistribution", "attributes": {"low": 0, "high": 1.0, "q": 0.25}}',
      ),
    ).toEqual({ kind: 'float', low: 0, high: 1, log: false, step: 0.25 });
    expect(
      journalDistributionFromJson(
        '{"name": "IntLogUniformDistribution", "attributes": {"low": 1, "high": 64, "step": 1}}',
      ),
    ).toEqual({ kind: 'int', low: 1, high: 64, log: true, step: 1 });
    expect(journalDistributionFromJson('{"type": "int", "low": 0, "high": 9}')).toEqual({
      kind: 'int',
      low: 0,
      high: 9,
      log: false,
      step: 1,
    });
    expect(journalDistributionFromJson('{"type": "categorical", "choices": ["a"]}')).toEqual({
      kind: 'categorical',
      choices: ['a'],
    });
    expect(journalDistributionToJson({ kind: 'float', low: 0, high: 1, log: false, step: 0.5 })).toBe(
      '{"name": "FloatDistribution", "attributes": {"step": 0.5, "low": 0.0, "high": 1.0, "log": false}}',
    );
  });

  it('rejects op 10 (DISCARD_TRIALS), unknown states, missing fields and bad JSON with JournalFormatError', () => {
    for (const bad of [
      '{"op_code": 10, "worker_id": "w", "trial_ids": [1]}',
      '{"op_code": 6, "worker_id": "w", "trial_id": 0, "state": 7, "values": null}',
      '{"op_code": 5, "worker_id": "w", "trial_id": 0, "param_name": "x"}',
      '{"op_code": 2, "worker_id": "w", "study_id": 0, "user_attr": {"a": 1, "b": 2}}',
      '{"op_code": 0, "worker_id": "w"',
      '{"op_code": 5, "worker_id": "w", "trial_id": 0, "param_name": "x", "param_value_internal": 1, "distribution": "{\\"name\\": \\"Beta\\"}"}',
    ]) {
      expect(() => decodeJournalOp(bad)).toThrow(JournalFormatError);
    }
  });

  it('formats datetimes as isoformat(timespec="microseconds") in local time', () => {
    expect(formatJournalDatetime(new Date(2026, 11, 4, 17, 16, 8, 845))).toBe('2026-12-04T17:16:08.845000');
  });
});
