/**
 * Bad input gets clear, typed errors: ε < 0, inputs outside [0, 1], model outputs that are not logits or
 * probabilities over the labels, mismatched label counts; plus probability models work like logit models.
 */
import '@tensorflow/tfjs-backend-cpu';
import { InvalidArgumentError, ShapeError } from '@ft/core';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { beforeAll, describe, expect, it } from 'vitest';
import { APGD } from './apgd.js';
import { FGSM } from './fgsm.js';
import { PGD, PGDL2 } from './pgd.js';
import { linearModel, maxAbsDiff, randomImages, randomMatrix } from './test-helpers.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const shape: [number, number, number] = [4, 4, 1];
const w = randomMatrix(16, 3, 31);
const model = () => linearModel(w, [0, 0, 0], shape);

describe('typed errors', () => {
  it('ε < 0 (and NaN, ∞) → InvalidArgumentError naming eps', () => {
    const m = model();
    for (const make of [
      () => new FGSM(m, { eps: -0.1 }),
      () => new PGD(m, { eps: -1e-3 }),
      () => new PGDL2(m, { eps: Number.NaN }),
      () => new APGD(m, { eps: Number.POSITIVE_INFINITY }),
    ]) {
      expect(make).toThrow(InvalidArgumentError);
      expect(make).toThrow(/eps must be a finite number >= 0/);
    }
    expect(() => new PGD(m, { eps: 0.1, steps: 0 })).toThrow(/steps must be an integer >= 1/);
    expect(() => new PGD(m, { eps: 0.1, alpha: -1 })).toThrow(/alpha/);
    expect(() => new PGD(m, { eps: 0.1, restarts: 1.5 })).toThrow(/restarts/);
  });

  it('inputs outside [0, 1] → InvalidArgumentError with the observed range', () => {
    const atk = new PGD(model(), { eps: 0.1, steps: 1 });
    const y = tf.tensor1d([0, 1], 'int32');
    const normalised = tf.sub(randomImages(2, shape, 1), 0.5) as tf.Tensor4D; // e.g. mean-subtracted inputs
    expect(() => atk.run(normalised, y)).toThrow(InvalidArgumentError);
    expect(() => atk.run(normalised, y)).toThrow(/outside \[0, 1\].*withNormalization/);
    const big = tf.mul(randomImages(2, shape, 2), 255) as tf.Tensor4D;
    expect(() => atk.run(big, y)).toThrow(/input values span/);
    const flat = tf.zeros([2, 16]);
    expect(() => atk.run(flat as unknown as tf.Tensor4D, y)).toThrow(ShapeError);
    tf.dispose([y, normalised, big, flat]);
  });

  it('mismatched label counts → ShapeError; labels outside the classes → InvalidArgumentError', () => {
    const atk = new FGSM(model(), { eps: 0.1 });
    const x = randomImages(3, shape, 3);
    const y2 = tf.tensor1d([0, 1], 'int32');
    expect(() => atk.run(x, y2)).toThrow(ShapeError);
    expect(() => atk.run(x, y2)).toThrow(/y has shape \[2\] but the batch has 3 examples/);
    const y2d = tf.tensor2d([[0], [1], [2]], [3, 1], 'int32');
    expect(() => atk.run(x, y2d as unknown as tf.Tensor1D)).toThrow(ShapeError);
    const y5 = tf.tensor1d([0, 1, 5], 'int32');
    expect(() => atk.run(x, y5)).toThrow(/y\[2\] = 5 is not a class index of the model's 3 outputs/);
    const yNeg = tf.tensor1d([0, -1, 2], 'int32');
    expect(() => atk.run(x, yNeg)).toThrow(InvalidArgumentError);
    const targeted = new PGD(model(), { eps: 0.1, steps: 1, targeted: true });
    const y3 = tf.tensor1d([0, 1, 2], 'int32');
    expect(() => targeted.run(x, y3, { targets: y2 })).toThrow(/targets has shape \[2\]/);
    expect(() => atk.run(x, y3, { targets: y3 })).toThrow(/untargeted/);
    tf.dispose([x, y2, y2d, y5, yNeg, y3]);
  });

  it('outputs that are not logits or probabilities over the labels', () => {
    // sigmoid head: independent scores, not a distribution over the labels
    const sig = linearModel(w, [0, 0, 0], shape, 'sigmoid');
    expect(() => new PGD(sig, { eps: 0.1 })).toThrow(InvalidArgumentError);
    expect(() => new PGD(sig, { eps: 0.1 })).toThrow(/activation 'sigmoid'.*neither logits.*nor probabilities/);
    // one output unit (a regressor)
    const reg = tfl.sequential({
      layers: [tfl.layers.flatten({ inputShape: shape }), tfl.layers.dense({ units: 1 })],
    });
    const x = randomImages(2, shape, 4);
    const y = tf.tensor1d([0, 0], 'int32');
    expect(() => new FGSM(reg, { eps: 0.1 }).run(x, y)).toThrow(ShapeError);
    // a feature map instead of class scores
    const conv = tfl.sequential({ layers: [tfl.layers.conv2d({ inputShape: shape, filters: 3, kernelSize: 1 })] });
    expect(() => new FGSM(conv, { eps: 0.1 }).run(x, y)).toThrow(/outputs shape \[N,4,4,3\]/);
    // declared as probabilities but rows do not sum to 1
    const lin = model();
    expect(() => new FGSM(lin, { eps: 0.1, output: 'probs' }).run(x, y)).toThrow(
      /not a distribution over the labels|negative/,
    );
    // a model with more labels than outputs is caught by the label check
    expect(() => new FGSM(lin, { eps: 0.1 }).run(x, tf.tensor1d([0, 3], 'int32'))).toThrow(InvalidArgumentError);
    tf.dispose([x, y]);
  });

  it('a softmax model is attacked through log-probabilities: same result as its logits model', () => {
    const logits = linearModel(w, [0.1, 0, -0.1], shape);
    const probs = linearModel(w, [0.1, 0, -0.1], shape, 'softmax');
    const x = randomImages(4, shape, 5);
    const y = tf.tensor1d([0, 1, 2, 0], 'int32');
    const a = new PGD(logits, { eps: 0.1, steps: 5, seed: 3 }).run(x, y);
    const b = new PGD(probs, { eps: 0.1, steps: 5, seed: 3 }).run(x, y);
    expect(new PGD(probs, { eps: 0.1 }).outputKind).toBe('probs');
    expect(maxAbsDiff(a, b)).toBeLessThan(1e-6);
    tf.dispose([x, y, a, b]);
  });

  it('bad options: clip, norm, bnMode, loss', () => {
    const m = model();
    expect(() => new PGD(m, { clip: [1, 0] })).toThrow(/clip/);
    expect(() => new PGD(m, { norm: 'L1' as 'L2' })).toThrow(/norm/);
    expect(() => new PGD(m, { bnMode: 'frozen' as 'eval' })).toThrow(/bnMode/);
    expect(() => new APGD(m, { loss: 'cw' as 'ce' })).toThrow(/loss/);
    expect(() => new PGD(m, { output: 'scores' as 'logits' })).toThrow(/output/);
  });
});
