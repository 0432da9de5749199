import '@tensorflow/tfjs-backend-cpu';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CheckpointCorruptError, InvalidArgumentError } from '../errors.js';
import { allVariablesOf } from '../models/module.js';
import { createRng } from '../rng.js';
import { bestCheckpoint, loadWeightsInto } from './best-checkpoint.js';
import type { Callback } from './callback.js';
import { earlyStopping, resolveMode } from './early-stopping.js';
import { ema } from './ema.js';
import { type FitOptions, fit } from './fit.js';
import { formatDuration, type ProgressStream, progressBar } from './progress-bar.js';
import { sgd } from './sgd.js';
import { arrayData, ce, denseNet, snapshot, toyProblem } from './test-helpers.js';

let tmp: string;
beforeAll(async () => {
  await tf.setBackend('cpu');
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'ft-train-cb-'));
});
afterAll(async () => {
  await fs.rm(tmp, { recursive: true, force: true });
});

const toy = toyProblem(32, 9);
const data = arrayData(toy, { batchSize: 8 });
const opts = (extra: Partial<FitOptions>): FitOptions => ({
  data,
  loss: ce,
  optimizer: sgd({ lr: 0.1 }),
  epochs: 10,
  rng: createRng(3),
  log: () => {},
  ...extra,
});

/** Writes a scripted value into the epoch logs and snapshots the weights after every epoch. */
function scripted(values: number[], key: string, snaps: Float32Array[][]): Callback {
  return {
    onEpochEnd: (e, logs, ctx) => {
      logs[key] = values[e];
      snaps[e] = snapshot(allVariablesOf(ctx.model));
    },
  };
}

describe('earlyStopping', () => {
  it('stops after `patience` epochs without improvement and restores the best epoch', async () => {
    const model = denseNet(1);
    const snaps: Float32Array[][] = [];
    const es = earlyStopping({ monitor: 'val_score', mode: 'min', patience: 2, restoreBest: true });
    const h = await fit(model, opts({ callbacks: [scripted([1, 0.5, 0.7, 0.6, 0.4, 0.3], 'val_score', snaps), es] }));
    // best at epoch 1; epochs 2 and 3 do not improve ⇒ stop after epoch 3
    expect(h.epochs.map((e) => e.metrics.val_score)).toEqual([1, 0.5, 0.7, 0.6]);
    expect(h.stoppedEarly).toBe(true);
    expect(es.bestEpoch).toBe(1);
    expect(es.stoppedEpoch).toBe(3);
    expect(snapshot(allVariablesOf(model))).toEqual(snaps[1]);
    expect(snaps[3]).not.toEqual(snaps[1]);
    es.dispose();
    model.dispose();
  });

  it('minDelta, max mode and a missing monitor', async () => {
    const model = denseNet(2);
    const es = earlyStopping({ monitor: 'val_acc', patience: 1, minDelta: 0.05 });
    expect(es.mode).toBe('max');
    const h = await fit(model, opts({ callbacks: [scripted([0.5, 0.8, 0.82, 0.9], 'val_acc', []), es] }));
    expect(h.epochs).toHaveLength(3); // 0.82 is not > 0.8 + 0.05
    expect(model.getWeights().length).toBe(4);
    await expect(fit(model, opts({ callbacks: [earlyStopping()] }))).rejects.toThrow(/monitor 'val_loss' is not in/);
    expect(resolveMode('val_loss')).toBe('min');
    expect(resolveMode('val_auroc')).toBe('max');
    expect(() => earlyStopping({ patience: -1 })).toThrow(InvalidArgumentError);
    model.dispose();
  });

  it('works with a validation set (val_loss computed by fit)', async () => {
    const model = denseNet(3);
    const val = arrayData(toyProblem(16, 10), { batchSize: 8, shuffle: false });
    const h = await fit(
      model,
      opts({
        epochs: 3,
        validation: { data: () => val(0, createRng(0)) },
        callbacks: [earlyStopping({ patience: 5 })],
      }),
    );
    expect(h.epochs.every((e) => Number.isFinite(e.metrics.val_loss))).toBe(true);
    model.dispose();
  });
});

describe('bestCheckpoint', () => {
  it('writes the best epoch’s variables and loadWeightsInto restores them', async () => {
    const dir = path.join(tmp, 'best');
    const model = denseNet(4);
    const snaps: Float32Array[][] = [];
    const bc = bestCheckpoint({ dir, monitor: 'val_score', mode: 'max' });
    await fit(model, opts({ epochs: 4, callbacks: [scripted([0.1, 0.9, 0.5, 0.8], 'val_score', snaps), bc] }));
    expect(bc.bestEpoch).toBe(1);
    const other = denseNet(5);
    const meta = await loadWeightsInto(other, dir);
    expect(meta).toMatchObject({ epoch: 1, monitor: 'val_score', value: 0.9 });
    expect(snapshot(allVariablesOf(other))).toEqual(snaps[1]);
    const w = path.join(dir, 'weights.bin');
    const buf = await fs.readFile(w);
    buf[0] ^= 1;
    await fs.writeFile(w, buf);
    await expect(loadWeightsInto(other, dir)).rejects.toThrow(CheckpointCorruptError);
    model.dispose();
    other.dispose();
  });
});

describe('ema', () => {
  it('follows θ̄ ← dθ̄ + (1−d)θ with TF warm-up, and withAveraged swaps weights in and out', async () => {
    const model = denseNet(6);
    const vars = allVariablesOf(model);
    const e = ema({ decay: 0.9 });
    const hist: Float32Array[][] = [snapshot(vars)];
    const rec: Callback = { onStepEnd: () => void hist.push(snapshot(vars)) };
    await fit(model, opts({ steps: 3, callbacks: [rec, e] }));
    // reference: shadow_0 = θ_0, d_t = min(0.9, (1+t)/(10+t)) = 2/11, 3/12, 4/13
    let ref = hist[0].map((a) => Float64Array.from(a));
    for (let t = 1; t <= 3; t++) {
      const d = Math.min(0.9, (1 + t) / (10 + t));
      ref = ref.map((a, i) => a.map((x, j) => d * x + (1 - d) * hist[t][i][j]));
    }
    const got = snapshot(e.weights);
    got.forEach((a, i) => {
      for (let j = 0; j < a.length; j++) expect(a[j]).toBeCloseTo(ref[i][j], 5);
    });
    const trained = snapshot(vars);
    const inside = await e.withAveraged(() => snapshot(vars));
    expect(inside).toEqual(got);
    expect(snapshot(vars)).toEqual(trained);
    e.apply();
    expect(snapshot(vars)).toEqual(got);
    expect(() => ema({ decay: 1 })).toThrow(InvalidArgumentError);
    e.dispose();
    model.dispose();
  });
});

describe('progressBar', () => {
  const stream = (tty: boolean) => {
    const out: string[] = [];
    const s: ProgressStream = { isTTY: tty, columns: 200, write: (c: string) => out.push(c) };
    return { s, out };
  };

  it('renders loss, img/s and ETA on a TTY', async () => {
    const { s, out } = stream(true);
    const model = denseNet(7);
    await fit(model, opts({ epochs: 2, callbacks: [progressBar({ stream: s, minIntervalMs: 0 })] }));
    const text = out.join('');
    expect(text).toMatch(/epoch 1\/2 /);
    expect(text).toMatch(/loss \d\.\d{4}/);
    expect(text).toMatch(/img\/s/);
    expect(text).toMatch(/ETA \d+:\d\d/);
    expect(text).toMatch(/\[=+>?\s*\] \d\/4/); // epoch 2 knows the epoch length
    expect(out.filter((c) => c === '\n')).toHaveLength(2);
    model.dispose();
  });

  it('is silent on a non-TTY stream', async () => {
    const { s, out } = stream(false);
    const model = denseNet(8);
    await fit(model, opts({ epochs: 1, callbacks: [progressBar({ stream: s })] }));
    expect(out).toEqual([]);
    model.dispose();
  });

  it('formats durations', () => {
    expect(formatDuration(0)).toBe('0:00');
    expect(formatDuration(75)).toBe('1:15');
    expect(formatDuration(3725)).toBe('1:02:05');
    expect(formatDuration(Number.NaN)).toBe('?');
  });
});
