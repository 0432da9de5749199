/**
 * The `ft adv` commands with a fake CLI context on small Fashion-MNIST slices (Debian dataset-fashion-mnist):
 * `eval` prints exactly { clean, robust, n }, `attack` saves .npy files within the ε-ball, `train`/`finetune` save
 * LayersModels and report passes.
 */
import '@tensorflow/tfjs-backend-cpu';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadModel, parseNpy, saveModel } from '@ft/core';
import { commandContext } from '@ft/core/testing';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { attackCommand, commands, evalCommand, finetuneCommand, trainCommand } from './commands.js';

let dir: string;
let modelDir: string;

const ctx = (args: Parameters<typeof commandContext>[1]) => commandContext(null, args);

beforeAll(async () => {
  await tf.setBackend('cpu');
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'adv-cmd-'));
  const m = tfl.sequential();
  m.add(tfl.layers.flatten({ inputShape: [28, 28, 1] }));
  m.add(tfl.layers.dense({ units: 10, kernelInitializer: tfl.initializers.glorotUniform({ seed: 1 }) }));
  modelDir = path.join(dir, 'dense');
  await saveModel(m, modelDir);
});

afterAll(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('ft adv commands', () => {
  it('registers attack, train, finetune and eval in group adv', () => {
    expect(commands.map((c) => `${c.group} ${c.name}`)).toEqual([
      'adv attack',
      'adv train',
      'adv finetune',
      'adv eval',
    ]);
  });

  it('eval prints exactly { clean, robust, n }', async () => {
    const r = await evalCommand.run(
      ctx({
        model: modelDir,
        dataset: 'fashion-mnist',
        attack: 'pgd',
        eps: 0.1,
        steps: 20,
        restarts: 1,
        limit: 32,
        'batch-size': 256,
        sanity: false,
      }),
    );
    expect(Object.keys(r ?? {}).sort()).toEqual(['clean', 'n', 'robust']);
    expect(r?.n).toBe(32);
    expect(r?.robust as number).toBeLessThanOrEqual(r?.clean as number);
    expect(r?.robust).toBe(0); // an untrained linear model has no robustness at ε = 0.1
  });

  it('attack saves adversarial images in the ε-ball and their labels', async () => {
    const out = path.join(dir, 'adv.npy');
    const r = (await attackCommand.run(
      ctx({ model: modelDir, dataset: 'fashion-mnist', attack: 'fgsm', eps: 0.05, restarts: 1, limit: 10, out }),
    )) as Record<string, number | string>;
    expect(r.n).toBe(10);
    expect(r.maxLinf as number).toBeLessThanOrEqual(0.05 + 1e-6);
    const a = parseNpy(fs.readFileSync(out));
    expect(a.shape).toEqual([10, 28, 28, 1]);
    const lab = parseNpy(fs.readFileSync(path.join(dir, 'adv-labels.npy')));
    expect(lab.shape).toEqual([10]);
    expect(Math.min(...(a.data as Float32Array))).toBeGreaterThanOrEqual(0);
  });

  it('finetune trains, reports passes, saves a loadable LayersModel', async () => {
    const out = path.join(dir, 'aft');
    const r = (await finetuneCommand.run(
      ctx({
        model: modelDir,
        dataset: 'fashion-mnist',
        method: 'madry',
        eps: 0.1,
        steps: 2,
        beta: 6,
        epochs: 1,
        'batch-size': 10,
        'warm-fraction': 0.7,
        decay: 'linear',
        'train-size': 20,
        'val-size': 10,
        'eval-limit': 8,
        out,
      }),
    )) as Record<string, unknown>;
    expect(r.schedule).toBe('slow-start-fast-decay(p=0.7, linear)');
    expect(r.trainSize).toBe(20);
    expect((r.passes as Record<string, number>).adversarial).toBe(20 * 3);
    expect((r.valCurve as unknown[]).length).toBe(1);
    expect((r.test as Record<string, number>).n).toBe(8);
    const loaded = await loadModel(out);
    expect(loaded.outputs[0].shape).toEqual([null, 10]);
  });

  it('train builds a backbone and trains it (tinyCnn at width 1/8, one step)', async () => {
    const out = path.join(dir, 'scratch');
    const r = (await trainCommand.run(
      ctx({
        arch: 'tinyCnn',
        width: 0.125,
        dataset: 'fashion-mnist',
        method: 'fast-at',
        eps: 0.1,
        steps: 7,
        beta: 6,
        epochs: 1,
        'batch-size': 8,
        'warm-fraction': 0.7,
        decay: 'linear',
        'train-size': 8,
        'val-size': 0,
        'eval-limit': 0,
        out,
      }),
    )) as Record<string, unknown>;
    expect(r.schedule).toBe('cyclic');
    expect((r.passes as Record<string, number>).adversarial).toBe(8 * 2);
    expect(fs.existsSync(path.join(out, 'model.json'))).toBe(true);
  });
});
