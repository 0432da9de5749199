import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '../errors.js';
import type { Backbone } from './backbone-spec.js';
import { bnCnn3, cnn4, smallCnn, tinyCnn } from './cnns.js';
import { FtBatchNorm } from './ft-batch-norm.js';
import { countParams } from './param-groups.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const conv = (k: number, cin: number, cout: number, bias = false) => k * k * cin * cout + (bias ? cout : 0);
const bn = (c: number) => 2 * c; // trainable gamma + beta
const dense = (i: number, o: number) => i * o + o;

/** The spec lists every non-input layer of the model, in order, with consistent inputs. */
function checkSpecMatchesModel({ model, spec }: Backbone) {
  const layerNames = model.layers.map((l) => l.name).filter((n) => n !== 'input');
  expect(spec.units.map((u) => u.name)).toEqual(layerNames);
  for (const u of spec.units) {
    const inbound = model.getLayer(u.name).inboundNodes[0].inboundLayers.map((l) => l.name);
    expect(u.inputs).toEqual(inbound);
    if (u.kind === 'bn') expect(model.getLayer(u.name)).toBeInstanceOf(FtBatchNorm);
  }
  for (const t of spec.taps) expect(() => model.getLayer(t)).not.toThrow();
}

function predictShape(model: Backbone['model'], shape: number[]): number[] {
  return tf.tidy(() => (model.predict(tf.ones([2, ...shape])) as tf.Tensor).shape);
}

describe('plain CNN builders', () => {
  it('tinyCnn: perf.md TinyCNN, 50,218 parameters, taps', () => {
    const bb = tinyCnn();
    expect(countParams(bb.model)).toBe(conv(3, 1, 32) + bn(32) + conv(3, 32, 64, true) + dense(3136, 10));
    expect(countParams(bb.model)).toBe(50218);
    expect(countParams(bb.model, { trainable: false })).toBe(50218 + 64); // + moving mean/var of 32 channels
    expect(bb.spec.taps).toEqual(['block1', 'block2', 'penultimate', 'logits']);
    expect(bb.spec.featureDim).toBe(3136);
    expect(predictShape(bb.model, [28, 28, 1])).toEqual([2, 10]);
    expect(bb.model.getLayer('block1').outputShape).toEqual([null, 14, 14, 32]);
    checkSpecMatchesModel(bb);
  });

  it('cnn4: 1→32→32→64→64, pools after conv 2 and 4, GAP', () => {
    const bb = cnn4();
    const expected =
      conv(3, 1, 32) + conv(3, 32, 32) + conv(3, 32, 64) + conv(3, 64, 64) + bn(32 + 32 + 64 + 64) + dense(64, 10);
    expect(countParams(bb.model)).toBe(expected);
    expect(expected).toBe(65834);
    expect(bb.spec.taps).toEqual(['block1', 'block2', 'block3', 'block4', 'gap', 'penultimate', 'logits']);
    expect(bb.model.getLayer('block2').outputShape).toEqual([null, 14, 14, 32]);
    expect(bb.model.getLayer('block4').outputShape).toEqual([null, 7, 7, 64]);
    expect(predictShape(bb.model, [28, 28, 1])).toEqual([2, 10]);
    checkSpecMatchesModel(bb);
  });

  it('bnCnn3: 32/64/128 with pooling each block, GAP; width and classes options', () => {
    const bb = bnCnn3({ inputShape: [16, 16, 3], numClasses: 5, width: 0.5 });
    const expected = conv(3, 3, 16) + conv(3, 16, 32) + conv(3, 32, 64) + bn(16 + 32 + 64) + dense(64, 5);
    expect(countParams(bb.model)).toBe(expected);
    expect(bb.model.getLayer('block3').outputShape).toEqual([null, 2, 2, 64]);
    expect(bb.spec.featureDim).toBe(64);
    expect(predictShape(bb.model, [16, 16, 3])).toEqual([2, 5]);
    expect(countParams(bnCnn3().model)).toBe(94186);
    checkSpecMatchesModel(bb);
  });

  it('smallCnn: conv32-conv64 (valid) - pool - FC128 - head', () => {
    const bb = smallCnn();
    const expected = conv(3, 1, 32) + bn(32) + conv(3, 32, 64) + bn(64) + dense(12 * 12 * 64, 128) + dense(128, 10);
    expect(countParams(bb.model)).toBe(expected);
    expect(bb.spec.featureDim).toBe(128);
    expect(bb.spec.taps).toEqual(['block1', 'block2', 'penultimate', 'logits']);
    const small = smallCnn({ inputShape: [10, 10, 1], numClasses: 3 });
    expect(predictShape(small.model, [10, 10, 1])).toEqual([2, 3]);
    checkSpecMatchesModel(small);
  });

  it('logits: false adds a softmax `probs` layer whose rows sum to 1', () => {
    const { model, spec } = tinyCnn({ inputShape: [8, 8, 1], logits: false, seed: 3 });
    expect(spec.taps.at(-1)).toBe('probs');
    const s = tf.tidy(() =>
      Array.from(tf.sum(model.predict(tf.randomNormal([3, 8, 8, 1], 0, 1, 'float32', 1)) as tf.Tensor, 1).dataSync()),
    );
    for (const v of s) expect(v).toBeCloseTo(1, 5);
  });

  it('same seed ⇒ identical weights; another seed ⇒ different conv and dense weights', () => {
    const ma = cnn4({ inputShape: [8, 8, 1], seed: 7 }).model;
    const mc = cnn4({ inputShape: [8, 8, 1], seed: 8 }).model;
    const a = ma.getWeights();
    const b = cnn4({ inputShape: [8, 8, 1], seed: 7 }).model.getWeights();
    expect(a.length).toBe(b.length);
    for (let i = 0; i < a.length; i++) expect(Array.from(a[i].dataSync())).toEqual(Array.from(b[i].dataSync()));
    for (const name of ['block1_conv', 'block4_conv', 'logits']) {
      const wa = ma.getLayer(name).getWeights()[0].dataSync();
      const wc = mc.getLayer(name).getWeights()[0].dataSync();
      expect(Array.from(wa)).not.toEqual(Array.from(wc));
    }
    // He-normal conv init: std ≈ sqrt(2 / fan_in) (truncated normal in tfjs shrinks it by ≈ 0.88)
    const w = ma.getLayer('block3_conv').getWeights()[0].dataSync(); // 3x3x32x64
    let ss = 0;
    for (const v of w) ss += v * v;
    const std = Math.sqrt(ss / w.length);
    expect(std).toBeGreaterThan(0.7 * Math.sqrt(2 / (9 * 32)));
    expect(std).toBeLessThan(1.1 * Math.sqrt(2 / (9 * 32)));
  });

  it('rejects bad options with InvalidArgumentError', () => {
    expect(() => tinyCnn({ inputShape: [28, 28] as unknown as [number, number, number] })).toThrow(
      InvalidArgumentError,
    );
    expect(() => cnn4({ numClasses: 0 })).toThrow(/numClasses/);
    expect(() => bnCnn3({ width: -1 })).toThrow(/width/);
  });
});
