import '@tensorflow/tfjs-backend-cpu';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NonFiniteLossError, NonFiniteValueError } from '../errors.js';
import { allVariablesOf } from '../models/module.js';
import { createRng } from '../rng.js';
import { tinyConvNet, toyImages } from '../testing/index.js';
import { listCheckpoints, loadCheckpoint } from './checkpoint.js';
import { assertFiniteVariables, firstNonFiniteIndex } from './finite.js';
import { fit } from './fit.js';
import { sgd } from './sgd.js';
import { arrayData, ce, denseNet, toyProblem } from './test-helpers.js';

let tmp: string;
beforeAll(async () => {
  await tf.setBackend('cpu');
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'ft-fit-safety-'));
});
afterAll(async () => {
  await fs.rm(tmp, { recursive: true, force: true });
});

const data = arrayData(toyProblem(64, 7), { batchSize: 8 });

describe('finite-weights checks', () => {
  it('assertFiniteVariables / firstNonFiniteIndex find the first NaN/Inf variable without leaking', async () => {
    const a = tf.variable(tf.ones([3]), true, 'ok_a');
    const b = tf.variable(tf.tensor1d([1, Number.POSITIVE_INFINITY, Number.NaN]), true, 'bad_b');
    const i = tf.variable(tf.tensor1d([1, 2], 'int32'), false, 'int_c');
    const before = tf.memory().numTensors;
    expect(await firstNonFiniteIndex([a, i])).toBe(-1);
    expect(await firstNonFiniteIndex([a, i, b])).toBe(2);
    const err = await assertFiniteVariables([a, b], { where: 'test', step: 7, lastCheckpoint: '/x/ckpt-5' }).catch(
      (e) => e,
    );
    expect(err).toBeInstanceOf(NonFiniteValueError);
    expect(err.code).toBe('NON_FINITE_VALUE');
    expect(err.message).toMatch(
      /variable 'bad_b'.*1 NaN, 1 ±Inf values.*after step 7.*last good checkpoint: \/x\/ckpt-5/,
    );
    expect(err.details).toMatchObject({ variable: 'bad_b', step: 7, nan: 1, inf: 1, lastCheckpoint: '/x/ckpt-5' });
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([a, b, i]);
  });

  it('fit throws NonFiniteValueError when the last update overflows the weights (loss was finite)', async () => {
    const model = denseNet(5);
    const before = tf.memory().numTensors;
    // lr 1e39 is Infinity in float32: the single update turns the weights into ±Inf/NaN after a finite loss.
    const err = await fit(model, { data, loss: ce, optimizer: sgd({ lr: 1e39 }), steps: 1, rng: createRng(5) }).catch(
      (e) => e,
    );
    expect(err).toBeInstanceOf(NonFiniteValueError);
    expect(err.message).toMatch(/^fit: variable '.+' .* after step 1 \(epoch 0\)/);
    expect(err.details.step).toBe(1);
    expect(tf.memory().numTensors).toBe(before);
    model.dispose();
  });

  it('fit with lr 1e8: weights of magnitude 1e24 after 3 steps (finite loss) are refused and never checkpointed', async () => {
    const dir = path.join(tmp, 'lr1e8');
    const model = denseNet(6);
    const err = await fit(model, {
      data,
      loss: ce,
      optimizer: sgd({ lr: 1e8 }),
      steps: 3, // the loss of step 3 is finite; the 4th would be NaN
      rng: createRng(6),
      checkpoint: { dir, every: 1, keepLast: 100 },
    }).catch((e) => e);
    expect(err).toBeInstanceOf(NonFiniteValueError);
    expect(err.message).toMatch(/of magnitude ≥ 2\^64 \(max \d\.\d\de\+\d+\)/);
    const cks = await listCheckpoints(dir);
    expect(cks.length).toBeGreaterThan(0);
    for (const c of cks) {
      const l = await loadCheckpoint(c.path);
      expect(await firstNonFiniteIndex(l.weights)).toBe(-1);
      tf.dispose(l.weights);
    }
    expect(err.details.lastCheckpoint).toBe(cks[cks.length - 1].path);
    expect(cks.map((c) => c.step)).not.toContain(err.details.step);
    // with more steps the loss itself turns NaN first: also typed
    const m2 = denseNet(6);
    const err2 = await fit(m2, { data, loss: ce, optimizer: sgd({ lr: 1e8 }), steps: 10, rng: createRng(6) }).catch(
      (e) => e,
    );
    expect(err2).toBeInstanceOf(NonFiniteLossError);
    model.dispose();
    m2.dispose();
  });

  it('maxAbs: Infinity checks NaN/Inf only; the default limit is 2^64', async () => {
    const big = tf.variable(tf.tensor1d([1e20, 1]), true, 'big');
    expect(await firstNonFiniteIndex([big])).toBe(0);
    expect(await firstNonFiniteIndex([big], Number.POSITIVE_INFINITY)).toBe(-1);
    await expect(assertFiniteVariables([big], { where: 'w', maxAbs: Number.POSITIVE_INFINITY })).resolves.toBe(
      undefined,
    );
    big.dispose();
  });

  it('non-finite BN moving statistics (not in the training loss) are caught at the epoch end', async () => {
    const images = toyImages(8, 1);
    const huge = { ...images, xs: images.xs.map((v) => v * 1e25) };
    const model = tinyConvNet(3);
    const dir = path.join(tmp, 'bn');
    const err = await fit(model, {
      data: arrayData(huge, { batchSize: 4, shape: [6, 6, 1] }),
      loss: ce,
      optimizer: sgd({ lr: 0 }), // the weights do not move: only the moving variance overflows
      epochs: 1,
      rng: createRng(3),
      checkpoint: { dir },
    }).catch((e) => e);
    expect(err).toBeInstanceOf(NonFiniteValueError);
    expect(err.message).toMatch(/batch_normalization.*moving_(mean|variance)/);
    expect(await listCheckpoints(dir)).toEqual([]);
    expect(allVariablesOf(model).length).toBeGreaterThan(0);
    model.dispose();
  });
});
