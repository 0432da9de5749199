/**
 * Hostile command lines (suite 'cli'): bad flag values, bad paths, models of the wrong shape, broken models and
 * datasets, and repeated programmatic runs. Every case must end in exit 2 (usage) or a typed `[CODE]` error, quickly
 * (before any training), never in `ft: unexpected error`, and `runCli` must not leak tensors.
 */
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type HostileCategory, runHostileCase } from '../../../../test/hostile/harness.js';
import { builtinCommands } from '../../src/builtin-commands.js';
import { loadMethodCommands } from '../../src/method-commands.js';
import { runCli } from '../../src/run-cli.js';
import { capture, throwIfFailed, writeFolderDataset } from '../../src/test-helpers.js';

// The method packages' commands as `ft` mounts them: discovered beside the CLI (their built dist), not listed by name.
const methodCommands = await loadMethodCommands((m) => {
  throw new Error(m);
});
const commands = [...builtinCommands, ...methodCommands];

let tmp: string;
let d8: string; // folder dataset of 8×8 greyscale images, 2 classes
let d12: string; // the same with 12×12 images: the wrong input shape for models trained on d8
let model: string; // a tinyCnn trained on d8
let nanModel: string; // the same topology with NaN weights
let aFile: string;
let aDir: string;

async function ft(argv: string[]) {
  const c = capture();
  const exitCode = await runCli(argv, { commands, io: c.io });
  return { exitCode, out: c.out(), err: c.err() };
}

beforeAll(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'ft-cli-hostile-'));
  d8 = await writeFolderDataset(path.join(tmp, 'd8'), 8, 8);
  d12 = await writeFolderDataset(path.join(tmp, 'd12'), 12, 8);
  model = path.join(tmp, 'model');
  const r = await ft(
    ['pretrain', '--dataset', d8, '--arch', 'tinyCnn', '--epochs', '1', '--batch-size', '8'].concat([
      '--out',
      model,
      '--backend',
      'cpu',
      '--json',
    ]),
  );
  expect(r.exitCode, r.err).toBe(0);
  nanModel = path.join(tmp, 'nan-model');
  await fs.mkdir(nanModel);
  await fs.copyFile(path.join(model, 'model.json'), path.join(nanModel, 'model.json'));
  const w = await fs.readFile(path.join(model, 'weights.bin'));
  await fs.writeFile(
    path.join(nanModel, 'weights.bin'),
    Buffer.from(new Float32Array(w.length / 4).fill(Number.NaN).buffer),
  );
  aFile = path.join(tmp, 'a-file');
  await fs.writeFile(aFile, 'x');
  aDir = path.join(tmp, 'a-dir');
  await fs.mkdir(aDir);
});
afterAll(async () => {
  await fs.rm(tmp, { recursive: true, force: true });
});

interface Case {
  id: string;
  argv: () => string[];
  exit: number;
  code?: string;
  /** A pattern the error line must match (actionable: names the flag, the path or the shapes). */
  message?: RegExp;
  category?: HostileCategory;
  maxMs?: number;
}

/** Runs one in-process case through the harness and checks exit code, error code, message and time. */
async function check(c: Case) {
  let res: Awaited<ReturnType<typeof ft>> | undefined;
  const o = await runHostileCase(
    { suite: 'cli', id: c.id, category: c.category ?? 'cli', ...(c.exit === 0 ? { expect: 'ok' as const } : {}) },
    async () => {
      res = await ft(c.argv());
      return throwIfFailed(res.exitCode, res.err);
    },
  );
  expect(res, o.message).toBeDefined();
  expect(res?.exitCode, res?.err).toBe(c.exit);
  expect(res?.err).not.toMatch(/unexpected error/);
  if (c.exit === 0) expect(o.kind).toBe('ok');
  else {
    expect(o.kind, res?.err).toBe('typed');
    if (c.code) expect(o.code).toBe(c.code);
  }
  if (c.message) expect(res?.err).toMatch(c.message);
  expect(o.ms).toBeLessThan(c.maxMs ?? 5000);
  return res!;
}

const usage = (id: string, argv: () => string[], message?: RegExp): Case => ({
  id,
  argv,
  exit: 2,
  code: 'USAGE',
  ...(message ? { message } : {}),
  maxMs: 2000,
});
/** `ft finetune --method full` of the trained d8 model on `dataset`, then `extra`. */
const fullFinetune = (dataset: string, ...extra: string[]) => [
  'finetune',
  '--method',
  'full',
  '--source',
  model,
  '--dataset',
  dataset,
  ...extra,
];
/** A training command that would run for a long time if it did not fail up front. */
const longPretrain = (...extra: string[]) => [
  'pretrain',
  '--dataset',
  d8,
  '--arch',
  'tinyCnn',
  '--epochs',
  '300',
  '--batch-size',
  '2',
  '--backend',
  'cpu',
  ...extra,
];

describe('ft command line: the method packages are mounted', () => {
  it('discovery found the ad, adv and jadce commands the cases below run', () => {
    const groups = new Set(methodCommands.map((c) => c.group));
    for (const g of ['ad', 'adv', 'jadce']) expect(groups.has(g), g).toBe(true);
  });
});

describe('ft command line: bad values are usage errors (exit 2)', () => {
  const cases: Case[] = [
    usage(
      'backend-typo',
      () => ['eval', '--model', model, '--dataset', d8, '--backend', 'cpux'],
      /valid backends: tensorflow, ft-webgpu, ft-native, cpu, wasm/,
    ),
    usage(
      'batch-size-zero',
      () => longPretrain('--out', path.join(tmp, 'o'), '--batch-size', '0'),
      /--batch-size must be integer ≥ 1, got 0/,
    ),
    usage(
      'epochs-zero',
      () => longPretrain('--out', path.join(tmp, 'o'), '--epochs', '0'),
      /--epochs must be integer ≥ 1/,
    ),
    usage(
      'epochs-not-integer',
      () => longPretrain('--out', path.join(tmp, 'o'), '--epochs', '1.5'),
      /--epochs must be integer/,
    ),
    usage('lr-negative', () => longPretrain('--out', path.join(tmp, 'o'), '--lr', '-1'), /--lr must be > 0, got -1/),
    usage(
      'lr-nan',
      () => longPretrain('--out', path.join(tmp, 'o'), '--lr', 'nan'),
      /--lr must be a number \(> 0\), got "nan"/,
    ),
    usage('lr-infinity', () => longPretrain('--out', path.join(tmp, 'o'), '--lr', 'Infinity'), /--lr must be a number/),
    usage(
      'count-negative',
      () => ['jadce', 'simulate', '--count=-1', '--out', path.join(tmp, 's.npz')],
      /--count must be integer ≥ 1, got -1/,
    ),
    usage('finetune-min-steps-negative', () => fullFinetune(d8, '--min-steps', '-3'), /--min-steps/),
    usage(
      'adv-eval-steps-zero',
      () => ['adv', 'eval', '--model', model, '--dataset', d8, '--steps', '0'],
      /--steps must be integer ≥ 1/,
    ),
    usage(
      'adv-warm-fraction-one',
      () => ['adv', 'finetune', '--model', model, '--dataset', d8, '--warm-fraction', '1'],
      /--warm-fraction must be 0 < x < 1/,
    ),
    usage(
      'ad-size-zero',
      () => ['ad', 'fit', '--dataset', d8, '--backbone', model, '--size', '0', '--out', path.join(tmp, 'det')],
      /--size/,
    ),
    usage(
      'jadce-eps-above-one',
      () => ['jadce', 'simulate', '--eps', '1.5', '--out', path.join(tmp, 's.npz')],
      /--eps must be 0 < x ≤ 1/,
    ),
    usage(
      'unknown-arch',
      () => longPretrain('--out', path.join(tmp, 'o'), '--arch', 'resnet9000'),
      /--arch must be one of/,
    ),
    usage('missing-value', () => ['eval', '--model'], /--model/),
  ];
  for (const c of cases) it(c.id, () => check(c));

  it('help shows the constraints', async () => {
    const r = await ft(['pretrain', '--help']);
    expect(r.exitCode).toBe(0);
    expect(r.out).toMatch(/--epochs <number> .*\[integer ≥ 1\]/);
    expect(r.out).toMatch(/--lr <number> .*\[> 0\]/);
  });
});

describe('ft command line: negative numbers after an option', () => {
  /** A tiny `jadce simulate` writing `<tmp>/<file>`, with `flags` before `--json`. */
  const simulate = (file: string, flags: readonly string[]) => () => [
    'jadce',
    'simulate',
    '--count',
    '2',
    '--N',
    '4',
    '--L',
    '2',
    '--M',
    '1',
    '--out',
    path.join(tmp, file),
    ...flags,
    '--json',
  ];
  /** Each case: the flags, and the result field that must hold -5 (title and output file default from the id). */
  const cases: { id: string; flags: string[]; field: string; title?: string; file?: string }[] = [
    { id: 'seed-negative-space', flags: ['--seed', '-5'], field: 'seed' },
    { id: 'seed-negative-equals', flags: ['--seed=-5'], field: 'seed' },
    {
      id: 'snr-negative-space',
      flags: ['--snr', '-5'],
      field: 'snrDb',
      title: '--snr -5 (a string option) is taken as the value too',
      file: 'snr.npz',
    },
  ];
  for (const c of cases) {
    it(c.title ?? `${c.id} is taken as the value`, async () => {
      const r = await check({ id: c.id, argv: simulate(c.file ?? `${c.id}.npz`, c.flags), exit: 0, category: 'cli' });
      expect(JSON.parse(r.out.trim().split('\n').pop() ?? '{}')[c.field]).toBe(-5);
    });
  }
});

describe('ft command line: output paths and zoo names are checked before training', () => {
  const cases: Case[] = [
    usage('out-is-a-file', () => longPretrain('--out', aFile), /--out .*a-file: exists and is not a folder/),
    usage(
      'out-under-a-file',
      () => longPretrain('--out', path.join(aFile, 'sub')),
      /a-file is a file, so nothing can be created under it/,
    ),
    usage(
      'checkpoint-dir-is-a-file',
      () => longPretrain('--out', path.join(tmp, 'o2'), '--checkpoint-dir', aFile),
      /--checkpoint-dir/,
    ),
    usage('zoo-name-invalid', () => longPretrain('--zoo-name', '../escape'), /--zoo-name must be/),
    usage('finetune-out-under-a-file', () => fullFinetune(d8, '--epochs', '300', '--out', path.join(aFile, 'x'))),
    usage('adv-train-out-is-a-file', () => ['adv', 'train', '--dataset', d8, '--epochs', '300', '--out', aFile]),
    usage(
      'adv-attack-out-is-a-folder',
      () => ['adv', 'attack', '--model', model, '--dataset', d8, '--out', aDir],
      /is a folder \(give a file path\)/,
    ),
    usage('ad-fit-out-is-a-file', () => [
      'ad',
      'fit',
      '--dataset',
      d8,
      '--backbone',
      model,
      '--size',
      '8',
      '--out',
      aFile,
    ]),
    usage('jadce-simulate-out-is-a-folder', () => ['jadce', 'simulate', '--out', aDir]),
    usage('jadce-train-out-is-a-file', () => ['jadce', 'train', '--out', aFile]),
    usage(
      'jadce-eval-data-is-a-folder',
      () => ['jadce', 'eval', '--data', aDir],
      /--data .*is a folder, expected a file/,
    ),
    usage(
      'ad-score-images-is-a-file',
      () => ['ad', 'score', '--detector', aDir, '--images', aFile],
      /--images .*is a file, expected a folder/,
    ),
  ];
  for (const c of cases) it(c.id, () => check(c));

  it('zoo folder under a file ($FT_ZOO_DIR) is refused before training', async () => {
    const prev = process.env.FT_ZOO_DIR;
    process.env.FT_ZOO_DIR = path.join(aFile, 'zoo');
    try {
      await check(usage('zoo-folder-under-a-file', () => longPretrain('--zoo-name', 'fine-name'), /zoo folder/));
    } finally {
      if (prev === undefined) delete process.env.FT_ZOO_DIR;
      else process.env.FT_ZOO_DIR = prev;
    }
  });

  it('a zoo: model reference with a path in it is refused', () =>
    check({
      id: 'eval-zoo-ref-escape',
      argv: () => ['eval', '--model', 'zoo:../../etc/x', '--dataset', d8, '--backend', 'cpu'],
      exit: 1,
      code: 'INVALID_ARGUMENT',
      message: /zoo model name "\.\.\/\.\.\/etc\/x" is not valid/,
      category: 'path',
    }));

  it.skipIf(process.getuid?.() === 0)('out in a read-only folder', async () => {
    const ro = path.join(tmp, 'ro');
    await fs.mkdir(ro, { mode: 0o500 });
    await check(usage('out-not-writable', () => longPretrain('--out', path.join(ro, 'm')), /not writable/));
  });
});

describe('ft command line: models of another input shape are SHAPE errors', () => {
  const shape = (id: string, argv: () => string[]): Case => ({
    id,
    argv,
    exit: 1,
    code: 'SHAPE',
    message: /shape \[8, 8, 1\].*\[12, 12, 1\]|12×12|do not fit/,
    category: 'input',
  });
  /** `ft adv <sub>` with the d8 model on the 12×12 dataset. */
  const adv =
    (sub: string, ...flags: string[]) =>
    () => ['adv', sub, '--model', model, '--dataset', d12, ...flags, '--backend', 'cpu'];
  const cases: Case[] = [
    shape('eval-wrong-shape', () => ['eval', '--model', model, '--dataset', d12, '--backend', 'cpu']),
    shape('finetune-source-wrong-shape', () => fullFinetune(d12, '--labels-per-class', '2', '--backend', 'cpu')),
    shape('adv-eval-wrong-shape', adv('eval', '--limit', '4')),
    shape('adv-attack-wrong-shape', adv('attack', '--limit', '4')),
    shape('adv-finetune-wrong-shape', adv('finetune', '--eval-limit', '0')),
    shape('ad-fit-wrong-shape', () => [
      'ad',
      'fit',
      '--dataset',
      d12,
      '--backbone',
      model,
      '--size',
      '12',
      '--out',
      path.join(tmp, 'det12'),
      '--backend',
      'cpu',
    ]),
  ];
  for (const c of cases) it(c.id, () => check(c));
});

describe('ft command line: broken inputs are typed errors', () => {
  const typed = (id: string, code: string, argv: () => string[], message?: RegExp): Case => ({
    id,
    argv,
    exit: 1,
    code,
    ...(message ? { message } : {}),
    category: 'input',
  });
  const cases: Case[] = [
    typed('eval-nan-weights', 'NON_FINITE_VALUE', () => [
      'eval',
      '--model',
      nanModel,
      '--dataset',
      d8,
      '--backend',
      'cpu',
      '--json',
    ]),
    typed('eval-model-missing', 'MODEL_FILE_NOT_FOUND', () => [
      'eval',
      '--model',
      path.join(tmp, 'nope'),
      '--dataset',
      d8,
      '--backend',
      'cpu',
    ]),
    typed('eval-model-is-a-file', 'MODEL_FILE_NOT_FOUND', () => [
      'eval',
      '--model',
      aFile,
      '--dataset',
      d8,
      '--backend',
      'cpu',
    ]),
    typed('eval-model-empty-folder', 'MODEL_FILE_NOT_FOUND', () => [
      'eval',
      '--model',
      aDir,
      '--dataset',
      d8,
      '--backend',
      'cpu',
    ]),
    typed('eval-dataset-missing', 'DATASET_NOT_FOUND', () => [
      'eval',
      '--model',
      model,
      '--dataset',
      `folder:${path.join(tmp, 'nope')}`,
      '--backend',
      'cpu',
    ]),
    typed('eval-dataset-empty', 'EMPTY_DATASET', () => [
      'eval',
      '--model',
      model,
      '--dataset',
      `folder:${aDir}`,
      '--backend',
      'cpu',
    ]),
    typed('eval-dataset-unknown-name', 'INVALID_ARGUMENT', () => [
      'eval',
      '--model',
      model,
      '--dataset',
      'imagenet',
      '--backend',
      'cpu',
    ]),
    typed('data-inspect-file-as-folder', 'DATASET_NOT_FOUND', () => ['data', 'inspect', `folder:${aFile}`]),
    typed('ad-score-detector-missing', 'MODEL_FILE_NOT_FOUND', () => [
      'ad',
      'score',
      '--detector',
      path.join(tmp, 'nope'),
      '--images',
      aDir,
      '--backend',
      'cpu',
    ]),
    typed('jadce-eval-data-missing', 'DATASET_NOT_FOUND', () => [
      'jadce',
      'eval',
      '--data',
      path.join(tmp, 'nope.npz'),
    ]),
    typed('jadce-eval-data-empty-file', 'DATASET_FORMAT', () => ['jadce', 'eval', '--data', aFile]),
  ];
  for (const c of cases) it(c.id, () => check(c));

  it('eval of a NaN model prints no result with "loss": null', async () => {
    const r = await ft(['eval', '--model', nanModel, '--dataset', d8, '--backend', 'cpu', '--json']);
    expect(r.exitCode).toBe(1);
    expect(r.out).not.toMatch(/"loss":null/);
  });
});

describe('runCli does not leak tensors', () => {
  it('20 × ft eval, 20 × a tiny ft pretrain and 5 × ft finetune keep tf.memory().numTensors flat', async () => {
    const evalArgs = ['eval', '--model', model, '--dataset', d8, '--backend', 'cpu', '--json'];
    const trainArgs = ['pretrain', '--dataset', d8, '--arch', 'tinyCnn', '--epochs', '1', '--batch-size', '16'].concat([
      '--out',
      path.join(tmp, 'leak-model'),
      '--backend',
      'cpu',
      '--json',
    ]);
    const ftArgs = fullFinetune(d8, '--labels-per-class', '4').concat([
      '--epochs',
      '1',
      '--min-steps',
      '1',
      '--batch-size',
      '8',
      '--backend',
      'cpu',
      '--json',
    ]);
    const counts: Record<string, number[]> = { eval: [], pretrain: [], finetune: [], shapeError: [] };
    const o = await runHostileCase(
      { suite: 'cli', id: 'runcli-20x-tensors-flat', category: 'leak', timeoutMs: 120_000, expect: 'ok' },
      async () => {
        await ft(evalArgs); // warm-up: the backend's own first-use tensors
        const base = tf.memory().numTensors;
        for (let i = 0; i < 20; i++) {
          expect((await ft(evalArgs)).exitCode).toBe(0);
          counts.eval.push(tf.memory().numTensors - base);
        }
        for (let i = 0; i < 20; i++) {
          expect((await ft(trainArgs)).exitCode).toBe(0);
          counts.pretrain.push(tf.memory().numTensors - base);
        }
        for (let i = 0; i < 5; i++) {
          expect((await ft(ftArgs)).exitCode).toBe(0);
          counts.finetune.push(tf.memory().numTensors - base);
        }
        for (let i = 0; i < 5; i++) {
          expect((await ft(['eval', '--model', model, '--dataset', d12, '--backend', 'cpu'])).exitCode).toBe(1);
          counts.shapeError.push(tf.memory().numTensors - base);
        }
      },
    );
    console.log(`[leak] tensors above baseline after each run: ${JSON.stringify(counts)}`);
    expect(o.kind, o.message).toBe('ok');
    for (const v of Object.values(counts)) expect(Math.max(...v.map(Math.abs))).toBe(0);
  }, 120_000);
});
