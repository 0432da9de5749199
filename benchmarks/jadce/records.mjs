// The JSON records file: configuration, training statistics and one record per scored (point, method) pair.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

/** Key of a record: group|M|L|snrDb|eps|method|trainSeed (empty for methods without training). */
export const recordKey = (r) => `${r.group}|${r.M}|${r.L}|${r.snrDb}|${r.eps}|${r.method}|${r.trainSeed ?? ''}`;

/**
 * The records of an earlier run with the same configuration (or any configuration when `pageOnly`), else a new file.
 * @param {string} path
 * @param {Record<string, unknown>} config
 * @param {{ resume?: boolean, pageOnly?: boolean }} o
 * @param {(line: string) => void} log
 */
export function openRecords(path, config, o, log) {
  let file = { config, training: {}, records: [] };
  if ((o.resume ?? true) && existsSync(path)) {
    const prev = JSON.parse(readFileSync(path, 'utf8'));
    if (JSON.stringify(prev.config) === JSON.stringify(config) || o.pageOnly) file = prev;
    else log(`records in ${path} have another configuration: starting afresh`);
  }
  return file;
}

/** Writes the records file (one-space indented JSON). */
export function saveRecords(path, file) {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, `${JSON.stringify(file, null, 1)}\n`);
}
