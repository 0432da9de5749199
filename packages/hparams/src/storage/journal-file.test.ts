import {
  appendFileSync,
  existsSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { JournalFile, replayJournalFile } from './journal-file.js';
import { encodeJournalOp, JournalFormatError, type JournalOp } from './journal-ops.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'ft-journal-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const study: JournalOp = { op: 'createStudy', workerId: 'w', studyName: 's', directions: ['MINIMIZE'] };
const trial = (i: number): JournalOp => ({ op: 'createTrial', workerId: `w${i}`, studyId: 0, datetimeStart: null });

describe('JournalFile', () => {
  it('appends lines Optuna reads, creates the file, and reads incrementally', async () => {
    const path = join(dir, 'j.log');
    const f = new JournalFile(path);
    expect(existsSync(path)).toBe(true);
    await f.append([study, trial(0)]);
    expect(readFileSync(path, 'utf8')).toBe(`${encodeJournalOp(study)}\n${encodeJournalOp(trial(0))}\n`);
    expect(await f.readNew()).toEqual([study, trial(0)]);
    expect(await f.readNew()).toEqual([]);
    await f.append([trial(1)]);
    expect(await f.readNew()).toEqual([trial(1)]);
    expect(f.linesConsumed).toBe(3);
    expect(existsSync(f.lockPath)).toBe(false);
  });

  it('skips a torn last line until it is complete', async () => {
    const path = join(dir, 'j.log');
    const line = encodeJournalOp(trial(5));
    writeFileSync(path, `${encodeJournalOp(study)}\n${line.slice(0, 20)}`);
    const f = new JournalFile(path);
    expect(await f.readNew()).toEqual([study]);
    expect(await f.readNew()).toEqual([]);
    appendFileSync(path, `${line.slice(20)}\n`);
    expect(await f.readNew()).toEqual([trial(5)]);
  });

  it('names the line number of a corrupt line and consumes nothing of that read', async () => {
    const path = join(dir, 'j.log');
    writeFileSync(
      path,
      `${encodeJournalOp(study)}\n${encodeJournalOp(trial(0))}\n{"op_code": 4, "worker\n${encodeJournalOp(trial(1))}\n`,
    );
    const f = new JournalFile(path);
    const err = await f.readNew().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(JournalFormatError);
    expect((err as JournalFormatError).details).toEqual({ file: f.path, line: 3 });
    expect((err as Error).message).toContain('line 3');
    expect(f.linesConsumed).toBe(0);
    await expect(replayJournalFile(path)).rejects.toThrow(/line 3/);
  });

  for (const lock of ['symlink', 'open'] as const) {
    it(`serialises concurrent writers (${lock} lock): 4 writers × 40 appends give 160 intact lines`, async () => {
      const path = join(dir, 'j.log');
      const writers = [0, 1, 2, 3].map(() => new JournalFile(path, { lock }));
      await writers[0]?.append([study]);
      await Promise.all(
        writers.map(async (w, k) => {
          for (let i = 0; i < 40; i++) await w.append([trial(k * 100 + i)]);
        }),
      );
      const r = await replayJournalFile(path);
      const numbers = r.trialsOf(0).map((t) => t.number);
      expect(numbers).toEqual(Array.from({ length: 160 }, (_, i) => i));
      expect(new Set(r.trialsOf(0).map((t) => t.createdBy)).size).toBe(160);
      expect(existsSync(`${path}.lock`)).toBe(false);
    });
  }

  it('waits for a held lock and breaks a stale one after the grace period', async () => {
    const path = join(dir, 'j.log');
    const f = new JournalFile(path, { gracePeriodMs: 300 });
    // A lock left by a dead writer (Optuna's symlink lock), older than any write.
    symlinkSync(path, f.lockPath);
    const old = new Date(Date.now() - 60_000);
    utimesSync(path, old, old);
    const t0 = performance.now();
    await f.append([study]);
    const waited = performance.now() - t0;
    expect(waited).toBeGreaterThan(300);
    expect(waited).toBeLessThan(3000);
    expect(existsSync(f.lockPath)).toBe(false);
    expect(await f.readNew()).toEqual([study]);
  });

  it('never breaks a lock when the grace period is null (Optuna 3.1 behaviour)', async () => {
    const path = join(dir, 'j.log');
    const f = new JournalFile(path, { gracePeriodMs: null, lock: 'open' });
    writeFileSync(f.lockPath, '');
    const outcome = await Promise.race([
      f.append([study]).then(() => 'written'),
      new Promise((r) => setTimeout(() => r('waiting'), 400)),
    ]);
    expect(outcome).toBe('waiting');
    rmSync(f.lockPath);
    await new Promise((r) => setTimeout(r, 200));
    expect(readFileSync(path, 'utf8')).toBe(`${encodeJournalOp(study)}\n`);
  });
});
