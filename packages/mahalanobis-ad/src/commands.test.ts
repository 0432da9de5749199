import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type CommandSpec, ModelFileNotFoundError, saveModel } from '@ft/core';
import '@tensorflow/tfjs-backend-cpu';
import { commandContext } from '@ft/core/testing';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { commands, defaultBackbone } from './commands.js';
import { writeSyntheticMvtec } from './synthetic-mvtec.js';
import { tinyBackbone } from './test-helpers.js';

let dir: string;
const cmd = (name: string) => commands.find((c) => c.name === name) as CommandSpec;

/** Runs a command the way the CLI does: defaults applied, seeded rng, JSON mode. */
async function run(name: string, args: Record<string, string | number | boolean>) {
  const spec = cmd(name);
  const ctx = commandContext(spec, args);
  for (const [k, o] of Object.entries(spec.options ?? {})) {
    if (o.required && ctx.args[k] === undefined) throw new Error(`--${k} is required`);
  }
  return JSON.parse(JSON.stringify(await spec.run(ctx))) as Record<string, any>;
}

beforeAll(async () => {
  await tf.setBackend('cpu');
  dir = mkdtempSync(join(tmpdir(), 'ft-mad-cli-'));
  writeSyntheticMvtec(join(dir, 'mvtec'), { categories: ['stripes'], nTrain: 12, nTest: 12, size: 16, seed: 0 });
  await saveModel(tinyBackbone([16, 16, 1]), join(dir, 'backbone'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('ft ad commands', () => {
  const common = () => ({
    dataset: `mvtec:${join(dir, 'mvtec')}/stripes`,
    backbone: join(dir, 'backbone'),
    size: 16,
    'seg-levels': 'block1',
    'seg-channels': 4,
  });

  it('are the four ad commands, with the issue flags', () => {
    expect(commands.map((c) => `${c.group} ${c.name}`)).toEqual(['ad fit', 'ad score', 'ad eval', 'ad finetune']);
    const ev = cmd('eval').options ?? {};
    for (const f of ['dataset', 'normal-class', 'finetune']) expect(ev[f]).toBeDefined();
    expect(defaultBackbone('fashion-mnist')).toBe('zoo:mnist-resnet8');
    expect(defaultBackbone('mnist')).toBe('zoo:fashion-mnist-resnet8');
  });

  it('ad eval on an MVTec-format folder prints imageAUROC, pixelAUROC and AUPRO, and saves thresholds', async () => {
    const r = await run('eval', { ...common(), out: join(dir, 'det-eval') });
    for (const k of ['imageAUROC', 'pixelAUROC', 'AUPRO', 'imageF1Max']) {
      expect(r[k]).toBeGreaterThanOrEqual(0);
      expect(r[k]).toBeLessThanOrEqual(1);
    }
    expect(r.nTest).toBe(12);
    expect(r.nAnomalous).toBe(6);
    expect(r.levels).toEqual(['block1', 'block2', 'block3', 'block4']);
  });

  it('ad fit saves a detector that ad score applies to a folder of images', async () => {
    const f = await run('fit', { ...common(), out: join(dir, 'det') });
    expect(f.nTrain).toBe(10);
    expect(f.threshold.kind).toBe('normal-quantile');
    const s = await run('score', { detector: join(dir, 'det'), images: join(dir, 'mvtec/stripes/test/spot') });
    expect(s.n).toBe(2);
    expect(s.images[0].file).toMatch(/000\.png$/);
    expect(typeof s.images[0].score).toBe('number');
    expect(typeof s.images[0].anomalous).toBe('boolean');
    await expect(run('score', { detector: join(dir, 'missing'), images: dir })).rejects.toThrow(ModelFileNotFoundError);
  });

  it('ad finetune and ad eval --finetune report the per-epoch history', async () => {
    const r = await run('finetune', { ...common(), epochs: 1, 'ft-batch-size': 5, lr: 1e-3, out: join(dir, 'det-ft') });
    expect(r.finetune.history.map((h: { epoch: number }) => h.epoch)).toEqual([0, 1]);
    const e = await run('eval', { ...common(), finetune: true, curves: true, epochs: 1, 'ft-batch-size': 5 });
    expect(e.finetune.history[1].testAUROC).toBeGreaterThanOrEqual(0);
    expect(e.imageAUROC).toBeGreaterThanOrEqual(0);
  });
});
