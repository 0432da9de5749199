import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { beforeAll, describe, expect, it } from 'vitest';
import { allVariablesOf, isLayersModel, type Module, trainableVariablesOf } from './module.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('module helpers', () => {
  it('a Module: trainable first, then non-trainable; isLayersModel is false', () => {
    const a = tf.variable(tf.zeros([2]), true, 'mod_a');
    const b = tf.variable(tf.zeros([1]), false, 'mod_b');
    const m: Module = {
      apply: (x) => x,
      trainableVariables: [a],
      nonTrainableVariables: [b],
      getConfig: () => ({}),
    };
    expect(isLayersModel(m)).toBe(false);
    expect(trainableVariablesOf(m)).toEqual([a]);
    expect(allVariablesOf(m)).toEqual([a, b]);
    tf.dispose([a, b]);
  });

  it('a LayersModel: the variables behind trainableWeights / weights, in model order (BN stats last per layer)', () => {
    const model = tfl.sequential({
      layers: [tfl.layers.dense({ units: 3, inputShape: [2] }), tfl.layers.batchNormalization()],
    });
    expect(isLayersModel(model)).toBe(true);
    const tr = trainableVariablesOf(model);
    const all = allVariablesOf(model);
    expect(tr.map((v) => v.shape)).toEqual([[2, 3], [3], [3], [3]]);
    expect(all.map((v) => v.shape)).toEqual([[2, 3], [3], [3], [3], [3], [3]]);
    expect(all.slice(0, 4)).toEqual(tr);
    expect(all[4].trainable).toBe(false);
    for (const v of all) expect(v).toBeInstanceOf(tf.Variable);
    model.dispose();
  });
});
