import '@tensorflow/tfjs-backend-cpu';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AbortedError, allVariablesOf, type Callback, InvalidArgumentError, ShapeError } from '@ft/core';
import { maxAbsDiff } from '@ft/core/testing';
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tinySource, toyData, toySplit } from './test-helpers.js';
import { type TrainSslTransferOptions, trainSslTransfer } from './train.js';

let source: tfl.LayersModel;
const split = toySplit();

beforeAll(async () => {
  await tf.setBackend('cpu');
  source = await tinySource();
});
afterAll(() => source.dispose());

const base = (): TrainSslTransferOptions => ({
  source,
  labeled: split.labeled,
  unlabeled: split.unlabeled,
  validation: split.validation,
  test: split.test,
  alg: 'fixmatch',
  akc: { lambda: 1 },
  arc: { lambda: 50 },
  iterations: 24,
  evalEvery: 8,
  batch: { labeled: 6, unlabeled: 12 },
  lr: 0.03,
  seed: 7,
  log: () => {},
});

describe('trainSslTransfer', () => {
  it('trains FixMatch + AKC + ARC, reports every series, leaves the source untouched and frees everything', async () => {
    const n0 = tf.memory().numTensors;
    const before = allVariablesOf(source).map((v) => v.clone());
    const r = await trainSslTransfer(base());
    expect(r.iterations).toBe(24);
    expect(r.curve.map((p) => p.step)).toEqual([8, 16, 24]);
    for (const k of ['akc', 'arcL', 'arcU', 'maskRate', 'loss'] as const) expect(r.series[k]).toHaveLength(24);
    for (const x of r.series.akc) expect(x).toBeGreaterThanOrEqual(0);
    expect(r.akcRatio).toBeGreaterThan(0);
    expect(r.arcRatio).toBeGreaterThanOrEqual(0);
    expect(r.maskRate).toBeGreaterThanOrEqual(0);
    expect(r.testAccuracy).toBeGreaterThanOrEqual(0);
    expect(r.test?.n).toBe(40);
    expect(r.valAccuracy).toBe(Math.max(...r.curve.map((p) => p.accuracy)));
    expect(r.curve.find((p) => p.step === r.selectedStep)?.accuracy).toBe(r.valAccuracy);
    expect(Number.isFinite(r.series.loss[23])).toBe(true);
    allVariablesOf(source).forEach((v, i) => {
      expect(maxAbsDiff(v, before[i])).toBe(0);
    });
    tf.dispose(before);
    r.dispose();
    expect(tf.memory().numTensors).toBe(n0);
  });

  it('is deterministic for a seed', async () => {
    const a = await trainSslTransfer({ ...base(), iterations: 10, evalEvery: 5 });
    const b = await trainSslTransfer({ ...base(), iterations: 10, evalEvery: 5 });
    expect(b.series.loss).toEqual(a.series.loss);
    expect(b.curve).toEqual(a.curve);
    a.dispose();
    b.dispose();
  });

  it.each([
    ['supervised', false],
    ['supervised', true],
    ['pseudo-label', true],
    ['mean-teacher', false],
    ['ict', true],
  ] as const)('%s (AKC+ARC %s) keeps the tensor count flat over the steps', async (alg, reg) => {
    const counts: number[] = [];
    const probe: Callback = { onStepEnd: () => void counts.push(tf.memory().numTensors) };
    const r = await trainSslTransfer({
      ...base(),
      alg,
      akc: reg,
      arc: reg ? { lambda: 50, queue: 16 } : false,
      iterations: 30,
      evalEvery: 30,
      test: undefined,
      callbacks: [probe],
    });
    // queues fill within the first steps; afterwards every step frees what it makes
    expect(new Set(counts.slice(8)).size).toBe(1);
    expect(Number.isFinite(r.series.loss[29])).toBe(true);
    if (alg === 'pseudo-label') expect(r.maskRate).toBeGreaterThanOrEqual(0);
    if (reg) expect(r.akcRatio).toBeGreaterThan(0);
    r.dispose();
  });

  it('follows the 7/16-cosine schedule lr·cos(π·7.9/16·t/T)', async () => {
    const lrs: number[] = [];
    const probe: Callback = { onStepEnd: (_s, logs) => void lrs.push(logs.lr) };
    const r = await trainSslTransfer({
      ...base(),
      alg: 'supervised',
      akc: false,
      arc: false,
      iterations: 10,
      callbacks: [probe],
    });
    lrs.forEach((lr, t) => {
      expect(lr).toBeCloseTo(0.03 * Math.cos((Math.PI * 7.9 * t) / (16 * 10)), 12);
    });
    r.dispose();
  });

  it('resumes an interrupted run to the same result as an uninterrupted one', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ssl-resume-'));
    try {
      const full = await trainSslTransfer(base());
      const ac = new AbortController();
      const stopper: Callback = { onStepEnd: (step) => (step === 12 ? ac.abort() : undefined) };
      await expect(
        trainSslTransfer({ ...base(), signal: ac.signal, callbacks: [stopper], checkpoint: { dir, every: 4 } }),
      ).rejects.toBeInstanceOf(AbortedError);
      const resumed = await trainSslTransfer({ ...base(), checkpoint: { dir, every: 4, resume: 'auto' } });
      expect(resumed.history.resumedFrom).toBeDefined();
      expect(resumed.series.loss).toEqual(full.series.loss);
      expect(resumed.series.arcU).toEqual(full.series.arcU);
      expect(resumed.curve).toEqual(full.curve);
      expect(resumed.testAccuracy).toBe(full.testAccuracy);
      allVariablesOf(resumed.model).forEach((v, i) => {
        expect(maxAbsDiff(v, allVariablesOf(full.model)[i])).toBe(0);
      });
      full.dispose();
      resumed.dispose();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('rejects bad input with typed errors', async () => {
    await expect(trainSslTransfer({ ...base(), unlabeled: toyBig() })).rejects.toBeInstanceOf(ShapeError);
    await expect(trainSslTransfer({ ...base(), threshold: 0 })).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(trainSslTransfer({ ...base(), threshold: 1.5 })).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(trainSslTransfer({ ...base(), tap: 'no_such_layer' })).rejects.toThrow(/no_such_layer/);
    await expect(trainSslTransfer({ ...base(), alg: 'mean-teacher', ema: false })).rejects.toBeInstanceOf(
      InvalidArgumentError,
    );
    await expect(trainSslTransfer({ ...base(), alg: 'nope' as never })).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(trainSslTransfer({ ...base(), init: 'scratch' })).rejects.toThrow(/arch/);
  });
});

/** Images of another shape (10×10) than the labelled ones. */
function toyBig() {
  const d = toyData(6, 3);
  return { ...d, shape: [10, 10, 1] as [number, number, number], copyInto: d.copyInto.bind(d), get: d.get.bind(d) };
}
