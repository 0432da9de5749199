/**
 * Issue 18: semi-supervised transfer trains and evaluates on `ft-webgpu` unchanged. CI has no GPU: this runs on the
 * software adapter (Dawn's OpenGL backend over Mesa llvmpipe), for correctness, never speed. Each run is compared with
 * the `cpu` backend from the same source weights and seed; float32 on llvmpipe rounds differently, so the losses agree
 * to a tolerance, not bit for bit. The cpu runs go first: a tensor moved to the GPU cannot come back synchronously.
 */
import '@tensorflow/tfjs-backend-cpu';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { type Callback, saveModel } from '@ft/core';
import { commandContext, registerWebGpuForTests, relDiff, writeImageFolder } from '@ft/core/testing';
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { evalCommand, trainCommand } from './cli/train-command.js';
import { arcLoss, arcTerm } from './regularisers/arc.js';
import { FeatureQueue } from './regularisers/feature-queue.js';
import { tinySource, toyData, toySplit } from './train/test-helpers.js';
import { type SslTransferResult, type TrainSslTransferOptions, trainSslTransfer } from './train/train.js';

let source: tfl.LayersModel;
let available = false;
let dir: string;
const split = toySplit();

beforeAll(async () => {
  await tf.setBackend('cpu');
  source = await tinySource();
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ssl-webgpu-'));
  writeImageFolder(path.join(dir, 'data', 'train'), toyData(60, 1));
  writeImageFolder(path.join(dir, 'data', 'test'), toyData(15, 2));
  await saveModel(source, path.join(dir, 'source'));
  available = await registerWebGpuForTests();
}, 60_000);
afterAll(async () => {
  await tf.setBackend('cpu');
  source?.dispose();
  fs.rmSync(dir, { recursive: true, force: true });
});

/** FixMatch + AKC + ARC for 12 iterations; ARC's queue (24 rows) passes minQueue (20) before its warm-up ends. */
const options = (callbacks: Callback[]): TrainSslTransferOptions => ({
  source,
  labeled: split.labeled,
  unlabeled: split.unlabeled,
  validation: split.validation,
  test: split.test,
  alg: 'fixmatch',
  threshold: 0.6,
  akc: { lambda: 1 },
  arc: { lambda: 50, queue: 24, threshold: 1 },
  iterations: 12,
  evalEvery: 6,
  batch: { labeled: 6, unlabeled: 12 },
  lr: 0.03,
  seed: 7,
  callbacks,
  log: () => {},
});

interface Run {
  r: SslTransferResult;
  counts: number[];
}

async function train(backend: string): Promise<Run> {
  await tf.setBackend(backend);
  const counts: number[] = [];
  const probe: Callback = { onStepEnd: () => void counts.push(tf.memory().numTensors) };
  return { r: await trainSslTransfer(options([probe])), counts };
}

describe('ssl-transfer on ft-webgpu (software adapter)', () => {
  it('trainSslTransfer (FixMatch + AKC + ARC) gives the cpu run: losses, gate ratios, mask rates, accuracies', async (t) => {
    if (!available) return t.skip();
    const cpu = await train('cpu');
    const gpu = await train('ft-webgpu');
    try {
      const a = cpu.r.series;
      const b = gpu.r.series;
      expect(b.loss).toHaveLength(12);
      // ARC entered the loss: by step 10 the labelled queue held more than minQueue = 20 rows.
      const queued = a.arcL.slice(0, 10).reduce((s, x, i) => s + (a.arcU[i] > 0 ? Math.round(x * 6) : 0), 0);
      expect(queued).toBeGreaterThan(20);
      for (let i = 0; i < 12; i++) expect(relDiff(b.loss[i], a.loss[i])).toBeLessThan(1e-4);
      // Hard decisions (entropy gates, confidence mask) take the same side on both backends.
      expect(b.akc).toEqual(a.akc);
      expect(b.arcL).toEqual(a.arcL);
      expect(b.arcU).toEqual(a.arcU);
      expect(b.maskRate).toEqual(a.maskRate);
      // The same predictions; core's accuracy is a float32 mean on the device, so its last bit may differ.
      expect(gpu.r.curve.map((p) => p.step)).toEqual([6, 12]);
      for (const [i, p] of gpu.r.curve.entries()) expect(p.accuracy).toBeCloseTo(cpu.r.curve[i].accuracy, 6);
      expect(gpu.r.testAccuracy).toBeCloseTo(cpu.r.testAccuracy as number, 6);
      expect(gpu.r.test?.perClassAccuracy).toEqual(cpu.r.test?.perClassAccuracy);
      expect(relDiff(gpu.r.test?.loss as number, cpu.r.test?.loss as number)).toBeLessThan(1e-4);
      // Every step frees what it makes (the first epoch's end adds the best-weights copy).
      expect(new Set(gpu.counts.slice(0, 6)).size).toBe(1);
      expect(new Set(gpu.counts.slice(6)).size).toBe(1);
    } finally {
      gpu.r.dispose();
      await tf.setBackend('cpu');
      cpu.r.dispose();
    }
  }, 60_000);

  it('arcTerm on ft-webgpu gives arcLoss on cpu: loss, gradient and queues, with an overflowing queue', async (t) => {
    if (!available) return t.skip();
    // 3 steps of 5 labelled / 4 unlabelled rows into queues of 8; gates keep rows with a confident first logit.
    const rows = (n: number, k: number) => Array.from({ length: n * 3 }, (_, i) => Math.sin(1.7 * i + 0.3 * k));
    const gate = (n: number, k: number) =>
      Array.from({ length: n }, (_, i) => ((i + k) % 3 === 0 ? [0, 0, 0] : [9, 0, 0])).flat();
    const batch = (k: number) => ({
      fl: tf.tensor2d(rows(5, k), [5, 3]),
      ll: tf.tensor2d(gate(5, k), [5, 3]),
      fu: tf.tensor2d(rows(4, k + 10), [4, 3]),
      lu: tf.tensor2d(gate(4, k + 1), [4, 3]),
    });
    const run = async (backend: string) => {
      await tf.setBackend(backend);
      const queues = { l: new FeatureQueue(8), u: new FeatureQueue(8) };
      const out: { loss: number[]; grad: number[][]; queue: number[][] } = { loss: [], grad: [], queue: [] };
      for (let k = 0; k < 3; k++) {
        const { fl, ll, fu, lu } = batch(k);
        let term: ReturnType<typeof arcTerm> | null = null;
        let loss: number | null = null;
        const f = (x: tf.Tensor) => {
          const o = { numClasses: 3, minQueue: 1 };
          const inputs = {
            labeledFeat: x as tf.Tensor2D,
            labeledLogits: ll,
            unlabeledFeat: fu,
            unlabeledLogits: lu,
            queues,
          };
          if (backend === 'cpu') {
            const r = arcLoss(inputs, o);
            return (r.loss ?? tf.mul(tf.sum(x), 0)) as tf.Scalar;
          }
          term = arcTerm(inputs, o);
          return (term.loss ?? tf.mul(tf.sum(x), 0)) as tf.Scalar;
        };
        const { value, grad } = tf.valueAndGrad(f)(fl);
        loss = (await value.data())[0];
        out.loss.push(loss);
        out.grad.push(Array.from(await grad.data()));
        if (term) await (term as ReturnType<typeof arcTerm>).commit();
        out.queue.push(Array.from(await (queues.l.peek() as tf.Tensor).data()));
        tf.dispose([fl, ll, fu, lu, value, grad]);
      }
      queues.l.dispose();
      queues.u.dispose();
      return out;
    };
    const cpu = await run('cpu');
    const before = tf.memory().numTensors;
    const gpu = await run('ft-webgpu');
    expect(tf.memory().numTensors).toBe(before);
    await tf.setBackend('cpu');
    for (let k = 0; k < 3; k++) {
      expect(relDiff(gpu.loss[k], cpu.loss[k])).toBeLessThan(1e-4);
      for (let i = 0; i < cpu.grad[k].length; i++) expect(gpu.grad[k][i]).toBeCloseTo(cpu.grad[k][i], 5);
      expect(gpu.queue[k]).toEqual(cpu.queue[k]);
    }
    expect(cpu.queue[2]).toHaveLength(8 * 3); // the labelled queue overflowed (3 + 4 + 3 kept rows > 8)
    expect(Math.max(...cpu.grad[2].map(Math.abs))).toBeGreaterThan(1e-4);
  }, 30_000);

  it('ft ssl train (FixMatch + AKC + ARC) and ft ssl eval run on ft-webgpu and report the cpu run', async (t) => {
    if (!available) return t.skip();
    const train = async (backend: string) => {
      await tf.setBackend(backend);
      const out = path.join(dir, backend);
      const args = {
        source: path.join(dir, 'source'),
        dataset: path.join(dir, 'data'),
        'labels-per-class': 4,
        alg: 'fixmatch',
        akc: true,
        arc: true,
        iterations: 6,
        'eval-every': 3,
        'batch-labeled': 6,
        'batch-unlabeled': 12,
        out,
      };
      const r = await trainCommand.run(commandContext(trainCommand, args));
      return { r, run: JSON.parse(fs.readFileSync(path.join(out, 'run.json'), 'utf8')), out };
    };
    const cpu = await train('cpu');
    const gpu = await train('ft-webgpu');
    for (const k of ['akcRatio', 'arcRatio', 'maskRate', 'iterations']) expect(gpu.r?.[k]).toBe(cpu.r?.[k]);
    for (const k of ['testAccuracy', 'valAccuracy']) expect(gpu.r?.[k]).toBeCloseTo(cpu.r?.[k] as number, 6);
    const [a, b] = [cpu.run.series.loss as number[], gpu.run.series.loss as number[]];
    expect(b).toHaveLength(6);
    for (let i = 0; i < 6; i++) expect(relDiff(b[i], a[i])).toBeLessThan(1e-4);
    const e = await evalCommand.run(commandContext(evalCommand, { model: gpu.out, dataset: path.join(dir, 'data') }));
    expect(e?.n).toBe(15);
    expect(e?.testAccuracy).toBeCloseTo(gpu.r?.testAccuracy as number, 6);
    await tf.setBackend('cpu');
  }, 60_000);
});
