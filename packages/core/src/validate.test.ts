import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { describe, expect, it } from 'vitest';
import { InvalidArgumentError, ShapeError } from './errors.js';
import {
  checkFinite,
  checkLabelShape,
  checkLabels,
  checkNonNegative,
  checkPositiveInt,
  indexOfNonFinite,
} from './validate.js';

function thrown(f: () => unknown): unknown {
  try {
    f();
  } catch (e) {
    return e;
  }
  throw new Error('expected a throw');
}

describe('checkPositiveInt', () => {
  it('returns integers >= 1 and rejects everything else, naming function and parameter', () => {
    expect(checkPositiveInt(1, 'steps', 'PGD')).toBe(1);
    expect(checkPositiveInt(1e6, 'steps')).toBe(1e6);
    for (const bad of [0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, '3', null, undefined]) {
      expect(() => checkPositiveInt(bad, 'steps', 'PGD')).toThrow(InvalidArgumentError);
    }
    expect(() => checkPositiveInt(0, 'steps', 'PGD')).toThrow(/^PGD: steps must be an integer >= 1, got 0$/);
    expect(() => checkPositiveInt('3', 'limit')).toThrow(/^limit must be an integer >= 1, got 3$/);
    const e = thrown(() => checkPositiveInt(2.5, 'batchSize', 'fit')) as InvalidArgumentError;
    expect(e.code).toBe('INVALID_ARGUMENT');
    expect(e.details).toEqual({ parameter: 'batchSize', value: 2.5 });
  });
});

describe('checkNonNegative', () => {
  it('accepts finite numbers >= 0 (> 0 with positive)', () => {
    expect(checkNonNegative(0, 'eps', 'FGSM')).toBe(0);
    expect(checkNonNegative(8 / 255, 'eps', 'FGSM')).toBe(8 / 255);
    expect(checkNonNegative(0.5, 'eps', 'x', { positive: true })).toBe(0.5);
    for (const bad of [-1e-9, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, '0.1', undefined]) {
      expect(() => checkNonNegative(bad, 'eps', 'FGSM')).toThrow(InvalidArgumentError);
    }
    expect(() => checkNonNegative(-0.1, 'eps', 'PGD')).toThrow(/^PGD: eps must be a finite number >= 0, got -0.1$/);
    expect(() => checkNonNegative(0, 'eps', 'g', { positive: true })).toThrow(
      /^g: eps must be a finite number > 0, got 0$/,
    );
    expect(() => checkNonNegative(Number.NaN, 'lr')).toThrow(/^lr must be a finite number >= 0, got NaN$/);
    const e = thrown(() => checkNonNegative(-2, 'momentum', 'optimizer')) as InvalidArgumentError;
    expect(e.details).toEqual({ parameter: 'momentum', value: -2 });
  });
});

describe('checkFinite / indexOfNonFinite', () => {
  it('finds the first NaN or ±Infinity entry', () => {
    expect(indexOfNonFinite([])).toBe(-1);
    expect(indexOfNonFinite(new Float64Array([1, 2, 3]))).toBe(-1);
    expect(indexOfNonFinite([0, Number.POSITIVE_INFINITY, Number.NaN])).toBe(1);
    expect(indexOfNonFinite(new Float32Array([0, 0, Number.NaN]))).toBe(2);
    // property: the index is the first position where Number.isFinite fails, for random arrays
    let state = 12345;
    const next = () => {
      state = (state * 1103515245 + 12345) % 2147483648;
      return state / 2147483648;
    };
    for (let trial = 0; trial < 50; trial++) {
      const a = Array.from({ length: 20 }, () => (next() < 0.05 ? Number.NaN : next() - 0.5));
      expect(indexOfNonFinite(a)).toBe(a.findIndex((v) => !Number.isFinite(v)));
    }
  });

  it('throws InvalidArgumentError naming the parameter and the entry', () => {
    expect(() => checkFinite([1, 2], 'scores')).not.toThrow();
    expect(() => checkFinite([1, Number.NaN], 'scores')).toThrow(/^scores\[1\] is NaN; scores must be finite$/);
    expect(() => checkFinite([Number.NEGATIVE_INFINITY], 'x', 'nmseDb')).toThrow(/^nmseDb: x\[0\] is -Infinity/);
    const e = thrown(() => checkFinite([0, 0, Number.NaN], 'values')) as InvalidArgumentError;
    expect(e).toBeInstanceOf(InvalidArgumentError);
    expect(e.details).toEqual({ parameter: 'values', index: 2 });
  });
});

describe('checkLabelShape', () => {
  it('one label (or soft row) per example', () => {
    const y = tf.tensor1d([0, 1, 2], 'int32');
    const soft = tf.zeros([3, 4]);
    expect(() => checkLabelShape(y, 3, 'y', 'FGSM')).not.toThrow();
    expect(() => checkLabelShape(y, 2, 'y', 'FGSM')).toThrow(ShapeError);
    expect(() => checkLabelShape(y, 2, 'y', 'FGSM')).toThrow(
      /^FGSM: y has shape \[3\] but the batch has 2 examples; need \[2\] labels$/,
    );
    expect(() => checkLabelShape(soft, 3, 'y', 'FGSM')).toThrow(ShapeError);
    expect(() => checkLabelShape(soft, 3, 'labels', 'mixup', { soft: true })).not.toThrow();
    expect(() => checkLabelShape(soft, 4, 'labels', 'mixup', { soft: true })).toThrow(/need \[4\] or \[4, K\] labels/);
    expect(() => checkLabelShape([0, 1] as unknown as tf.Tensor, 2, 'y', 'PGD')).toThrow(
      /^PGD: y must be a tf.Tensor$/,
    );
    tf.dispose([y, soft]);
  });
});

describe('checkLabels', () => {
  it('returns an Int32Array copy of valid labels (tensor or array)', () => {
    const y = tf.tensor1d([2, 0, 1], 'int32');
    expect(Array.from(checkLabels(y, 'y', 'PGD', { count: 3, numClasses: 3 }))).toEqual([2, 0, 1]);
    const arr = [4, 0, 7];
    const out = checkLabels(arr, 'labels', 'indicesByClass');
    expect(out).toBeInstanceOf(Int32Array);
    expect(Array.from(out)).toEqual(arr);
    out[0] = 9;
    expect(arr[0]).toBe(4);
    expect(checkLabels(new Uint8Array(0), 'labels').length).toBe(0);
    y.dispose();
  });

  it('rejects counts, ranks and values with typed errors', () => {
    const y2 = tf.tensor1d([0, 1], 'int32');
    expect(() => checkLabels(y2, 'y', 'FGSM', { count: 3 })).toThrow(
      /FGSM: y has shape \[2\] but the batch has 3 examples/,
    );
    const y2d = tf.tensor2d([[0], [1]], [2, 1], 'int32');
    expect(() => checkLabels(y2d, 'y', 'FGSM', { count: 2 })).toThrow(ShapeError);
    expect(() => checkLabels([0, 1], 'labels', 'f', { count: 3 })).toThrow(ShapeError);
    const y5 = tf.tensor1d([0, 1, 5], 'int32');
    expect(() => checkLabels(y5, 'y', 'PGD', { numClasses: 3, classesText: "the model's 3 outputs" })).toThrow(
      /^PGD: y\[2\] = 5 is not a class index of the model's 3 outputs \(0\.\.2\)$/,
    );
    expect(() => checkLabels(y5, 'y', 'PGD', { numClasses: 3 })).toThrow(/not a class index of the 3 classes/);
    expect(() => checkLabels([0, -1], 'labels', 'indicesByClass')).toThrow(
      /^indicesByClass: labels must be non-negative integers, got -1 at index 1$/,
    );
    expect(() => checkLabels([0, 1.5], 'labels')).toThrow(InvalidArgumentError);
    expect(() => checkLabels(3 as unknown as number[], 'labels', 'f')).toThrow(
      /f: labels must be a tf.Tensor or an array/,
    );
    const e = thrown(() => checkLabels([0, 3], 'y', 'g', { numClasses: 2 })) as InvalidArgumentError;
    expect(e.details).toEqual({ index: 1, label: 3, numClasses: 2 });
    tf.dispose([y2, y2d, y5]);
  });
});
