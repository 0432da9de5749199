/**
 * Interop with real Python Optuna (Debian's python3-optuna 3.1) on one journal file, through
 * test/optuna_journal.py. Skipped, with the reason printed, when no python3 can import optuna.
 */
import { execFileSync, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { JournalFile, replayJournalFile } from '../src/storage/journal-file.js';
import {
  type Distribution,
  formatJournalDatetime,
  type JournalOp,
  paramExternalValue,
} from '../src/storage/journal-ops.js';
import type { JournalReplay } from '../src/storage/journal-replay.js';
import { type PythonJsonValue, parsePythonJson } from '../src/storage/python-json.js';

const SCRIPT = join(dirname(fileURLToPath(import.meta.url)), 'optuna_journal.py');
const PYTHON = ['python3', '/usr/bin/python3'].find((p) => {
  try {
    execFileSync(p, ['-c', 'import optuna'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
});
if (!PYTHON)
  console.warn('journal interop tests skipped: no python3 can `import optuna` (apt-get install python3-optuna)');

const py = (...args: string[]): PythonJsonValue =>
  parsePythonJson(execFileSync(PYTHON as string, [SCRIPT, ...args], { encoding: 'utf8' }).trim());

/** The summary optuna_journal.py prints, built from a TS replay. */
function summary(r: JournalReplay, name: string): PythonJsonValue {
  const s = r.studyByName(name);
  if (!s) throw new Error(`no study ${name}`);
  const best = r.bestTrial(s.studyId);
  return {
    directions: [...s.directions],
    user_attrs: s.userAttrs,
    trials: r.trialsOf(s.studyId).map((t) => ({
      number: t.number,
      state: t.state,
      params: Object.fromEntries(Object.entries(t.params).map(([k, p]) => [k, paramExternalValue(p)])),
      values: t.values ? [...t.values] : null,
      intermediate: Object.fromEntries(
        [...t.intermediateValues].sort((a, b) => a[0] - b[0]).map(([k, v]) => [String(k), v]),
      ),
      user_attrs: t.userAttrs,
    })),
    best: best ? { number: best.number, value: best.values?.[0] as number } : null,
  };
}

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'ft-journal-interop-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const X: Distribution = { kind: 'float', low: 1e-4, high: 1, log: true, step: null };
const N: Distribution = { kind: 'int', low: 1, high: 8, log: false, step: 1 };
const C: Distribution = { kind: 'categorical', choices: ['a', 'b', null] };

describe.skipIf(!PYTHON)('journal interop with Python Optuna', () => {
  it('replays a study written by Optuna (same trials, params, values, states, best), and Optuna reads a trial TS adds', async () => {
    const path = join(dir, 'py.log');
    const fromPython = py('write', path) as { trials: { state: string }[]; best: { number: number } };
    const r = await replayJournalFile(path);
    expect(summary(r, 'py')).toEqual(fromPython);
    expect(fromPython.trials.map((t) => t.state)).toEqual([
      'COMPLETE',
      'COMPLETE',
      'PRUNED',
      'FAIL',
      'FAIL',
      'COMPLETE',
      'COMPLETE',
      'COMPLETE',
    ]);
    expect(r.trials[4]?.intermediateValues.get(3)).toBeNaN();
    expect(r.trials[5]?.values).toEqual([Number.POSITIVE_INFINITY]);
    expect(fromPython.best.number).toBe(1);

    // Continue the study from TS: one more trial, with the study's distributions.
    const file = new JournalFile(path);
    await file.readNew();
    const w = `ts-${randomUUID()}`;
    await file.append([
      { op: 'createTrial', workerId: w, studyId: 0, datetimeStart: formatJournalDatetime(new Date()) },
    ]);
    r.applyAll(await file.readNew());
    const id = r.lastTrialCreatedBy(w) as number;
    await file.append([
      { op: 'setTrialParam', workerId: w, trialId: id, name: 'x', param: { internal: 1e-4, distribution: X } },
      { op: 'setTrialParam', workerId: w, trialId: id, name: 'n', param: { internal: 1, distribution: N } },
      { op: 'setTrialParam', workerId: w, trialId: id, name: 'c', param: { internal: 0, distribution: C } },
      {
        op: 'setTrialStateValues',
        workerId: w,
        trialId: id,
        state: 'COMPLETE',
        values: [1e-4],
        datetimeComplete: formatJournalDatetime(new Date()),
      },
    ]);
    r.applyAll(await file.readNew());
    const after = py('read', path, 'py') as {
      trials: { number: number; params: unknown }[];
      best: { number: number; value: number };
    };
    expect(after).toEqual(summary(r, 'py'));
    expect(after.trials[8]).toMatchObject({ number: 8, params: { x: 1e-4, n: 1, c: 'a' } });
    expect(after.best).toEqual({ number: 8, value: 1e-4 });
  });

  it('Optuna loads a study written by TS with the same content', async () => {
    const path = join(dir, 'ts.log');
    const w = 'ts-worker';
    const t = '2026-12-04T10:00:00.000000';
    const ops: JournalOp[] = [
      { op: 'createStudy', workerId: w, studyName: 'ts', directions: ['MAXIMIZE'] },
      { op: 'setStudyUserAttr', workerId: w, studyId: 0, key: 'owner', value: { lang: 'ts', n: [1, 2.5] } },
    ];
    const ends: [string, number[] | null][] = [
      ['COMPLETE', [1.25]],
      ['PRUNED', [0.3]],
      ['FAIL', null],
      ['COMPLETE', [Number.POSITIVE_INFINITY]],
      ['COMPLETE', [-2]],
    ];
    ends.forEach(([state, values], i) => {
      ops.push(
        { op: 'createTrial', workerId: w, studyId: 0, datetimeStart: t },
        {
          op: 'setTrialParam',
          workerId: w,
          trialId: i,
          name: 'x',
          param: { internal: 0.001 * (i + 1), distribution: X },
        },
        { op: 'setTrialParam', workerId: w, trialId: i, name: 'n', param: { internal: i + 1, distribution: N } },
        { op: 'setTrialParam', workerId: w, trialId: i, name: 'c', param: { internal: i % 3, distribution: C } },
        { op: 'setTrialIntermediateValue', workerId: w, trialId: i, step: 0, value: i / 3 },
        { op: 'setTrialIntermediateValue', workerId: w, trialId: i, step: 5, value: i === 1 ? Number.NaN : -i },
        { op: 'setTrialUserAttr', workerId: w, trialId: i, key: 'tag', value: `é${i}` },
        { op: 'setTrialSystemAttr', workerId: w, trialId: i, key: 'heartbeat', value: t },
        { op: 'setTrialStateValues', workerId: w, trialId: i, state: state as 'COMPLETE', values, datetimeComplete: t },
      );
    });
    ops.push(
      {
        op: 'createTrial',
        workerId: w,
        studyId: 0,
        datetimeStart: null,
        template: {
          state: 'WAITING',
          values: null,
          params: { n: { internal: 7, distribution: N } },
          userAttrs: { enqueued: true },
          systemAttrs: {},
          intermediateValues: {},
        },
      },
      { op: 'createTrial', workerId: w, studyId: 0, datetimeStart: t },
    );
    await new JournalFile(path).append(ops);
    const fromPython = py('read', path, 'ts') as { trials: { state: string; params: unknown }[]; best: unknown };
    expect(fromPython).toEqual(summary(await replayJournalFile(path), 'ts'));
    expect(fromPython.trials.map((x) => x.state)).toEqual([
      'COMPLETE',
      'PRUNED',
      'FAIL',
      'COMPLETE',
      'COMPLETE',
      'WAITING',
      'RUNNING',
    ]);
    expect(fromPython.trials[2]?.params).toEqual({ x: 0.003, n: 3, c: null });
    expect(fromPython.best).toEqual({ number: 3, value: Number.POSITIVE_INFINITY });
  });

  it('TS and Python appending concurrently to one file keep trial numbers unique and gap-free', async () => {
    const path = join(dir, 'conc.log');
    const file = new JournalFile(path);
    await file.append([{ op: 'createStudy', workerId: 'ts-setup', studyName: 'conc', directions: ['MINIMIZE'] }]);
    const nPy = 60;
    const nTs = 40;
    const child = spawn(PYTHON as string, [SCRIPT, 'append', path, 'conc', String(nPy), '0.01'], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    const exited = new Promise<number | null>((res) => child.on('exit', res));
    const { JournalReplay } = await import('../src/storage/journal-replay.js');
    const r = new JournalReplay();
    // Start once Python has created its first trial, so both write at the same time.
    for (let i = 0; i < 400 && r.trials.length === 0; i++) {
      r.applyAll(await file.readNew());
      await new Promise((res) => setTimeout(res, 25));
    }
    expect(r.trials.length).toBeGreaterThan(0);
    for (let i = 0; i < nTs; i++) {
      const w = `ts-${i}-${randomUUID()}`;
      await file.append([
        { op: 'createTrial', workerId: w, studyId: 0, datetimeStart: formatJournalDatetime(new Date()) },
      ]);
      r.applyAll(await file.readNew());
      const id = r.lastTrialCreatedBy(w) as number;
      await file.append([
        {
          op: 'setTrialStateValues',
          workerId: w,
          trialId: id,
          state: 'COMPLETE',
          values: [1000 + i],
          datetimeComplete: formatJournalDatetime(new Date()),
        },
      ]);
      await new Promise((res) => setTimeout(res, 10));
    }
    expect(await exited, stderr).toBe(0);
    r.applyAll(await file.readNew());
    const trials = r.trialsOf(0);
    expect(trials.map((t) => t.number)).toEqual(Array.from({ length: nPy + nTs }, (_, i) => i));
    expect(trials.every((t) => t.state === 'COMPLETE')).toBe(true);
    const fromTs = trials.map((t) => t.createdBy.startsWith('ts-'));
    const switches = fromTs.filter((v, i) => i > 0 && v !== fromTs[i - 1]).length;
    expect(switches, 'the two writers interleave').toBeGreaterThanOrEqual(2);
    // Python's values are its trial numbers: every Python trial read back its own number.
    for (const t of trials) if (!t.createdBy.startsWith('ts-')) expect(t.values).toEqual([t.number]);
    const fromPython = py('read', path, 'conc') as { trials: { number: number; state: string }[] };
    expect(fromPython.trials.map((t) => t.number)).toEqual(trials.map((t) => t.number));
    expect(fromPython).toEqual(summary(r, 'conc'));
  }, 120_000);
});
