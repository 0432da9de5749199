// Records I/O of the re-run (run.mjs): reading a JSON Lines file that a kill may have cut off, and merging the
// worker processes' records into the main file in run order. Unit-tested in records.test.mjs.
import fs from 'node:fs';
import { parseResults } from '@ft/report';
import { runKey } from './sweep.mjs';

/**
 * The records of a JSON Lines file ([] when it does not exist). With `repair`, a last line that is not JSON (a write
 * cut off by a kill) is dropped from the file, and its run is simply redone; without, it is an error. Any other bad
 * line is always an error.
 * @param {string} file
 * @param {{ repair?: boolean, log?: (m: string) => void }} [o]
 */
export function readRecordsFile(file, { repair = false, log = () => {} } = {}) {
  if (!fs.existsSync(file)) return [];
  const lines = fs.readFileSync(file, 'utf8').split('\n');
  while (lines.length && lines[lines.length - 1].trim() === '') lines.pop();
  const last = lines[lines.length - 1];
  if (repair && last !== undefined) {
    try {
      JSON.parse(last);
    } catch {
      log(`[mahalanobis-ad] ${file}: dropping a truncated last line (that run is redone)`);
      lines.pop();
      fs.writeFileSync(file, lines.map((l) => `${l}\n`).join(''));
    }
  }
  return parseResults(lines.join('\n'), file);
}

/**
 * The workers' records not yet in `have` (a Map or Set of runKeys), one per run (the first seen wins), sorted by
 * the run order `order` (runKeys; unknown keys last, in the order given).
 * @param {object[]} shardRecords
 * @param {{ has: (k: string) => boolean }} have
 * @param {string[]} order
 */
export function freshInRunOrder(shardRecords, have, order) {
  const rank = new Map(order.map((key, i) => [key, i]));
  const seen = new Set();
  const fresh = [];
  for (const r of shardRecords) {
    const k = runKey(r);
    if (have.has(k) || seen.has(k)) continue;
    seen.add(k);
    fresh.push(r);
  }
  const pos = new Map(fresh.map((r, i) => [r, i]));
  return fresh.sort(
    (a, b) => (rank.get(runKey(a)) ?? order.length) - (rank.get(runKey(b)) ?? order.length) || pos.get(a) - pos.get(b),
  );
}
