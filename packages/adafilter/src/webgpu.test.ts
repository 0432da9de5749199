/**
 * Issue 18: AdaFilter trains and evaluates on `ft-webgpu` unchanged. CI has no GPU: this runs on the software adapter
 * (Dawn's OpenGL backend over Mesa llvmpipe), for correctness, never speed. The run is compared with the `cpu` backend
 * from the same source weights and seed; float32 on llvmpipe rounds differently, so the losses agree to a tolerance,
 * not bit for bit. The cpu run goes first: a tensor moved to the GPU cannot come back synchronously.
 */
import '@tensorflow/tfjs-backend-cpu';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Callback, evaluateClassifier, saveModel } from '@ft/core';
import { commandContext, registerWebGpuForTests, relDiff, writeImageFolder } from '@ft/core/testing';
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { evalCommand, trainCommand } from './cli/train-command.js';
import type { AdaFilterNet } from './net/adafilter-net.js';
import { loadAdaFilter, saveAdaFilter } from './net/save-load.js';
import { quadrantImages, smallCnn4 } from './test-helpers.js';
import { type GateStats, gateStats } from './train/gate-stats.js';
import { type TrainAdaFilterResult, trainAdaFilter } from './train/train.js';

let source: tfl.LayersModel;
let available = false;
let dir: string;
const train = quadrantImages(32, 1);
const test = quadrantImages(32, 2);

beforeAll(async () => {
  await tf.setBackend('cpu');
  source = smallCnn4(5);
  dir = mkdtempSync(join(tmpdir(), 'adafilter-webgpu-'));
  writeImageFolder(join(dir, 'data', 'train'), quadrantImages(40, 1));
  writeImageFolder(join(dir, 'data', 'test'), quadrantImages(12, 2));
  await saveModel(source, join(dir, 'source'));
  available = await registerWebGpuForTests();
}, 60_000);
afterAll(async () => {
  await tf.setBackend('cpu');
  source?.dispose();
  rmSync(dir, { recursive: true, force: true });
});

interface Run {
  r: TrainAdaFilterResult<'adafilter'>;
  counts: number[];
  stats: GateStats;
  accuracy: number;
  loss: number;
}

/** AdaFilter (learned gates, gated BN) for 2 epochs of 2 batches, then the evaluation of `ft adafilter eval`. */
async function run(backend: string): Promise<Run> {
  await tf.setBackend(backend);
  const counts: number[] = [];
  const probe: Callback = { name: 'count', onStepEnd: () => void counts.push(tf.memory().numTensors) };
  const r = await trainAdaFilter({
    method: 'adafilter',
    source,
    numClasses: 4,
    train,
    epochs: 2,
    batchSize: 16,
    lr: 0.05,
    augment: null,
    seed: 0,
    callbacks: [probe],
    log: () => {},
  });
  const stats = await gateStats(r.model, test);
  const ev = await evaluateClassifier(r.model, test);
  return { r, counts, stats, accuracy: ev.accuracy, loss: ev.loss };
}

describe('AdaFilter on ft-webgpu (software adapter)', () => {
  it('trainAdaFilter, gateStats and evaluateClassifier give the cpu run; a saved network reloads on the GPU', async (t) => {
    if (!available) return t.skip();
    const cpu = await run('cpu');
    const gpu = await run('ft-webgpu');
    try {
      const a = cpu.r.history.epochs.map((e) => e.loss);
      const b = gpu.r.history.epochs.map((e) => e.loss);
      expect(b).toHaveLength(2);
      expect(a[1]).toBeLessThan(a[0]); // it learns
      for (let e = 0; e < 2; e++) expect(relDiff(b[e], a[e])).toBeLessThan(1e-4);
      // The gates are hard decisions: the same filters are fine-tuned on both backends.
      expect(gpu.r.gateTrace).toEqual(cpu.r.gateTrace);
      expect(gpu.stats.perLayerMean).toEqual(cpu.stats.perLayerMean);
      expect(gpu.stats.perLayerClassMeans).toEqual(cpu.stats.perLayerClassMeans);
      expect(Array.from(gpu.stats.predictions)).toEqual(Array.from(cpu.stats.predictions));
      expect(gpu.stats.accuracy).toBe(cpu.stats.accuracy);
      // core's accuracy is a float32 mean on the device, so its last bit may differ
      expect(gpu.accuracy).toBeCloseTo(cpu.accuracy, 6);
      expect(relDiff(gpu.loss, cpu.loss)).toBeLessThan(1e-4);
      // 4 steps: every step frees what it makes (the first one also creates the optimizer's slots)
      expect(gpu.counts).toHaveLength(4);
      expect(new Set(gpu.counts.slice(1)).size).toBe(1);
      // `--out` and `ft adafilter eval`: save on the GPU, load, same gate statistics
      await saveAdaFilter(gpu.r.model, join(dir, 'net'));
      const loaded: AdaFilterNet = await loadAdaFilter(join(dir, 'net'));
      try {
        const s = await gateStats(loaded, test);
        expect(s.perLayerMean).toEqual(gpu.stats.perLayerMean);
        expect(Array.from(s.predictions)).toEqual(Array.from(gpu.stats.predictions));
      } finally {
        loaded.dispose();
      }
    } finally {
      gpu.r.model.dispose();
      await tf.setBackend('cpu');
      cpu.r.model.dispose();
    }
  }, 60_000);

  it('ft adafilter train and ft adafilter eval run on ft-webgpu and report the cpu run', async (t) => {
    if (!available) return t.skip();
    const trainOn = async (backend: string) => {
      await tf.setBackend(backend);
      const out = join(dir, backend);
      const args = {
        source: join(dir, 'source'),
        dataset: join(dir, 'data'),
        'labels-per-class': 5,
        method: 'adafilter',
        epochs: 1,
        'batch-size': 8,
        out,
      };
      return { r: await trainCommand.run(commandContext(trainCommand, args)), out };
    };
    const cpu = await trainOn('cpu');
    const gpu = await trainOn('ft-webgpu');
    expect(gpu.r?.gates).toEqual(cpu.r?.gates);
    expect(gpu.r?.fineTunedFraction).toBe(cpu.r?.fineTunedFraction);
    for (const k of ['testAccuracy', 'valAccuracy', 'trainAccuracy']) {
      expect(gpu.r?.[k]).toBeCloseTo(cpu.r?.[k] as number, 6);
    }
    const e = await evalCommand.run(commandContext(evalCommand, { model: gpu.out, dataset: join(dir, 'data') }));
    expect(e?.n).toBe(12);
    expect(e?.testAccuracy).toBeCloseTo(gpu.r?.testAccuracy as number, 6);
    expect(e?.fineTunedFraction).toBe(gpu.r?.fineTunedFraction);
    await tf.setBackend('cpu');
  }, 60_000);
});
