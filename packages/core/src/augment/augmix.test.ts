import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { InvalidArgumentError, ShapeError } from '../errors.js';
import { createRng } from '../rng.js';
import { AUGMIX_OPS, augmixLite } from './augmix.js';
import type { RandAugmentOpName } from './rand-augment.js';
import { randomImages } from './test-helpers.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('augmixLite', () => {
  it('keeps shape and range, is deterministic, differs from the input; fixed depth works', () => {
    const x = randomImages(6, 10, 10, 1, 'augmix');
    const a = augmixLite()(x, createRng(5));
    expect(a.shape).toEqual(x.shape);
    for (const v of a.dataSync()) {
      expect(v).toBeGreaterThanOrEqual(0);
      expect(v).toBeLessThanOrEqual(1);
    }
    expect(Array.from(augmixLite()(x, createRng(5)).dataSync())).toEqual(Array.from(a.dataSync()));
    expect(Array.from(a.dataSync())).not.toEqual(Array.from(x.dataSync()));
    const before = tf.memory().numTensors;
    const d = augmixLite({ width: 2, depth: 2 })(x, createRng(6));
    expect(tf.memory().numTensors).toBe(before + 1);
    d.dispose();
  });

  it('with only the identity op, the mix is the input (weights sum to 1)', () => {
    const x = randomImages(4, 5, 5, 3, 'aug-id');
    const y = augmixLite({ ops: ['identity'] })(x, createRng(1)).dataSync();
    const xd = x.dataSync();
    for (let k = 0; k < xd.length; k++) expect(y[k]).toBeCloseTo(xd[k], 6);
  });

  it('the op pool excludes the photometric enhancers (paper) and every op is known', () => {
    for (const op of ['brightness', 'contrast', 'sharpness', 'color'] as RandAugmentOpName[]) {
      expect(AUGMIX_OPS).not.toContain(op);
    }
    expect(Object.isFrozen(AUGMIX_OPS)).toBe(true);
  });

  it('rejects bad width, depth, alpha, unknown ops and non-batch inputs', () => {
    expect(() => augmixLite({ width: 0 })).toThrow(InvalidArgumentError);
    expect(() => augmixLite({ width: 1.5 })).toThrow(InvalidArgumentError);
    expect(() => augmixLite({ depth: 0 })).toThrow(InvalidArgumentError);
    expect(() => augmixLite({ alpha: 0 })).toThrow(InvalidArgumentError);
    expect(() => augmixLite({ ops: ['nope' as RandAugmentOpName] })).toThrow(InvalidArgumentError);
    expect(() => augmixLite()(tf.zeros([2, 2, 2]) as unknown as tf.Tensor4D, createRng(0))).toThrow(ShapeError);
  });

  it('memory is flat over repeated calls', () => {
    const x = randomImages(3, 6, 6, 1, 'aug-mem');
    const aug = augmixLite({ width: 2 });
    const before = tf.memory().numTensors;
    for (let s = 0; s < 4; s++) aug(x, createRng(s)).dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});
