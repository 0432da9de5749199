import '@tensorflow/tfjs-backend-cpu';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { saveModel } from '@ft/core';
import { commandContext, writeImageFolder } from '@ft/core/testing';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tinySource, toyData } from '../train/test-helpers.js';
import { evalCommand, trainCommand } from './train-command.js';

let dir: string;

/** Writes `n` toy images of one split as an image folder: <root>/<split>/c<class>/<i>.png. */
const writeFolder = (root: string, split: string, n: number, seed: number) =>
  writeImageFolder(path.join(root, split), toyData(n, seed));

beforeAll(async () => {
  await tf.setBackend('cpu');
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ssl-cli-'));
  writeFolder(path.join(dir, 'data'), 'train', 60, 1);
  writeFolder(path.join(dir, 'data'), 'test', 15, 2);
  const source = await tinySource();
  await saveModel(source, path.join(dir, 'source'));
  source.dispose();
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('ft ssl train / eval', () => {
  it('trains on an image folder, saves the selected model and run.json, and ft ssl eval scores it', async () => {
    const out = path.join(dir, 'run');
    const logs: string[] = [];
    const r = await trainCommand.run(
      commandContext(
        trainCommand,
        {
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
        },
        { log: (m) => logs.push(m) },
      ),
    );
    expect(r).toMatchObject({ alg: 'fixmatch', akc: true, arc: true, iterations: 6, labeled: 9, validation: 3 });
    for (const k of ['testAccuracy', 'valAccuracy', 'akcRatio', 'arcRatio', 'maskRate']) {
      expect(typeof r?.[k]).toBe('number');
    }
    expect(logs.join('\n')).toMatch(/9 labelled, 3 validation, 57 unlabelled/);
    const run = JSON.parse(fs.readFileSync(path.join(out, 'run.json'), 'utf8'));
    expect(run.series.loss).toHaveLength(6);
    expect(run.curve.map((p: { step: number }) => p.step)).toEqual([3, 6]);
    const e = await evalCommand.run(commandContext(evalCommand, { model: out, dataset: path.join(dir, 'data') }));
    expect(e?.n).toBe(15);
    expect(e?.testAccuracy).toBeCloseTo(r?.testAccuracy as number, 6);
  });

  it('refuses a labelled budget larger than a class and --init scratch without --arch', async () => {
    const base = { source: path.join(dir, 'source'), dataset: path.join(dir, 'data'), iterations: 2 };
    await expect(trainCommand.run(commandContext(trainCommand, { ...base, 'labels-per-class': 30 }))).rejects.toThrow(
      /larger than a class/,
    );
    await expect(
      trainCommand.run(commandContext(trainCommand, { ...base, 'labels-per-class': 4, init: 'scratch' })),
    ).rejects.toThrow(/--arch/);
  });
});
