/**
 * Issue 18: the layer-wise training and the evaluation of the learned JADCE models (LISTA-GS, ALISTA-GS with their
 * support-selection masks, the feature-aided network with its inner EM steps) run on `ft-webgpu` unchanged, and so do
 * `ft jadce train` / `ft jadce eval`. CI has no GPU: this runs on the software adapter (Dawn over Mesa llvmpipe), for
 * correctness, never speed. Each run is compared with the `cpu` backend from the same seed; float32 on llvmpipe
 * rounds differently, so losses agree to a tolerance, not bit for bit. The cpu runs go first.
 */
import '@tensorflow/tfjs-backend-cpu';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRng } from '@ft/core';
import { commandContext, registerWebGpuForTests, relDiff } from '@ft/core/testing';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { commands } from './commands.js';
import { scoreRun } from './evaluate.js';
import { FeatureAidedJadceNet } from './feature-aided-net.js';
import { type LearnedModel, predictLearnedAsync } from './learned-models.js';
import { makePilots, simulateMassiveAccess } from './simulate.js';
import { trainLayerwise } from './train-layerwise.js';
import { makeSamplePool } from './training-data.js';
import { alistaGs, listaGs } from './unrolled-ista.js';

let available = false;
const dir = mkdtempSync(join(tmpdir(), 'jadce-webgpu-'));

beforeAll(async () => {
  available = await registerWebGpuForTests();
}, 60_000);
afterAll(async () => {
  await tf.setBackend('cpu');
  rmSync(dir, { recursive: true, force: true });
});

const S = makePilots(8, 20, createRng(5));
const pools = {
  raw: makeSamplePool({ S, M: 4, activity: 0.15, snrDb: 15, count: 48, rng: createRng(6) }),
  dr: makeSamplePool({ S, M: 4, activity: 0.15, snrDb: 15, count: 48, rank: 2, rng: createRng(6) }),
};
const test = simulateMassiveAccess({
  N: 20,
  M: 4,
  L: 8,
  activity: 0.15,
  snrDb: 15,
  pilots: S,
  count: 12,
  rng: createRng(7),
});

const KINDS = ['lista-gs', 'alista-gs', 'proposed'] as const;
type Kind = (typeof KINDS)[number];

function makeModel(kind: Kind): LearnedModel {
  if (kind === 'proposed') {
    const net = new FeatureAidedJadceNet({ S, r: 2, T: 2, J: 2, prior: { lambda: 0.15, phi: 2 } });
    return { kind, net, rank: 2 };
  }
  return { kind, net: (kind === 'lista-gs' ? listaGs : alistaGs)({ S, T: 2 }) };
}

interface Run {
  /** Mean loss of every stage. */
  losses: number[];
  /** tf.memory().numTensors after every stage. */
  counts: number[];
  nmseDb: number;
  active: Uint8Array;
  score: Float64Array;
}

async function run(kind: Kind, backend: string): Promise<Run> {
  await tf.setBackend(backend);
  const model = makeModel(kind);
  const counts: number[] = [];
  const { stages } = await trainLayerwise(model.net, kind === 'proposed' ? pools.dr : pools.raw, {
    stepsPerStage: 3,
    batch: 8,
    lr: kind === 'alista-gs' ? 1e-2 : 3e-3,
    loss: kind === 'proposed' ? 'nmse+bce' : 'nmse',
    rng: createRng(8),
    onStage: () => counts.push(tf.memory().numTensors),
  });
  const pred = await predictLearnedAsync(model, test);
  model.net.dispose();
  return {
    losses: stages.map((s) => s.loss),
    counts,
    nmseDb: scoreRun(pred, test).nmseDb,
    active: pred.active,
    score: pred.score,
  };
}

describe('jadce on ft-webgpu (software adapter)', () => {
  it.each(KINDS)(
    '%s: layer-wise training and evaluation give the cpu run; tensors stay flat',
    async (kind) => {
      if (!available) return;
      const cpu = await run(kind, 'cpu');
      const before = tf.memory().numTensors;
      const gpu = await run(kind, 'ft-webgpu');
      await tf.setBackend('cpu');
      expect(tf.memory().numTensors).toBe(before);
      expect(gpu.losses).toHaveLength(cpu.losses.length);
      for (let i = 0; i < cpu.losses.length; i++) expect(relDiff(gpu.losses[i], cpu.losses[i])).toBeLessThan(1e-4);
      expect(new Set(gpu.counts).size).toBe(1);
      expect(Math.abs(gpu.nmseDb - cpu.nmseDb)).toBeLessThan(1e-3);
      expect(gpu.active).toEqual(cpu.active);
      for (let i = 0; i < cpu.score.length; i++) expect(gpu.score[i]).toBeCloseTo(cpu.score[i], 4);
    },
    60_000,
  );

  it('ft jadce train and ft jadce eval run on ft-webgpu and report the cpu numbers', async () => {
    if (!available) return;
    const cmd = (name: string) => commands.find((c) => c.group === 'jadce' && c.name === name)!;
    const ctx = (name: string, args: Record<string, string | number | boolean>) =>
      commandContext(cmd(name), args, { seed: 3 });
    const data = join(dir, 'data.npz');
    await cmd('simulate').run(ctx('simulate', { N: 20, M: 4, L: 8, snr: '15', eps: 0.15, count: 8, out: data }));
    type Train = { methods: Record<Kind, { steps: number; trainNmseDb: number }> };
    type Eval = {
      methods: Record<Kind, { nmseDb: number; pMiss: number; pFa: number; aer: number }>;
      details: Record<Kind, { auroc: number }>;
    };
    const both: { tr: Train; ev: Eval }[] = [];
    for (const backend of ['cpu', 'ft-webgpu']) {
      await tf.setBackend(backend);
      const models = join(dir, `models-${backend}`);
      const args = { N: 20, M: '4', L: 8, snr: '15', eps: 0.15, out: models, layers: 2, em: 1, rank: 2 };
      const tr = (await cmd('train').run(ctx('train', { ...args, samples: 48, steps: 2, batch: 8 }))) as Train;
      // eval reloads the models that train saved (weights read back asynchronously)
      const ev = (await cmd('eval').run(ctx('eval', { data, methods: KINDS.join(','), model: models }))) as Eval;
      both.push({ tr, ev });
    }
    await tf.setBackend('cpu');
    const [cpu, gpu] = both;
    for (const m of KINDS) {
      expect(gpu.tr.methods[m].steps).toBe(cpu.tr.methods[m].steps);
      expect(gpu.tr.methods[m].trainNmseDb).toBeCloseTo(cpu.tr.methods[m].trainNmseDb, 3);
      expect(gpu.ev.methods[m].nmseDb).toBeCloseTo(cpu.ev.methods[m].nmseDb, 3);
      for (const k of ['pMiss', 'pFa', 'aer'] as const) expect(gpu.ev.methods[m][k]).toBe(cpu.ev.methods[m][k]);
      expect(gpu.ev.details[m].auroc).toBe(cpu.ev.details[m].auroc);
    }
    expect(cpu.tr.methods.proposed.steps).toBeGreaterThan(0);
  }, 60_000);
});
