import { ArrayImageDataset, createRng, InvalidArgumentError } from '@ft/core';
import '@tensorflow/tfjs-backend-cpu';
import { toyImages } from '@ft/core/testing';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { pseudoAnomalySet, VAL_AUGMENTS, type ValAugmentName, valAugment } from './val-augment.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('valAugment', () => {
  it('every family keeps the shape, is deterministic in the rng and changes the batch; unknown names throw', () => {
    const ds = toyImages(4, [8, 8, 1], 3);
    const all = new Float32Array(4 * 64);
    for (let i = 0; i < 4; i++) ds.copyInto(i, all, i * 64);
    const x = tf.tensor4d(all, [4, 8, 8, 1]);
    const before = tf.memory().numTensors;
    for (const name of VAL_AUGMENTS) {
      const a = valAugment(name)(x, createRng(2));
      const b = valAugment(name)(x, createRng(2));
      expect(a.shape, name).toEqual([4, 8, 8, 1]);
      expect(Array.from(a.dataSync()), name).toEqual(Array.from(b.dataSync()));
      expect(Array.from(a.dataSync()), name).not.toEqual(Array.from(all));
      tf.dispose([a, b]);
    }
    expect(tf.memory().numTensors).toBe(before);
    expect(() => valAugment('blur' as ValAugmentName)).toThrow(InvalidArgumentError);
    x.dispose();
  });
});

describe('pseudoAnomalySet', () => {
  it('clean copies (label 0) then one augmented copy each (label 1), clipped to [0, 1]', () => {
    const val = toyImages(3, [4, 4, 1], 5);
    const s = pseudoAnomalySet(val, (x) => tf.add(x, 0.5) as tf.Tensor4D, createRng(0));
    expect(s.images.size).toBe(6);
    expect(Array.from(s.labels)).toEqual([0, 0, 0, 1, 1, 1]);
    expect(Array.from(s.images.labels)).toEqual([0, 0, 0, 1, 1, 1]);
    for (let i = 0; i < 3; i++) {
      const clean = val.get(i).x;
      expect(Array.from(s.images.get(i).x)).toEqual(Array.from(clean));
      const aug = s.images.get(3 + i).x;
      for (let k = 0; k < 16; k++) expect(aug[k]).toBeCloseTo(Math.min(1, Math.max(0, clean[k] + 0.5)), 6);
    }
  });

  it('one named family is used as is; fewer than 2 images or no families throw', () => {
    const val = toyImages(4, [8, 8, 1], 1);
    const a = pseudoAnomalySet(val, ['cutout'], createRng(7));
    const b = pseudoAnomalySet(val, ['cutout'], createRng(7));
    expect(Array.from(a.images.images)).toEqual(Array.from(b.images.images));
    const one = new ArrayImageDataset({ images: new Float32Array(64), labels: new Int32Array(1), shape: [8, 8, 1] });
    expect(() => pseudoAnomalySet(one, VAL_AUGMENTS, createRng(0))).toThrow(/at least 2 held-out/);
    expect(() => pseudoAnomalySet(val, [], createRng(0))).toThrow(InvalidArgumentError);
  });

  // The guard runs before the families are combined (core's oneOf would otherwise report "augs is empty").
  it('an empty family list is reported by pseudoAnomalySet itself', () => {
    expect(() => pseudoAnomalySet(toyImages(2, [4, 4, 1], 0), [], createRng(0))).toThrow(
      'pseudoAnomalySet: families must not be empty',
    );
  });
});
