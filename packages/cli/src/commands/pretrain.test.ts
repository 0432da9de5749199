/**
 * `ft pretrain`: trains a source classifier and saves it; with --checkpoint-dir the run fingerprint refuses a resume
 * with other settings unless --force-resume.
 */
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { loadModel, TRAIN_CLASSIFIER_DEFAULTS } from '@ft/core';
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

describe('ft pretrain', () => {
  const data = () => `folder:${path.join(tmp, 'data')}`;
  const run = async (argv: string[]) => {
    const c = capture();
    const code = await runCli(argv, { commands: builtinCommands, io: c.io });
    return { code, out: c.out(), err: c.err() };
  };

  it('trains, saves the model to --out and reports the run; --limit takes a class-stratified subsample', async () => {
    const out = path.join(tmp, 'plain');
    const argv = ['pretrain', '--dataset', data(), '--arch', 'tinyCnn', '--epochs', '2', '--batch-size', '4'];
    const r = await run([...argv, '--limit', '6', '--seed', '2', '--out', out, '--backend', 'cpu', '--json']);
    expect(r.code, r.err).toBe(0);
    const res = JSON.parse(r.out.trim().split('\n').pop()!);
    expect(res).toMatchObject({
      dataset: data(),
      arch: 'tinyCnn',
      trainSize: 6,
      epochs: 2,
      out,
      seed: 2,
      backend: 'cpu',
    });
    expect(res.trainLoss).toBeGreaterThan(0);
    expect(res.testAccuracyPct).toBe(Math.round(res.testAccuracy * 10000) / 100);
    expect(r.err).toMatch(/epoch 2\/2: loss \d+\.\d{4}, step 4/);
    const saved = await loadModel(out);
    expect(saved.inputs[0].shape).toEqual([null, 8, 8, 1]);
    expect(saved.outputs[0].shape).toEqual([null, 2]);
    saved.dispose();
  });

  it('needs --out or --zoo-name (exit 1); a bad --zoo-name or --arch is a usage error (exit 2)', async () => {
    const base = ['pretrain', '--dataset', data(), '--arch', 'tinyCnn', '--backend', 'cpu'];
    const none = await run(base);
    expect(none.code).toBe(1);
    expect(none.err).toMatch(/\[INVALID_ARGUMENT\].*--out <dir>, --zoo-name <name>/);
    const badName = await run([...base, '--zoo-name', '../evil']);
    expect(badName.code).toBe(2);
    expect(badName.err).toMatch(/--zoo-name/);
    const badArch = await run(['pretrain', '--dataset', data(), '--arch', 'vgg99', '--out', path.join(tmp, 'x')]);
    expect(badArch.code).toBe(2);
  });

  it('--help shows the training defaults defined once in core (TRAIN_CLASSIFIER_DEFAULTS)', async () => {
    const r = await run(['pretrain', '--help']);
    expect(r.code).toBe(0);
    const D = TRAIN_CLASSIFIER_DEFAULTS;
    expect(r.out).toMatch(new RegExp(`--epochs.*\\(default ${D.epochs}\\)`));
    expect(r.out).toMatch(new RegExp(`--batch-size.*\\(default ${D.batchSize}\\)`));
    expect(r.out).toMatch(new RegExp(`--lr.*\\(default ${D.lr}\\)`));
    expect(r.out).toMatch(new RegExp(`--weight-decay.*\\(default ${D.weightDecay}\\)`));
  });
});
