import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { beforeAll, describe, expect, it } from 'vitest';
import { countParams } from './param-groups.js';
import { resnet8, resnet20, resnetCifar } from './resnet.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

/**
 * Closed-form parameter count of a CIFAR ResNet (6n+2) with 1×1 projection shortcuts at the two downsampling
 * blocks: convs without bias, BN gamma/beta, dense head.
 */
function resnetParams(n: number, inCh: number, classes: number, w = [16, 32, 64]): number {
  let p = 9 * inCh * w[0] + 2 * w[0]; // stem conv + BN
  let cin = w[0];
  for (const c of w) {
    for (let i = 0; i < n; i++) {
      p += 9 * cin * c + 2 * c + 9 * c * c + 2 * c;
      if (cin !== c) p += cin * c + 2 * c; // projection conv + BN
      cin = c;
    }
  }
  return p + w[2] * classes + classes;
}

describe('CIFAR ResNets', () => {
  it('ResNet-20 has 272,474 trainable params: 269,722 (paper option A, "0.27M") + 2,752 for projections', () => {
    const { model, spec } = resnet20();
    expect(countParams(model)).toBe(resnetParams(3, 3, 10));
    expect(countParams(model)).toBe(272474);
    // the paper's option-A count is the same minus the two projection convs (16·32 + 32·64) and their BN (2·(32+64))
    expect(272474 - (16 * 32 + 32 * 64) - 2 * (32 + 64)).toBe(269722);
    expect(Math.abs(countParams(model) / 0.27e6 - 1)).toBeLessThan(0.01);
    // non-trainable = BN moving mean + variance: 2 × (16 + 6·16 + 6·32 + 6·64 + 32 + 64)
    expect(countParams(model, { trainable: false }) - countParams(model)).toBe(2 * (16 + 96 + 192 + 384 + 96));
    expect(spec.blocks).toEqual([
      'block1',
      'block2',
      'block3',
      'block4',
      'block5',
      'block6',
      'block7',
      'block8',
      'block9',
    ]);
    expect(spec.stages).toEqual([
      ['block1', 'block2', 'block3'],
      ['block4', 'block5', 'block6'],
      ['block7', 'block8', 'block9'],
    ]);
    expect(spec.taps).toEqual(['stem', ...spec.blocks, 'gap', 'penultimate', 'logits']);
    expect(model.getLayer('block3').outputShape).toEqual([null, 32, 32, 16]);
    expect(model.getLayer('block4').outputShape).toEqual([null, 16, 16, 32]);
    expect(model.getLayer('block9').outputShape).toEqual([null, 8, 8, 64]);
    expect(spec.featureDim).toBe(64);
    // projection shortcuts only where the shape changes
    const proj = spec.units.filter((u) => u.role === 'shortcut').map((u) => u.name);
    expect(proj).toEqual(['block4_proj', 'block4_proj_bn', 'block7_proj', 'block7_proj_bn']);
    const add4 = spec.units.find((u) => u.name === 'block4_add')!;
    expect(add4.kind).toBe('residual');
    expect(add4.inputs).toEqual(['block4_bn2', 'block4_proj_bn']);
    expect(spec.units.find((u) => u.name === 'block2_add')!.inputs).toEqual(['block2_bn2', 'block1']);
  });

  it('ResNet-8: counts, output shape on 32×32×3, and width / input options', () => {
    const { model } = resnet8();
    expect(countParams(model)).toBe(resnetParams(1, 3, 10));
    expect(countParams(model)).toBe(78042);
    const y = tf.tidy(() => (model.predict(tf.ones([2, 32, 32, 3])) as tf.Tensor).shape);
    expect(y).toEqual([2, 10]);
    const wide = resnet8({ width: 2, inputShape: [28, 28, 1], numClasses: 7 });
    expect(countParams(wide.model)).toBe(resnetParams(1, 1, 7, [32, 64, 128]));
    expect(wide.model.getLayer('block3').outputShape).toEqual([null, 7, 7, 128]);
    const y2 = tf.tidy(() => (wide.model.predict(tf.ones([1, 28, 28, 1])) as tf.Tensor).shape);
    expect(y2).toEqual([1, 7]);
  });

  it('residual add really adds: block output = relu(main + shortcut)', () => {
    const { model } = resnet8({ inputShape: [8, 8, 3], seed: 2 });
    const taps = ['block1_bn2', 'stem', 'block1'];
    const sub = tfl.model({
      inputs: model.inputs,
      outputs: taps.map((t) => model.getLayer(t).output as tfl.SymbolicTensor),
    });
    const [main, short, out] = sub.predict(tf.randomNormal([1, 8, 8, 3], 0, 1, 'float32', 5)) as tf.Tensor[];
    const expected = tf.relu(tf.add(main, short)).dataSync();
    const got = out.dataSync();
    for (let i = 0; i < got.length; i++) expect(got[i]).toBeCloseTo(expected[i], 6);
  });

  it('rejects depths that are not 6n + 2', () => {
    expect(() => resnetCifar({ depth: 10 })).toThrow(/6n \+ 2/);
  });
});
