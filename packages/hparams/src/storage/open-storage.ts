/**
 * One storage specifier for every command line (`--storage`): `memory`, a Redis URL, or an Optuna journal file path.
 */
import { statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { InvalidArgumentError } from '@ft/core';
import { InMemoryStorage, type StudyStorage } from '../engine/storage.js';
import { journalFileStorage, journalRedisStorage } from './journal-storage.js';

/** The forms {@link openStorage} accepts, for help texts and messages. */
export const STORAGE_SPECS = ['memory', 'redis://host:port[/db]', 'rediss://host:port[/db]', '<journal file path>'];

/** A storage opened from a specifier; `close()` flushes pending writes and releases a Redis connection. */
export interface OpenedStorage {
  readonly storage: StudyStorage;
  /** `'memory'` (this process only), `'file'` (an Optuna journal file) or `'redis'` (an Optuna journal in Redis). */
  readonly kind: 'memory' | 'file' | 'redis';
  /** The absolute file path, the URL without credentials, or `'memory'`. */
  readonly location: string;
  close(): Promise<void>;
}

/** Options of {@link openStorage}. */
export interface OpenStorageOptions {
  /** A journal file must exist already (readers such as `ft hparams show` must not create an empty one). */
  readonly mustExist?: boolean;
}

const URL_SCHEME = /^[A-Za-z][A-Za-z0-9+.-]*:\/\//;

/**
 * Opens the storage a specifier names:
 * - `memory`: a new {@link InMemoryStorage}, private to this process and gone when it ends;
 * - `redis://host:port[/db]` or `rediss://…` (TLS): an Optuna journal in Redis (`journalRedisStorage`);
 * - anything else: the path of an Optuna journal file (`journalFileStorage`), created when missing.
 *
 * A malformed Redis URL, another URL scheme, a file path whose folder does not exist or that names a folder, and
 * (with `mustExist`) a missing journal file are InvalidArgumentErrors naming the specifier. An unreachable Redis
 * server shows later, as the first storage call's StorageUnreachableError.
 */
export function openStorage(spec: string, opts: OpenStorageOptions = {}): OpenedStorage {
  if (typeof spec !== 'string' || spec.trim() === '')
    throw new InvalidArgumentError(`storage: expected one of ${STORAGE_SPECS.join(', ')}, got an empty string`);
  if (spec === 'memory') {
    const storage = new InMemoryStorage();
    return { storage, kind: 'memory', location: 'memory', close: async () => {} };
  }
  if (URL_SCHEME.test(spec)) return openRedis(spec);
  return openFile(spec, opts);
}

function badUrl(spec: string, why: string): InvalidArgumentError {
  const shown = spec.replace(/\/\/[^@/]*@/, '//');
  return new InvalidArgumentError(
    `storage: '${shown}' is not a usable Redis URL (${why}); expected redis://host:port[/db]`,
    { storage: shown },
  );
}

function openRedis(spec: string): OpenedStorage {
  let url: URL;
  try {
    url = new URL(spec);
  } catch {
    throw badUrl(spec, 'it does not parse as a URL');
  }
  if (url.protocol !== 'redis:' && url.protocol !== 'rediss:')
    throw badUrl(spec, `the scheme '${url.protocol.slice(0, -1)}' is not supported, only redis and rediss`);
  if (url.hostname === '') throw badUrl(spec, 'no host');
  if (url.port !== '' && !(Number(url.port) >= 1 && Number(url.port) <= 65535)) throw badUrl(spec, `port ${url.port}`);
  const db = url.pathname.replace(/^\//, '');
  if (db !== '' && !/^\d+$/.test(db)) throw badUrl(spec, `the database '${db}' is not a number`);
  if (url.search !== '' || url.hash !== '') throw badUrl(spec, 'query strings and fragments are not supported');
  const storage = journalRedisStorage(spec);
  const location = spec.replace(/\/\/[^@/]*@/, '//');
  return { storage, kind: 'redis', location, close: () => storage.close() };
}

function openFile(spec: string, opts: OpenStorageOptions): OpenedStorage {
  const path = resolve(spec);
  const folder = dirname(path);
  const kindOf = (p: string): 'file' | 'dir' | 'other' | null => {
    try {
      const s = statSync(p);
      return s.isFile() ? 'file' : s.isDirectory() ? 'dir' : 'other';
    } catch {
      return null;
    }
  };
  const folderKind = kindOf(folder);
  if (folderKind !== 'dir')
    throw new InvalidArgumentError(
      `storage: the folder of the journal file ${path} ${folderKind === null ? 'does not exist' : 'is not a folder'} (create it first, or use redis://host:port or memory)`,
      { storage: spec, path },
    );
  const kind = kindOf(path);
  if (kind === 'dir' || kind === 'other')
    throw new InvalidArgumentError(
      `storage: ${path} is a ${kind === 'dir' ? 'folder' : 'special file'}, not a journal file`,
      {
        storage: spec,
        path,
      },
    );
  if (kind === null && opts.mustExist)
    throw new InvalidArgumentError(`storage: no journal file at ${path}`, { storage: spec, path });
  const storage = journalFileStorage(path);
  return { storage, kind: 'file', location: path, close: () => storage.close() };
}
