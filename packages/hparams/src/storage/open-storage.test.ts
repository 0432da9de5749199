import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FtError, InvalidArgumentError } from '@ft/core';
import { afterAll, describe, expect, it } from 'vitest';
import { REDIS_SERVER, startRedisServer } from '../../test/redis-server.js';
import { InMemoryStorage } from '../engine/storage.js';
import { createStudy } from '../engine/study.js';
import { JournalStorage } from './journal-storage.js';
import { openStorage } from './open-storage.js';

const dir = mkdtempSync(join(tmpdir(), 'ft-open-storage-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const code = (f: () => unknown): string | undefined => {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(FtError);
    return (e as FtError).code;
  }
  return undefined;
};

describe('openStorage', () => {
  it("'memory' is a fresh InMemoryStorage per call", async () => {
    const a = openStorage('memory');
    const b = openStorage('memory');
    expect(a.kind).toBe('memory');
    expect(a.storage).toBeInstanceOf(InMemoryStorage);
    expect(a.storage).not.toBe(b.storage);
    await a.close();
  });

  it('a path is an Optuna journal file, created when missing, that a second opening sees', async () => {
    const path = join(dir, 'j.log');
    const a = openStorage(path);
    expect(a.kind).toBe('file');
    expect(a.location).toBe(path);
    expect(a.storage).toBeInstanceOf(JournalStorage);
    const study = await createStudy({ storage: a.storage, studyName: 's', direction: 'maximize' });
    await study.optimize((t) => t.suggestFloat('x', 0, 1), { nTrials: 3 });
    await a.close();
    const b = openStorage(path, { mustExist: true });
    await b.storage.sync?.();
    const id = await b.storage.getStudyIdFromName('s');
    expect(id).not.toBeNull();
    expect(b.storage.getStudyDirection(id as number)).toBe('maximize');
    expect(b.storage.getAllTrials(id as number, ['complete'])).toHaveLength(3);
    await b.close();
  });

  it('refuses a missing folder, a folder, a missing file with mustExist, and an empty spec', () => {
    expect(code(() => openStorage(join(dir, 'no-such-dir', 'j.log')))).toBe('INVALID_ARGUMENT');
    expect(() => openStorage(join(dir, 'no-such-dir', 'j.log'))).toThrow(
      /folder of the journal file .* does not exist/,
    );
    expect(existsSync(join(dir, 'no-such-dir'))).toBe(false);
    mkdirSync(join(dir, 'sub'));
    expect(() => openStorage(join(dir, 'sub'))).toThrow(/is a folder, not a journal file/);
    writeFileSync(join(dir, 'file'), '');
    expect(() => openStorage(join(dir, 'file', 'j.log'))).toThrow(/is not a folder/);
    expect(() => openStorage(join(dir, 'missing.log'), { mustExist: true })).toThrow(/no journal file at/);
    expect(existsSync(join(dir, 'missing.log'))).toBe(false);
    expect(() => openStorage('')).toThrow(InvalidArgumentError);
  });

  it('refuses malformed Redis URLs and other schemes, without leaking a password', () => {
    for (const bad of [
      'redis://',
      'redis://host:0',
      'redis://host:99999',
      'redis://host:6379/abc',
      'redis://host:6379/0?x=1',
      'http://host:6379',
      'mysql://u@host/db',
    ]) {
      expect(
        code(() => openStorage(bad)),
        bad,
      ).toBe('INVALID_ARGUMENT');
    }
    expect(() => openStorage('http://host:6379')).toThrow(/scheme 'http' is not supported/);
    expect(() => openStorage('redis://host:6379/abc')).toThrow(/database 'abc' is not a number/);
    let message = '';
    try {
      openStorage('redis://user:secret@host:6379/x');
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toMatch(/redis:\/\/host:6379\/x/);
    expect(message).not.toMatch(/secret/);
  });

  it.skipIf(!REDIS_SERVER)('redis://host:port/db is an Optuna journal in Redis', async () => {
    const server = await startRedisServer();
    try {
      const a = openStorage(`${server.url}/3`);
      expect(a.kind).toBe('redis');
      const study = await createStudy({ storage: a.storage, studyName: 'r' });
      await study.optimize((t) => t.suggestInt('k', 0, 9), { nTrials: 2 });
      await a.close();
      const b = openStorage(`${server.url}/3`);
      await b.storage.sync?.();
      const id = await b.storage.getStudyIdFromName('r');
      expect(b.storage.getAllTrials(id as number)).toHaveLength(2);
      await b.close();
      const other = openStorage(`${server.url}/4`);
      await other.storage.sync?.();
      expect(await other.storage.getStudyIdFromName('r')).toBeNull();
      await other.close();
    } finally {
      await server.stop();
    }
  });
});
