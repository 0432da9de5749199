/**
 * The attack-specific input checks: [0, 1] NHWC float32 image batches (with the observed range in the message),
 * class labels against a model's outputs, and the number of classes a LayersModel or Module outputs.
 */
import '@tensorflow/tfjs-backend-cpu';
import { InvalidArgumentError, type Module, ShapeError } from '@ft/core';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { beforeAll, describe, expect, it } from 'vitest';
import { linearModel, randomImages, randomMatrix } from './test-helpers.js';
import { checkClassLabels, checkImages, numClassesOf, RANGE_TOL } from './validate.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('checkImages', () => {
  it('accepts [0, 1] float32 NHWC batches up to RANGE_TOL outside, and empty batches', () => {
    const x = randomImages(3, [4, 4, 1], 1, { borders: true });
    expect(() => checkImages(x, 'x', 'PGD')).not.toThrow();
    const edge = tf.tensor4d([-RANGE_TOL / 2, 1 + RANGE_TOL / 2], [1, 1, 2, 1]);
    expect(() => checkImages(edge, 'x', 'PGD')).not.toThrow();
    expect(() => checkImages(tf.zeros([0, 4, 4, 1]), 'x', 'PGD')).not.toThrow();
    tf.dispose([x, edge]);
  });

  it('rejects ranks, dtypes and values with the observed range', () => {
    const flat = tf.zeros([2, 16]);
    expect(() => checkImages(flat, 'x', 'PGD')).toThrow(ShapeError);
    expect(() => checkImages(flat, 'x', 'PGD')).toThrow(
      /^PGD: x must be an NHWC image batch \[N, H, W, C\], got shape \[2,16\]/,
    );
    const ints = tf.zeros([1, 2, 2, 1], 'int32');
    expect(() => checkImages(ints, 'x', 'FGSM')).toThrow(/FGSM: x must be float32, got int32/);
    const big = tf.tensor4d([0, 0.5, 2, 1], [1, 2, 2, 1]);
    expect(() => checkImages(big, 'x', 'FGSM')).toThrow(/input values span \[0, 2\], outside \[0, 1\]/);
    expect(() => checkImages(big, 'x', 'FGSM', [0, 2])).not.toThrow();
    const nan = tf.tensor4d([0, Number.NaN, 0.5, 1], [1, 2, 2, 1]);
    expect(() => checkImages(nan, 'x', 'FGSM')).toThrow(InvalidArgumentError);
    expect(() => checkImages([0, 1] as unknown as tf.Tensor, 'x', 'FGSM')).toThrow(/x must be a tf.Tensor/);
    tf.dispose([flat, ints, big, nan]);
  });
});

describe('checkClassLabels', () => {
  it("returns the labels and names the model's outputs for a bad one", () => {
    const y = tf.tensor1d([2, 0, 1], 'int32');
    expect(Array.from(checkClassLabels(y, 'y', 'PGD', 3, 3))).toEqual([2, 0, 1]);
    expect(() => checkClassLabels(y, 'y', 'PGD', 3, 2)).toThrow(
      /^PGD: y\[0\] = 2 is not a class index of the model's 2 outputs \(0\.\.1\)$/,
    );
    expect(() => checkClassLabels(y, 'targets', 'PGD', 4, 3)).toThrow(/targets has shape \[3\] but the batch has 4/);
    y.dispose();
  });
});

describe('numClassesOf', () => {
  it('reads C from a LayersModel output [N, C] or from one forward pass of a Module', () => {
    expect(numClassesOf(linearModel(randomMatrix(16, 5, 1), [0, 0, 0, 0, 0]))).toBe(5);
    const mod: Module = {
      apply: (x) => tf.reshape(x, [x.shape[0], -1]),
      trainableVariables: [],
      nonTrainableVariables: [],
      getConfig: () => ({}),
    };
    const sample = tf.zeros([2, 1, 3, 1]);
    expect(numClassesOf(mod, sample)).toBe(3);
    expect(() => numClassesOf(mod)).toThrow(/a Module needs a sample input/);
    const one = tfl.sequential({ layers: [tfl.layers.dense({ inputShape: [4], units: 1 })] });
    expect(() => numClassesOf(one)).toThrow(/C ≥ 2/);
    sample.dispose();
  });
});
