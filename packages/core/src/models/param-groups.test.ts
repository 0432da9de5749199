import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { beforeAll, describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '../errors.js';
import { countParams, isBnOrBias, noDecayGroups, paramGroups, weightInfos } from './param-groups.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

/** conv(3×3, 1→4, bias) → BN → flatten → dense(2): hand-countable parameters. */
function net(): tfl.LayersModel {
  return tfl.sequential({
    layers: [
      tfl.layers.conv2d({ name: 'pg_conv', filters: 4, kernelSize: 3, inputShape: [4, 4, 1] }),
      tfl.layers.batchNormalization({ name: 'pg_bn' }),
      tfl.layers.flatten({ name: 'pg_flat' }),
      tfl.layers.dense({ name: 'pg_dense', units: 2 }),
    ],
  });
}

describe('countParams', () => {
  it('counts 3·3·1·4 + 4 (conv) + 2·4 (BN γ, β) + 16·2 + 2 (dense) = 82 trainable, +8 BN statistics = 90', () => {
    const m = net();
    expect(countParams(m)).toBe(36 + 4 + 8 + 32 + 2);
    expect(countParams(m, { trainable: false })).toBe(90);
    m.dispose();
  });
});

describe('weightInfos', () => {
  it('lists weights in model order with layer name and class; nested models are flattened', () => {
    const m = net();
    const infos = weightInfos(m);
    expect(infos.map((w) => w.name)).toEqual([
      'pg_conv/kernel',
      'pg_conv/bias',
      'pg_bn/gamma',
      'pg_bn/beta',
      'pg_dense/kernel',
      'pg_dense/bias',
    ]);
    expect(infos.map((w) => w.layerClass)).toEqual([
      'Conv2D',
      'Conv2D',
      'BatchNormalization',
      'BatchNormalization',
      'Dense',
      'Dense',
    ]);
    expect(weightInfos(m, { trainableOnly: false })).toHaveLength(8);
    const outer = tfl.sequential({ layers: [m, tfl.layers.dense({ name: 'pg_outer', units: 1 })] });
    expect(weightInfos(outer).map((w) => w.layerName)).toEqual([
      'pg_conv',
      'pg_conv',
      'pg_bn',
      'pg_bn',
      'pg_dense',
      'pg_dense',
      'pg_outer',
      'pg_outer',
    ]);
    outer.dispose();
  });
});

describe('paramGroups', () => {
  it('first matching group wins, the rest go to "other"; isBnOrBias picks BN and biases', () => {
    const m = net();
    const groups = paramGroups(m, { head: /^pg_dense\//, noDecay: isBnOrBias });
    const names = (g: { variables: tf.Variable[] }) =>
      g.variables.map((v) => weightInfos(m).find((w) => w.variable === v)?.name);
    expect(groups.map((g) => g.name)).toEqual(['head', 'noDecay', 'other']);
    expect(names(groups[0])).toEqual(['pg_dense/kernel', 'pg_dense/bias']);
    expect(names(groups[1])).toEqual(['pg_conv/bias', 'pg_bn/gamma', 'pg_bn/beta']);
    expect(names(groups[2])).toEqual(['pg_conv/kernel']);
    const total = groups.reduce((s, g) => s + g.variables.length, 0);
    expect(total).toBe(6);
    m.dispose();
  });

  it("noDecayGroups: BN and biases without weight decay, kernels with the optimizer's", () => {
    const m = net();
    const groups = noDecayGroups(m);
    const names = (g: { variables: tf.Variable[] }) =>
      g.variables.map((v) => weightInfos(m).find((w) => w.variable === v)?.name);
    expect(groups.map((g) => [g.name, g.weightDecay])).toEqual([
      ['noDecay', 0],
      ['other', undefined],
    ]);
    expect(names(groups[0] as { variables: tf.Variable[] })).toEqual([
      'pg_conv/bias',
      'pg_bn/gamma',
      'pg_bn/beta',
      'pg_dense/bias',
    ]);
    expect(names(groups[1] as { variables: tf.Variable[] })).toEqual(['pg_conv/kernel', 'pg_dense/kernel']);
    m.dispose();
  });

  it('includeNonTrainable adds the BN statistics; otherName renames and is reserved', () => {
    const m = net();
    const g = paramGroups(
      m,
      { bn: (w) => w.layerClass === 'BatchNormalization' },
      {
        includeNonTrainable: true,
        otherName: 'rest',
      },
    );
    expect(g.map((x) => [x.name, x.variables.length])).toEqual([
      ['bn', 4],
      ['rest', 4],
    ]);
    expect(paramGroups(m, {})).toEqual([{ name: 'other', variables: weightInfos(m).map((w) => w.variable) }]);
    expect(() => paramGroups(m, { other: /x/ })).toThrow(InvalidArgumentError);
    expect(() => paramGroups(m, { rest: /x/ }, { otherName: 'rest' })).toThrow(InvalidArgumentError);
    m.dispose();
  });
});
