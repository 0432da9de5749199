import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REDIS_SERVER, type RedisServer, startRedisServer } from '../../test/redis-server.js';
import { encodeJournalOp, JournalFormatError, type JournalOp } from './journal-ops.js';
import { JournalRedis } from './journal-redis.js';
import { JournalReplay } from './journal-replay.js';

if (!REDIS_SERVER)
  console.warn('JournalRedis tests skipped: redis-server is not installed (apt-get install redis-server)');

const study: JournalOp = { op: 'createStudy', workerId: 'w', studyName: 's', directions: ['MAXIMIZE'] };
const trial = (i: number): JournalOp => ({ op: 'createTrial', workerId: `w${i}`, studyId: 0, datetimeStart: null });

describe.skipIf(!REDIS_SERVER)('JournalRedis', () => {
  let server: RedisServer;
  let raw: Redis;
  beforeAll(async () => {
    server = await startRedisServer();
    raw = new Redis(server.url);
  });
  afterAll(async () => {
    await raw?.quit();
    await server?.stop();
  });

  it("uses Optuna's key layout (empty default prefix) and reads incrementally", async () => {
    const j = new JournalRedis(server.url);
    try {
      expect(await j.readNew()).toEqual([]);
      expect(await j.append([study, trial(0)])).toEqual([0, 1]);
      expect(await raw.get(':log_number')).toBe('1');
      expect(await raw.get(':log:0')).toBe(encodeJournalOp(study));
      expect(await raw.get(':log:1')).toBe(encodeJournalOp(trial(0)));
      expect(await j.readNew()).toEqual([study, trial(0)]);
      await j.append([trial(1)]);
      expect(await j.readNew()).toEqual([trial(1)]);
      expect(j.recordsConsumed).toBe(3);
    } finally {
      await j.close();
    }
  });

  it('numbers records atomically across 4 concurrent clients (4 × 25 appends → trials 0..99)', async () => {
    const writers = [0, 1, 2, 3].map(() => new JournalRedis(server.url, { prefix: 'conc' }));
    try {
      await writers[0]?.append([study]);
      await Promise.all(
        writers.map(async (w, k) => Promise.all(Array.from({ length: 25 }, (_, i) => w.append([trial(k * 100 + i)])))),
      );
      expect(await raw.get('conc:log_number')).toBe('100');
      const r = new JournalReplay();
      r.applyAll(await (writers[1] as JournalRedis).readNew());
      expect(r.trialsOf(0).map((t) => t.number)).toEqual(Array.from({ length: 100 }, (_, i) => i));
      expect(new Set(r.trialsOf(0).map((t) => t.createdBy)).size).toBe(100);
    } finally {
      await Promise.all(writers.map((w) => w.close()));
    }
  });

  it('waits for a record whose number is taken but whose key is not set yet', async () => {
    const j = new JournalRedis(raw, { prefix: 'gap' });
    await raw.set('gap:log_number', '0');
    const t0 = performance.now();
    setTimeout(() => void raw.set('gap:log:0', encodeJournalOp(study)), 150);
    expect(await j.readNew()).toEqual([study]);
    expect(performance.now() - t0).toBeGreaterThan(140);
  });

  it('names the record number of a corrupt record and consumes nothing', async () => {
    const j = new JournalRedis(raw, { prefix: 'bad' });
    await j.append([study]);
    await raw.eval(
      "redis.call('INCR', 'bad:log_number') redis.call('SET', 'bad:log:1', '{\"op_code\": 4') return 1",
      0,
    );
    const err = await j.readNew().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(JournalFormatError);
    expect((err as JournalFormatError).details).toEqual({ key: 'bad:log:1', record: 1 });
    expect(j.recordsConsumed).toBe(0);
    const short = new JournalRedis(raw, { prefix: 'missing', missingRecordTimeoutMs: 50 });
    await raw.set('missing:log_number', '0');
    await expect(short.readNew()).rejects.toThrow(/missing:log:0 is missing/);
  });
});
