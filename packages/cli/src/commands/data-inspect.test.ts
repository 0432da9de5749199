/** `ft data inspect <dataset>`: size, shape, class counts and pixel statistics of a split. */
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { builtinCommands } from '../builtin-commands.js';
import { runCli } from '../run-cli.js';
import { capture, writeFolderDataset } from '../test-helpers.js';

let tmp: string;
let data: string;
beforeAll(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'ft-data-inspect-'));
  data = await writeFolderDataset(path.join(tmp, 'data'), 6, 3);
});
afterAll(async () => {
  await fs.rm(tmp, { recursive: true, force: true });
});

const run = async (argv: string[]) => {
  const c = capture();
  const code = await runCli(argv, { commands: builtinCommands, io: c.io });
  return { code, out: c.out(), err: c.err() };
};

describe('ft data inspect', () => {
  it('--json gives size, shape, class names and counts and pixel statistics of the split (default train)', async () => {
    const r = await run(['data', 'inspect', data, '--json', '--backend', 'cpu']);
    expect(r.code, r.err).toBe(0);
    const s = JSON.parse(r.out.trim().split('\n').pop()!);
    expect(s).toMatchObject({ dataset: data, split: 'train', size: 6, shape: [6, 6, 1], numClasses: 2 });
    expect(s.classNames).toEqual(['a', 'b']);
    expect(s.classCounts).toEqual([3, 3]);
    expect(s.min).toBeGreaterThanOrEqual(0);
    expect(s.max).toBeLessThanOrEqual(1);
    expect(s.mean[0]).toBeGreaterThan(s.min);
    expect(s.mean[0]).toBeLessThan(s.max);
    expect(s.std[0]).toBeGreaterThan(0);
  });
  it('--json keeps its shape: the same keys in the same order, full-precision numbers, one line', async () => {
    const r = await run(['data', 'inspect', data, '--json', '--backend', 'cpu']);
    expect(r.code, r.err).toBe(0);
    expect(r.out.trim().split('\n')).toHaveLength(1);
    const s = JSON.parse(r.out);
    expect(Object.keys(s)).toEqual([
      'dataset',
      'split',
      'size',
      'shape',
      'numClasses',
      'classNames',
      'classCounts',
      'mean',
      'std',
      'meanAll',
      'stdAll',
      'min',
      'max',
    ]);
    // the exact JSON.stringify of the result: not rounded or reformatted for people
    expect(r.out).toBe(`${JSON.stringify(s)}\n`);
    expect(String(s.meanAll).replace(/^0\./, '').length).toBeGreaterThan(4);
  });

  it('prints the summary once without --json, as an aligned table for the split asked for', async () => {
    const r = await run(['data', 'inspect', data, '--split', 'test', '--backend', 'cpu']);
    expect(r.code, r.err).toBe(0);
    const lines = r.out.trimEnd().split('\n');
    // one line per field of the --json object, values in one column (the summary used to be printed twice)
    expect(lines.map((l) => l.split(/\s{2,}/)[0])).toEqual([
      'dataset',
      'split',
      'size',
      'shape',
      'numClasses',
      'classNames',
      'classCounts',
      'mean',
      'std',
      'meanAll',
      'stdAll',
      'min',
      'max',
    ]);
    expect(new Set(lines.map((l) => l.search(/(?<=\S {2,})\S/))).size).toBe(1);
    expect(r.out).toMatch(/^split +test$/m);
    expect(r.out).toMatch(/^size +6$/m);
    expect(r.out).toMatch(/^shape +6, 6, 1$/m);
    expect(r.out).toMatch(/^classNames +a, b$/m);
    expect(r.out).toMatch(/^classCounts +3, 3$/m);
    // pixel statistics rounded to 4 significant digits, in [0, 1]
    const min = Number(r.out.match(/^min +(\S+)$/m)?.[1]);
    const max = Number(r.out.match(/^max +(\S+)$/m)?.[1]);
    expect(min).toBeGreaterThanOrEqual(0);
    expect(max).toBeLessThanOrEqual(1);
    expect(r.out.match(/^max +(\S+)$/m)?.[1].replace(/^0\.0*/, '').length).toBeLessThanOrEqual(4);
  });

  it('a missing dataset argument or an unknown split is a usage error (2); a missing folder fails with 1', async () => {
    expect((await run(['data', 'inspect'])).code).toBe(2);
    const bad = await run(['data', 'inspect', data, '--split', 'val']);
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/\[USAGE\]/);
    const missing = await run(['data', 'inspect', `folder:${path.join(tmp, 'nope')}`, '--backend', 'cpu']);
    expect(missing.code).toBe(1);
    expect(missing.err).toMatch(/\[DATASET_NOT_FOUND\]/);
  });
});
