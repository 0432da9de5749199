/** `ft pretrain --checkpoint-dir`: the run fingerprint refuses a resume with other settings unless --force-resume. */
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { builtinCommands } from '../builtin-commands.js';
import { runCli } from '../run-cli.js';
import { capture, writeFolderDataset } from '../test-helpers.js';

let tmp: string;
beforeAll(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'ft-pretrain-resume-'));
  // folder:<tmp>/data with train/ and test/ splits: class a is bright on the left, class b on the right
  await writeFolderDataset(path.join(tmp, 'data'), 8, 8);
});
afterAll(async () => {
  await fs.rm(tmp, { recursive: true, force: true });
});

describe('ft pretrain --checkpoint-dir', () => {
  const ckpt = () => path.join(tmp, 'ckpt');
  const args = (lr: string, extra: string[] = []) => [
    'pretrain',
    '--dataset',
    `folder:${path.join(tmp, 'data')}`,
    '--arch',
    'tinyCnn',
    '--epochs',
    '1',
    '--batch-size',
    '4',
    '--lr',
    lr,
    '--out',
    path.join(tmp, 'model'),
    '--checkpoint-dir',
    ckpt(),
    '--backend',
    'cpu',
    '--json',
    ...extra,
  ];

  it('resuming with another --lr exits non-zero with RESUME_MISMATCH naming lr; --force-resume proceeds', async () => {
    const c1 = capture();
    expect(await runCli(args('0.05'), { commands: builtinCommands, io: c1.io }), c1.err()).toBe(0);
    expect((await fs.readdir(ckpt())).some((n) => n.startsWith('ckpt-'))).toBe(true);

    const c2 = capture();
    expect(await runCli(args('0.1'), { commands: builtinCommands, io: c2.io })).not.toBe(0);
    expect(c2.out() + c2.err()).toMatch(/RESUME_MISMATCH/);
    expect(c2.out() + c2.err()).toMatch(/lr: 0\.05 → 0\.1/);
    expect(c2.out() + c2.err()).toMatch(/--force-resume/);

    const c3 = capture();
    expect(await runCli(args('0.1', ['--force-resume']), { commands: builtinCommands, io: c3.io }), c3.err()).toBe(0);
  }, 60_000);
});
