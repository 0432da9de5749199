import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { resultRecord, serializeResultRecord } from '@ft/report';
import { afterEach, describe, expect, it } from 'vitest';
import { freshInRunOrder, readRecordsFile } from './records.mjs';
import { runKey } from './sweep.mjs';

const backend = { name: 'cpu', gpu: false };
const rec = (c, lr) =>
  resultRecord({
    method: 'mahalanobis-ad',
    arm: 'sweep',
    dataset: `fashion-mnist/class-${c}`,
    seed: 0,
    metrics: { frozen: 0.9 },
    backend,
    command: 'test',
    extra: { lr, source: 'zoo:x' },
  });
const dirs = [];
const tmpFile = (text) => {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'mad-records-'));
  dirs.push(d);
  const f = path.join(d, 'records.jsonl');
  fs.writeFileSync(f, text);
  return f;
};
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

describe('readRecordsFile', () => {
  const good = `${serializeResultRecord(rec(0, 1e-3))}\n${serializeResultRecord(rec(1, 1e-3))}\n`;
  it('reads every record; a missing file is empty', () => {
    expect(readRecordsFile(tmpFile(good)).map((r) => r.dataset)).toEqual([
      'fashion-mnist/class-0',
      'fashion-mnist/class-1',
    ]);
    expect(readRecordsFile('/nonexistent/records.jsonl')).toEqual([]);
  });
  it('with repair, drops a last line cut off by a kill from the file; without, throws', () => {
    const f = tmpFile(`${good}{"method":"mahalanobis-ad","arm":"sw`);
    expect(() => readRecordsFile(f)).toThrow(/records\.jsonl:3/);
    const logs = [];
    expect(readRecordsFile(f, { repair: true, log: (m) => logs.push(m) })).toHaveLength(2);
    expect(logs[0]).toMatch(/truncated last line/);
    expect(fs.readFileSync(f, 'utf8')).toBe(good);
  });
  it('a bad line that is not the last is an error even with repair', () => {
    const f = tmpFile(`not json\n${good}`);
    expect(() => readRecordsFile(f, { repair: true })).toThrow(/records\.jsonl:1/);
  });
});

describe('freshInRunOrder', () => {
  it('keeps the runs not yet recorded, once each, in run order (unknown keys last)', () => {
    const order = [rec(0, 1e-3), rec(0, 1e-2), rec(1, 1e-3), rec(1, 1e-2)].map(runKey);
    const shards = [rec(1, 1e-2), rec(0, 1e-2), rec(9, 1e-2), rec(1, 1e-3), rec(0, 1e-2)];
    const have = new Set([runKey(rec(1, 1e-3))]);
    const out = freshInRunOrder(shards, have, order);
    expect(out.map((r) => `${r.dataset.slice(-1)}@${r.extra.lr}`)).toEqual(['0@0.01', '1@0.01', '9@0.01']);
  });
});
