import '@tensorflow/tfjs-backend-cpu';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CheckpointCorruptError, ShapeError } from '../errors.js';
import {
  assignVariables,
  disposeCheckpoint,
  joinTensorTree,
  listCheckpoints,
  loadCheckpoint,
  loadLatestCheckpoint,
  pruneCheckpoints,
  saveCheckpoint,
  splitTensorTree,
} from './checkpoint.js';

let tmp: string;
beforeAll(async () => {
  await tf.setBackend('cpu');
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'ft-ckpt-'));
});
afterAll(async () => {
  await fs.rm(tmp, { recursive: true, force: true });
});

describe('checkpoint files', () => {
  it('round-trips weights and a state tree with tensors, NaN and Infinity exactly', async () => {
    const w = [
      tf.tensor2d([
        [1.5, -2],
        [Math.PI, 1e-30],
      ]),
      tf.tensor1d([7, 8, 9], 'int32'),
    ];
    const state = {
      a: { m: tf.tensor1d([0.1, 0.2]), n: null },
      best: Number.POSITIVE_INFINITY,
      x: Number.NaN,
      s: 'hi',
      l: [1, true],
    };
    const p = await saveCheckpoint(tmp, 3, { weights: w, weightNames: ['w', 'b'], state });
    expect(p).toBe(path.join(tmp, 'ckpt-3'));
    expect((await fs.readdir(p)).sort()).toEqual(['manifest.json', 'state.bin', 'state.json', 'weights.bin']);
    const manifest = JSON.parse(await fs.readFile(path.join(p, 'manifest.json'), 'utf8'));
    expect(manifest).toMatchObject({ format: 'ft-checkpoint', complete: true, step: 3 });
    expect(manifest.files['weights.bin'].sha256).toMatch(/^[0-9a-f]{64}$/);
    const c = await loadCheckpoint(p);
    expect(Array.from(c.weights[0].dataSync())).toEqual(Array.from(w[0].dataSync()));
    expect(c.weights[1].dtype).toBe('int32');
    expect(c.weightSpecs.map((s) => s.name)).toEqual(['w', 'b']);
    const s = c.state as typeof state;
    expect(Array.from(s.a.m.dataSync())).toEqual(Array.from(state.a.m.dataSync()));
    expect(s.best).toBe(Number.POSITIVE_INFINITY);
    expect(s.x).toBeNaN();
    expect([s.s, s.l, s.a.n]).toEqual(['hi', [1, true], null]);
    disposeCheckpoint(c);
    tf.dispose([...w, state.a.m]);
  });

  it('split/join of a tensor tree', () => {
    const t = tf.scalar(1);
    const { json, tensors } = splitTensorTree({ k: [t, 2] });
    expect(json).toEqual({ k: [{ __tensor__: 0 }, 2] });
    expect(joinTensorTree(json, tensors)).toEqual({ k: [t, 2] });
    t.dispose();
  });

  it('detects truncation, missing manifest; latest skips them; prune keeps the newest', async () => {
    const dir = path.join(tmp, 'many');
    const w = [tf.ones([4])];
    for (const s of [1, 2, 3]) await saveCheckpoint(dir, s, { weights: w, state: { s } });
    await fs.truncate(path.join(dir, 'ckpt-3', 'weights.bin'), 8); // a torn write
    await fs.rm(path.join(dir, 'ckpt-2', 'manifest.json'));
    await expect(loadCheckpoint(path.join(dir, 'ckpt-2'))).rejects.toThrow(/manifest.json is missing/);
    const msgs: string[] = [];
    const c = await loadLatestCheckpoint(dir, (m) => msgs.push(m));
    expect(c?.path).toBe(path.join(dir, 'ckpt-1'));
    expect(msgs).toHaveLength(2);
    expect(msgs[0]).toMatch(/ckpt-3.*weights\.bin does not match its manifest \(8 bytes, expected 16/);
    if (c) disposeCheckpoint(c);
    await saveCheckpoint(dir, 10, { weights: w, state: {} });
    await pruneCheckpoints(dir, 2);
    expect((await listCheckpoints(dir)).map((x) => x.step)).toEqual([3, 10]);
    expect(await listCheckpoints(path.join(tmp, 'absent'))).toEqual([]);
    // no temp directories are left behind
    expect((await fs.readdir(dir)).filter((n) => n.startsWith('.'))).toEqual([]);
    tf.dispose(w);
    await expect(loadCheckpoint(path.join(dir, 'ckpt-3'))).rejects.toThrow(CheckpointCorruptError);
  });

  it('assignVariables checks count and shapes', () => {
    const v = tf.variable(tf.zeros([2]));
    const ok = tf.tensor1d([1, 2]);
    assignVariables([v], [ok], 'test');
    expect(Array.from(v.dataSync())).toEqual([1, 2]);
    const bad = tf.zeros([3]);
    expect(() => assignVariables([v], [bad], 'src')).toThrow(ShapeError);
    expect(() => assignVariables([v], [], 'src')).toThrow(/has 0 tensors/);
    tf.dispose([v, ok, bad]);
  });
});
