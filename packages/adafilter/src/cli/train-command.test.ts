import '@tensorflow/tfjs-backend-cpu';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { saveModel } from '@ft/core';
import { commandContext, writeImageFolder } from '@ft/core/testing';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { quadrantImages, smallCnn4 } from '../test-helpers.js';
import { evalCommand, trainCommand } from './train-command.js';

let dir: string;

beforeAll(async () => {
  await tf.setBackend('cpu');
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'adafilter-cli-'));
  writeImageFolder(path.join(dir, 'data', 'train'), quadrantImages(40, 1));
  writeImageFolder(path.join(dir, 'data', 'test'), quadrantImages(12, 2));
  const source = smallCnn4(3);
  await saveModel(source, path.join(dir, 'source'));
  source.dispose();
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('ft adafilter train / eval', () => {
  it('trains AdaFilter on an image folder, reports gate statistics, saves the model, and eval reproduces it', async () => {
    const out = path.join(dir, 'run');
    const logs: string[] = [];
    const r = await trainCommand.run(
      commandContext(
        trainCommand,
        {
          source: path.join(dir, 'source'),
          dataset: path.join(dir, 'data'),
          'labels-per-class': 5,
          method: 'adafilter',
          epochs: 2,
          'batch-size': 8,
          out,
        },
        { log: (m) => logs.push(m) },
      ),
    );
    expect(r).toMatchObject({ method: 'adafilter', epochs: 2, labeled: 16, validation: 4 });
    for (const k of ['testAccuracy', 'valAccuracy', 'trainAccuracy', 'fineTunedFraction']) {
      expect(typeof r?.[k]).toBe('number');
    }
    expect(Object.keys(r?.gates as object)).toEqual(['block2_conv', 'block3_conv', 'block4_conv']);
    expect(logs.join('\n')).toMatch(/16 labelled, 4 validation, 2 epochs/);
    const run = JSON.parse(fs.readFileSync(path.join(out, 'run.json'), 'utf8'));
    expect(run.gateTrace).toHaveLength(2);
    const e = await evalCommand.run(commandContext(evalCommand, { model: out, dataset: path.join(dir, 'data') }));
    expect(e?.n).toBe(12);
    expect(e?.testAccuracy).toBeCloseTo(r?.testAccuracy as number, 6);
    expect(e?.fineTunedFraction).toBeCloseTo(r?.fineTunedFraction as number, 6);
  });

  it('trains a plain baseline (no gate statistics) and eval loads it as a LayersModel', async () => {
    const out = path.join(dir, 'ft');
    const r = await trainCommand.run(
      commandContext(trainCommand, {
        source: path.join(dir, 'source'),
        dataset: path.join(dir, 'data'),
        'labels-per-class': 5,
        method: 'finetune',
        epochs: 1,
        'batch-size': 8,
        out,
      }),
    );
    expect(r?.fineTunedFraction).toBeUndefined();
    const e = await evalCommand.run(commandContext(evalCommand, { model: out, dataset: path.join(dir, 'data') }));
    expect(e?.testAccuracy).toBeCloseTo(r?.testAccuracy as number, 6);
  });

  it('refuses a labelled budget larger than a class', async () => {
    await expect(
      trainCommand.run(
        commandContext(trainCommand, {
          source: path.join(dir, 'source'),
          dataset: path.join(dir, 'data'),
          'labels-per-class': 11,
          epochs: 1,
        }),
      ),
    ).rejects.toThrow(/larger than a class/);
  });
});
