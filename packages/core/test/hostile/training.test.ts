/**
 * Hostile training cases for the reliability report (suite 'core'): interrupts that must stop training promptly,
 * divergent runs that must not be reported or checkpointed as results, and resumes that must not mix two runs.
 */
import '@tensorflow/tfjs-backend-cpu';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runHostileCase } from '../../../../test/hostile/harness.js';
import { AbortedError } from '../../src/errors.js';
import { createRng } from '../../src/rng.js';
import { tinyConvNet, toyImages } from '../../src/testing/index.js';
import type { Callback } from '../../src/train/callback.js';
import { listCheckpoints, loadCheckpoint, saveCheckpoint } from '../../src/train/checkpoint.js';
import { evaluate } from '../../src/train/evaluate.js';
import { firstNonFiniteIndex } from '../../src/train/finite.js';
import { type CheckpointOptions, fit } from '../../src/train/fit.js';
import { sgd } from '../../src/train/sgd.js';
import { accuracy, arrayData, ce, denseNet, toyProblem } from '../../src/train/test-helpers.js';

let tmp: string;
beforeAll(async () => {
  await tf.setBackend('cpu');
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'ft-hostile-train-'));
});
afterAll(async () => {
  await fs.rm(tmp, { recursive: true, force: true });
});

const suite = 'core';
const data = arrayData(toyProblem(64, 7), { batchSize: 8 });
const config = { dataset: 'toy', seed: 7, lr: 0.1, batchSize: 8, epochs: 3 };
const quiet = () => {};

/** Every checkpoint under `dir` holds finite weights. */
async function checkpointsFinite(dir: string): Promise<boolean> {
  for (const c of await listCheckpoints(dir)) {
    const l = await loadCheckpoint(c.path);
    const bad = await firstNonFiniteIndex(l.weights);
    tf.dispose(l.weights);
    if (bad >= 0) return false;
  }
  return true;
}

describe('hostile training: interrupt', () => {
  it('an abort from a timer (as a SIGINT handler) stops fit after the current step on the cpu backend', async () => {
    let steps = 0;
    let abortedAt = 0;
    const o = await runHostileCase({ suite, id: 'fit-abort-from-timer-cpu', category: 'interrupt' }, async () => {
      const model = denseNet(1);
      const ac = new AbortController();
      setTimeout(() => {
        abortedAt = performance.now();
        ac.abort();
      }, 0);
      const count: Callback = { onStepEnd: () => void steps++ };
      try {
        await fit(model, {
          data,
          loss: ce,
          optimizer: sgd({ lr: 0.1 }),
          epochs: 50, // 400 steps if the abort were never seen
          rng: createRng(1),
          signal: ac.signal,
          callbacks: [count],
          checkpoint: { dir: path.join(tmp, 'abort'), every: 1000, config },
        });
      } finally {
        model.dispose();
      }
    });
    const latencyMs = performance.now() - abortedAt;
    expect(o.kind).toBe('typed');
    expect(o.code).toBe('ABORTED');
    expect(steps).toBeLessThanOrEqual(2);
    expect(latencyMs).toBeLessThan(2000);
    // the abort wrote a resumable checkpoint of the step it stopped at
    expect((await listCheckpoints(path.join(tmp, 'abort'))).map((c) => c.step)).toEqual([steps]);
  });

  it('an abort from a timer stops evaluate between batches', async () => {
    let batches = 0;
    const o = await runHostileCase({ suite, id: 'evaluate-abort-from-timer', category: 'interrupt' }, async () => {
      const model = denseNet(2);
      const many = arrayData(toyProblem(400, 3), { batchSize: 2 });
      const ac = new AbortController();
      setTimeout(() => ac.abort(new AbortedError('evaluate: interrupted')), 0);
      try {
        await evaluate(
          model,
          () => {
            const it = many(0, createRng(0)) as Iterable<{ x: tf.Tensor; y: tf.Tensor }>;
            return (function* () {
              for (const b of it) {
                batches++;
                yield b;
              }
            })();
          },
          { acc: accuracy },
          { signal: ac.signal },
        );
      } finally {
        model.dispose();
      }
    });
    expect(o.code).toBe('ABORTED');
    expect(batches).toBeLessThanOrEqual(3);
  });
});

describe('hostile training: non-finite', () => {
  it('lr 1e8: weights that reach 1e24 with a finite loss are refused, and no checkpoint holds them', async () => {
    const dir = path.join(tmp, 'lr1e8');
    const o = await runHostileCase({ suite, id: 'fit-lr-1e8-weights-diverge', category: 'non-finite' }, async () => {
      const model = denseNet(6);
      try {
        await fit(model, {
          data,
          loss: ce,
          optimizer: sgd({ lr: 1e8 }),
          steps: 3,
          rng: createRng(6),
          checkpoint: { dir, every: 1, keepLast: 10 },
          log: quiet,
        });
      } finally {
        model.dispose();
      }
    });
    expect(o.code).toBe('NON_FINITE_VALUE');
    expect(await checkpointsFinite(dir)).toBe(true);
  });

  it('lr 1e39 (Inf in float32): the last update overflows to Inf/NaN; no checkpoint is written with it', async () => {
    const dir = path.join(tmp, 'lr-inf');
    const o = await runHostileCase({ suite, id: 'fit-last-update-overflows', category: 'non-finite' }, async () => {
      const model = denseNet(5);
      try {
        await fit(model, {
          data,
          loss: ce,
          optimizer: sgd({ lr: 1e39 }),
          steps: 1,
          rng: createRng(5),
          checkpoint: { dir },
        });
      } finally {
        model.dispose();
      }
    });
    expect(o.code).toBe('NON_FINITE_VALUE');
    expect(await listCheckpoints(dir)).toEqual([]);
  });

  it('BN moving statistics that overflow (not part of the training loss) are refused', async () => {
    const dir = path.join(tmp, 'bn');
    const images = toyImages(8, 1);
    const huge = { ...images, xs: images.xs.map((v) => v * 1e25) };
    const o = await runHostileCase({ suite, id: 'fit-bn-moving-stats-overflow', category: 'non-finite' }, async () => {
      const model = tinyConvNet(3);
      try {
        await fit(model, {
          data: arrayData(huge, { batchSize: 4, shape: [6, 6, 1] }),
          loss: ce,
          optimizer: sgd({ lr: 0 }),
          epochs: 1,
          rng: createRng(3),
          checkpoint: { dir },
        });
      } finally {
        model.dispose();
      }
    });
    expect(o.code).toBe('NON_FINITE_VALUE');
    expect(await listCheckpoints(dir)).toEqual([]);
  });

  it('evaluate on a model with NaN weights is an error, not accuracy 0.5 / loss null', async () => {
    const model = denseNet(4);
    const before = tf.memory().numTensors;
    const o = await runHostileCase({ suite, id: 'evaluate-nan-weights', category: 'non-finite' }, async () => {
      const [k, b] = model.layers[1].getWeights();
      const nan = tf.fill(k.shape, Number.NaN);
      model.layers[1].setWeights([nan, b]);
      nan.dispose();
      return evaluate(model, () => data(0, createRng(0)), { loss: ce, accuracy });
    });
    expect(o.code).toBe('NON_FINITE_VALUE');
    expect(tf.memory().numTensors).toBe(before);
    model.dispose();
  });
});

describe('hostile training: resume', () => {
  /** A finished-in-part run in `dir` with `config` (aborted after 3 steps, checkpoint every step). */
  async function partialRun(dir: string, ck: Partial<CheckpointOptions>) {
    const model = denseNet(8);
    const ac = new AbortController();
    const stop: Callback = { onStepEnd: (s) => (s === 2 ? ac.abort() : undefined) };
    await fit(model, {
      data,
      loss: ce,
      optimizer: sgd({ lr: 0.1 }),
      epochs: 3,
      rng: createRng(8),
      checkpoint: { dir, every: 1, ...ck },
      callbacks: [stop],
      signal: ac.signal,
    }).catch((e) => {
      if (!(e instanceof AbortedError)) throw e;
    });
    model.dispose();
  }
  const resume = (dir: string, ck: Partial<CheckpointOptions>) => async () => {
    const model = denseNet(8);
    try {
      return await fit(model, {
        data,
        loss: ce,
        optimizer: sgd({ lr: 0.2 }),
        epochs: 3,
        rng: createRng(8),
        checkpoint: { dir, resume: 'auto', ...ck },
        log: quiet,
      });
    } finally {
      model.dispose();
    }
  };

  it('resuming with another lr / batch size is refused, naming both settings', async () => {
    const dir = path.join(tmp, 'mismatch');
    await partialRun(dir, { config });
    const o = await runHostileCase(
      { suite, id: 'resume-config-mismatch', category: 'resume' },
      resume(dir, { config: { ...config, lr: 0.2, batchSize: 16 } }),
    );
    expect(o.code).toBe('RESUME_MISMATCH');
    expect(o.message).toMatch(/batchSize: 8 → 16, lr: 0.1 → 0.2/);
  });

  it('a checkpoint without a run fingerprint is refused when the run has one', async () => {
    const dir = path.join(tmp, 'legacy');
    await partialRun(dir, {});
    const o = await runHostileCase(
      { suite, id: 'resume-legacy-checkpoint-without-fingerprint', category: 'resume' },
      resume(dir, { config }),
    );
    expect(o.code).toBe('RESUME_MISMATCH');
  });

  it('forceResume continues a mismatching run (valid, with a warning)', async () => {
    const dir = path.join(tmp, 'forced');
    await partialRun(dir, { config });
    const o = await runHostileCase(
      { suite, id: 'resume-config-mismatch-forced', category: 'resume', expect: 'ok' },
      resume(dir, { config: { ...config, lr: 0.2 }, forceResume: true }),
    );
    expect(o.kind).toBe('ok');
  });

  it('a manifest naming a file outside the checkpoint folder is refused unread', async () => {
    const dir = path.join(tmp, 'escape');
    const v = [tf.tensor1d([1, 2])];
    const ck = await saveCheckpoint(dir, 1, { weights: v, state: {} });
    tf.dispose(v);
    const mfile = path.join(ck, 'manifest.json');
    const m = JSON.parse(await fs.readFile(mfile, 'utf8'));
    m.files['../../../../../../etc/passwd'] = { bytes: 1, sha256: '0' };
    await fs.writeFile(mfile, JSON.stringify(m));
    const o = await runHostileCase({ suite, id: 'resume-manifest-path-escape', category: 'resume' }, () =>
      loadCheckpoint(ck),
    );
    expect(o.code).toBe('UNSAFE_PATH');
  });

  it('a manifest declaring a huge file is refused before reading', async () => {
    const dir = path.join(tmp, 'huge');
    const v = [tf.tensor1d([1, 2])];
    const ck = await saveCheckpoint(dir, 1, { weights: v, state: {} });
    tf.dispose(v);
    const mfile = path.join(ck, 'manifest.json');
    const m = JSON.parse(await fs.readFile(mfile, 'utf8'));
    m.files['weights.bin'].bytes = 2 ** 40;
    await fs.writeFile(mfile, JSON.stringify(m));
    const o = await runHostileCase({ suite, id: 'resume-manifest-size-mismatch', category: 'resume' }, () =>
      loadCheckpoint(ck),
    );
    expect(o.code).toBe('CHECKPOINT_CORRUPT');
  });

  it('stale temp folders of a crashed save are cleaned when a run resumes (valid)', async () => {
    const dir = path.join(tmp, 'stale');
    await partialRun(dir, { config });
    const stale = path.join(dir, `.tmp-ckpt-9-${2 ** 22 + 7}-0`);
    await fs.mkdir(stale);
    await fs.writeFile(path.join(stale, 'weights.bin'), 'partial');
    const o = await runHostileCase(
      { suite, id: 'resume-stale-temp-dirs', category: 'resume', expect: 'ok' },
      resume(dir, { config: { ...config, lr: 0.1 } }),
    );
    expect(o.kind).toBe('ok');
    expect((await fs.readdir(dir)).filter((n) => n.startsWith('.'))).toEqual([]);
  });
});
