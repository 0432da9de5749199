// One run of the AdaFilter benchmark (a method on one pair, budget and seed) and its record: a plain JSON object, one
// line of records.jsonl.

import { AdaFilterNet, gateStats, trainAdaFilter } from '@ft/adafilter';
import { budgetSplit, evaluateClassifier, subset } from '@ft/core';

/** The key that identifies a run in the records (a resumed benchmark skips keys it already has). */
export function runKey(r) {
  return [r.phase, r.pair, r.arm, r.budget, r.seed, r.lr].join('|');
}

/** Optimizer steps of a run: `epochs` passes over the labelled images, clamped to [minSteps, maxSteps]. */
export function stepsFor(nTrain, cfg) {
  const perEpoch = Math.ceil(nTrain / Math.min(cfg.batchSize, nTrain));
  return Math.min(cfg.maxSteps, Math.max(cfg.minSteps, cfg.epochs * perEpoch));
}

/**
 * A timing run: `steps` training steps of `arm` (no probe, no evaluation during training), then inference over the
 * first `inferN` test images, both timed. Interleaved with fine-tuning by the caller, so the ratio is measured under
 * the same load.
 */
export async function timeArm({ pairId, pair, arm, rep, steps, inferN, cfg }) {
  const split = budgetSplit(pair.train, { labelsPerClass: 100, seed: 0 });
  const r = await trainAdaFilter({
    method: arm.id,
    source: pair.source,
    numClasses: pair.train.numClasses,
    train: split.labeled,
    probe: subset(split.validation, [0]),
    steps,
    batchSize: cfg.batchSize,
    lr: 0.01,
    seed: rep,
    log: () => {},
  });
  try {
    const test = subset(
      pair.test,
      Array.from({ length: inferN }, (_, i) => i),
    );
    const t0 = performance.now();
    await evaluateClassifier(r.model, test);
    const inferSeconds = (performance.now() - t0) / 1000;
    return {
      phase: 'timing',
      pair: pairId,
      arm: arm.id,
      budget: 100,
      seed: rep,
      lr: 0.01,
      steps,
      trainImages: steps * cfg.batchSize,
      trainSeconds: r.trainSeconds,
      inferImages: inferN,
      inferSeconds,
    };
  } finally {
    r.model.dispose();
  }
}

/** Keeps at most `max` evenly spaced points of a trace (always the last). */
function thinTrace(points, max) {
  if (points.length <= max) return points;
  const every = Math.ceil(points.length / max);
  return points.filter((_, i) => (i + 1) % every === 0 || i === points.length - 1);
}

/**
 * Trains `arm` on the pair's K-per-class split (seeded) and returns its record. `phase` 'select' scores validation
 * only; 'main' also scores the test set once, at the end. `randomRate` is the P(fine-tuned) of random gates.
 */
export async function runArm({ phase, pairId, pair, arm, budget, seed, lr, randomRate, cfg, log }) {
  const split = budgetSplit(pair.train, { labelsPerClass: budget, seed });
  const steps = stepsFor(split.labeled.size, cfg);
  const r = await trainAdaFilter({
    method: arm.id,
    source: pair.source,
    numClasses: pair.train.numClasses,
    train: split.labeled,
    probe: split.validation,
    steps,
    batchSize: Math.min(cfg.batchSize, split.labeled.size),
    lr,
    ...(randomRate !== undefined ? { randomRate } : {}),
    seed,
    log,
  });
  try {
    const val = await evaluateClassifier(r.model, split.validation);
    const trainAcc = await evaluateClassifier(r.model, split.labeled);
    const rec = {
      phase,
      pair: pairId,
      arm: arm.id,
      budget,
      seed,
      lr,
      steps,
      ...(randomRate !== undefined ? { randomRate } : {}),
      labeled: split.labeled.size,
      validation: split.validation.size,
      valAccuracy: val.accuracy,
      trainAccuracy: trainAcc.accuracy,
      trainSeconds: Math.round(r.trainSeconds * 10) / 10,
      trainImages: steps * Math.min(cfg.batchSize, split.labeled.size),
    };
    if (r.gateTrace) {
      const last = r.gateTrace[r.gateTrace.length - 1];
      rec.valFineTunedFraction = last?.fineTunedFraction;
      rec.gateTrace = thinTrace(r.gateTrace, 25).map((p) => ({
        epoch: p.epoch,
        step: Math.min(
          steps,
          (p.epoch + 1) * Math.ceil(split.labeled.size / Math.min(cfg.batchSize, split.labeled.size)),
        ),
        fineTunedFraction: p.fineTunedFraction,
        perLayerMean: p.perLayerMean,
      }));
    }
    if (phase === 'main') {
      const t0 = performance.now();
      const test = await evaluateClassifier(r.model, pair.test);
      rec.evalSeconds = Math.round((performance.now() - t0) / 100) / 10;
      rec.testN = test.n;
      rec.testAccuracy = test.accuracy;
      rec.perClassAccuracy = test.perClassAccuracy;
      if (r.model instanceof AdaFilterNet && arm.id === 'adafilter') {
        // the spec asks for both evaluation modes: argmax gates (ours) and Gumbel-sampled gates (SpotTune's test)
        r.model.setEvalMode('sample');
        rec.testAccuracySampled = (await evaluateClassifier(r.model, pair.test)).accuracy;
        r.model.setEvalMode('argmax');
      }
      if (r.model instanceof AdaFilterNet) {
        const g = await gateStats(r.model, pair.test);
        rec.gates = {
          layers: g.layers,
          perLayerMean: g.perLayerMean,
          perLayerClassMeans: g.perLayerClassMeans,
          perLayerClassVariance: g.perLayerClassVariance,
          fineTunedFraction: g.fineTunedFraction,
        };
      }
    }
    return rec;
  } finally {
    r.model.dispose();
  }
}
