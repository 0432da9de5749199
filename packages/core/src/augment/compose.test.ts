import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '../errors.js';
import type { Rng } from '../rng.js';
import { createRng } from '../rng.js';
import { augmixLite } from './augmix.js';
import { compose, oneOf, randomApply } from './compose.js';
import { cutPaste } from './cut-paste.js';
import { cutout } from './cutout.js';
import { randAugmentLite } from './rand-augment.js';
import type { Augment } from './types.js';
import { gaussianNoise, hflip, padCrop } from './weak.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const addConst =
  (c: number): Augment =>
  (x) =>
    tf.add(x, c) as tf.Tensor4D;
const mulConst =
  (c: number): Augment =>
  (x) =>
    tf.mul(x, c) as tf.Tensor4D;

/** Image i is constant i/10. */
function batch(b: number): tf.Tensor4D {
  return tf.tensor4d(
    Float32Array.from({ length: b * 4 }, (_, k) => Math.floor(k / 4) / 10),
    [b, 2, 2, 1],
  );
}

describe('combinators', () => {
  it('compose applies in order; empty compose is the identity', () => {
    const x = batch(3);
    const y = compose(addConst(1), mulConst(2))(x, createRng(0)).dataSync();
    expect(Array.from(y)).toEqual(Array.from(x.dataSync(), (v) => Math.fround((v + 1) * 2)));
    expect(Array.from(compose()(x, createRng(0)).dataSync())).toEqual(Array.from(x.dataSync()));
  });

  it('randomApply: p = 0 identity, p = 1 always, else a per-image Bernoulli subset in order', () => {
    const x = batch(40);
    expect(Array.from(randomApply(0, addConst(1))(x, createRng(1)).dataSync())).toEqual(Array.from(x.dataSync()));
    expect(Array.from(randomApply(1, addConst(1))(x, createRng(1)).dataSync())).toEqual(
      Array.from(x.dataSync(), (v) => Math.fround(v + 1)),
    );
    const rng = createRng(2);
    const y = randomApply(0.5, addConst(1))(x, rng).dataSync();
    const draws = createRng(2);
    let applied = 0;
    for (let i = 0; i < 40; i++) {
      const on = draws.uniform() < 0.5;
      applied += on ? 1 : 0;
      expect(y[i * 4]).toBe(Math.fround(i / 10 + (on ? 1 : 0)));
    }
    expect(applied).toBeGreaterThan(10);
    expect(applied).toBeLessThan(30);
    expect(() => randomApply(1.5, addConst(1))).toThrow(InvalidArgumentError);
  });

  it('oneOf picks per image (weights respected) and keeps the order', () => {
    const x = batch(30);
    const y = oneOf([addConst(1), addConst(2)])(x, createRng(3)).dataSync();
    const picks = Array.from({ length: 30 }, (_, i) => Math.round(y[i * 4] - i / 10));
    expect(new Set(picks)).toEqual(new Set([1, 2]));
    const only2 = oneOf([addConst(1), addConst(2)], { weights: [0, 1] })(x, createRng(3)).dataSync();
    for (let i = 0; i < 30; i++) expect(only2[i * 4]).toBeCloseTo(i / 10 + 2, 6);
    expect(() => oneOf([])).toThrow(InvalidArgumentError);
    expect(() => oneOf([addConst(1)], { weights: [-1] })).toThrow(InvalidArgumentError);
  });

  it('every augmentation is deterministic, keeps the shape and leaves exactly one new tensor', () => {
    const rng0 = createRng('x');
    const x = tf.tensor4d(
      Float32Array.from({ length: 4 * 12 * 12 * 3 }, () => rng0.uniform()),
      [4, 12, 12, 3],
    );
    const augs: Record<string, Augment> = {
      padCrop: padCrop({ pad: 2 }),
      padCropReflect: padCrop({ pad: 4, mode: 'reflect' }),
      hflip: hflip(),
      noise: gaussianNoise({ std: 0.1 }),
      cutout: cutout(),
      randAugment: randAugmentLite(),
      augmix: augmixLite(),
      cutPaste: cutPaste(),
      fixmatchStrong: compose(hflip(), padCrop({ pad: 2 }), randAugmentLite({ n: 2 }), cutout({ size: 0.5 })),
      randomApply: randomApply(0.5, cutout()),
      oneOf: oneOf([cutout(), randAugmentLite({ n: 1 })]),
    };
    for (const [name, aug] of Object.entries(augs)) {
      const before = tf.memory().numTensors;
      const a = aug(x, createRng(name));
      expect(tf.memory().numTensors, name).toBe(before + 1);
      const b = aug(x, createRng(name));
      expect(a.shape, name).toEqual(x.shape);
      expect(Array.from(a.dataSync()), name).toEqual(Array.from(b.dataSync()));
      a.dispose();
      b.dispose();
      expect(x.isDisposed, name).toBe(false);
    }
  });

  it('rng consumption is sequential: two calls on one stream differ', () => {
    const x = batch(4);
    const rng: Rng = createRng(0);
    const aug = gaussianNoise({ std: 0.1 });
    expect(Array.from(aug(x, rng).dataSync())).not.toEqual(Array.from(aug(x, rng).dataSync()));
  });
});
