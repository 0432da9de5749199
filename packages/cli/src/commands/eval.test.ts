/** `ft eval`: accuracy, loss and per-class accuracy of a saved classifier on a dataset split. */
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { buildBackbone, initBackend, saveModel } from '@ft/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { builtinCommands } from '../builtin-commands.js';
import { runCli } from '../run-cli.js';
import { capture, writeFolderDataset } from '../test-helpers.js';

let tmp: string;
let data: string;
let modelDir: string;
beforeAll(async () => {
  await initBackend({ prefer: ['cpu'], ignoreEnv: true });
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'ft-eval-'));
  data = await writeFolderDataset(path.join(tmp, 'data'), 8, 3);
  modelDir = path.join(tmp, 'model');
  const { model } = buildBackbone('tinyCnn', { inputShape: [8, 8, 1], numClasses: 2, seed: 1 });
  await saveModel(model, modelDir);
  model.dispose();
});
afterAll(async () => {
  await fs.rm(tmp, { recursive: true, force: true });
});

const run = async (argv: string[]) => {
  const c = capture();
  const code = await runCli([...argv, '--backend', 'cpu'], { commands: builtinCommands, io: c.io });
  return { code, out: c.out(), err: c.err() };
};

describe('ft eval', () => {
  it('--json reports n, accuracy (fraction and %), loss and per-class accuracy on the test split', async () => {
    const r = await run(['eval', '--model', modelDir, '--dataset', data, '--json']);
    expect(r.code, r.err).toBe(0);
    const e = JSON.parse(r.out.trim().split('\n').pop()!);
    expect(e).toMatchObject({ model: modelDir, dataset: data, split: 'test', n: 6, backend: 'cpu' });
    expect(e.perClassAccuracy).toHaveLength(2);
    // 6 images, 3 per class: accuracy is a multiple of 1/6 and the mean of the per-class accuracies
    expect(Math.round(e.accuracy * 6)).toBeCloseTo(e.accuracy * 6, 6);
    expect(e.accuracy).toBeCloseTo((e.perClassAccuracy[0] + e.perClassAccuracy[1]) / 2, 10);
    expect(e.accuracyPct).toBe(Math.round(e.accuracy * 10000) / 100);
    expect(e.loss).toBeGreaterThan(0);
  });

  it('evaluates the split asked for; the same model and data give the same numbers', async () => {
    const a = await run([
      'eval',
      '--model',
      path.join(modelDir, 'model.json'),
      '--dataset',
      data,
      '--split',
      'train',
      '--json',
    ]);
    const b = await run(['eval', '--model', modelDir, '--dataset', data, '--split', 'train', '--json']);
    expect(a.code, a.err).toBe(0);
    const ea = JSON.parse(a.out.trim().split('\n').pop()!);
    const eb = JSON.parse(b.out.trim().split('\n').pop()!);
    expect(ea.split).toBe('train');
    expect(ea.n).toBe(6);
    expect(ea.loss).toBe(eb.loss);
    expect(ea.accuracy).toBe(eb.accuracy);
  });

  it('--model is required (exit 2); a missing model (1, MODEL_FILE_NOT_FOUND) or one for other image sizes (1, SHAPE)', async () => {
    const noModel = await run(['eval', '--dataset', data]);
    expect(noModel.code).toBe(2);
    expect(noModel.err).toMatch(/--model/);
    const missing = await run(['eval', '--model', path.join(tmp, 'absent'), '--dataset', data]);
    expect(missing.code).toBe(1);
    expect(missing.err).toMatch(/\[MODEL_FILE_NOT_FOUND\]/);
    const other = await writeFolderDataset(path.join(tmp, 'data12'), 12, 1);
    const wrong = await run(['eval', '--model', modelDir, '--dataset', other]);
    expect(wrong.code).toBe(1);
    expect(wrong.err).toMatch(/\[SHAPE\].*\[8, 8, 1\].*\[12, 12, 1\]/);
  });
});
