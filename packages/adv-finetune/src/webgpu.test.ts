/**
 * Issue 18: adversarial fine-tuning (PGD-AT with the "slow start, fast decay" schedule, robust validation every
 * epoch) and robust evaluation (PGD and APGD-CE accuracy) run on `ft-webgpu` unchanged. CI has no GPU: this runs on
 * the software adapter (Dawn over Mesa llvmpipe), for correctness, never speed. Each run is compared with the `cpu`
 * backend from the same seeded weights, data and random streams; float32 on llvmpipe rounds differently, so losses
 * agree to a tolerance, not bit for bit. The cpu run goes first: a tensor moved to the GPU cannot come back
 * synchronously.
 */
import '@tensorflow/tfjs-backend-cpu';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Callback, createRng, saveModel } from '@ft/core';
import { commandContext, registerWebGpuForTests, relDiff, tinyConvNet } from '@ft/core/testing';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adversarialFinetune, adversarialTrain, type TrainingMethod } from './adversarial-train.js';
import { APGD } from './apgd.js';
import { attackAccuracy } from './attack-accuracy.js';
import { attackCommand, evalCommand, finetuneCommand } from './commands.js';
import { PGD } from './pgd.js';
import { slowStartFastDecay } from './schedules.js';
import { stripePatterns } from './test-helpers.js';

let available = false;
const dir = mkdtempSync(join(tmpdir(), 'ft-adv-webgpu-'));

beforeAll(async () => {
  available = await registerWebGpuForTests();
}, 60_000);
afterAll(async () => {
  await tf.setBackend('cpu');
  rmSync(dir, { recursive: true, force: true });
});

const patterns = (n: number, seed: number) => stripePatterns(n, `webgpu-patterns-${seed}`, 0.4);

const train = patterns(16, 1);
const val = patterns(9, 2);
const test = patterns(12, 3);
const EPS = 0.1;

interface Run {
  /** Loss of every optimizer step. */
  losses: number[];
  /** tf.memory().numTensors after every step. */
  counts: number[];
  /** Clean / robust (PGD-5) validation accuracy per epoch. */
  valCurve: { clean: number; robust: number }[];
  clean: number;
  perAttack: Record<string, number>;
  worstCase: number;
  passes: number;
  /** Whether the trained weights live in GPU memory (no synchronous read), i.e. training really ran there. */
  gpuResident: boolean;
}

/**
 * True when `t` cannot be read synchronously (GPU memory on ft-webgpu). The probe's deliberate `dataSync()` makes
 * tfjs print its "synchronously reading data from GPU" warning once; nothing in the package reads that way.
 */
function gpuResident(t: tf.Tensor): boolean {
  try {
    t.dataSync();
    return false;
  } catch (e) {
    if (/cannot read GPU memory synchronously/.test(String((e as Error).message))) return true;
    throw e;
  }
}

async function run(backend: string): Promise<Run> {
  await tf.setBackend(backend);
  const model = tinyConvNet({ classes: 3, seed: 4 }); // built from seeds: the same weights on every backend
  const losses: number[] = [];
  const counts: number[] = [];
  const probe: Callback = {
    onStepEnd: (_s, logs) => {
      losses.push(logs.loss);
      counts.push(tf.memory().numTensors);
    },
  };
  const ft = await adversarialFinetune(model, train, {
    method: 'madry',
    eps: EPS,
    steps: 3,
    epochs: 2,
    batchSize: 8,
    schedule: slowStartFastDecay({ peakLr: 0.05, warmFraction: 0.7 }),
    val: { data: val, attack: new PGD(model, { eps: EPS, alpha: EPS / 4, steps: 5, seed: 'val' }) },
    rng: createRng(0),
    callbacks: [probe],
  });
  const attacks = [
    new PGD(model, { eps: EPS, alpha: EPS / 4, steps: 5, randomStart: true }),
    new APGD(model, { eps: EPS, steps: 10 }),
  ];
  const ev = await attackAccuracy(model, test, { attacks, batchSize: 6, rng: createRng(1) });
  const resident = gpuResident(model.getWeights()[0]);
  model.dispose();
  return {
    losses,
    counts,
    valCurve: ft.valCurve.map((p) => ({ clean: p.clean, robust: p.robust })),
    clean: ev.clean,
    perAttack: ev.perAttack,
    worstCase: ev.worstCase,
    passes: ev.passes,
    gpuResident: resident,
  };
}

/** Step losses of one epoch of `method` (TRADES, Fast-AT) on `backend`. */
async function trainLosses(backend: string, method: TrainingMethod): Promise<number[]> {
  await tf.setBackend(backend);
  const model = tinyConvNet({ classes: 3, seed: 5 });
  const losses: number[] = [];
  await adversarialTrain(model, train, {
    method,
    eps: EPS,
    steps: 2,
    epochs: 1,
    batchSize: 8,
    schedule: slowStartFastDecay({ peakLr: 0.05 }),
    rng: createRng(2),
    callbacks: [{ onStepEnd: (_s, logs) => void losses.push(logs.loss) }],
  });
  model.dispose();
  return losses;
}

describe('adv-finetune on ft-webgpu (software adapter)', () => {
  it('AFT (PGD-AT, slow start fast decay) and PGD / APGD-CE robust accuracy give the cpu run; tensors stay flat', async (t) => {
    if (!available) return t.skip();
    const cpu = await run('cpu');
    const before = tf.memory().numTensors;
    const gpu = await run('ft-webgpu');
    await tf.setBackend('cpu');
    expect(tf.memory().numTensors).toBe(before);
    // two epochs of two steps (16 images, batch 8)
    expect(gpu.losses).toHaveLength(4);
    for (const [i, l] of gpu.losses.entries()) expect(relDiff(l, cpu.losses[i])).toBeLessThan(1e-4);
    // every step frees what it makes (the attack, the update and the epoch end's validation)
    expect(new Set(gpu.counts).size).toBe(1);
    expect(gpu.valCurve).toEqual(cpu.valCurve);
    expect(gpu.clean).toBe(cpu.clean);
    expect(gpu.perAttack).toEqual(cpu.perAttack);
    expect(gpu.worstCase).toBe(cpu.worstCase);
    expect(gpu.passes).toBe(cpu.passes);
    expect(cpu.gpuResident).toBe(false);
    expect(gpu.gpuResident).toBe(true);
    // the fine-tuning learned something on cpu (not a degenerate comparison of two untrained runs)
    expect(cpu.losses[3]).toBeLessThan(cpu.losses[0]);
  }, 60_000);

  it('TRADES and Fast-AT steps give the cpu losses', async (t) => {
    if (!available) return t.skip();
    // TRADES starts its attack at x + 0.001·N(0, I), where ∇ KL(f(x) ‖ f(x')) is of the order of the noise: the signs
    // of its near-zero components follow float32 rounding, so a few pixels of x' move the other way on llvmpipe and
    // the first step's loss differs by ~0.6 % (the second, from a less degenerate start, agrees to 1e-6).
    const tolerance = { trades: 5e-2, 'fast-at': 1e-4 };
    for (const method of ['trades', 'fast-at'] as const) {
      const cpu = await trainLosses('cpu', method);
      const gpu = await trainLosses('ft-webgpu', method);
      await tf.setBackend('cpu');
      expect(gpu).toHaveLength(2);
      for (const [i, l] of gpu.entries()) expect(relDiff(l, cpu[i])).toBeLessThan(tolerance[method]);
    }
  }, 60_000);

  it('ft adv finetune, adv attack (APGD, targeted) and adv eval (PGD, sanity checks) report the cpu numbers', async (t) => {
    if (!available) return t.skip();
    await tf.setBackend('cpu');
    const m = tfl.sequential();
    m.add(tfl.layers.flatten({ inputShape: [28, 28, 1] }));
    m.add(tfl.layers.dense({ units: 10, kernelInitializer: tfl.initializers.glorotUniform({ seed: 1 }) }));
    await saveModel(m, join(dir, 'dense'));
    m.dispose();
    const data = { dataset: 'fashion-mnist', eps: 0.05, restarts: 1 };
    const cli = async (spec: typeof evalCommand, args: Record<string, string | number | boolean>) =>
      JSON.parse(JSON.stringify(await spec.run(commandContext(spec, args)))) as Record<string, any>;
    const runs: Record<string, any>[] = [];
    for (const backend of ['cpu', 'ft-webgpu']) {
      await tf.setBackend(backend);
      const model = join(dir, `aft-${backend}`);
      const ft = await cli(finetuneCommand, {
        ...data,
        model: join(dir, 'dense'),
        method: 'madry',
        steps: 2,
        epochs: 1,
        'batch-size': 10,
        'train-size': 20,
        'val-size': 10,
        'eval-limit': 8,
        out: model,
      });
      const atk = await cli(attackCommand, { ...data, model, attack: 'apgd', steps: 5, targeted: true, limit: 8 });
      const ev = await cli(evalCommand, { ...data, model, attack: 'pgd', steps: 5, limit: 8, sanity: true });
      runs.push({ ft, atk, ev });
    }
    await tf.setBackend('cpu');
    const [cpu, gpu] = runs;
    // ft adv finetune: the same passes, validation curve and test accuracies (PGD-20 after AFT)
    expect(gpu.ft.passes).toEqual(cpu.ft.passes);
    expect(gpu.ft.valCurve).toEqual(cpu.ft.valCurve);
    expect(gpu.ft.test).toEqual(cpu.ft.test);
    // ft adv attack: the same successes; distortions to float32 rounding
    for (const k of ['attack', 'n', 'clean', 'robust', 'successRate', 'passesPerExample']) {
      expect(gpu.atk[k]).toEqual(cpu.atk[k]);
    }
    expect(gpu.atk.maxLinf).toBeCloseTo(0.05, 6);
    expect(relDiff(gpu.atk.meanL2, cpu.atk.meanL2)).toBeLessThan(1e-4);
    // ft adv eval with the gradient-masking checks: every accuracy of the curve and every check
    expect(gpu.ev).toEqual(cpu.ev);
    expect(cpu.ev.sanity.passed).toBe(true);
  }, 60_000);
});
