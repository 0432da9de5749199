import '@tensorflow/tfjs-backend-cpu';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AbortedError, allVariablesOf, type Callback, evaluateClassifier, InvalidArgumentError } from '@ft/core';
import { maxAbsDiff } from '@ft/core/testing';
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AdaFilterNet } from '../net/adafilter-net.js';
import { quadrantImages, smallCnn4 } from '../test-helpers.js';
import { gateStats } from './gate-stats.js';
import { ADAFILTER_METHODS, type AdaFilterMethod, type TrainAdaFilterOptions, trainAdaFilter } from './train.js';

let dir: string;
let source: tfl.LayersModel;
const train = quadrantImages(32, 1);
const test = quadrantImages(32, 2);

beforeAll(async () => {
  await tf.setBackend('cpu');
  dir = mkdtempSync(join(tmpdir(), 'adafilter-train-'));
  source = smallCnn4(5);
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
  source.dispose();
});

const base = <M extends AdaFilterMethod = 'adafilter'>(
  o: Partial<TrainAdaFilterOptions<M>> = {},
): TrainAdaFilterOptions<M> => ({
  method: 'adafilter' as M,
  source,
  numClasses: 4,
  train,
  epochs: 3,
  batchSize: 16,
  lr: 0.05,
  augment: null,
  seed: 0,
  log: () => {},
  ...o,
});

describe('trainAdaFilter', () => {
  for (const method of ADAFILTER_METHODS) {
    it(`${method}: trains, lowers the loss, leaves the source alone and keeps tensor counts flat`, async () => {
      const src0 = allVariablesOf(source).map((v) => v.dataSync().slice());
      const counts: number[] = [];
      const counter: Callback = { name: 'count', onStepEnd: () => void counts.push(tf.memory().numTensors) };
      const r = await trainAdaFilter(base({ method, callbacks: [counter] }));
      const losses = r.history.epochs.map((e) => e.loss);
      expect((losses.at(-1) as number) < (losses[0] as number)).toBe(true);
      // flat after the first step (optimizer slots are created on the first step)
      expect(new Set(counts.slice(1)).size).toBe(1);
      for (const [i, v] of allVariablesOf(source).entries()) {
        expect(Array.from(v.dataSync())).toEqual(Array.from(src0[i] as Float32Array));
      }
      if (method === 'linear-probe' || method === 'finetune' || method === 'l2sp') expect(r.gateTrace).toBeUndefined();
      else {
        expect(r.model).toBeInstanceOf(AdaFilterNet);
        expect(r.gateTrace?.map((p) => p.epoch)).toEqual([0, 1, 2]);
        for (const p of r.gateTrace ?? []) expect(p.perLayerMean.every((v) => v >= 0 && v <= 1)).toBe(true);
      }
      const ev = await evaluateClassifier(r.model, test);
      expect(Number.isFinite(ev.loss)).toBe(true);
      r.model.dispose();
    });
  }

  it('random gates run at the given rate, and fixed-rate statistics come out of gateStats', async () => {
    const r = await trainAdaFilter(base<'random-gates'>({ method: 'random-gates', randomRate: 0.3, epochs: 1 }));
    const s = await gateStats(r.model, test);
    expect(s.layers).toEqual(['block2_conv', 'block3_conv', 'block4_conv']);
    expect(s.fineTunedFraction).toBeGreaterThan(0.2);
    expect(s.fineTunedFraction).toBeLessThan(0.4);
    expect(s.perLayerClassMeans.map((m) => m.length)).toEqual([4, 4, 4]);
    expect(s.n).toBe(32);
    r.model.dispose();
  });

  it('learned gates: per-layer, per-class statistics agree with a direct count', async () => {
    const r = await trainAdaFilter(base({ epochs: 2 }));
    const net = r.model;
    const s = await gateStats(net, test, { batchSize: 7 });
    // the same evaluation pass also scores the images
    expect(s.accuracy).toBeCloseTo((await evaluateClassifier(net, test)).accuracy, 10);
    expect(s.predictions).toHaveLength(32);
    const x = tf.tensor4d(test.images as Float32Array, [32, 12, 12, 1]);
    const gates = tf.tidy(() => net.forward(x, { training: false }).gates.map((g) => g.arraySync() as number[][]));
    x.dispose();
    for (const [l, g] of gates.entries()) {
      const all = g.flat();
      expect(s.perLayerMean[l]).toBeCloseTo(all.reduce((a, b) => a + b, 0) / all.length, 6);
      const cls0 = g.filter((_, i) => i % 4 === 0).flat();
      expect((s.perLayerClassMeans[l] as number[])[0]).toBeCloseTo(cls0.reduce((a, b) => a + b, 0) / cls0.length, 6);
    }
    net.dispose();
  });

  it('resumes from its checkpoint after an interrupt to the same weights and gate trace as an uninterrupted run', async () => {
    const full = await trainAdaFilter(base({ epochs: 3 }));
    const ac = new AbortController();
    const stopper: Callback = { name: 'stop', onEpochEnd: (e) => (e === 0 ? ac.abort() : undefined) };
    const ckpt = { dir: join(dir, 'ckpt'), every: 'epoch' as const, resume: 'auto' as const };
    await expect(
      trainAdaFilter(base({ epochs: 3, checkpoint: ckpt, signal: ac.signal, callbacks: [stopper] })),
    ).rejects.toThrow(AbortedError);
    const resumed = await trainAdaFilter(base({ epochs: 3, checkpoint: ckpt }));
    const a = allVariablesOf(full.model);
    const b = allVariablesOf(resumed.model);
    for (const [i, v] of a.entries()) expect(maxAbsDiff(v, b[i] as tf.Variable)).toBeLessThan(1e-6);
    expect(resumed.gateTrace).toEqual(full.gateTrace);
    for (const m of [full.model, resumed.model]) (m as AdaFilterNet).dispose();
  });

  it('rejects an unknown method', async () => {
    await expect(trainAdaFilter(base({ method: 'nope' as never }))).rejects.toThrow(InvalidArgumentError);
  });
});
