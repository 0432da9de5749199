import '@tensorflow/tfjs-backend-cpu';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AbortedError, CheckpointCorruptError, InvalidArgumentError } from '../errors.js';
import { allVariablesOf } from '../models/module.js';
import { createRng } from '../rng.js';
import { tinyConvNet, toyImages } from '../testing/index.js';
import { adam } from './adam.js';
import type { ForwardContext, TrainBatch } from './batch.js';
import type { Callback, History } from './callback.js';
import { listCheckpoints } from './checkpoint.js';
import { earlyStopping } from './early-stopping.js';
import { ema } from './ema.js';
import { type FitOptions, fit } from './fit.js';
import { cosine } from './schedules.js';
import { sgd } from './sgd.js';
import { accuracy, arrayData, ce, denseNet, snapshot, toyProblem } from './test-helpers.js';

let tmp: string;
beforeAll(async () => {
  await tf.setBackend('cpu');
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'ft-train-resume-'));
});
afterAll(async () => {
  await fs.rm(tmp, { recursive: true, force: true });
});

/** Stochastic forward: input noise drawn from the fit step RNG (exercises its checkpointed state). */
const noisyForward = (model: tfl.LayersModel | unknown, batch: TrainBatch, ctx: ForwardContext) => {
  const x = batch.x as tf.Tensor;
  const noise = Float32Array.from({ length: x.size }, () => 0.05 * (ctx.rng as ReturnType<typeof createRng>).normal());
  return (model as tfl.LayersModel).apply(tf.add(x, tf.tensor(noise, x.shape)), { training: true }) as tf.Tensor;
};

const abortAfter = (k: number, ac: AbortController): Callback => ({
  onStepEnd: (step) => {
    if (step === k - 1) ac.abort();
  },
});

describe('checkpoint / resume', () => {
  const images = toyImages(16, 3);
  const convData = arrayData(images, { batchSize: 4, shape: [6, 6, 1] });

  /** 2 epochs × 4 steps of a conv+BN net with Adam, a cosine schedule, EMA and a stochastic forward. */
  const convRun = (model: tfl.LayersModel, extra: Partial<FitOptions>) => {
    const emaCb = ema({ decay: 0.9 });
    const { callbacks = [], ...rest } = extra;
    const run = fit(model, {
      data: convData,
      loss: ce,
      optimizer: adam({ lr: 0.01, weightDecay: 1e-3 }),
      schedule: cosine({ lr: 0.01, T: 8 }),
      epochs: 2,
      rng: createRng('resume'),
      forward: noisyForward,
      metrics: { acc: accuracy },
      callbacks: [emaCb, ...callbacks],
      ...rest,
    });
    return { emaCb, run };
  };

  it('interrupt after k steps + resume auto is bit-identical to an uninterrupted run (weights, BN stats, EMA, losses)', async () => {
    // A: uninterrupted
    const a = tinyConvNet(11);
    const ra = convRun(a, {});
    const ha = await ra.run;
    const wa = snapshot(allVariablesOf(a));
    const ea = snapshot(ra.emaCb.weights);
    // the BN moving statistics did move, so comparing them means something
    const mm = allVariablesOf(a).find((v) => v.name.includes('moving_mean'));
    expect(Array.from(mm?.dataSync() ?? []).some((x) => x !== 0)).toBe(true);

    // B: abort after 5 steps (epoch 1, one batch in), checkpoint every 3 steps
    const dir = path.join(tmp, 'conv');
    const b = tinyConvNet(11);
    const ac = new AbortController();
    const err = await convRun(b, {
      checkpoint: { dir, every: 3 },
      signal: ac.signal,
      callbacks: [abortAfter(5, ac)],
    }).run.catch((e) => e);
    expect(err).toBeInstanceOf(AbortedError);
    expect(err.details.step).toBe(5);
    expect(err.details.checkpoint).toBe(path.join(dir, 'ckpt-5'));
    expect((await listCheckpoints(dir)).map((c) => c.step)).toEqual([3, 5]);
    b.dispose();

    // C: a fresh process-like restart: new model with a different init, new optimizer, new EMA, new rng
    const c = tinyConvNet(99);
    const rc = convRun(c, { checkpoint: { dir, every: 3, resume: 'auto' }, callbacks: [abortAfter(-1, ac)] });
    const hc = await rc.run;
    expect(hc.resumedFrom).toBe(path.join(dir, 'ckpt-5'));
    expect(hc.steps).toBe(ha.steps);
    expect(hc.epochs.map((e) => [e.epoch, e.loss, e.lr, e.steps, e.metrics])).toEqual(
      ha.epochs.map((e) => [e.epoch, e.loss, e.lr, e.steps, e.metrics]),
    );
    expect(snapshot(allVariablesOf(c))).toEqual(wa); // bitwise (Float32Array equality)
    expect(snapshot(rc.emaCb.weights)).toEqual(ea);
    // the run finished: a final checkpoint exists, and resuming again does no more steps
    expect((await listCheckpoints(dir)).map((x) => x.step)).toEqual([6, 8]);
    a.dispose();
    c.dispose();
    ra.emaCb.dispose();
    rc.emaCb.dispose();
  });

  const toy = toyProblem(32, 5);
  const denseData = arrayData(toy, { batchSize: 8 });
  const denseOpts = (extra: Partial<FitOptions>): FitOptions => ({
    data: denseData,
    loss: ce,
    optimizer: sgd({ lr: 0.1, momentum: 0.9 }),
    epochs: 3,
    rng: createRng(77),
    log: () => {},
    ...extra,
  });

  it('skips corrupt and incomplete checkpoints with a warning and still ends bit-identical', async () => {
    const ref = denseNet(21);
    const href = await fit(ref, denseOpts({}));
    const wref = snapshot(allVariablesOf(ref));

    const dir = path.join(tmp, 'dense');
    const b = denseNet(21);
    const ac = new AbortController();
    await expect(
      fit(
        b,
        denseOpts({ checkpoint: { dir, every: 2, keepLast: 3 }, signal: ac.signal, callbacks: [abortAfter(7, ac)] }),
      ),
    ).rejects.toThrow(AbortedError);
    expect((await listCheckpoints(dir)).map((c) => c.step)).toEqual([4, 6, 7]);
    // corrupt the newest weights (one flipped byte) and fake an incomplete newer one
    const wfile = path.join(dir, 'ckpt-7', 'weights.bin');
    const buf = await fs.readFile(wfile);
    buf[10] ^= 0xff;
    await fs.writeFile(wfile, buf);
    await fs.mkdir(path.join(dir, 'ckpt-9'));
    await fs.writeFile(path.join(dir, 'ckpt-9', 'weights.bin'), 'partial');

    // explicitly requesting the corrupt one is an error naming the file
    const c0 = denseNet(5);
    const e1 = await fit(c0, denseOpts({ checkpoint: { dir, resume: path.join(dir, 'ckpt-7') } })).catch((e) => e);
    expect(e1).toBeInstanceOf(CheckpointCorruptError);
    expect(e1.message).toContain(wfile);
    // resume: false refuses to mix runs
    await expect(fit(c0, denseOpts({ checkpoint: { dir } }))).rejects.toThrow(InvalidArgumentError);
    c0.dispose();

    const warnings: string[] = [];
    const c = denseNet(5);
    const hc: History = await fit(
      c,
      denseOpts({ checkpoint: { dir, every: 2, keepLast: 3, resume: 'auto' }, log: (m) => warnings.push(m) }),
    );
    expect(warnings.some((w) => w.includes('ckpt-9') && w.includes('manifest.json'))).toBe(true);
    expect(warnings.some((w) => w.includes('ckpt-7') && w.includes('sha256'))).toBe(true);
    expect(hc.resumedFrom).toBe(path.join(dir, 'ckpt-6'));
    expect(snapshot(allVariablesOf(c))).toEqual(wref);
    expect(hc.epochs.map((e) => e.loss)).toEqual(href.epochs.map((e) => e.loss));
    ref.dispose();
    b.dispose();
    c.dispose();
  });

  it("every: 'epoch' checkpoints at epoch ends; resuming a finished run trains no further", async () => {
    const dir = path.join(tmp, 'epochs');
    const m = denseNet(31);
    const h1 = await fit(m, denseOpts({ checkpoint: { dir } }));
    expect((await listCheckpoints(dir)).map((c) => c.step)).toEqual([8, 12]);
    const w1 = snapshot(allVariablesOf(m));
    const m2 = denseNet(32);
    let steps = 0;
    const h2 = await fit(
      m2,
      denseOpts({ checkpoint: { dir, resume: 'auto' }, callbacks: [{ onStepEnd: () => void steps++ }] }),
    );
    expect(steps).toBe(0);
    expect(h2.epochs).toEqual(h1.epochs);
    expect(snapshot(allVariablesOf(m2))).toEqual(w1);
    m.dispose();
    m2.dispose();
  });

  it('callback state with tensors (earlyStopping best weights) survives a resume', async () => {
    const script = [1, 0.2, 0.5, 0.6, 0.7, 0.8];
    const scripted: Callback = {
      onEpochEnd: (e, logs) => {
        logs.val_score = script[e];
      },
    };
    const run = (m: tfl.LayersModel, extra: Partial<FitOptions>) =>
      fit(
        m,
        denseOpts({
          epochs: 6,
          callbacks: [scripted, earlyStopping({ monitor: 'val_score', patience: 10, restoreBest: true })],
          ...extra,
        }),
      );
    const a = denseNet(41);
    await run(a, {});
    const dir = path.join(tmp, 'es');
    const b = denseNet(41);
    const ac = new AbortController();
    // abort in epoch 3, well after the best epoch (1) whose weights live only in the callback state
    const abortCb: Callback = { onStepEnd: (s) => (s === 13 ? ac.abort() : undefined) };
    await expect(
      fit(
        b,
        denseOpts({
          epochs: 6,
          signal: ac.signal,
          checkpoint: { dir, every: 5 },
          callbacks: [scripted, earlyStopping({ monitor: 'val_score', patience: 10, restoreBest: true }), abortCb],
        }),
      ),
    ).rejects.toThrow(AbortedError);
    const c = denseNet(42);
    await fit(
      c,
      denseOpts({
        epochs: 6,
        checkpoint: { dir, every: 5, resume: 'auto' },
        callbacks: [scripted, earlyStopping({ monitor: 'val_score', patience: 10, restoreBest: true }), { name: 'x' }],
      }),
    );
    expect(snapshot(allVariablesOf(c))).toEqual(snapshot(allVariablesOf(a)));
    a.dispose();
    b.dispose();
    c.dispose();
  });

  it('a run stopped by earlyStopping stays stopped when resumed', async () => {
    const dir = path.join(tmp, 'stopped');
    const scripted: Callback = {
      onEpochEnd: (e, logs) => {
        logs.val_score = [1, 2, 3, 4, 5, 6][e];
      },
    };
    const cbs = () => [scripted, earlyStopping({ monitor: 'val_score', mode: 'min', patience: 1 })];
    const m = denseNet(51);
    const h1 = await fit(m, denseOpts({ epochs: 6, checkpoint: { dir }, callbacks: cbs() }));
    expect(h1.stoppedEarly).toBe(true);
    expect(h1.epochs).toHaveLength(2);
    let steps = 0;
    const h2 = await fit(
      m,
      denseOpts({
        epochs: 6,
        checkpoint: { dir, resume: 'auto' },
        callbacks: [...cbs(), { onStepEnd: () => void steps++ }],
      }),
    );
    expect(steps).toBe(0);
    expect(h2.stoppedEarly).toBe(true);
    expect(h2.epochs).toEqual(h1.epochs);
    m.dispose();
  });
});
