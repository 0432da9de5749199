/**
 * Adversarial training on tiny models (cpu, seconds): exact pass counts per method, flat tensor counts across
 * steps, robustness actually learned on robustly separable data, validation curve / best epoch / overfitting gap /
 * restoreBest, resume with the counter restored, and typed errors.
 */
import '@tensorflow/tfjs-backend-cpu';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  ArrayImageDataset,
  type Callback,
  constantLr,
  createRng,
  InvalidArgumentError,
  type Module,
  ResumeMismatchError,
  ShapeError,
} from '@ft/core';
import { tinyConvNet } from '@ft/core/testing';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { beforeAll, describe, expect, it } from 'vitest';
import { adversarialFinetune, adversarialTrain } from './adversarial-train.js';
import { attackAccuracy } from './attack-accuracy.js';
import { PassCounter } from './pass-counter.js';
import { PGD } from './pgd.js';
import { slowStartFastDecay } from './schedules.js';
import { stripePatterns } from './test-helpers.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

/** Two classes in [0, 1]^(4×4): pixel means 0.3 vs 0.7 plus U(−0.15, 0.15) noise (robustly separable at ε = 0.1). */
function separable(n: number, seed: number): ArrayImageDataset {
  const rng = createRng(`sep-${seed}`);
  const images = new Float32Array(n * 16);
  const labels = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    labels[i] = i % 2;
    for (let j = 0; j < 16; j++) images[i * 16 + j] = (labels[i] ? 0.7 : 0.3) + 0.3 * (rng.uniform() - 0.5);
  }
  return new ArrayImageDataset({ images, labels, shape: [4, 4, 1], numClasses: 2 });
}

const patterns = (n: number, seed: number) => stripePatterns(n, `pat-${seed}`, 0.2);

function linear2(seed = 0): tfl.LayersModel {
  const m = tfl.sequential();
  m.add(tfl.layers.flatten({ inputShape: [4, 4, 1] }));
  m.add(tfl.layers.dense({ units: 2, kernelInitializer: tfl.initializers.glorotUniform({ seed }) }));
  return m;
}

describe('pass accounting', () => {
  const ds = patterns(24, 1);
  const cases: Array<[string, 'madry' | 'trades' | 'fast-at' | 'natural', number, number, number]> = [
    // method, per-example attack passes, per-example update passes, per-example forward-only passes
    ['PGD-AT (K = 3): K + 1', 'madry', 3, 1, 0],
    ['TRADES (K = 3): K + 2, plus a forward-only clean target', 'trades', 3, 2, 1],
    ['Fast-AT: 1 + 1', 'fast-at', 1, 1, 0],
    ['natural: 1', 'natural', 0, 0, 0],
  ];
  for (const [name, method, atk, upd, fwd] of cases) {
    it(name, async () => {
      const model = tinyConvNet({ classes: 3, seed: 3 });
      const r = await adversarialTrain(model, ds, {
        method,
        eps: 0.1,
        steps: 3,
        epochs: 2,
        batchSize: 8,
        schedule: constantLr(0.01),
        rng: createRng(1),
      });
      const n = 2 * 24;
      expect(r.passes.adversarialAttack).toBe(n * atk);
      expect(r.passes.adversarialUpdate).toBe(n * upd);
      expect(r.passes.forwardOnly).toBe(n * fwd);
      expect(r.passes.natural).toBe(method === 'natural' ? n : 0);
      expect(r.passes.total).toBe(method === 'natural' ? n : n * (atk + upd));
      expect(r.steps).toBe(6);
      expect(r.history.epochs.length).toBe(2);
      expect(Number.isFinite(r.history.epochs[1].loss)).toBe(true);
    });
  }
});

describe('training behaviour', () => {
  it('keeps the tensor count flat across epochs (madry, BN train mode)', async () => {
    const ds = patterns(24, 2);
    const model = tinyConvNet({ classes: 3, seed: 4 });
    const counts: number[] = [];
    const probe: Callback = { onEpochEnd: () => void counts.push(tf.memory().numTensors) };
    await adversarialTrain(model, ds, {
      eps: 0.1,
      steps: 2,
      epochs: 4,
      batchSize: 8,
      schedule: constantLr(0.01),
      rng: createRng(2),
      callbacks: [probe],
    });
    expect(counts.length).toBe(4);
    expect(counts[3]).toBe(counts[1]);
    expect(counts[2]).toBe(counts[1]);
  });

  it('PGD-AT learns a robust linear classifier on robustly separable data', async () => {
    const train = separable(64, 1);
    const test = separable(64, 2);
    const eps = 0.12;
    const robustAcc = async (m: tfl.LayersModel) =>
      (await attackAccuracy(m, test, { attacks: [new PGD(m, { eps, steps: 10 })] })).worstCase;
    const adv = linear2(1);
    const before = await robustAcc(adv);
    await adversarialTrain(adv, train, {
      eps,
      steps: 5,
      epochs: 15,
      batchSize: 16,
      schedule: constantLr(0.5),
      rng: createRng(3),
    });
    expect(before).toBeLessThan(0.6);
    expect(await robustAcc(adv)).toBeGreaterThanOrEqual(0.95);
  });

  it('uses the schedule per optimizer step (slow start, fast decay)', async () => {
    const model = linear2(2);
    const lrs: number[] = [];
    const probe: Callback = { onStepEnd: (_s, logs) => void lrs.push(logs.lr) };
    const spec = slowStartFastDecay({ peakLr: 0.1, warmFraction: 0.5 });
    await adversarialFinetune(model, separable(32, 3), {
      eps: 0.05,
      steps: 2,
      epochs: 2,
      batchSize: 8,
      schedule: spec,
      rng: createRng(4),
      callbacks: [probe],
    });
    const s = spec.build(8);
    expect(lrs).toEqual(Array.from({ length: 8 }, (_, t) => s(t)));
    expect(Math.max(...lrs)).toBeCloseTo(0.1, 12);
  });

  it('validation: curve per epoch, best epoch, gap = best − last, restoreBest restores those weights', async () => {
    const model = linear2(5);
    const val = separable(32, 4);
    const r = await adversarialTrain(model, separable(32, 5), {
      eps: 0.1,
      steps: 2,
      epochs: 4,
      batchSize: 8,
      schedule: constantLr(2), // a large LR makes the validation curve move around
      rng: createRng(5),
      val: { data: val, restoreBest: true },
    });
    expect(r.valCurve.map((p) => p.epoch)).toEqual([0, 1, 2, 3]);
    const robust = r.valCurve.map((p) => p.robust);
    expect(r.bestRobust).toBe(Math.max(...robust));
    expect(r.bestEpoch).toBe(robust.indexOf(r.bestRobust));
    expect(r.lastRobust).toBe(robust[3]);
    expect(r.overfitGap).toBeCloseTo(r.bestRobust - r.lastRobust, 12);
    expect(r.history.epochs[0].metrics.val_robust).toBe(robust[0]);
    // validation passes are booked as evaluation, not training
    expect(r.passes.evalAttack).toBeGreaterThan(0);
    expect(r.passes.total).toBe(4 * 32 * 3);
    // the restored weights reproduce the best epoch's validation numbers
    const again = await attackAccuracy(model, val, {
      attacks: [new PGD(model, { eps: 0.1, alpha: 0.025, steps: 10, seed: 'val' })],
      rng: createRng(5).fork('val').fork(`epoch-${r.bestEpoch}`),
    });
    expect(r.restoredBest).toBe(true); // with this seed the best epoch (2) is not the last
    expect(again.worstCase).toBe(r.bestRobust);
  });

  it('resumes from a checkpoint with the pass counter restored', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'adv-ckpt-'));
    const ds = separable(16, 6);
    const base = { eps: 0.1, steps: 2, batchSize: 8, schedule: constantLr(0.1) } as const;
    await adversarialTrain(linear2(6), ds, { ...base, epochs: 1, rng: createRng(6), checkpoint: { dir } });
    const resumed = await adversarialTrain(linear2(6), ds, {
      ...base,
      epochs: 2,
      rng: createRng(6),
      checkpoint: { dir, resume: 'auto' },
    });
    expect(resumed.history.resumedFrom).toBeTruthy();
    expect(resumed.passes.adversarial).toBe(2 * 16 * 3);
    // another ε (or method, schedule, batch size…) is a different run: refused unless forced
    const err = await adversarialTrain(linear2(6), ds, {
      ...base,
      eps: 0.2,
      epochs: 3,
      rng: createRng(6),
      checkpoint: { dir, resume: 'auto' },
    }).catch((e) => e);
    expect(err).toBeInstanceOf(ResumeMismatchError);
    expect(err.message).toContain('eps: 0.1 → 0.2');
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('adds to a shared counter (pre-training + fine-tuning totals)', async () => {
    const counter = new PassCounter();
    const model = linear2(7);
    const ds = separable(16, 7);
    await adversarialTrain(model, ds, { method: 'natural', epochs: 3, rng: createRng(7), counter });
    await adversarialFinetune(model, ds, {
      eps: 0.1,
      steps: 4,
      epochs: 1,
      schedule: slowStartFastDecay({ peakLr: 0.05 }),
      rng: createRng(8),
      counter,
    });
    expect(counter.snapshot()).toMatchObject({ natural: 48, adversarial: 16 * 5, total: 48 + 80 });
  });
});

describe('Module models', () => {
  it('trains a custom Module (not a LayersModel) adversarially', async () => {
    const w = tf.variable(tf.zeros([16, 2]), true, 'module_w');
    const b = tf.variable(tf.zeros([2]), true, 'module_b');
    const module: Module = {
      apply: (x) => tf.add(tf.matMul(tf.reshape(x, [x.shape[0], 16]), w), b),
      trainableVariables: [w, b],
      nonTrainableVariables: [],
      getConfig: () => ({}),
    };
    const ds = separable(32, 10);
    const r = await adversarialTrain(module, ds, {
      eps: 0.1,
      steps: 3,
      epochs: 5,
      batchSize: 8,
      schedule: constantLr(0.5),
      rng: createRng(10),
    });
    expect(r.passes.adversarial).toBe(5 * 32 * 4);
    const acc = await attackAccuracy(module, separable(32, 11), { attacks: [new PGD(module, { eps: 0.1, steps: 5 })] });
    expect(acc.worstCase).toBeGreaterThan(0.9);
    tf.dispose([w, b]);
  });
});

describe('errors', () => {
  it('rejects bad options with typed errors', async () => {
    const model = linear2(8);
    const ds = separable(8, 8);
    const rng = createRng(9);
    await expect(adversarialTrain(model, ds, { eps: -0.1, epochs: 1, rng })).rejects.toThrow(/eps must be/);
    await expect(adversarialTrain(model, ds, { method: 'free' as 'madry', epochs: 1, rng })).rejects.toThrow(
      InvalidArgumentError,
    );
    const other = linear2(9);
    await expect(adversarialTrain(model, ds, { attack: new PGD(other, { eps: 0.1 }), epochs: 1, rng })).rejects.toThrow(
      /another model/,
    );
    await expect(adversarialTrain(model, patterns(6, 1), { epochs: 1, rng })).rejects.toThrow(ShapeError);
    await expect(adversarialFinetune(model, ds, { epochs: 1, rng })).rejects.toThrow(/give a schedule/);
    await expect(adversarialTrain(model, ds, { epochs: 0, rng })).rejects.toThrow(/epochs/);
  });
});
