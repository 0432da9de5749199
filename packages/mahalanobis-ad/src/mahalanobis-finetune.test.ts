import {
  createRng,
  EmptyDatasetError,
  InvalidArgumentError,
  memoryGuard,
  NonFiniteValueError,
  ShapeError,
  subset,
} from '@ft/core';
import '@tensorflow/tfjs-backend-cpu';
import { auroc } from '@ft/core';
import { toyImages } from '@ft/core/testing';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { featureBatches, tapModel } from './features.js';
import { earlyStopEpoch, type FinetuneEpoch, mahalanobisFinetune } from './mahalanobis-finetune.js';
import { tinyBackbone } from './test-helpers.js';
import { pseudoAnomalySet } from './val-augment.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const train = toyImages(16, [8, 8, 1], 1);
const val = toyImages(8, [8, 8, 1], 2);
const test = toyImages(12, [8, 8, 1], 3, 6);

const weightsOf = (m: { weights: { name: string; read(): tf.Tensor }[] }, re: RegExp) =>
  m.weights.filter((w) => re.test(w.name)).map((w) => Array.from(w.read().dataSync()));

describe('mahalanobisFinetune', () => {
  it('trains with frozen BatchNorm statistics, flat tensor count, and restores the best-validation weights', async () => {
    const model = tinyBackbone();
    const bnStatsBefore = weightsOf(model, /moving_(mean|variance)/);
    const kernelsBefore = weightsOf(model, /conv.*kernel/);
    const before = tf.memory().numTensors;
    const epochs: FinetuneEpoch[] = [];
    const res = await mahalanobisFinetune(model, {
      train,
      val,
      epochs: 3,
      batchSize: 8,
      lr: 0.05,
      patience: null,
      monitor: { images: test, labels: test.labels },
      extraValidation: { cutout: ['cutout'], same: ['mixup', 'cutmix', 'cutout', 'cutpaste', 'augmix'] },
      rng: createRng(0),
      callbacks: [memoryGuard({ warmupSteps: 1 })],
      onEpoch: (e) => epochs.push(e),
    });
    expect(tf.memory().numTensors).toBe(before);
    expect(res.history.map((h) => h.epoch)).toEqual([0, 1, 2, 3]);
    expect(epochs).toEqual(res.history);
    expect(res.history[0].loss).toBeNull();
    for (const h of res.history.slice(1)) expect(h.loss).toBeGreaterThan(0);
    for (const h of res.history) {
      expect(h.monitorAUROC).toBeGreaterThanOrEqual(0);
      expect(Object.keys(h.extraValAUROC ?? {})).toEqual(['cutout', 'same']);
    }
    const best = res.history.reduce((a, h) => (h.valAUROC > a.valAUROC ? h : a));
    expect(res.bestEpoch).toBe(best.epoch);
    expect(res.lastEpoch).toBe(3);
    // BatchNorm moving statistics never change (setBnMode 'frozen'); the convolutions were trained (unless the
    // frozen backbone itself was the best checkpoint, in which case it was restored).
    expect(weightsOf(model, /moving_(mean|variance)/)).toEqual(bnStatsBefore);
    const kernelsAfter = weightsOf(model, /conv.*kernel/);
    if (res.bestEpoch > 0) expect(kernelsAfter).not.toEqual(kernelsBefore);
    else expect(kernelsAfter).toEqual(kernelsBefore);
    // The returned Gaussian belongs to the restored weights: re-scoring the validation set reproduces its AUROC.
    const valSet = pseudoAnomalySet(
      val,
      ['mixup', 'cutmix', 'cutout', 'cutpaste', 'augmix'],
      createRng(0).fork('val-augment'),
    );
    const taps = tapModel(model, res.levels);
    const scores: number[] = [];
    for await (const b of featureBatches(taps, res.levels, valSet.images))
      scores.push(...res.gaussian.score(b.features).total);
    expect(auroc(valSet.labels, scores)).toBeCloseTo(res.bestValAUROC, 12);
  });

  it('patience stops training when the pseudo-AUROC does not improve, restoring the epoch-0 weights exactly', async () => {
    const model = tinyBackbone([8, 8, 1], 4);
    const kernelsBefore = weightsOf(model, /kernel|gamma|beta/);
    // Identity "augmentation": clean and augmented copies score the same, so the pseudo-AUROC is 0.5 every epoch.
    const res = await mahalanobisFinetune(model, {
      train,
      val,
      epochs: 5,
      batchSize: 8,
      lr: 0.05,
      patience: 1,
      valAugment: (x) => tf.clone(x),
      rng: createRng(1),
    });
    expect(res.history.map((h) => h.valAUROC)).toEqual([0.5, 0.5]);
    expect(res.stoppedEarly).toBe(true);
    expect(res.bestEpoch).toBe(0);
    expect(weightsOf(model, /kernel|gamma|beta/)).toEqual(kernelsBefore);
  });

  it('Euclidean and DeepSVDD ablations and the squared loss run and report finite losses', async () => {
    for (const loss of ['euclidean', 'deepsvdd', 'mahalanobis2'] as const) {
      const res = await mahalanobisFinetune(tinyBackbone([8, 8, 1], 2), {
        train,
        val,
        epochs: 1,
        batchSize: 8,
        loss,
        patience: null,
        rng: createRng(2),
      });
      expect(res.history).toHaveLength(2);
      expect(Number.isFinite(res.history[1].loss)).toBe(true);
    }
  });

  it('bad input is a typed error', async () => {
    const m = tinyBackbone();
    const base = { epochs: 1, rng: createRng(0) };
    await expect(mahalanobisFinetune(m, { ...base, train: subset(train, []), val })).rejects.toThrow(EmptyDatasetError);
    await expect(mahalanobisFinetune(m, { ...base, train: subset(train, [0]), val })).rejects.toThrow(
      InvalidArgumentError,
    );
    await expect(mahalanobisFinetune(m, { ...base, train, val: subset(val, [0]) })).rejects.toThrow(/held-out/);
    await expect(mahalanobisFinetune(m, { ...base, train: toyImages(4, [9, 9, 1], 0), val })).rejects.toThrow(
      ShapeError,
    );
    await expect(mahalanobisFinetune(m, { ...base, train, val, loss: 'nll' as 'euclidean' })).rejects.toThrow(
      /unknown loss/,
    );
    await expect(mahalanobisFinetune(m, { ...base, train, val, patience: 0 })).rejects.toThrow(/patience/);
  });
});

describe('earlyStopEpoch', () => {
  const h = (vals: number[]): FinetuneEpoch[] =>
    vals.map((v, epoch) => ({ epoch, loss: null, valAUROC: v, seconds: 0 }));
  it('picks the best epoch seen before `patience` epochs without improvement', () => {
    const hist = h([0.6, 0.7, 0.65, 0.64, 0.63, 0.9]);
    expect(earlyStopEpoch(hist, null)).toBe(5);
    expect(earlyStopEpoch(hist, 3)).toBe(1);
    expect(earlyStopEpoch(hist, 4)).toBe(5);
    expect(earlyStopEpoch(h([0.5, 0.5, 0.5]), 1)).toBe(0);
  });
});

describe('mahalanobisFinetune: non-finite weights and abort', () => {
  it('a backbone with a NaN kernel throws NonFiniteValueError (features are checked) instead of fitting NaN Gaussians', async () => {
    const model = tinyBackbone([8, 8, 1], 7);
    const k = model.weights.find((w) => /conv.*kernel/.test(w.name));
    if (!k) throw new Error('no conv kernel');
    const nan = tf.fill(k.shape as number[], Number.NaN);
    k.write(nan);
    nan.dispose();
    const before = tf.memory().numTensors;
    const err = await mahalanobisFinetune(model, { train, val, epochs: 1, batchSize: 8, rng: createRng(7) }).catch(
      (e) => e,
    );
    expect(err).toBeInstanceOf(NonFiniteValueError);
    expect(err.message).toMatch(/featureBatches: tap '.+' has NaN or ±Inf outputs for images 0\.\./);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('an abort from a timer callback stops the feature stream between batches', async () => {
    const model = tinyBackbone([8, 8, 1], 8);
    const taps = tapModel(model, ['block1']);
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 0);
    let n = 0;
    const big = toyImages(64, [8, 8, 1], 9);
    await expect(
      (async () => {
        for await (const _b of featureBatches(taps, ['block1'], big, { batchSize: 2, signal: ac.signal })) n++;
      })(),
    ).rejects.toThrow();
    expect(n).toBeLessThanOrEqual(2);
  });
});
