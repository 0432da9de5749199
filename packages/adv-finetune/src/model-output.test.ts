/**
 * Model outputs: which outputs are logits or probabilities over the labels (last activation), log-probabilities as
 * the logits of a softmax model (so a probability model is attacked like its logits model), the [N, C] output
 * check and the probability check, with typed errors for outputs that are neither.
 */
import '@tensorflow/tfjs-backend-cpu';
import { InvalidArgumentError, type Module, ShapeError } from '@ft/core';
import { maxAbsDiff } from '@ft/core/testing';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { beforeAll, describe, expect, it } from 'vitest';
import { FGSM } from './fgsm.js';
import {
  checkProbabilities,
  forwardRaw,
  lastActivation,
  logitsOf,
  PROB_FLOOR,
  resolveOutputKind,
} from './model-output.js';
import { PGD } from './pgd.js';
import { linearModel, randomImages, randomMatrix } from './test-helpers.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const shape: [number, number, number] = [4, 4, 1];
const w = randomMatrix(16, 3, 31);
const model = () => linearModel(w, [0, 0, 0], shape);

describe('outputs that are not logits or probabilities', () => {
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
});

describe('probability models', () => {
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

  it('logitsOf a softmax model is log softmax(z) = z − logsumexp(z) (within float32), floored at 1e-12', () => {
    const logits = linearModel(w, [0.1, 0, -0.1], shape);
    const probs = linearModel(w, [0.1, 0, -0.1], shape, 'softmax');
    const x = randomImages(5, shape, 6);
    const z = logitsOf(logits, x, 'logits', false).arraySync();
    const lp = logitsOf(probs, x, 'probs', false).arraySync();
    z.forEach((row, n) => {
      const m = Math.max(...row);
      const lse = m + Math.log(row.reduce((s, v) => s + Math.exp(v - m), 0));
      row.forEach((v, j) => {
        expect(lp[n][j]).toBeCloseTo(v - lse, 5);
      });
    });
    // a zero probability becomes log(1e-12), not −∞
    const zero = tf.tidy(() => tf.log(tf.maximum(tf.tensor2d([[0, 1]]), PROB_FLOOR)).dataSync()[0]);
    expect(zero).toBeCloseTo(Math.log(1e-12), 3);
    tf.dispose(x);
  });
});

describe('output kind and checks', () => {
  it('lastActivation / resolveOutputKind: linear → logits, softmax → probs, a Module → logits', () => {
    expect(lastActivation(model())).toBe('linear');
    expect(lastActivation(linearModel(w, [0, 0, 0], shape, 'softmax'))).toBe('softmax');
    const withSoftmaxLayer = tfl.sequential({
      layers: [tfl.layers.flatten({ inputShape: shape }), tfl.layers.dense({ units: 3 }), tfl.layers.softmax()],
    });
    expect(lastActivation(withSoftmaxLayer)).toBe('softmax');
    expect(resolveOutputKind(model())).toBe('logits');
    expect(resolveOutputKind(withSoftmaxLayer)).toBe('probs');
    expect(resolveOutputKind(model(), 'probs')).toBe('probs');
    const mod: Module = {
      apply: (x) => tf.reshape(x, [x.shape[0], -1]),
      trainableVariables: [],
      nonTrainableVariables: [],
      getConfig: () => ({}),
    };
    expect(resolveOutputKind(mod)).toBe('logits');
    expect(() => resolveOutputKind(model(), 'scores' as 'logits')).toThrow(/output must be/);
  });

  it('forwardRaw equals predict in inference mode; logitsOf rejects outputs that are not [N, C ≥ 2]', () => {
    const m = model();
    const x = randomImages(3, shape, 7);
    const raw = forwardRaw(m, x, false);
    const pred = m.predict(x) as tf.Tensor;
    expect(maxAbsDiff(raw, pred)).toBe(0);
    expect(() => logitsOf(m, tf.slice(x, 0, 2), 'logits', false)).not.toThrow();
    const one = tfl.sequential({ layers: [tfl.layers.flatten({ inputShape: shape }), tfl.layers.dense({ units: 1 })] });
    expect(() => logitsOf(one, x, 'logits', false)).toThrow(/C ≥ 2/);
    tf.dispose([x, raw, pred]);
  });

  it('checkProbabilities accepts rows on the simplex (within tol) and names the first bad row', () => {
    const ok = tf.tensor2d([
      [0.2, 0.8],
      [0.5, 0.5004],
    ]);
    expect(() => checkProbabilities(ok)).not.toThrow();
    const off = tf.tensor2d([
      [0.2, 0.8],
      [0.5, 0.6],
    ]);
    expect(() => checkProbabilities(off)).toThrow(/row 1 sums to 1\.1000/);
    const neg = tf.tensor2d([[-0.5, 1.5]]);
    expect(() => checkProbabilities(neg)).toThrow(/row 0 has a negative\/NaN probability/);
    tf.dispose([ok, off, neg]);
  });
});
