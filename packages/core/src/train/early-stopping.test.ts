import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '../errors.js';
import type { Module } from '../models/module.js';
import type { TrainContext } from './callback.js';
import { type EarlyStopping, earlyStopping, monitoredValue, resolveMode } from './early-stopping.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

function fakeModel(value: number): Module & { w: tf.Variable } {
  const w = tf.variable(tf.tensor1d([value]));
  return {
    w,
    apply: (x) => x,
    trainableVariables: [w],
    nonTrainableVariables: [],
    getConfig: () => ({}),
  };
}

function fakeCtx(model: Module): TrainContext & { logged: string[] } {
  const logged: string[] = [];
  return {
    model,
    optimizer: undefined as unknown as TrainContext['optimizer'],
    step: 0,
    epoch: 0,
    stepInEpoch: 0,
    stopTraining: false,
    lastCheckpoint: null,
    resumed: false,
    history: { epochs: [], steps: 0, stoppedEarly: false },
    log: (m) => logged.push(m),
    logged,
  };
}

/** Feeds `values` as `logs[key]` epoch by epoch until the callback stops; returns the stop epoch or -1. */
function run(es: EarlyStopping, values: number[], key = 'val_loss'): number {
  const ctx = fakeCtx(fakeModel(0));
  es.onTrainBegin(ctx);
  for (let e = 0; e < values.length; e++) {
    es.onEpochEnd(e, { loss: 0, lr: 0, [key]: values[e] }, ctx);
    if (ctx.stopTraining) return e;
  }
  return -1;
}

describe('resolveMode / monitoredValue', () => {
  it("'auto' is max for accuracy-like names and min otherwise; explicit modes win", () => {
    for (const k of ['val_acc', 'accuracy', 'val_auroc', 'f1', 'val_ap', 'precision', 'recall', 'val_aupr']) {
      expect(resolveMode(k)).toBe('max');
    }
    for (const k of ['val_loss', 'loss', 'val_nmse', 'gap']) expect(resolveMode(k)).toBe('min');
    expect(resolveMode('val_acc', 'min')).toBe('min');
    expect(resolveMode('val_loss', 'max')).toBe('max');
  });

  it('reads the key or throws naming the available keys', () => {
    expect(monitoredValue({ loss: 1, lr: 0, val_loss: 0.5 }, 'val_loss', 'w')).toBe(0.5);
    expect(() => monitoredValue({ loss: 1, lr: 0 }, 'val_loss', 'who')).toThrow(
      /who: monitor 'val_loss' is not in the epoch logs \(have: loss, lr\)/,
    );
  });
});

describe('earlyStopping patience logic', () => {
  it('patience 0 (Keras default) stops at the first non-improving epoch after epoch 0', () => {
    const es = earlyStopping();
    expect(run(es, [1, 0.9, 0.95, 0.5])).toBe(2);
    expect(es.stoppedEpoch).toBe(2);
    expect(es.bestEpoch).toBe(1);
    expect(es.best).toBe(0.9);
  });

  it('patience p stops after p epochs without improvement; an improvement resets the counter', () => {
    // best 1 @0, 0.8 @2 (wait reset), then 0.9, 0.85 → wait 2 = patience at epoch 4
    const es = earlyStopping({ patience: 2 });
    expect(run(es, [1, 1.1, 0.8, 0.9, 0.85, 0.1])).toBe(4);
    expect(es.wait).toBe(2);
    expect(es.bestEpoch).toBe(2);
    expect(run(earlyStopping({ patience: 3 }), [1, 0.9, 0.8, 0.7, 0.6])).toBe(-1);
  });

  it('minDelta: a change of at most minDelta is no improvement (|minDelta| is used)', () => {
    const es = earlyStopping({ monitor: 'val_acc', patience: 1, minDelta: -0.05 });
    expect(es.mode).toBe('max');
    expect(es.minDelta).toBe(0.05);
    // 0.5 → 0.54 (+0.04, not > 0.05) → stop at epoch 1
    expect(run(es, [0.5, 0.54, 0.9], 'val_acc')).toBe(1);
    const es2 = earlyStopping({ monitor: 'val_acc', patience: 1, minDelta: 0.05 });
    expect(run(es2, [0.5, 0.56, 0.62, 0.63], 'val_acc')).toBe(3);
  });

  it('rejects a negative or fractional patience', () => {
    expect(() => earlyStopping({ patience: -1 })).toThrow(InvalidArgumentError);
    expect(() => earlyStopping({ patience: 1.5 })).toThrow(InvalidArgumentError);
  });
});

describe('earlyStopping restoreBest and state', () => {
  it('restores the best epoch’s variables at the end and logs it; state round-trips', () => {
    const model = fakeModel(0);
    const ctx = fakeCtx(model);
    const es = earlyStopping({ patience: 5, restoreBest: true });
    es.onTrainBegin(ctx);
    const losses = [3, 1, 2];
    losses.forEach((l, e) => {
      model.w.assign(tf.tensor1d([10 + e]));
      es.onEpochEnd(e, { loss: 0, lr: 0, val_loss: l }, ctx);
    });
    es.onTrainEnd(ctx);
    expect(model.w.dataSync()[0]).toBe(11);
    expect(ctx.logged[0]).toBe('earlyStopping: restored the weights of epoch 1 (val_loss = 1)');

    const st = es.getState() as { best: number; bestEpoch: number; wait: number; bestWeights: tf.Tensor[] };
    expect(st).toMatchObject({ best: 1, bestEpoch: 1, wait: 1, stoppedEpoch: -1 });
    const es2 = earlyStopping({ patience: 5, restoreBest: true });
    es2.setState(st);
    es.dispose();
    expect(es2.best).toBe(1);
    const m2 = fakeModel(0);
    const ctx2 = fakeCtx(m2);
    es2.onTrainBegin(ctx2);
    es2.onTrainEnd(ctx2);
    expect(m2.w.dataSync()[0]).toBe(11);
    es2.dispose();
    tf.dispose([model.w, m2.w]);
  });

  it('keeps one set of best weights: tensor count flat over improving epochs', () => {
    const model = fakeModel(0);
    const ctx = fakeCtx(model);
    const es = earlyStopping({ patience: 100, restoreBest: true });
    es.onTrainBegin(ctx);
    es.onEpochEnd(0, { loss: 0, lr: 0, val_loss: 10 }, ctx);
    const before = tf.memory().numTensors;
    for (let e = 1; e < 6; e++) es.onEpochEnd(e, { loss: 0, lr: 0, val_loss: 10 - e }, ctx);
    expect(tf.memory().numTensors).toBe(before);
    es.dispose();
    expect(tf.memory().numTensors).toBe(before - 1);
    model.w.dispose();
  });
});
