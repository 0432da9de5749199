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

  it('prints the formatted summary without --json, for the split asked for', async () => {
    const r = await run(['data', 'inspect', data, '--split', 'test', '--backend', 'cpu']);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toContain('samples: 6');
    expect(r.out).toContain('shape: 6×6×1 (H×W×C)');
    expect(r.out).toContain('  0 a: 3');
    expect(r.out).toMatch(/pixel range: \[0\.\d{4}, [01]\.\d{4}\]/);
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
