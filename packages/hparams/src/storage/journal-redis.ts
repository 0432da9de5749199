/**
 * Optuna's journal in Redis (`optuna.storages.JournalRedisStorage`), with its key layout, so TS workers and Python
 * Optuna workers on any machine can share one study through one Redis server:
 * - `<prefix>:log_number`: the number of the last record, initialised to −1 with SETNX (the default prefix is empty,
 *   so the keys are then `:log_number`, `:log:0`, …);
 * - `<prefix>:log:<n>`: record n, one JSON line as {@link encodeJournalOp} writes it.
 *
 * Each append is one Lua script that increments `log_number` and sets the record under the new number, so numbering
 * is atomic across workers. A reader reads from its last number up to `log_number` and waits for a record whose key
 * is not set yet (a writer between the increment and the set cannot exist with the script, but Optuna's cluster mode
 * writes them apart).
 *
 * Optuna also stores a pickled snapshot of its replay under `<prefix>:snapshot`, a Python pickle: it is ignored here
 * (never read, never written). Python readers do not need it: it only shortens their replay.
 */
import { FtError } from '@ft/core';
import { Redis } from 'ioredis';
import { decodeJournalOp, encodeJournalOp, JournalFormatError, type JournalOp } from './journal-ops.js';

const APPEND_SCRIPT = `redis.call('SETNX', ARGV[1] .. ':log_number', -1)
local n = redis.call('INCR', ARGV[1] .. ':log_number')
redis.call('SET', ARGV[1] .. ':log:' .. n, ARGV[2])
return n`;

/** Options of {@link JournalRedis}. */
export interface JournalRedisOptions {
  /** Key prefix, as Optuna's `prefix` argument (default `''`). */
  readonly prefix?: string;
  /** Longest wait, in ms, for a record whose number is taken but whose key is not set yet (default 30 000). */
  readonly missingRecordTimeoutMs?: number;
  /**
   * Reconnection attempts (100 ms, then doubling up to 2 s apart) before the connection is given up (default 5); a
   * command fails with {@link StorageUnreachableError} after 3 of them, and every later command at once.
   */
  readonly maxReconnects?: number;
  /** Longest wait for one connection attempt, in ms (default 5000). */
  readonly connectTimeoutMs?: number;
}

/** The Redis server of a journal cannot be reached (code `'STORAGE_UNREACHABLE'`). */
export class StorageUnreachableError extends FtError {
  constructor(message: string, details?: Record<string, unknown>, options?: { cause?: unknown }) {
    super('STORAGE_UNREACHABLE', message, details, options);
  }
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** An Optuna journal in Redis, appended atomically and read incrementally. */
export class JournalRedis {
  /** The key prefix. */
  readonly prefix: string;
  private readonly client: Redis;
  private readonly ownsClient: boolean;
  private readonly missingTimeoutMs: number;
  private next = 0;
  private readonly where: string;
  private lastConnectionError: Error | null = null;

  /** Connects to `redis://host:port[/db]` (a URL, as Optuna takes), or uses a connected ioredis client (not closed by {@link close}). */
  constructor(urlOrClient: string | Redis, options: JournalRedisOptions = {}) {
    this.prefix = options.prefix ?? '';
    this.missingTimeoutMs = options.missingRecordTimeoutMs ?? 30_000;
    if (typeof urlOrClient === 'string') {
      const maxReconnects = options.maxReconnects ?? 5;
      this.client = new Redis(urlOrClient, {
        lazyConnect: false,
        maxRetriesPerRequest: 3,
        connectTimeout: options.connectTimeoutMs ?? 5000,
        retryStrategy: (times) => (times > maxReconnects ? null : Math.min(100 * 2 ** (times - 1), 2000)),
      });
      this.client.on('error', (e: Error) => {
        this.lastConnectionError = e; // reported by the failing command, not as an unhandled 'error' event
      });
      this.ownsClient = true;
      this.where = urlOrClient.replace(/\/\/[^@/]*@/, '//');
    } else {
      this.client = urlOrClient;
      this.ownsClient = false;
      this.where = 'the given Redis client';
    }
  }

  /** Runs a command; a lost or refused connection becomes a {@link StorageUnreachableError}. */
  private async cmd<T>(run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (e) {
      const err = e as Error;
      const lost =
        err?.name === 'MaxRetriesPerRequestError' ||
        /Connection is closed|Stream isn't writeable|ECONNREFUSED|ETIMEDOUT|ENOTFOUND|EHOSTUNREACH/.test(
          err?.message ?? '',
        );
      if (!lost) throw e;
      const why = this.lastConnectionError?.message ?? err.message;
      throw new StorageUnreachableError(
        `cannot reach the Redis server of the journal at ${this.where}: ${why}`,
        { url: this.where },
        { cause: e },
      );
    }
  }

  /** The `log_number` key. */
  get logNumberKey(): string {
    return `${this.prefix}:log_number`;
  }

  /** The key of record `n`. */
  recordKey(n: number): string {
    return `${this.prefix}:log:${n}`;
  }

  /** Appends raw lines, one atomic increment-and-set each; returns their record numbers. */
  async appendLines(lines: readonly string[]): Promise<number[]> {
    const numbers: number[] = [];
    for (const line of lines)
      numbers.push(Number(await this.cmd(() => this.client.eval(APPEND_SCRIPT, 0, this.prefix, line))));
    return numbers;
  }

  /** Appends operations; returns their record numbers. */
  async append(ops: readonly JournalOp[]): Promise<number[]> {
    return this.appendLines(ops.map(encodeJournalOp));
  }

  /** How many records {@link readNew} has consumed. */
  get recordsConsumed(): number {
    return this.next;
  }

  /**
   * The operations appended since the last call (all of them on the first). A record that does not decode throws
   * {@link JournalFormatError} naming its number, and nothing of this call is consumed.
   */
  async readNew(): Promise<JournalOp[]> {
    const last = await this.cmd(() => this.client.get(this.logNumberKey));
    if (last === null) return [];
    const max = Number(last);
    const ops: JournalOp[] = [];
    for (let n = this.next; n <= max; n++) {
      let text = await this.cmd(() => this.client.get(this.recordKey(n)));
      const t0 = performance.now();
      let wait = 10;
      while (text === null) {
        if (performance.now() - t0 > this.missingTimeoutMs) {
          throw new JournalFormatError(`${this.recordKey(n)} is missing after ${this.missingTimeoutMs} ms`, {
            key: this.recordKey(n),
            record: n,
          });
        }
        await sleep(wait);
        wait = Math.min(wait * 2, 1000);
        text = await this.cmd(() => this.client.get(this.recordKey(n)));
      }
      try {
        ops.push(decodeJournalOp(text));
      } catch (e) {
        throw new JournalFormatError(
          `${this.recordKey(n)} (record ${n}) is corrupt: ${(e as Error).message}`,
          { key: this.recordKey(n), record: n },
          { cause: e },
        );
      }
    }
    this.next = max + 1;
    return ops;
  }

  /** Closes the connection when this object opened it. */
  async close(): Promise<void> {
    if (!this.ownsClient) return;
    if (this.client.status === 'end') return;
    if (this.client.status === 'ready') await this.client.quit();
    else this.client.disconnect();
  }
}
