/**
 * Interop with real Python Optuna (Debian's python3-optuna 3.1) on one journal, in a file and in Redis, through
 * test/optuna_journal.py. Skipped, with the reason printed, when no python3 can import optuna (and, for Redis, when
 * redis-server or Python's redis client is missing).
 */
import { execFileSync, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { JournalFile } from '../src/storage/journal-file.js';
import {
  formatJournalDatetime,
  type JournalDistribution,
  type JournalOp,
  paramExternalValue,
} from '../src/storage/journal-ops.js';
import { JournalRedis } from '../src/storage/journal-redis.js';
import { JournalReplay } from '../src/storage/journal-replay.js';
import { type PythonJsonValue, parsePythonJson } from '../src/storage/python-json.js';
import { findPython } from './python.js';
import { REDIS_SERVER, type RedisServer, startRedisServer } from './redis-server.js';

const SCRIPT = join(dirname(fileURLToPath(import.meta.url)), 'optuna_journal.py');
const PYTHON = findPython('optuna');
if (!PYTHON)
  console.warn('journal interop tests skipped: no python3 can `import optuna` (apt-get install python3-optuna)');
const PY_REDIS = (() => {
  if (!PYTHON) return false;
  try {
    execFileSync(PYTHON, ['-c', 'import redis'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();
const USE_REDIS = Boolean(PYTHON && REDIS_SERVER && PY_REDIS);
if (PYTHON && !USE_REDIS) {
  console.warn(
    'journal interop tests on Redis skipped: redis-server or python3-redis is missing (apt-get install redis-server python3-redis)',
  );
}

const py = (b: Backend, ...args: string[]): PythonJsonValue =>
  parsePythonJson(
    execFileSync(PYTHON as string, [SCRIPT, ...args], { encoding: 'utf8', env: { ...process.env, ...b.env } }).trim(),
  );

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

/** A journal both sides can open: `target` is what Python gets (a path or a redis:// URL). */
interface Backend {
  readonly target: string;
  /** Environment of the Python side (its lock kind). */
  readonly env: Record<string, string>;
  open(): JournalFile | JournalRedis;
}
async function closeBackend(j: JournalFile | JournalRedis): Promise<void> {
  if (j instanceof JournalRedis) await j.close();
}
async function replay(b: Backend): Promise<JournalReplay> {
  const j = b.open();
  const r = new JournalReplay();
  try {
    r.applyAll(await j.readNew());
  } finally {
    await closeBackend(j);
  }
  return r;
}

let server: RedisServer | undefined;
beforeAll(async () => {
  if (USE_REDIS) server = await startRedisServer();
});
afterAll(async () => {
  await server?.stop();
});
let db = 0;
const KINDS: { kind: string; skip: boolean; make: (name: string) => Backend }[] = [
  {
    kind: 'file',
    skip: !PYTHON,
    make: (name) => {
      const path = join(dir, `${name}.log`);
      return { target: path, env: {}, open: () => new JournalFile(path) };
    },
  },
  {
    kind: 'file, open lock',
    skip: !PYTHON,
    make: (name) => {
      const path = join(dir, `${name}.log`);
      return {
        target: path,
        env: { OPTUNA_JOURNAL_LOCK: 'open' },
        open: () => new JournalFile(path, { lock: 'open' }),
      };
    },
  },
  {
    kind: 'Redis',
    skip: !USE_REDIS,
    make: () => {
      // One Redis database per test, with Optuna's default (empty) key prefix.
      const url = `${server?.url}/${++db}`;
      return { target: url, env: {}, open: () => new JournalRedis(url) };
    },
  },
];

const X: JournalDistribution = { kind: 'float', low: 1e-4, high: 1, log: true, step: null };
const N: JournalDistribution = { kind: 'int', low: 1, high: 8, log: false, step: 1 };
const C: JournalDistribution = { kind: 'categorical', choices: ['a', 'b', null] };

for (const { kind, skip, make } of KINDS)
  describe.skipIf(skip)(`journal interop with Python Optuna (${kind})`, () => {
    it('replays a study written by Optuna (same trials, params, values, states, best), and Optuna reads a trial TS adds', async () => {
      const b = make('py');
      const fromPython = py(b, 'write', b.target) as { trials: { state: string }[]; best: { number: number } };
      const r = await replay(b);
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
      const file = b.open();
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
      await closeBackend(file);
      const after = py(b, 'read', b.target, 'py') as {
        trials: { number: number; params: unknown }[];
        best: { number: number; value: number };
      };
      expect(after).toEqual(summary(r, 'py'));
      expect(after.trials[8]).toMatchObject({ number: 8, params: { x: 1e-4, n: 1, c: 'a' } });
      expect(after.best).toEqual({ number: 8, value: 1e-4 });
    });

    it('Optuna loads a study written by TS with the same content', async () => {
      const b = make('ts');
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
          {
            op: 'setTrialStateValues',
            workerId: w,
            trialId: i,
            state: state as 'COMPLETE',
            values,
            datetimeComplete: t,
          },
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
      const writer = b.open();
      await writer.append(ops);
      await closeBackend(writer);
      const fromPython = py(b, 'read', b.target, 'ts') as {
        trials: { state: string; params: unknown }[];
        best: unknown;
      };
      expect(fromPython).toEqual(summary(await replay(b), 'ts'));
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

    // A file lock exists only for the file backends (Redis appends atomically): the test is not defined for Redis.
    (kind === 'Redis' ? null : it)?.(
      "TS and Python exclude each other with Optuna's file lock",
      async () => {
        const b = make('lock');
        const file = b.open() as JournalFile;
        await file.append([{ op: 'createStudy', workerId: 'ts', studyName: 'lock', directions: ['MINIMIZE'] }]);
        // Python holds the lock for 0.8 s: a TS append waits for it.
        const holder = spawn(PYTHON as string, [SCRIPT, 'hold', b.target, '0.8'], {
          env: { ...process.env, ...b.env },
        });
        await new Promise<void>((res, rej) => {
          holder.stdout.on('data', (d) => String(d).includes('locked') && res());
          holder.on('exit', (code) => rej(new Error(`hold exited with ${code}`)));
        });
        const t0 = performance.now();
        await file.append([{ op: 'createTrial', workerId: 'ts', studyId: 0, datetimeStart: null }]);
        const waited = performance.now() - t0;
        expect(waited).toBeGreaterThan(500);
        // TS holds the lock for 1.5 s: a Python ask/tell waits for it.
        let pyDone = false;
        const child = spawn(PYTHON as string, [SCRIPT, 'append', b.target, 'lock', '1'], {
          env: { ...process.env, ...b.env },
        });
        const exited = new Promise<number | null>((res) => child.on('exit', res));
        void exited.then(() => {
          pyDone = true;
        });
        await file.withLock(async () => {
          await new Promise((res) => setTimeout(res, 1500));
          expect(pyDone).toBe(false);
          // Nothing from Python yet: the study and the TS trial only.
          expect((await file.readNew()).map((op) => op.workerId)).toEqual(['ts', 'ts']);
        });
        expect(await exited).toBe(0);
        const r = await replay(b);
        expect(r.trialsOf(0).map((t) => t.state)).toEqual(['RUNNING', 'COMPLETE']);
      },
      60_000,
    );

    it('TS and Python appending concurrently to one journal keep trial numbers unique and gap-free', async () => {
      const b = make('conc');
      const file = b.open();
      await file.append([{ op: 'createStudy', workerId: 'ts-setup', studyName: 'conc', directions: ['MINIMIZE'] }]);
      const nPy = 60;
      const nTs = 40;
      const child = spawn(PYTHON as string, [SCRIPT, 'append', b.target, 'conc', String(nPy), '0.01'], {
        stdio: ['ignore', 'ignore', 'pipe'],
        env: { ...process.env, ...b.env },
      });
      let stderr = '';
      child.stderr.on('data', (d) => {
        stderr += d;
      });
      const exited = new Promise<number | null>((res) => child.on('exit', res));
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
      await closeBackend(file);
      const trials = r.trialsOf(0);
      expect(trials.map((t) => t.number)).toEqual(Array.from({ length: nPy + nTs }, (_, i) => i));
      expect(trials.every((t) => t.state === 'COMPLETE')).toBe(true);
      const fromTs = trials.map((t) => t.createdBy.startsWith('ts-'));
      const switches = fromTs.filter((v, i) => i > 0 && v !== fromTs[i - 1]).length;
      expect(switches, 'the two writers interleave').toBeGreaterThanOrEqual(2);
      // Python's values are its trial numbers: every Python trial read back its own number.
      for (const t of trials) if (!t.createdBy.startsWith('ts-')) expect(t.values).toEqual([t.number]);
      const fromPython = py(b, 'read', b.target, 'conc') as { trials: { number: number; state: string }[] };
      expect(fromPython.trials.map((t) => t.number)).toEqual(trials.map((t) => t.number));
      expect(fromPython).toEqual(summary(r, 'conc'));
    }, 120_000);
  });
