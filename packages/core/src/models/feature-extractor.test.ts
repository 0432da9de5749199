import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '../errors.js';
import { tinyCnn } from './cnns.js';
import { featureExtractor } from './feature-extractor.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

function expectClose(a: tf.Tensor, b: tf.Tensor, tol = 1e-5) {
  expect(a.shape).toEqual(b.shape);
  const x = a.dataSync();
  const y = b.dataSync();
  let max = 0;
  for (let i = 0; i < x.length; i++) max = Math.max(max, Math.abs(x[i] - y[i]));
  expect(max).toBeLessThan(tol);
}

describe('featureExtractor', () => {
  const { model } = tinyCnn({ inputShape: [8, 8, 1], numClasses: 3, seed: 11 });
  // give BN non-trivial inference statistics
  const bn = model.getLayer('block1_bn');
  bn.setWeights([tf.fill([32], 1.3), tf.fill([32], -0.1), tf.fill([32], 0.05), tf.fill([32], 0.7)]);
  const x = tf.randomNormal([2, 8, 8, 1], 0, 1, 'float32', 3) as tf.Tensor4D;

  /** Manual forward with tf ops and the model's weights (inference BN). */
  function manual() {
    const [k1] = model.getLayer('block1_conv').getWeights();
    const [g, b, m, v] = bn.getWeights();
    const [k2, b2] = model.getLayer('block2_conv').getWeights();
    const [kd, bd] = model.getLayer('logits').getWeights();
    const c1 = tf.conv2d(x, k1 as tf.Tensor4D, 1, 'same');
    const n1 = tf.batchNorm(c1, m, v, b, g, 1e-3);
    const block1 = tf.maxPool(tf.relu(n1) as tf.Tensor4D, 2, 2, 'valid');
    const c2 = tf.add(tf.conv2d(block1, k2 as tf.Tensor4D, 1, 'same'), b2);
    const block2 = tf.maxPool(tf.relu(c2) as tf.Tensor4D, 2, 2, 'valid');
    const flat = tf.reshape(block2, [2, -1]);
    const logits = tf.add(tf.matMul(flat, kd as tf.Tensor2D), bd);
    return { block1, block2, flat, logits };
  }

  it('outputs equal the intermediate activations computed by hand', () => {
    const ref = manual();
    const fx = featureExtractor(model, ['block1', 'block2', 'penultimate', 'logits']);
    const outs = fx.predict(x) as tf.Tensor[];
    expect(outs.map((o) => o.shape)).toEqual([
      [2, 4, 4, 32],
      [2, 2, 2, 64],
      [2, 256],
      [2, 3],
    ]);
    expectClose(outs[0], ref.block1);
    expectClose(outs[1], ref.block2);
    expectClose(outs[2], ref.flat);
    expectClose(outs[3], ref.logits, 1e-4);
    expectClose(outs[3], model.predict(x) as tf.Tensor, 1e-6);
  });

  it("pool: 'gap' averages rank-4 taps over H, W and passes rank-2 taps through; single name → tensor", () => {
    const ref = manual();
    const fx = featureExtractor(model, ['block1', 'penultimate'], { pool: 'gap' });
    const [g1, pen] = fx.predict(x) as tf.Tensor[];
    expectClose(g1, tf.mean(ref.block1, [1, 2]));
    expectClose(pen, ref.flat);
    const single = featureExtractor(model, 'block2', { pool: 'gap' }).predict(x) as tf.Tensor;
    expect(single.shape).toEqual([2, 64]);
  });

  it('shares weights with the source model', () => {
    const fx = featureExtractor(model, 'block2');
    expect(fx.getLayer('block2_conv')).toBe(model.getLayer('block2_conv'));
  });

  it('unknown names throw InvalidArgumentError listing the available layers', () => {
    expect(() => featureExtractor(model, ['block1', 'block9'])).toThrow(InvalidArgumentError);
    expect(() => featureExtractor(model, 'block9')).toThrow(/'block9'.*available: block1_conv, block1_bn/);
    expect(() => featureExtractor(model, [])).toThrow(/must not be empty/);
  });
});
