/**
 * Optuna's journal file (`optuna.storages.JournalFileStorage`): one operation per line, appended under Optuna's
 * lock, so a TS process and Python Optuna processes can share one file.
 *
 * The lock is a file next to the journal, `<file>.lock`, created atomically:
 * - `'symlink'` (Optuna's default, `JournalFileSymlinkLock`): a symbolic link `<file>.lock` → the journal;
 * - `'open'` (`JournalFileOpenLock`): a file created with `O_CREAT | O_EXCL`.
 * Both are released by renaming the lock to `<file>.lock<uuid>.rename` and unlinking that. Both kinds use the same
 * name, so writers using either kind exclude each other.
 *
 * A lock left by a dead process is broken as Optuna 4.x breaks it: when the lock's modification time (through the
 * link: the journal's) has not changed for the grace period (30 s by default) while this process waits. Optuna 3.1
 * has no grace period and waits forever.
 */
import { randomUUID } from 'node:crypto';
import { closeSync, openSync } from 'node:fs';
import { lstat, open, rename, stat, symlink, unlink } from 'node:fs/promises';
import { resolve } from 'node:path';
import { decodeJournalOp, encodeJournalOp, JournalFormatError, type JournalOp } from './journal-ops.js';
import { JournalReplay } from './journal-replay.js';

/** The lock kind: Optuna's `JournalFileSymlinkLock` (default) or `JournalFileOpenLock`. */
export type JournalFileLockKind = 'symlink' | 'open';

/** Options of {@link JournalFile}. */
export interface JournalFileOptions {
  /** Lock kind (default `'symlink'`, Optuna's default). */
  readonly lock?: JournalFileLockKind;
  /** Milliseconds a lock may stay unchanged before it is broken as stale; `null` never breaks it. Default 30 000. */
  readonly gracePeriodMs?: number | null;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

function errno(e: unknown): string | undefined {
  return (e as NodeJS.ErrnoException | undefined)?.code;
}

/** An Optuna journal file, written under Optuna's lock and read incrementally. */
export class JournalFile {
  /** The journal's path. */
  readonly path: string;
  /** The lock's path (`<file>.lock`). */
  readonly lockPath: string;
  private readonly lockKind: JournalFileLockKind;
  private readonly gracePeriodMs: number | null;
  private offset = 0;
  private linesRead = 0;

  /** Opens `path`, creating it empty when missing (as Optuna does). */
  constructor(path: string, options: JournalFileOptions = {}) {
    this.path = resolve(path);
    this.lockPath = `${this.path}.lock`;
    this.lockKind = options.lock ?? 'symlink';
    this.gracePeriodMs = options.gracePeriodMs === undefined ? 30_000 : options.gracePeriodMs;
    closeSync(openSync(this.path, 'a'));
  }

  /** How many complete lines {@link readNew} has consumed. */
  get linesConsumed(): number {
    return this.linesRead;
  }

  private async tryCreateLock(): Promise<boolean> {
    try {
      if (this.lockKind === 'symlink') await symlink(this.path, this.lockPath);
      else await (await open(this.lockPath, 'wx')).close();
      return true;
    } catch (e) {
      if (errno(e) === 'EEXIST') return false;
      throw e;
    }
  }

  private async lockMtime(): Promise<number | undefined> {
    try {
      return (await stat(this.lockPath)).mtimeMs;
    } catch {
      try {
        return (await lstat(this.lockPath)).mtimeMs;
      } catch {
        return undefined;
      }
    }
  }

  /** Removes the lock by rename-then-unlink, as Optuna's `release`; returns false when there was none. */
  private async removeLock(): Promise<boolean> {
    const renamed = `${this.lockPath}${randomUUID()}.rename`;
    try {
      await rename(this.lockPath, renamed);
    } catch (e) {
      if (errno(e) === 'ENOENT') return false;
      throw e;
    }
    await unlink(renamed);
    return true;
  }

  /** Takes the lock, waiting (1 ms doubling to 50 ms) and breaking a stale one after the grace period. */
  private async acquire(): Promise<void> {
    let wait = 1;
    let seenMtime: number | undefined;
    let seenAt = performance.now();
    while (!(await this.tryCreateLock())) {
      if (this.gracePeriodMs !== null) {
        const m = await this.lockMtime();
        if (m !== undefined && m !== seenMtime) {
          seenMtime = m;
          seenAt = performance.now();
        } else if (m !== undefined && performance.now() - seenAt > this.gracePeriodMs) {
          await this.removeLock();
          seenMtime = undefined;
          seenAt = performance.now();
          continue;
        }
      }
      await sleep(wait);
      wait = Math.min(wait * 2, 50);
    }
  }

  private async release(): Promise<void> {
    if (!(await this.removeLock())) throw new Error(`journal lock ${this.lockPath} was not held at release`);
  }

  /** Runs `fn` holding the journal's lock. */
  async withLock<T>(fn: () => Promise<T>): Promise<T> {
    await this.acquire();
    try {
      return await fn();
    } finally {
      await this.release();
    }
  }

  /** Appends raw lines (each without its newline) in one write, under the lock, then fsyncs. */
  async appendLines(lines: readonly string[]): Promise<void> {
    if (lines.length === 0) return;
    const data = Buffer.from(`${lines.join('\n')}\n`, 'utf8');
    await this.withLock(async () => {
      const fh = await open(this.path, 'a');
      try {
        await fh.write(data);
        await fh.sync();
      } finally {
        await fh.close();
      }
    });
  }

  /** Appends operations in one write, under the lock. */
  async append(ops: readonly JournalOp[]): Promise<void> {
    await this.appendLines(ops.map(encodeJournalOp));
  }

  /**
   * The operations appended since the last call (all of them on the first). A last line without its newline (a
   * write in progress, or torn) is left for a later call. A complete line that does not decode throws
   * {@link JournalFormatError} naming its 1-based line number, and nothing of this call is consumed.
   */
  async readNew(): Promise<JournalOp[]> {
    const fh = await open(this.path, 'r');
    let buf: Buffer;
    try {
      const size = (await fh.stat()).size;
      buf = Buffer.alloc(Math.max(0, size - this.offset));
      let got = 0;
      while (got < buf.length) {
        const { bytesRead } = await fh.read(buf, got, buf.length - got, this.offset + got);
        if (bytesRead === 0) break;
        got += bytesRead;
      }
      buf = buf.subarray(0, got);
    } finally {
      await fh.close();
    }
    const end = buf.lastIndexOf(0x0a);
    if (end < 0) return [];
    const ops: JournalOp[] = [];
    let start = 0;
    let lineNo = this.linesRead;
    while (start <= end) {
      const nl = buf.indexOf(0x0a, start);
      lineNo++;
      const line = buf.toString('utf8', start, nl);
      try {
        ops.push(decodeJournalOp(line));
      } catch (e) {
        throw new JournalFormatError(
          `${this.path}: line ${lineNo} is corrupt: ${(e as Error).message}`,
          { file: this.path, line: lineNo },
          { cause: e },
        );
      }
      start = nl + 1;
    }
    this.offset += end + 1;
    this.linesRead = lineNo;
    return ops;
  }
}

/** Reads a whole journal file and replays it. */
export async function replayJournalFile(path: string): Promise<JournalReplay> {
  const r = new JournalReplay();
  r.applyAll(await new JournalFile(path).readNew());
  return r;
}
