/**
 * L2SP / l2sp: the loss against a Float64 hand computation, its gradient against finite differences and the closed
 * form, the head matchers, the "L2" arm, serialisation (registered class, no inlined weights, reference re-bound
 * from a saved model), one fit step equal to the hand update, and typed errors.
 */
import '@tensorflow/tfjs-backend-cpu';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InvalidArgumentError, ShapeError } from '../errors.js';
import { saveModel } from '../models/save-load.js';
import { createRng } from '../rng.js';
import type { TrainBatch } from './batch.js';
import { fit } from './fit.js';
import { L2SP, l2sp, referenceWeights } from './l2sp.js';
import { sgd } from './sgd.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ft-l2sp-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** body (2→3, bias) → head (3→2): keys 'body/kernel', 'body/bias', 'head/kernel', 'head/bias'. */
function net(seed: number): tfl.Sequential {
  return tfl.sequential({
    layers: [
      tfl.layers.dense({
        inputShape: [2],
        units: 3,
        activation: 'tanh',
        name: 'body',
        kernelInitializer: tfl.initializers.glorotUniform({ seed }),
        biasInitializer: tfl.initializers.randomNormal({ seed: seed + 1 }),
      }),
      tfl.layers.dense({
        units: 2,
        name: 'head',
        kernelInitializer: tfl.initializers.glorotUniform({ seed: seed + 2 }),
        biasInitializer: tfl.initializers.randomNormal({ seed: seed + 3 }),
      }),
    ],
  });
}

/** θ⁰: the model's weights moved by a seeded perturbation (so ‖θ − θ⁰‖ > 0). */
function perturbedReference(model: tfl.LayersModel, seed: number): tf.NamedTensorMap {
  const rng = createRng(seed);
  const ref = referenceWeights(model);
  for (const k of Object.keys(ref)) {
    const v = ref[k].dataSync();
    const w = Float32Array.from(v, (x) => x + 0.3 * rng.normal());
    ref[k].dispose();
    ref[k] = tf.tensor(w, ref[k].shape);
  }
  return ref;
}

function host(model: tfl.LayersModel): Record<string, Float64Array> {
  const out: Record<string, Float64Array> = {};
  for (const w of model.trainableWeights) {
    out[(w as unknown as { originalName: string }).originalName] = Float64Array.from(w.read().dataSync());
  }
  return out;
}

/** Float64 hand computation of (α/2)Σ_shared‖w − w⁰‖² + (β/2)Σ_head‖w‖². */
function handLoss(model: tfl.LayersModel, ref: tf.NamedTensorMap, alpha: number, beta: number): number {
  let sp = 0;
  let l2 = 0;
  for (const [k, w] of Object.entries(host(model))) {
    if (k.startsWith('head/')) for (const x of w) l2 += x * x;
    else {
      const r = ref[k].dataSync();
      for (let i = 0; i < w.length; i++) sp += (w[i] - r[i]) ** 2;
    }
  }
  return (alpha / 2) * sp + (beta / 2) * l2;
}

describe('l2sp', () => {
  it('matches a Float64 hand computation, for a RegExp and a layer-name head alike', () => {
    const model = net(1);
    const ref = perturbedReference(model, 7);
    const alpha = 0.1;
    const beta = 0.01;
    const hand = handLoss(model, ref, alpha, beta);
    expect(hand).toBeGreaterThan(0.01);
    const f1 = l2sp(model, { reference: ref, alpha, beta, head: ['head'] });
    const f2 = l2sp(model, { reference: ref, alpha, beta, head: /^head\// });
    const before = tf.memory().numTensors;
    const v1 = f1(model);
    expect(tf.memory().numTensors).toBe(before + 1);
    expect(v1.dataSync()[0]).toBeCloseTo(hand, 6);
    expect(f2(model).dataSync()[0]).toBeCloseTo(hand, 6);
    // At θ = θ⁰ the shared term vanishes: only (β/2)‖head‖² remains.
    const at0 = l2sp(model, { reference: referenceWeights(model), alpha, beta, head: ['head'] });
    const headSq = Object.entries(host(model))
      .filter(([k]) => k.startsWith('head/'))
      .reduce((s, [, w]) => s + w.reduce((t, x) => t + x * x, 0), 0);
    expect(at0(model).dataSync()[0]).toBeCloseTo((beta / 2) * headSq, 7);
    for (const f of [f1, f2, at0]) f.regularizer.dispose();
    tf.dispose(Object.values(ref));
    model.dispose();
  });

  it('is the plain L2 arm with β = α and a zero reference', () => {
    const model = net(2);
    const zero: tf.NamedTensorMap = {};
    for (const [k, t] of Object.entries(referenceWeights(model))) {
      zero[k] = tf.zerosLike(t);
      t.dispose();
    }
    const f = l2sp(model, { reference: zero, alpha: 0.01, beta: 0.01, head: ['head'] });
    const all = Object.values(host(model)).reduce((s, w) => s + w.reduce((t, x) => t + x * x, 0), 0);
    expect(f(model).dataSync()[0]).toBeCloseTo(0.005 * all, 7);
    f.regularizer.dispose();
    tf.dispose(Object.values(zero));
    model.dispose();
  });

  it('has the gradient α(w − w⁰) / βw, equal to central finite differences', () => {
    const model = net(3);
    const ref = perturbedReference(model, 9);
    const alpha = 0.1;
    const beta = 0.01;
    const f = l2sp(model, { reference: ref, alpha, beta, head: ['head'] });
    const { grads, value } = tf.variableGrads(() => f(model));
    value.dispose();
    const h = 1e-2; // the loss is quadratic, so central differences are exact up to float32 rounding
    for (const w of model.trainableWeights) {
      const key = (w as unknown as { originalName: string }).originalName;
      const v = (w as unknown as { val: tf.Variable }).val;
      const g = grads[v.name].dataSync();
      const theta = Float32Array.from(v.dataSync());
      const r = ref[key]?.dataSync();
      for (let i = 0; i < theta.length; i++) {
        const closed = key.startsWith('head/') ? beta * theta[i] : alpha * (theta[i] - (r as Float32Array)[i]);
        expect(g[i]).toBeCloseTo(closed, 6);
        const at = (x: number) => {
          const t = Float32Array.from(theta);
          t[i] = x;
          v.assign(tf.tensor(t, v.shape));
          const s = f(model);
          const out = s.dataSync()[0];
          s.dispose();
          return out;
        };
        const fd = (at(theta[i] + h) - at(theta[i] - h)) / (2 * h);
        v.assign(tf.tensor(theta, v.shape));
        expect(Math.abs(fd - g[i])).toBeLessThan(2e-4);
      }
    }
    tf.dispose(Object.values(grads));
    f.regularizer.dispose();
    tf.dispose(Object.values(ref));
    model.dispose();
  });

  it('plugs into core fit as extraLoss: one SGD step moves by −η(∇data + ∇Ω)', async () => {
    const x = tf.tensor2d([0.5, -1, 1.5, 0.25, -0.5, 0.75], [3, 2]);
    const y = tf.oneHot(tf.tensor1d([0, 1, 1], 'int32'), 2);
    const data = () =>
      (function* (): Generator<TrainBatch> {
        yield { x: tf.clone(x), y: tf.clone(y) };
      })();
    const loss = (yt: tf.Tensor, yp: tf.Tensor) => tf.losses.softmaxCrossEntropy(yt, yp) as tf.Scalar;
    const lr = 0.5;
    const run = async (withExtra: boolean) => {
      const model = net(4);
      const ref = perturbedReference(model, 11);
      const f = l2sp(model, { reference: ref, alpha: 0.1, beta: 0.01, head: ['head'] });
      const theta0 = host(model);
      const r = Object.fromEntries(Object.entries(ref).map(([k, t]) => [k, Float64Array.from(t.dataSync())]));
      await fit(model, {
        data,
        loss,
        optimizer: sgd({ lr }),
        steps: 1,
        rng: createRng(1),
        ...(withExtra ? { extraLoss: f } : {}),
      });
      const theta1 = host(model);
      f.regularizer.dispose();
      tf.dispose(Object.values(ref));
      model.dispose();
      return { theta0, theta1, r };
    };
    const plain = await run(false);
    const reg = await run(true);
    for (const k of Object.keys(plain.theta0)) {
      for (let i = 0; i < plain.theta0[k].length; i++) {
        const th = reg.theta0[k][i];
        const gOmega = k.startsWith('head/') ? 0.01 * th : 0.1 * (th - reg.r[k][i]);
        // Same init and data ⇒ same data gradient; the difference of the two updates is −η∇Ω.
        expect(reg.theta1[k][i] - plain.theta1[k][i]).toBeCloseTo(-lr * gOmega, 5);
      }
    }
    tf.dispose([x, y]);
  });

  it('serialises as a registered class without inlining weights; the reference is re-bound from its checkpoint', async () => {
    const pre = net(5);
    const dir = path.join(tmp, 'pretrained');
    await saveModel(pre, dir);
    const reg = new L2SP({ alpha: 0.1, beta: 0.01, head: /^head\//i, reference: dir });
    const json = JSON.stringify({ className: reg.getClassName(), config: reg.getConfig() });
    expect(JSON.parse(json)).toEqual({
      className: 'L2SP',
      config: { alpha: 0.1, beta: 0.01, head: { regex: '^head\\/', flags: 'i' }, reference: dir },
    });
    expect(json.length).toBeLessThan(300);
    const entry = tf.serialization.SerializationMap.getMap().classNameMap.L2SP;
    expect(entry?.[0]).toBe(L2SP);
    const parsed = JSON.parse(json);
    const back = entry[1](entry[0], parsed.config) as unknown as L2SP;
    expect(back).toBeInstanceOf(L2SP);
    expect(back.isBound).toBe(false);
    expect(back.isHead('head/kernel') && !back.isHead('body/kernel')).toBe(true);
    await back.loadReference();
    expect(back.isBound).toBe(true);
    // The fine-tuned model starts from the pre-trained weights, then drifts.
    const model = net(6);
    model.setWeights(pre.getWeights());
    const body = (model.getLayer('body').trainableWeights[0] as unknown as { val: tf.Variable }).val;
    const moved = tf.add(body, 0.2);
    body.assign(moved);
    moved.dispose();
    const ref = referenceWeights(pre);
    const hand = handLoss(model, ref, 0.1, 0.01);
    const v = back.loss(model);
    expect(v.dataSync()[0]).toBeCloseTo(hand, 6);
    // Only the moved kernel (2×3 entries by 0.2) contributes to the shared term.
    const headSq = Object.entries(host(model))
      .filter(([k]) => k.startsWith('head/'))
      .reduce((s, [, w]) => s + w.reduce((t, x) => t + x * x, 0), 0);
    expect(hand).toBeCloseTo(0.05 * 6 * 0.04 + 0.005 * headSq, 6);
    // Names array matcher round-trips too.
    const arr = new L2SP({ alpha: 1, beta: 2, head: ['head'] });
    expect(arr.getConfig().head).toEqual(['head']);
    tf.dispose([v, ...Object.values(ref)]);
    back.dispose();
    model.dispose();
    pre.dispose();
  });

  it('throws typed errors', () => {
    const model = net(7);
    const ref = referenceWeights(model);
    expect(() => l2sp(model, { reference: ref, alpha: -1, beta: 0, head: ['head'] })).toThrow(InvalidArgumentError);
    expect(() => l2sp(model, { reference: ref, alpha: 1, beta: Number.NaN, head: ['head'] })).toThrow(
      /beta must be a finite number >= 0/,
    );
    expect(() => l2sp(model, { reference: ref, alpha: 1, beta: 1, head: 'head' as unknown as string[] })).toThrow(
      /head must be a RegExp or an array/,
    );
    const { 'body/bias': _drop, ...partial } = ref;
    expect(() => l2sp(model, { reference: partial, alpha: 1, beta: 1, head: ['head'] })).toThrow(
      /no reference for shared weight\(s\) 'body\/bias'/,
    );
    const wrong = { ...ref, 'body/bias': tf.zeros([4]) };
    expect(() => l2sp(model, { reference: wrong, alpha: 1, beta: 1, head: ['head'] })).toThrow(ShapeError);
    expect(() => new L2SP({ alpha: 1, beta: 1, head: ['head'] }).loss(model)).toThrow(/no reference bound/);
    tf.dispose([wrong['body/bias'], ...Object.values(ref)]);
    model.dispose();
    return expect(new L2SP({ alpha: 1, beta: 1, head: ['head'] }).loadReference()).rejects.toThrow(
      /no reference checkpoint path/,
    );
  });
});
