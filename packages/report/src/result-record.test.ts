import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InvalidArgumentError } from '@ft/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseResults, type ResultRecord, readResults, resultRecord, writeResults } from './result-record.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ft-results-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const base: ResultRecord = {
  method: 'mahalanobis-ad',
  arm: 'lw',
  dataset: 'mvtec/bottle',
  seed: 1,
  metrics: { auroc: 0.987, aupro: 0.9 },
  backend: { name: 'cpu', package: '@tensorflow/tfjs-backend-cpu', gpu: false, threads: 1 },
  versions: { node: '20.19.0' },
  command: 'ft ad eval --seed 1',
  date: '2026-01-02T03:04:05.000Z',
};

describe('result records', () => {
  it('writes JSON Lines with a fixed key order and reads them back', async () => {
    const path = join(dir, 'sub', 'r.jsonl');
    const second = { ...base, seed: 2, extra: { epochs: 3 } };
    await writeResults(path, [base, second]);
    const text = await readFile(path, 'utf8');
    const lines = text.split('\n');
    expect(lines).toHaveLength(3);
    expect(lines[2]).toBe('');
    expect(lines[0]).toBe(
      '{"method":"mahalanobis-ad","arm":"lw","dataset":"mvtec/bottle","seed":1,"metrics":{"auroc":0.987,"aupro":0.9},' +
        '"backend":{"name":"cpu","package":"@tensorflow/tfjs-backend-cpu","gpu":false,"threads":1},' +
        '"versions":{"node":"20.19.0"},"command":"ft ad eval --seed 1","date":"2026-01-02T03:04:05.000Z"}',
    );
    expect(await readResults(path)).toEqual([base, second]);
  });

  it('appends, and round-trips non-finite metrics as strings', async () => {
    const path = join(dir, 'append.jsonl');
    await writeResults(path, [base]);
    await writeResults(path, [{ ...base, seed: 2, metrics: { auroc: Number.NaN, loss: Number.POSITIVE_INFINITY } }], {
      append: true,
    });
    expect(await readFile(path, 'utf8')).toContain('"metrics":{"auroc":"NaN","loss":"Infinity"}');
    const back = await readResults(path);
    expect(back).toHaveLength(2);
    expect(back[1].metrics.auroc).toBeNaN();
    expect(back[1].metrics.loss).toBe(Number.POSITIVE_INFINITY);
  });

  it('reads a JSON array file too', async () => {
    const path = join(dir, 'arr.json');
    await writeFile(path, JSON.stringify([base, { ...base, seed: 5 }], null, 2));
    expect((await readResults(path)).map((r) => r.seed)).toEqual([1, 5]);
  });

  it('errors name the file and line / record and field', async () => {
    const path = join(dir, 'bad.jsonl');
    await writeFile(path, `${JSON.stringify(base)}\n\n{"method": 1}\n`);
    await expect(readResults(path)).rejects.toThrow(`${path}:3: field "method" must be a string, got 1`);
    expect(() => parseResults('{not json', 'x.jsonl')).toThrow(/x.jsonl:1: invalid JSON line/);
    expect(() => parseResults('[{"a": 1}]', 'y.json')).toThrow(/y.json \[0\]: field "method"/);
    const bad = { ...base, metrics: { acc: '0.9' } } as unknown as ResultRecord;
    await expect(writeResults(join(dir, 'never.jsonl'), [base, bad])).rejects.toThrow(
      /record 1: metric "acc" must be a number/,
    );
    await expect(readFile(join(dir, 'never.jsonl'))).rejects.toThrow();
    await expect(writeResults(join(dir, 'n.jsonl'), [{ ...base, seed: 1.5 }])).rejects.toThrow(InvalidArgumentError);
  });

  it('resultRecord fills date, command and node version and trims the backend', () => {
    const r = resultRecord({
      method: 'm',
      arm: 'a',
      dataset: 'd',
      seed: 0,
      metrics: { acc: 1 },
      backend: { ...base.backend, attempts: [] } as unknown as ResultRecord['backend'],
      date: new Date(Date.UTC(2026, 0, 2)),
    });
    expect(r.date).toBe('2026-01-02T00:00:00.000Z');
    expect(r.versions.node).toBe(process.versions.node);
    expect(r.command).toBe(process.argv.join(' '));
    expect(r.backend).toEqual(base.backend);
    expect(Object.keys(r)).toEqual([
      'method',
      'arm',
      'dataset',
      'seed',
      'metrics',
      'backend',
      'versions',
      'command',
      'date',
    ]);
  });
});
