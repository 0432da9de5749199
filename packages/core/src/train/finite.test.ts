import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { NonFiniteValueError } from '../errors.js';
import { assertFiniteVariables, firstNonFiniteIndex, WEIGHT_MAGNITUDE_LIMIT } from './finite.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('firstNonFiniteIndex', () => {
  it('finds the first NaN, ±Inf or |x| ≥ 2^64 tensor, skipping int and disposed tensors', async () => {
    expect(Math.log2(WEIGHT_MAGNITUDE_LIMIT)).toBe(64);
    const ok = tf.tensor1d([1, -2, 1e18]);
    const nan = tf.tensor1d([0, Number.NaN]);
    const inf = tf.tensor1d([Number.NEGATIVE_INFINITY]);
    const huge = tf.tensor1d([0, 2 ** 64]);
    const ints = tf.tensor1d([7], 'int32');
    expect(await firstNonFiniteIndex([ok])).toBe(-1);
    expect(await firstNonFiniteIndex([])).toBe(-1);
    expect(await firstNonFiniteIndex([ints, ok])).toBe(-1);
    expect(await firstNonFiniteIndex([ok, nan, inf])).toBe(1);
    expect(await firstNonFiniteIndex([ok, inf])).toBe(1);
    expect(await firstNonFiniteIndex([ok, huge])).toBe(1);
    // maxAbs = Infinity checks NaN/±Inf only
    expect(await firstNonFiniteIndex([huge, ok], Number.POSITIVE_INFINITY)).toBe(-1);
    expect(await firstNonFiniteIndex([ok], 1.5)).toBe(0);
    const gone = tf.tensor1d([Number.NaN]);
    gone.dispose();
    expect(await firstNonFiniteIndex([gone, ok])).toBe(-1);
    tf.dispose([ok, nan, inf, huge, ints]);
  });

  it('leaves no tensors behind', async () => {
    const ts = [tf.ones([3, 3]), tf.zeros([2])];
    const before = tf.memory().numTensors;
    for (let k = 0; k < 3; k++) await firstNonFiniteIndex(ts);
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose(ts);
  });
});

describe('assertFiniteVariables', () => {
  it('resolves for finite variables', async () => {
    const v = tf.variable(tf.tensor1d([1, 2]), true, 'fin_ok');
    await expect(assertFiniteVariables([v], { where: 'test' })).resolves.toBeUndefined();
    v.dispose();
  });

  it('throws NonFiniteValueError with counts, name, step, epoch and last checkpoint', async () => {
    const a = tf.variable(tf.tensor1d([1, 2]), true, 'fin_a');
    const b = tf.variable(tf.tensor1d([Number.NaN, Number.NaN, Number.POSITIVE_INFINITY, 3, 2 ** 70]), true, 'fin_b');
    const err = (await assertFiniteVariables([a, b], {
      where: 'fit',
      step: 12,
      epoch: 3,
      lastCheckpoint: '/ck/step-10',
    }).catch((e) => e)) as NonFiniteValueError;
    expect(err).toBeInstanceOf(NonFiniteValueError);
    expect(err.code).toBe('NON_FINITE_VALUE');
    expect(err.message).toContain("variable 'fin_b' [5]");
    expect(err.message).toContain('2 NaN, 1 ±Inf, 1 of magnitude ≥ 2^64');
    expect(err.message).toContain('after step 12 (epoch 3)');
    expect(err.message).toContain('/ck/step-10');
    expect(err.details).toEqual({
      variable: 'fin_b',
      index: 1,
      nan: 2,
      inf: 1,
      huge: 1,
      step: 12,
      epoch: 3,
      lastCheckpoint: '/ck/step-10',
    });
    tf.dispose([a, b]);
  });

  it('uses context names and hint; plain tensors are named by position', async () => {
    const t = tf.tensor1d([Number.NaN]);
    const named = (await assertFiniteVariables([t], { where: 'x', names: ['head/w'], hint: 'try X' }).catch(
      (e) => e,
    )) as NonFiniteValueError;
    expect(named.message).toContain("'head/w'");
    expect(named.message).toMatch(/try X$/);
    expect(named.details?.lastCheckpoint).toBeNull();
    const plain = (await assertFiniteVariables([t], { where: 'x' }).catch((e) => e)) as NonFiniteValueError;
    expect(plain.message).toContain("'tensor 0'");
    t.dispose();
  });
});
