import '@tensorflow/tfjs-backend-cpu';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AbortedError, CheckpointCorruptError, ResumeMismatchError, UnsafePathError } from '../errors.js';
import { allVariablesOf } from '../models/module.js';
import { createRng } from '../rng.js';
import type { Callback } from './callback.js';
import { cleanStaleCheckpointTemps, listCheckpoints, loadCheckpoint, saveCheckpoint } from './checkpoint.js';
import { type CheckpointOptions, fit } from './fit.js';
import { sgd } from './sgd.js';
import { arrayData, ce, denseNet, snapshot, toyProblem } from './test-helpers.js';

let tmp: string;
beforeAll(async () => {
  await tf.setBackend('cpu');
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'ft-resume-config-'));
});
afterAll(async () => {
  await fs.rm(tmp, { recursive: true, force: true });
});

const data = arrayData(toyProblem(32, 2), { batchSize: 8 }); // 4 steps per epoch
const config = { dataset: 'toy', seed: 2, lr: 0.1, batchSize: 8, epochs: 2, arch: 'dense8' };

const run = (
  seed: number,
  lr: number,
  checkpoint: CheckpointOptions,
  callbacks: Callback[] = [],
  signal?: AbortSignal,
) =>
  fit(denseModels[seed], {
    data,
    loss: ce,
    optimizer: sgd({ lr, momentum: 0.9 }),
    epochs: 2,
    rng: createRng(2),
    checkpoint,
    callbacks,
    ...(signal ? { signal } : {}),
    log: () => {},
  });
const denseModels: Record<number, ReturnType<typeof denseNet>> = {};

/** Runs 3 steps in `dir` with `config`, then aborts (checkpoint every step). */
async function interrupted(dir: string, seed: number) {
  denseModels[seed] = denseNet(4);
  const ac = new AbortController();
  const stop: Callback = { onStepEnd: (s) => (s === 2 ? ac.abort() : undefined) };
  await expect(run(seed, 0.1, { dir, every: 1, config }, [stop], ac.signal)).rejects.toThrow(AbortedError);
}

describe('resume fingerprint (checkpoint.config)', () => {
  it('the same config resumes bit-identically; a changed lr throws ResumeMismatchError naming lr; forceResume proceeds', async () => {
    denseModels[0] = denseNet(4);
    await run(0, 0.1, { dir: path.join(tmp, 'full'), config });
    const want = snapshot(allVariablesOf(denseModels[0]));

    const dir = path.join(tmp, 'a');
    await interrupted(dir, 1);
    const saved = await loadCheckpoint((await listCheckpoints(dir)).at(-1)?.path as string);
    expect((saved.state as { config: unknown }).config).toEqual(config);
    tf.dispose(saved.weights);

    // changed lr (and batch size): refused, both settings named with old and new values
    denseModels[2] = denseNet(9);
    const err = await run(2, 0.2, { dir, resume: 'auto', config: { ...config, lr: 0.2, batchSize: 16 } }).catch(
      (e) => e,
    );
    expect(err).toBeInstanceOf(ResumeMismatchError);
    expect(err.code).toBe('RESUME_MISMATCH');
    expect(err.message).toContain('batchSize: 8 → 16');
    expect(err.message).toContain('lr: 0.1 → 0.2');
    expect(err.message).toMatch(/forceResume/);
    expect(err.details.differences.map((d: { key: string }) => d.key)).toEqual(['batchSize', 'lr']);

    // same config: resumes and ends bit-identical to the uninterrupted run
    denseModels[3] = denseNet(9);
    const h = await run(3, 0.1, { dir, resume: 'auto', config });
    expect(h.resumedFrom).toMatch(/ckpt-3$/);
    expect(snapshot(allVariablesOf(denseModels[3]))).toEqual(want);
  });

  it('forceResume logs the differences and continues; a new key counts as a difference', async () => {
    const dir = path.join(tmp, 'b');
    await interrupted(dir, 4);
    denseModels[5] = denseNet(9);
    const logs: string[] = [];
    const h = await fit(denseModels[5], {
      data,
      loss: ce,
      optimizer: sgd({ lr: 0.2, momentum: 0.9 }),
      epochs: 2,
      rng: createRng(2),
      checkpoint: { dir, resume: 'auto', config: { ...config, lr: 0.2, method: 'x' }, forceResume: true },
      log: (m) => logs.push(m),
    });
    expect(h.steps).toBe(8);
    expect(logs.join('\n')).toMatch(/forceResume.*lr: 0.1 → 0.2, method: \(unset\) → "x"/);
    const last = await loadCheckpoint((await listCheckpoints(dir)).at(-1)?.path as string);
    expect((last.state as { config: { lr: number } }).config.lr).toBe(0.2); // later checkpoints carry the new run
    tf.dispose(last.weights);
  });

  it('a checkpoint without a fingerprint is refused when config is given, unless forced; no config ⇒ no check', async () => {
    const dir = path.join(tmp, 'legacy');
    denseModels[6] = denseNet(4);
    const ac = new AbortController();
    const stop: Callback = { onStepEnd: (s) => (s === 1 ? ac.abort() : undefined) };
    await expect(run(6, 0.1, { dir, every: 1 }, [stop], ac.signal)).rejects.toThrow(AbortedError);
    denseModels[7] = denseNet(4);
    const err = await run(7, 0.1, { dir, resume: 'auto', config }).catch((e) => e);
    expect(err).toBeInstanceOf(ResumeMismatchError);
    expect(err.message).toMatch(/no run fingerprint/);
    const h = await run(7, 0.1, { dir, resume: 'auto', config, forceResume: true });
    expect(h.resumedFrom).toBeDefined();
  });
});

describe('checkpoint directory hygiene', () => {
  it('stale temp folders of dead processes are removed, an orphaned .old- is restored, other files are kept', async () => {
    const dir = path.join(tmp, 'stale');
    const v = [tf.tensor1d([1, 2])];
    await saveCheckpoint(dir, 1, { weights: v, state: {} });
    const dead = 2 ** 22 + 12345; // above the default pid_max: no such process
    const mk = async (n: string) => {
      await fs.mkdir(path.join(dir, n));
      await fs.writeFile(path.join(dir, n, 'x'), 'x');
    };
    await mk(`.tmp-ckpt-2-${dead}-0`);
    await fs.cp(path.join(dir, 'ckpt-1'), path.join(dir, `.old-ckpt-5-${dead}-1`), { recursive: true });
    await mk(`.tmp-ckpt-3-${process.ppid}-0`); // a live process (our parent): maybe saving right now
    await mk(`.tmp-ckpt-4-${process.pid}-0`); // ours, newer than this process: maybe saving right now
    await mk('.tmp-notours-1-2'); // not our naming pattern
    await fs.writeFile(path.join(dir, `.tmp-ckpt-6-${dead}-0`), 'a file, not a folder');
    const logs: string[] = [];
    const done = await cleanStaleCheckpointTemps(dir, (m) => logs.push(m));
    expect(done.sort()).toEqual([`.old-ckpt-5-${dead}-1`, `.tmp-ckpt-2-${dead}-0`]);
    const left = (await fs.readdir(dir)).sort();
    expect(left).toEqual(
      [
        '.tmp-notours-1-2',
        `.tmp-ckpt-3-${process.ppid}-0`,
        `.tmp-ckpt-4-${process.pid}-0`,
        `.tmp-ckpt-6-${dead}-0`,
        'ckpt-1',
        'ckpt-5',
      ].sort(),
    );
    expect(logs.join('\n')).toMatch(/restored .*ckpt-5/);
    expect(await cleanStaleCheckpointTemps(path.join(tmp, 'absent'))).toEqual([]);
    tf.dispose(v);
  });

  it('fit cleans stale temp folders when it starts in a checkpoint dir', async () => {
    const dir = path.join(tmp, 'stale-fit');
    await fs.mkdir(path.join(dir, `.tmp-ckpt-4-${2 ** 22 + 1}-0`), { recursive: true });
    denseModels[8] = denseNet(4);
    await run(8, 0.1, { dir, config });
    expect((await fs.readdir(dir)).filter((n) => n.startsWith('.'))).toEqual([]);
  });

  it('manifest file names are confined to the checkpoint folder and sizes are checked before reading', async () => {
    const dir = path.join(tmp, 'confined');
    const v = [tf.tensor1d([1, 2])];
    const ck = await saveCheckpoint(dir, 1, { weights: v, state: {} });
    tf.dispose(v);
    const mfile = path.join(ck, 'manifest.json');
    const m = JSON.parse(await fs.readFile(mfile, 'utf8'));
    await fs.writeFile(path.join(tmp, 'outside.bin'), 'secret');
    const withFiles = (files: unknown) => fs.writeFile(mfile, JSON.stringify({ ...m, files }));
    await withFiles({ ...m.files, '../../outside.bin': { bytes: 6, sha256: 'x' } });
    await expect(loadCheckpoint(ck)).rejects.toThrow(UnsafePathError);
    await withFiles({ ...m.files, '/etc/passwd': { bytes: 6, sha256: 'x' } });
    await expect(loadCheckpoint(ck)).rejects.toThrow(UnsafePathError);
    await fs.symlink(path.join(tmp, 'outside.bin'), path.join(ck, 'link.bin'));
    await withFiles({ ...m.files, 'link.bin': { bytes: 6, sha256: 'x' } });
    await expect(loadCheckpoint(ck)).rejects.toThrow(UnsafePathError);
    await withFiles({ ...m.files, 'weights.bin': { ...m.files['weights.bin'], bytes: 1e12 } });
    await expect(loadCheckpoint(ck)).rejects.toThrow(
      /weights.bin does not match its manifest \(\d+ bytes, expected 1000000000000\)/,
    );
    await withFiles({ ...m.files, 'weights.bin': { bytes: -1, sha256: 1 } });
    await expect(loadCheckpoint(ck)).rejects.toThrow(CheckpointCorruptError);
  });
});
