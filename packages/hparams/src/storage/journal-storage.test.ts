import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { findPython } from '../../test/python.js';
import { REDIS_SERVER, type RedisServer, startRedisServer } from '../../test/redis-server.js';
import { FloatDistribution, IntDistribution } from '../engine/distributions.js';
import { TPESampler } from '../engine/samplers/tpe.js';
import { InMemoryStorage, type StudyStorage } from '../engine/storage.js';
import { createStudy, loadStudy, type Trial } from '../engine/study.js';
import { replayJournalFile } from './journal-file.js';
import { decodeJournalOp } from './journal-ops.js';
import { JournalStorage, journalFileStorage, journalRedisStorage } from './journal-storage.js';

const SCRIPT = join(dirname(fileURLToPath(import.meta.url)), '../../test/optuna_journal.py');
const PYTHON = findPython('optuna');
if (!PYTHON)
  console.warn('JournalStorage/Optuna test skipped: no python3 can `import optuna` (apt-get install python3-optuna)');
if (!REDIS_SERVER)
  console.warn('JournalStorage on Redis skipped: redis-server is not installed (apt-get install redis-server)');

const objective = (t: Trial): number => {
  const x = t.suggestFloat('x', -5, 5);
  const n = t.suggestInt('n', 1, 8);
  const c = t.suggestCategorical('c', ['a', 'b', 'c']);
  return (x - 1.5) ** 2 + (n - 3) ** 2 / 4 + (c === 'b' ? 0 : 1);
};

async function run(storage: StudyStorage, n = 20) {
  const study = await createStudy({ storage, studyName: 's', sampler: new TPESampler({ seed: 7, nStartupTrials: 5 }) });
  await study.optimize(objective, { nTrials: n });
  return study.trials.map((t) => ({ number: t.number, state: t.state, value: t.value, params: t.params }));
}

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'journal-storage-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('JournalStorage on a journal file', () => {
  it('a seeded TPE study gives the same params and values as on InMemoryStorage', async () => {
    const mem = await run(new InMemoryStorage());
    const file = join(dir, 'j.log');
    const js = journalFileStorage(file);
    const jr = await run(js);
    expect(jr).toEqual(mem);
    expect(mem.length).toBe(20);
    expect(new Set(mem.map((t) => t.value)).size).toBeGreaterThan(15);
    // The file alone (a fresh replay) holds the same study, and a new storage loads it.
    const replay = await replayJournalFile(file);
    expect(replay.trialsOf(0).map((t) => t.values?.[0])).toEqual(mem.map((t) => t.value));
    const again = await loadStudy({ storage: journalFileStorage(file), studyName: 's' });
    expect(again.bestTrial.value).toBe(Math.min(...mem.map((t) => t.value as number)));
    expect(again.trials.map((t) => t.params)).toEqual(mem.map((t) => t.params));
  });

  it("writes Optuna's worker id form and learns trial ids through the replay", async () => {
    const file = join(dir, 'j.log');
    const s = journalFileStorage(file);
    expect(s.workerId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}-\d+$/);
    const other = journalFileStorage(file);
    const sid = await s.createNewStudy('maximize', 'm');
    await other.sync();
    expect(await other.getStudyIdFromName('m')).toBe(sid);
    expect(await other.createNewTrial(sid)).toBe(0);
    expect(await s.createNewTrial(sid)).toBe(1);
    s.setTrialParam(1, 'x', 0.25, new FloatDistribution(0, 1));
    s.setTrialIntermediateValue(1, 3, 0.5);
    s.setTrialUserAttr(1, 'k', [1, 'a']);
    expect(await s.setTrialStateValues(1, 'complete', 0.75)).toBe(true);
    const lines = readFileSync(file, 'utf8').trim().split('\n').map(decodeJournalOp);
    expect(lines.map((o) => o.op)).toEqual([
      'createStudy',
      'createTrial',
      'createTrial',
      'setTrialParam',
      'setTrialIntermediateValue',
      'setTrialUserAttr',
      'setTrialStateValues',
    ]);
    expect(lines.filter((o) => o.workerId === s.workerId)).toHaveLength(6);
    await other.sync();
    const t = other.getTrial(1);
    expect(t).toMatchObject({
      number: 1,
      state: 'complete',
      value: 0.75,
      params: { x: 0.25 },
      userAttrs: { k: [1, 'a'] },
    });
    expect([...t.intermediateValues]).toEqual([[3, 0.5]]);
    expect(t.datetimeComplete).toBeInstanceOf(Date);
    // Finished trials and incompatible distributions are refused, as in memory, and nothing is written.
    expect(() => s.setTrialUserAttr(1, 'k', 2)).toThrow(/already finished/);
    expect(() => other.setTrialParam(0, 'x', 3, new IntDistribution(0, 5))).toThrow();
    expect(readFileSync(file, 'utf8').trim().split('\n')).toHaveLength(7);
  });

  it('a waiting trial is claimed by exactly one of two workers', async () => {
    const file = join(dir, 'j.log');
    const a = journalFileStorage(file);
    const b = journalFileStorage(file);
    const sid = await a.createNewStudy('minimize', 'w');
    const tid = await a.createNewTrial(sid, {
      state: 'waiting',
      params: { n: 4 },
      distributions: { n: new IntDistribution(1, 8) },
    });
    await b.sync();
    expect(b.getTrial(tid)).toMatchObject({ state: 'waiting', params: { n: 4 }, datetimeStart: null });
    // Both saw it waiting; the first RUNNING in the log wins.
    expect(await a.setTrialStateValues(tid, 'running')).toBe(true);
    expect(await b.setTrialStateValues(tid, 'running')).toBe(false);
    expect(b.getTrial(tid).state).toBe('running');
  });

  it('two studies on one file (two processes) alternately ask/tell with unique, gap-free numbers', async () => {
    const file = join(dir, 'j.log');
    const s1 = await createStudy({ storage: journalFileStorage(file), studyName: 'shared', seed: 1 });
    const s2 = await loadStudy({ storage: journalFileStorage(file), studyName: 'shared', seed: 2 });
    const numbers: number[] = [];
    for (let i = 0; i < 6; i++) {
      const t1 = await s1.ask();
      const t2 = await s2.ask();
      numbers.push(t1.number, t2.number);
      await s2.tell(t2, t2.suggestFloat('x', 0, 1));
      await s1.tell(t1, t1.suggestFloat('x', 0, 1));
    }
    expect(numbers).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
    const fresh = await loadStudy({ storage: journalFileStorage(file), studyName: 'shared' });
    expect(fresh.trials.map((t) => t.number)).toEqual(numbers);
    expect(fresh.trials.every((t) => t.state === 'complete' && t.value === t.params.x)).toBe(true);
  });

  it.skipIf(!PYTHON)('Python Optuna loads the study with the same best trial', async () => {
    const file = join(dir, 'j.log');
    const mem = await run(new InMemoryStorage());
    const jr = await run(journalFileStorage(file));
    expect(jr).toEqual(mem);
    const best = mem.reduce((a, b) => ((b.value as number) < (a.value as number) ? b : a));
    const out = JSON.parse(execFileSync(PYTHON as string, [SCRIPT, 'read', file, 's'], { encoding: 'utf8' }));
    expect(out.best).toEqual({ number: best.number, value: best.value });
    expect(out.trials).toHaveLength(20);
  });
});

describe.skipIf(!REDIS_SERVER)('JournalStorage on Redis', () => {
  let server: RedisServer;
  beforeAll(async () => {
    server = await startRedisServer();
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('a seeded TPE study matches InMemoryStorage and a second worker sees it', async () => {
    const mem = await run(new InMemoryStorage(), 12);
    const a = journalRedisStorage(server.url, { prefix: 'p' });
    const b = journalRedisStorage(server.url, { prefix: 'p' });
    try {
      expect(await run(a, 12)).toEqual(mem);
      const other = await loadStudy({ storage: b, studyName: 's' });
      expect(other.trials.map((t) => t.params)).toEqual(mem.map((t) => t.params));
      const t = await other.ask();
      expect(t.number).toBe(12);
      await other.tell(t, 1);
      await a.sync();
      expect(a.getAllTrials(0).map((x) => x.number)).toEqual([...Array(13).keys()]);
    } finally {
      await a.close();
      await b.close();
    }
  });
});

it('JournalStorage is a StudyStorage over any backend with append/readNew', async () => {
  const log: string[] = [];
  const { encodeJournalOp } = await import('./journal-ops.js');
  let read = 0;
  const s = new JournalStorage(
    {
      append: async (ops) => {
        log.push(...ops.map(encodeJournalOp));
      },
      readNew: async () => {
        const fresh = log.slice(read);
        read = log.length;
        return fresh.map(decodeJournalOp);
      },
    },
    { workerId: 'w-1' },
  );
  const sid = await s.createNewStudy('minimize', 'x');
  expect(await s.createNewTrial(sid)).toBe(0);
  expect(log).toHaveLength(2);
  expect(JSON.parse(log[0] as string)).toEqual({ op_code: 0, worker_id: 'w-1', study_name: 'x', directions: [1] });
});

it('maps engine distributions to the journal form and back unchanged', async () => {
  const { CategoricalDistribution } = await import('../engine/distributions.js');
  const { engineToJournalDistribution, journalToEngineDistribution } = await import('./journal-storage.js');
  const ds = [
    new FloatDistribution(1e-4, 1, { log: true }),
    new FloatDistribution(0, 1, { step: 0.25 }),
    new IntDistribution(1, 9, { step: 2 }),
    new CategoricalDistribution(['a', null, 3, true]),
  ];
  for (const d of ds) {
    const j = engineToJournalDistribution(d);
    expect(j.kind).toBe(d.kind);
    expect(journalToEngineDistribution(j)).toEqual(d);
  }
  expect(engineToJournalDistribution(ds[0] as FloatDistribution)).toEqual({
    kind: 'float',
    low: 1e-4,
    high: 1,
    log: true,
    step: null,
  });
});
