import { FtError } from '@ft/core';
import { describe, expect, it } from 'vitest';
import { freePort } from '../../test/redis-server.js';
import { createStudy } from '../engine/study.js';
import { StorageUnreachableError } from './journal-redis.js';
import { journalRedisStorage } from './journal-storage.js';

describe('an unreachable Redis', () => {
  it('gives a typed error naming the server within seconds, and gives the connection up', async () => {
    const port = await freePort();
    const storage = journalRedisStorage(`redis://127.0.0.1:${port}/2`);
    const t0 = performance.now();
    const err = await createStudy({ storage, studyName: 's' }).catch((e) => e);
    const ms = performance.now() - t0;
    expect(err).toBeInstanceOf(StorageUnreachableError);
    expect(err).toBeInstanceOf(FtError);
    expect(err.code).toBe('STORAGE_UNREACHABLE');
    expect(err.message).toMatch(
      new RegExp(`^cannot reach the Redis server of the journal at redis://127\\.0\\.0\\.1:${port}/2: .*ECONNREFUSED`),
    );
    expect(ms).toBeLessThan(5000);
    // No endless reconnect: later calls fail at once, and close() returns.
    const t1 = performance.now();
    await expect(storage.sync()).rejects.toBeInstanceOf(StorageUnreachableError);
    await storage.close();
    expect(performance.now() - t1).toBeLessThan(5000);
  });

  it('hides the password of the URL', async () => {
    const port = await freePort();
    const storage = journalRedisStorage(`redis://user:secret@127.0.0.1:${port}`, { maxReconnects: 1 });
    const err = await storage.sync().catch((e) => e);
    expect(err).toBeInstanceOf(StorageUnreachableError);
    expect(err.message).not.toContain('secret');
    await storage.close();
  });
});
