import { setBatchNormReluFusion } from '@ft/tfjs-fused-training';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { beforeAll, describe, expect, it } from 'vitest';
import { kernelStats } from './kernels/override.js';
import { ADD_RELU_KERNEL } from './layers-add-relu.js';
import { expectClose, nativeTestsEnabled, useNative } from './testing/differential.js';
import { residualTail } from './testing/models.js';
import { testRng } from './testing/rng.js';

const addReluCalls = () => kernelStats()[ADD_RELU_KERNEL]?.native ?? 0;

describe.runIf(nativeTestsEnabled())('layer fusions apply only to graph runs of a model', () => {
  beforeAll(useNative);

  it('a layer called directly returns its own output, not the fused one', () => {
    const model = residualTail([4, 4, 3]);
    const add = model.layers.find((l) => l.getClassName() === 'Add') as tfl.layers.Layer;
    const g = testRng(8);
    const a = tf.tensor4d(g.normal(48), [1, 4, 4, 3]);
    const b = tf.tensor4d(g.normal(48), [1, 4, 4, 3]);
    const c0 = addReluCalls();
    const direct = (add.apply([a, b]) as tf.Tensor).dataSync();
    expect(addReluCalls()).toBe(c0);
    expect(Array.from(direct)).toEqual(Array.from(tf.add(a, b).dataSync()));
    expect(Math.min(...direct)).toBeLessThan(0);
    tf.dispose([a, b]);
    model.dispose();
  });

  it('a BatchNormalization called directly in training mode does not apply the ReLU that follows it in the model', () => {
    const input = tfl.input({ shape: [6] });
    const bn = tfl.layers.batchNormalization({});
    const out = tfl.layers.activation({ activation: 'relu' }).apply(bn.apply(input)) as tfl.SymbolicTensor;
    const model = tfl.model({ inputs: input, outputs: out });
    const x = tf.tensor2d(testRng(2).normal(5 * 6), [5, 6]);
    const direct = (bn.apply(x, { training: true }) as tf.Tensor).dataSync();
    expect(Math.min(...direct)).toBeLessThan(0);
    setBatchNormReluFusion(false);
    const reference = tf.tidy(() => {
      const m = tf.moments(x, 0);
      return tf.batchNorm(x, m.mean, m.variance, undefined, undefined, 1e-3).dataSync();
    });
    setBatchNormReluFusion(true);
    expectClose(direct, reference, { atol: 1e-5, rtol: 1e-5 }, 'direct BN');
    x.dispose();
    model.dispose();
  });

  it('an intermediate layer exposed as a model output is not fused with its consumer', () => {
    const a = tfl.input({ shape: [5] });
    const b = tfl.input({ shape: [5] });
    const sum = tfl.layers.add().apply([a, b]) as tfl.SymbolicTensor;
    const relu = tfl.layers.activation({ activation: 'relu' }).apply(sum) as tfl.SymbolicTensor;
    const model = tfl.model({ inputs: [a, b], outputs: [sum, relu] });
    const g = testRng(4);
    const av = tf.tensor2d(g.normal(10), [2, 5]);
    const bv = tf.tensor2d(g.normal(10), [2, 5]);
    const c0 = addReluCalls();
    const [s, r] = model.predict([av, bv]) as tf.Tensor[];
    expect(addReluCalls()).toBe(c0);
    expect(Array.from(s.dataSync())).toEqual(Array.from(tf.add(av, bv).dataSync()));
    expect(Math.min(...s.dataSync())).toBeLessThan(0);
    expect(Math.min(...r.dataSync())).toBe(0);
    tf.dispose([av, bv, s, r]);
    model.dispose();
  });
});
