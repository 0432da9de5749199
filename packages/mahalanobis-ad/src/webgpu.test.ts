/**
 * Issue 18: Mahalanobis fine-tuning, Gaussian fitting and scoring (with PaDiM maps) run on `ft-webgpu` unchanged. CI
 * has no GPU: this runs on the software adapter (Dawn over Mesa llvmpipe), for correctness, never speed. Each run is
 * compared with the `cpu` backend from the same seeded backbone and data; float32 on llvmpipe rounds differently, so
 * losses and scores agree to a tolerance, not bit for bit. The cpu run goes first: a tensor moved to the GPU cannot
 * come back synchronously.
 */
import '@tensorflow/tfjs-backend-cpu';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Callback, type CommandSpec, createRng, saveModel } from '@ft/core';
import { commandContext, registerWebGpuForTests, relDiff, toyImages } from '@ft/core/testing';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { commands } from './commands.js';
import { MahalanobisDetector } from './detector.js';
import { type FinetuneResult, mahalanobisFinetune } from './mahalanobis-finetune.js';
import { writeSyntheticMvtec } from './synthetic-mvtec.js';
import { tinyBackbone } from './test-helpers.js';

let available = false;
const dir = mkdtempSync(join(tmpdir(), 'ft-mad-webgpu-'));

beforeAll(async () => {
  available = await registerWebGpuForTests();
}, 60_000);
afterAll(async () => {
  await tf.setBackend('cpu');
  rmSync(dir, { recursive: true, force: true });
});

const train = toyImages(12, [8, 8, 1], 1);
const val = toyImages(6, [8, 8, 1], 2);
const test = toyImages(10, [8, 8, 1], 3, 5); // the last 5 have bright anomalies
const testLabels = Array.from(test.labels);
/** Ground-truth masks of the bright squares (|y − 4| < 2 and |x − 4| < 2 in the first 5 images). */
const masks = Uint8Array.from({ length: 10 * 64 }, (_, i) => {
  const [n, y, x] = [Math.floor(i / 64), Math.floor((i % 64) / 8), i % 8];
  return n < 5 && Math.abs(y - 4) < 2 && Math.abs(x - 4) < 2 ? 1 : 0;
});

interface Run {
  ft: FinetuneResult;
  /** tf.memory().numTensors after every training step. */
  counts: number[];
  imageAUROC: number;
  pixelAUROC: number;
  AUPRO: number;
  total: Float64Array;
  maps: Float32Array;
  flags: Uint8Array;
  mean: Float64Array;
}

async function run(backend: string): Promise<Run> {
  await tf.setBackend(backend);
  const model = tinyBackbone([8, 8, 1], 3); // built from seeds, the same weights on every backend
  const counts: number[] = [];
  const probe: Callback = { onStepEnd: () => void counts.push(tf.memory().numTensors) };
  const ft = await mahalanobisFinetune(model, {
    train,
    val,
    epochs: 2,
    batchSize: 6,
    lr: 0.02,
    patience: null,
    restoreBest: false,
    valAugment: ['cutout', 'mixup'],
    evalBatchSize: 8,
    rng: createRng(0),
    callbacks: [probe],
  });
  const det = new MahalanobisDetector(model, {
    levels: ft.levels,
    batchSize: 8,
    segmentation: { levels: ['block1', 'block2'], channels: 6 },
  });
  await det.fit(train, { statsFrom: val });
  const ev = await det.evaluate(test, testLabels, { masks });
  const images = tf.tensor4d(await collect(test), [10, 8, 8, 1]);
  const flags = await det.predict(images);
  images.dispose();
  const out: Run = {
    ft,
    counts,
    imageAUROC: ev.imageAUROC,
    pixelAUROC: ev.pixelAUROC as number,
    AUPRO: ev.AUPRO as number,
    total: ev.scores.total,
    maps: ev.scores.maps as Float32Array,
    flags,
    mean: det.gaussian.level(ft.levels[ft.levels.length - 1]).mean,
  };
  det.dispose();
  model.dispose();
  return out;
}

async function collect(ds: typeof test): Promise<Float32Array> {
  const out = new Float32Array(ds.size * 64);
  for (let i = 0; i < ds.size; i++) ds.copyInto(i, out, i * 64);
  return out;
}

const maxRel = (a: ArrayLike<number>, b: ArrayLike<number>) => Math.max(...Array.from(a, (x, i) => relDiff(x, b[i])));

describe('mahalanobis-ad on ft-webgpu (software adapter)', () => {
  it('fine-tuning, fitting, scoring and PaDiM maps give the cpu run; tensors stay flat across steps', async (t) => {
    if (!available) return t.skip();
    const cpu = await run('cpu');
    const before = tf.memory().numTensors;
    const gpu = await run('ft-webgpu');
    await tf.setBackend('cpu');
    expect(tf.memory().numTensors).toBe(before);
    // two epochs of two steps (12 images, batch 6): losses and pseudo-AUROCs per epoch
    expect(gpu.ft.history.map((h) => h.epoch)).toEqual([0, 1, 2]);
    for (let e = 1; e <= 2; e++) {
      expect(relDiff(gpu.ft.history[e].loss as number, cpu.ft.history[e].loss as number)).toBeLessThan(1e-4);
    }
    for (let e = 0; e <= 2; e++) expect(gpu.ft.history[e].valAUROC).toBeCloseTo(cpu.ft.history[e].valAUROC, 6);
    expect(cpu.ft.history[2].loss as number).toBeLessThan(cpu.ft.history[1].loss as number);
    // every step frees what it makes (the epoch end's refit and evaluation add nothing that lasts)
    expect(gpu.counts).toHaveLength(4);
    expect(new Set(gpu.counts).size).toBe(1);
    // the Gaussians, image scores, decisions and anomaly maps of the fine-tuned detector
    expect(maxRel(gpu.mean, cpu.mean)).toBeLessThan(1e-3);
    expect(maxRel(gpu.total, cpu.total)).toBeLessThan(1e-3);
    expect(maxRel(gpu.maps, cpu.maps)).toBeLessThan(1e-3);
    expect(gpu.flags).toEqual(cpu.flags);
    expect(gpu.imageAUROC).toBe(cpu.imageAUROC);
    expect(gpu.pixelAUROC).toBeCloseTo(cpu.pixelAUROC, 4);
    expect(gpu.AUPRO).toBeCloseTo(cpu.AUPRO, 4);
    expect(cpu.imageAUROC).toBeGreaterThan(0.8);
  }, 60_000);

  it('ft ad finetune, ad score and ad eval report the cpu numbers', async () => {
    if (!available) return;
    writeSyntheticMvtec(join(dir, 'mvtec'), { categories: ['stripes'], nTrain: 12, nTest: 12, size: 16, seed: 0 });
    await saveModel(tinyBackbone([16, 16, 1]), join(dir, 'backbone'));
    const common = {
      dataset: `mvtec:${join(dir, 'mvtec')}/stripes`,
      backbone: join(dir, 'backbone'),
      size: 16,
      'seg-levels': 'block1',
      'seg-channels': 4,
    };
    const cli = async (name: string, args: Record<string, string | number | boolean>) => {
      const spec = commands.find((c) => c.name === name) as CommandSpec;
      return JSON.parse(JSON.stringify(await spec.run(commandContext(spec, args)))) as Record<string, any>;
    };
    const runs: Record<string, any>[] = [];
    for (const backend of ['cpu', 'ft-webgpu']) {
      await tf.setBackend(backend);
      const out = join(dir, `det-${backend}`);
      const ft = await cli('finetune', { ...common, epochs: 1, 'ft-batch-size': 5, lr: 1e-3, out });
      const score = await cli('score', { detector: out, images: join(dir, 'mvtec/stripes/test/spot') });
      const ev = await cli('eval', { ...common });
      runs.push({ ft, score, ev });
    }
    await tf.setBackend('cpu');
    const [cpu, gpu] = runs;
    expect(gpu.ft.finetune.history.map((h: { epoch: number }) => h.epoch)).toEqual([0, 1]);
    expect(relDiff(gpu.ft.finetune.history[1].loss, cpu.ft.finetune.history[1].loss)).toBeLessThan(1e-4);
    expect(gpu.score.n).toBe(2);
    for (let i = 0; i < 2; i++) {
      expect(relDiff(gpu.score.images[i].score, cpu.score.images[i].score)).toBeLessThan(1e-3);
      expect(gpu.score.images[i].anomalous).toBe(cpu.score.images[i].anomalous);
    }
    expect(gpu.ev.imageAUROC).toBe(cpu.ev.imageAUROC);
    expect(gpu.ev.pixelAUROC).toBeCloseTo(cpu.ev.pixelAUROC, 4);
    expect(gpu.ev.AUPRO).toBeCloseTo(cpu.ev.AUPRO, 4);
  }, 60_000);
});
