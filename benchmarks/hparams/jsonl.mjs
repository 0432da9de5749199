// JSON Lines for the hparams benchmark's records (plain objects, one per line; the parts' records are not
// @ft/report ResultRecords, so readResults/writeResults do not apply).
import fs from 'node:fs';
import path from 'node:path';

/** The records of a JSON Lines file; `[]` when the file does not exist and `missingOk` is set. */
export function readJsonl(file, { missingOk = false } = {}) {
  if (missingOk && !fs.existsSync(file)) return [];
  return fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim())
    .map((l, i) => {
      try {
        return JSON.parse(l);
      } catch (e) {
        throw new Error(`${file}:${i + 1}: not JSON (${e.message})`);
      }
    });
}

/** Writes `records` as JSON Lines, creating the folder. */
export function writeJsonl(file, records) {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, records.map((r) => `${JSON.stringify(r)}\n`).join(''));
}
