import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { beforeAll, describe, expect, it } from 'vitest';
import { cnn4 } from './cnns.js';
import { freeze, getBnModes, setBnMode, unfreeze } from './freeze.js';
import { FtBatchNorm } from './ft-batch-norm.js';
import { trainableVariablesOf } from './module.js';
import { countParams, isBnOrBias, paramGroups } from './param-groups.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const arr = (t: tf.Tensor) => Array.from(t.dataSync());

describe('freeze / unfreeze', () => {
  it('upTo freezes every layer up to the named one; trainable variables shrink accordingly', () => {
    const { model } = cnn4({ inputShape: [8, 8, 1], numClasses: 3 });
    const total = countParams(model);
    const frozen = freeze(model, { upTo: 'block2' });
    expect(frozen).toEqual(['block1_conv', 'block1_bn', 'block2_conv', 'block2_bn']);
    const frozenCount = 9 * 32 + 64 + 9 * 32 * 32 + 64;
    expect(countParams(model)).toBe(total - frozenCount);
    expect(trainableVariablesOf(model).some((v) => v.name.startsWith('block1_conv'))).toBe(false);
    expect(model.getLayer('block3_conv').trainable).toBe(true);
    unfreeze(model);
    expect(countParams(model)).toBe(total);
  });

  it('match and predicate select by name / layer; union of criteria', () => {
    const { model } = cnn4({ inputShape: [8, 8, 1] });
    expect(freeze(model, { match: /_bn$/ })).toEqual(['block1_bn', 'block2_bn', 'block3_bn', 'block4_bn']);
    unfreeze(model);
    const names = freeze(model, { match: /^logits$/, predicate: (l) => l.name === 'block4_conv' });
    expect(names).toEqual(['block4_conv', 'logits']);
    expect(() => freeze(model, { upTo: 'nope' })).toThrow(/upTo 'nope'/);
  });

  it('a frozen layer does not change under a gradient step on the trainable variables', () => {
    const { model } = cnn4({ inputShape: [8, 8, 1], numClasses: 3, seed: 2 });
    freeze(model, { upTo: 'block3' });
    const before = arr(model.getLayer('block2_conv').getWeights()[0]);
    const headBefore = arr(model.getLayer('logits').getWeights()[0]);
    const x = tf.randomNormal([4, 8, 8, 1], 0, 1, 'float32', 1);
    const opt = tf.train.sgd(0.1);
    opt.minimize(
      () => tf.mean(tf.square(model.apply(x, { training: true }) as tf.Tensor)) as tf.Scalar,
      false,
      trainableVariablesOf(model),
    );
    expect(arr(model.getLayer('block2_conv').getWeights()[0])).toEqual(before);
    expect(arr(model.getLayer('logits').getWeights()[0])).not.toEqual(headBefore);
  });
});

describe('setBnMode', () => {
  it("'frozen' keeps moving statistics fixed under training=true; 'train' updates them again", () => {
    const { model } = cnn4({ inputShape: [8, 8, 1], seed: 4 });
    const x = tf.randomNormal([4, 8, 8, 1], 2, 3, 'float32', 2);
    const mm = () => arr(model.getLayer('block1_bn').getWeights()[2]);
    const names = setBnMode(model, 'frozen');
    expect(names).toEqual(['block1_bn', 'block2_bn', 'block3_bn', 'block4_bn']);
    expect(getBnModes(model)).toEqual({
      block1_bn: 'frozen',
      block2_bn: 'frozen',
      block3_bn: 'frozen',
      block4_bn: 'frozen',
    });
    const before = mm();
    const yTrain = model.apply(x, { training: true }) as tf.Tensor;
    expect(mm()).toEqual(before);
    expect(arr(yTrain)).toEqual(arr(model.predict(x) as tf.Tensor));
    setBnMode(model, 'train', { match: /^block1/ });
    expect(getBnModes(model).block1_bn).toBe('train');
    expect(getBnModes(model).block2_bn).toBe('frozen');
    model.apply(x, { training: true });
    expect(mm()).not.toEqual(before);
  });

  it('upgrades standard tfjs BatchNormalization layers (e.g. of a user model) in place', () => {
    const inp = tfl.input({ shape: [4, 4, 2] });
    const y = tfl.layers.batchNormalization({ name: 'bn' }).apply(inp) as tfl.SymbolicTensor;
    const m = tfl.model({ inputs: inp, outputs: y });
    expect(m.getLayer('bn')).not.toBeInstanceOf(FtBatchNorm);
    setBnMode(m, 'frozen');
    expect(m.getLayer('bn')).toBeInstanceOf(FtBatchNorm);
    const before = m.getWeights().map(arr);
    m.apply(tf.randomNormal([3, 4, 4, 2], 5, 1, 'float32', 1), { training: true });
    expect(m.getWeights().map(arr)).toEqual(before);
    expect(() => setBnMode(m, 'eval' as 'train')).toThrow(/mode must be/);
  });

  it('freeze(..., {bnStats: true}) freezes weights and BN statistics together', () => {
    const { model } = cnn4({ inputShape: [8, 8, 1] });
    freeze(model, { upTo: 'block2', bnStats: true });
    expect(getBnModes(model)).toEqual({
      block1_bn: 'frozen',
      block2_bn: 'frozen',
      block3_bn: 'train',
      block4_bn: 'train',
    });
    unfreeze(model, { bnStats: true });
    expect(Object.values(getBnModes(model))).toEqual(['train', 'train', 'train', 'train']);
  });
});

describe('paramGroups', () => {
  it('splits variables by matcher, first match wins, unmatched go to other', () => {
    const { model } = cnn4({ inputShape: [8, 8, 1], numClasses: 3 });
    const groups = paramGroups(model, { noDecay: isBnOrBias, head: /^logits\// });
    expect(groups.map((g) => g.name)).toEqual(['noDecay', 'head', 'other']);
    const names = groups.map((g) => g.variables.map((v) => v.name.replace(/_\d+$/, '')));
    // BN gamma/beta of 4 layers + logits bias (first match wins over 'head')
    expect(groups[0].variables).toHaveLength(9);
    expect(names[0]).toContain('logits/bias');
    expect(names[1]).toEqual(['logits/kernel']);
    expect(names[2]).toEqual(['block1_conv/kernel', 'block2_conv/kernel', 'block3_conv/kernel', 'block4_conv/kernel']);
    const all = groups.flatMap((g) => g.variables);
    expect(new Set(all).size).toBe(all.length);
    expect(all.length).toBe(trainableVariablesOf(model).length);
    // frozen layers are left out unless includeNonTrainable
    freeze(model, { upTo: 'block1_bn' });
    expect(paramGroups(model, {}).at(-1)!.variables.length).toBe(all.length - 3);
    expect(paramGroups(model, {}, { includeNonTrainable: true }).at(-1)!.variables.length).toBe(model.weights.length);
    expect(() => paramGroups(model, { other: /x/ })).toThrow(/reserved/);
  });
});
