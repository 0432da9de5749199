import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '../errors.js';
import { NetBuilder, resolveBackboneOptions } from './backbone-spec.js';
import { FtBatchNorm } from './ft-batch-norm.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

/** stem conv-bn-relu → residual block with a projection shortcut → gap → penultimate → logits. */
function build(seed: number, extra: Parameters<typeof resolveBackboneOptions>[1] = {}) {
  const b = new NetBuilder('toy', resolveBackboneOptions('toy', { seed, numClasses: 3, ...extra }, [6, 6, 2]));
  let x = b.conv(b.input, 'stem_conv', 'stem', { filters: b.ch(4) });
  x = b.bn(x, 'stem_bn', 'stem');
  const stem = b.act(x, 'stem', 'stem');
  let y = b.conv(stem, 'b1_conv', 'block1', { filters: b.ch(8), strides: 2 });
  y = b.bn(y, 'b1_bn', 'block1');
  const sc = b.conv(stem, 'b1_sc', 'block1', { filters: b.ch(8), kernelSize: 1, strides: 2 }, 'shortcut');
  const blk = b.act(b.add(y, sc, 'b1_add', 'block1'), 'block1', 'block1');
  const g = b.gap(blk);
  const pen = b.act(g, 'penultimate', 'head', 'linear');
  return b.finish(pen, ['block1']);
}

describe('resolveBackboneOptions', () => {
  it('fills the documented defaults', () => {
    expect(resolveBackboneOptions('a', {}, [28, 28, 1])).toEqual({
      inputShape: [28, 28, 1],
      numClasses: 10,
      width: 1,
      seed: 0,
      logits: true,
      bnMomentum: 0.9,
      bnEpsilon: 1e-3,
      name: 'a',
    });
  });

  it('rejects bad shapes, class counts, widths and momenta', () => {
    const r = (o: object) => () => resolveBackboneOptions('a', o, [8, 8, 1]);
    expect(r({ inputShape: [8, 8] })).toThrow(InvalidArgumentError);
    expect(r({ inputShape: [8, 0, 1] })).toThrow(InvalidArgumentError);
    expect(r({ numClasses: 0 })).toThrow(InvalidArgumentError);
    expect(r({ numClasses: 2.5 })).toThrow(InvalidArgumentError);
    expect(r({ width: 0 })).toThrow(InvalidArgumentError);
    expect(r({ width: Number.POSITIVE_INFINITY })).toThrow(InvalidArgumentError);
    expect(r({ bnMomentum: 1 })).toThrow(InvalidArgumentError);
  });
});

describe('NetBuilder', () => {
  it('records units in topological order with their inputs, blocks, taps and feature dim', () => {
    const { model, spec } = build(1);
    expect(spec.units.map((u) => u.name)).toEqual([
      'stem_conv',
      'stem_bn',
      'stem',
      'b1_conv',
      'b1_bn',
      'b1_sc',
      'b1_add',
      'block1',
      'gap',
      'penultimate',
      'logits',
    ]);
    const byName = Object.fromEntries(spec.units.map((u) => [u.name, u]));
    expect(byName.stem_conv.inputs).toEqual(['input']);
    expect(byName.b1_add.inputs).toEqual(['b1_bn', 'b1_sc']);
    expect(byName.b1_sc).toMatchObject({ kind: 'conv', role: 'shortcut', kernelSize: 1, strides: 2, useBias: false });
    expect(byName.stem_bn).toMatchObject({ kind: 'bn', momentum: 0.9, epsilon: 1e-3 });
    expect(byName.logits).toMatchObject({ kind: 'dense', units: 3, useBias: true });
    expect(spec.taps).toEqual(['stem', 'block1', 'gap', 'penultimate', 'logits']);
    expect(spec.featureDim).toBe(8);
    expect(spec.inputShape).toEqual([6, 6, 2]);
    // every recorded unit is a model layer; BN layers are FtBatchNorm
    for (const u of spec.units) expect(model.getLayer(u.name).name).toBe(u.name);
    expect(model.getLayer('stem_bn')).toBeInstanceOf(FtBatchNorm);
    expect(model.outputs[0].shape).toEqual([null, 3]);
    model.dispose();
  });

  it('same seed ⇒ same weights, other seed ⇒ different; width multiplies channels (min 1)', () => {
    const a = build(7);
    const b = build(7);
    const c = build(8);
    const w = (m: typeof a) => Array.from(m.model.getLayer('b1_conv').getWeights()[0].dataSync());
    expect(w(a)).toEqual(w(b));
    expect(w(a)).not.toEqual(w(c));
    const narrow = build(7, { width: 0.1 });
    expect(narrow.spec.featureDim).toBe(1); // max(1, round(8·0.1))
    expect(build(7, { width: 0.5 }).spec.featureDim).toBe(4);
    for (const m of [a, b, c, narrow]) m.model.dispose();
  });

  it('logits: false adds a softmax `probs` tap whose rows sum to 1', () => {
    const { model, spec } = build(2, { logits: false });
    expect(spec.taps.at(-1)).toBe('probs');
    const p = model.predict(tf.randomUniform([2, 6, 6, 2], 0, 1, 'float32', 3)) as tf.Tensor;
    for (const row of p.arraySync() as number[][]) expect(row.reduce((s, v) => s + v, 0)).toBeCloseTo(1, 5);
    model.dispose();
  });
});
