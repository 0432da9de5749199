/** `ft finetune`: linear-probe | full | scratch on a labelled target set, with defaults from core. */
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  buildBackbone,
  DEFAULT_TRANSFER_LR,
  initBackend,
  loadModel,
  saveModel,
  TRAIN_CLASSIFIER_DEFAULTS,
  TRANSFER_DEFAULTS,
} from '@ft/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { builtinCommands } from '../builtin-commands.js';
import { runCli } from '../run-cli.js';
import { capture, writeFolderDataset } from '../test-helpers.js';

let tmp: string;
let data: string;
let sourceDir: string;
beforeAll(async () => {
  await initBackend({ prefer: ['cpu'], ignoreEnv: true });
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'ft-finetune-'));
  data = await writeFolderDataset(path.join(tmp, 'data'), 8, 4);
  sourceDir = path.join(tmp, 'source');
  const { model } = buildBackbone('tinyCnn', { inputShape: [8, 8, 1], numClasses: 3, seed: 2 });
  await saveModel(model, sourceDir);
  model.dispose();
});
afterAll(async () => {
  await fs.rm(tmp, { recursive: true, force: true });
});

const run = async (argv: string[]) => {
  const c = capture();
  const code = await runCli(argv, { commands: builtinCommands, io: c.io });
  return { code, out: c.out(), err: c.err() };
};
const tiny = ['--dataset', 'DATA', '--epochs', '1', '--min-steps', '2', '--max-steps', '2', '--batch-size', '2'];
const args = (...extra: string[]) => [
  'finetune',
  ...tiny.map((a) => (a === 'DATA' ? data : a)),
  '--backend',
  'cpu',
  '--json',
  ...extra,
];
const last = (out: string) => JSON.parse(out.trim().split('\n').pop()!);

describe('ft finetune', () => {
  it('scratch: trains the label budget for the capped steps and reports the run', async () => {
    const r = await run(args('--method', 'scratch', '--arch', 'tinyCnn', '--labels-per-class', '2', '--seed', '3'));
    expect(r.code, r.err).toBe(0);
    const res = last(r.out);
    expect(res).toMatchObject({
      method: 'scratch',
      dataset: data,
      labelsPerClass: 2,
      trainSize: 4,
      testSize: 8,
      steps: 2,
      backend: 'cpu',
      seed: 3,
    });
    expect(res.testAccuracyPct).toBe(Math.round(res.testAccuracy * 10000) / 100);
    // one log line per epoch on stderr under --json
    expect(r.err).toMatch(/epoch 1\/1: loss \d+\.\d{4}, step 2/);
  });

  it('full from a saved source with --labels-per-class 0 (all) and --out: the saved model has the new 2-class head', async () => {
    const out = path.join(tmp, 'tuned');
    const r = await run(args('--method', 'full', '--source', sourceDir, '--labels-per-class', '0', '--out', out));
    expect(r.code, r.err).toBe(0);
    const res = last(r.out);
    expect(res).toMatchObject({ method: 'full', labelsPerClass: 'all', trainSize: 8, out });
    const saved = await loadModel(out);
    expect(saved.outputs[0].shape).toEqual([null, 2]);
    saved.dispose();
  });

  it('the same seed gives the same result (one seed path through ctx.rng)', async () => {
    const argv = args('--method', 'linear-probe', '--source', sourceDir, '--labels-per-class', '3', '--seed', '4');
    const ra = await run(argv);
    const rb = await run(argv);
    expect(ra.code, ra.err).toBe(0);
    expect(rb.code, rb.err).toBe(0);
    expect(last(rb.out).testAccuracy).toBe(last(ra.out).testAccuracy);
  });

  it('--help shows the defaults defined in core (no repeated numbers)', async () => {
    const r = await run(['finetune', '--help']);
    expect(r.code).toBe(0);
    for (const m of ['linear-probe', 'full', 'scratch'] as const)
      expect(r.out).toContain(`${DEFAULT_TRANSFER_LR[m]} ${m}`);
    expect(r.out).toMatch(new RegExp(`--epochs.*\\(default ${TRANSFER_DEFAULTS.epochs}\\)`));
    expect(r.out).toMatch(new RegExp(`--min-steps.*\\(default ${TRANSFER_DEFAULTS.minSteps}\\)`));
    expect(r.out).toMatch(new RegExp(`--batch-size.*\\(default ${TRAIN_CLASSIFIER_DEFAULTS.batchSize}\\)`));
  });

  it('usage errors exit 2: no --method, an unknown method, a non-positive --lr; a source for other image sizes exits 1', async () => {
    expect((await run(['finetune', '--dataset', data])).code).toBe(2);
    const unknown = await run(args('--method', 'adapter'));
    expect(unknown.code).toBe(2);
    expect(unknown.err).toMatch(/--method/);
    expect((await run(args('--method', 'full', '--source', sourceDir, '--lr', '0'))).code).toBe(2);
    const other = await writeFolderDataset(path.join(tmp, 'data12'), 12, 2);
    const wrong = await run([
      ...args('--method', 'full', '--source', sourceDir, '--labels-per-class', '0'),
      '--dataset',
      other,
    ]);
    expect(wrong.code).toBe(1);
    expect(wrong.err).toMatch(/\[SHAPE\]/);
  });
});
