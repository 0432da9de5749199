import '@tensorflow/tfjs-backend-cpu';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CheckpointCorruptError, InvalidArgumentError } from '../errors.js';
import type { Module } from '../models/module.js';
import { bestCheckpoint, loadWeightsInto } from './best-checkpoint.js';
import type { TrainContext } from './callback.js';

let tmp: string;
beforeAll(async () => {
  await tf.setBackend('cpu');
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'ft-best-ckpt-'));
});
afterAll(async () => {
  await fs.rm(tmp, { recursive: true, force: true });
});

function fakeModel(w0: number[]): Module & { w: tf.Variable; s: tf.Variable } {
  const w = tf.variable(tf.tensor1d(w0), true);
  const s = tf.variable(tf.tensor1d([0]), false);
  return { w, s, apply: (x) => x, trainableVariables: [w], nonTrainableVariables: [s], getConfig: () => ({}) };
}

const ctxOf = (model: Module, step: number): TrainContext => ({
  model,
  optimizer: undefined as unknown as TrainContext['optimizer'],
  step,
  epoch: 0,
  stepInEpoch: 0,
  stopTraining: false,
  lastCheckpoint: null,
  resumed: false,
  history: { epochs: [], steps: 0, stoppedEarly: false },
  log: () => {},
});

describe('bestCheckpoint', () => {
  it('writes only on improvement (max mode for val_acc) and loadWeightsInto restores the best epoch', async () => {
    const dir = path.join(tmp, 'acc');
    const m = fakeModel([0, 0]);
    const bc = bestCheckpoint({ dir, monitor: 'val_acc' });
    expect(bc.mode).toBe('max');
    expect(bc.dir).toBe(path.resolve(dir));
    const accs = [0.5, 0.7, 0.6, 0.7];
    for (let e = 0; e < accs.length; e++) {
      m.w.assign(tf.tensor1d([e, -e]));
      m.s.assign(tf.tensor1d([10 * e]));
      await bc.onEpochEnd(e, { loss: 0, lr: 0, val_acc: accs[e] }, ctxOf(m, 5 * (e + 1)));
    }
    expect(bc.best).toBe(0.7);
    expect(bc.bestEpoch).toBe(1); // the tie at epoch 3 is no improvement
    const fresh = fakeModel([9, 9]);
    const meta = await loadWeightsInto(fresh, dir);
    expect(Array.from(fresh.w.dataSync())).toEqual([1, -1]);
    expect(Array.from(fresh.s.dataSync())).toEqual([10]);
    expect(meta).toMatchObject({ epoch: 1, step: 10, monitor: 'val_acc', value: 0.7 });
    tf.dispose([m.w, m.s, fresh.w, fresh.s]);
  });

  it('state round-trips; a missing monitor and a bad directory throw typed errors', async () => {
    const bc = bestCheckpoint({ dir: path.join(tmp, 'x') });
    expect(bc.mode).toBe('min');
    bc.setState({ best: 0.3, bestEpoch: 4 });
    expect(bc.getState()).toEqual({ best: 0.3, bestEpoch: 4 });
    const m = fakeModel([1]);
    await expect(bc.onEpochEnd(0, { loss: 1, lr: 0 }, ctxOf(m, 0))).rejects.toThrow(InvalidArgumentError);
    await expect(loadWeightsInto(m, path.join(tmp, 'nothing-here'))).rejects.toThrow(CheckpointCorruptError);
    tf.dispose([m.w, m.s]);
  });
});
