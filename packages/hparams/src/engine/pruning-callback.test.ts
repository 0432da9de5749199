import '@tensorflow/tfjs-backend-cpu';
import { type Callback, createRng, fit, InvalidArgumentError, sgd, type TrainBatch } from '@ft/core';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { beforeAll, describe, expect, it } from 'vitest';
import { MedianPruner } from './pruners/percentile.js';
import { pruningCallback } from './pruning-callback.js';
import { RandomSampler } from './samplers/random.js';
import { createStudy, type Trial } from './study.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const X = [0.5, -1, 1.5, 0.25, -0.5, 0.75, 1, -0.25];
const Y = [0, 1, 1, 0];
const batches = () =>
  (function* (): Generator<TrainBatch> {
    yield { x: tf.tensor2d(X, [4, 2]), y: tf.tidy(() => tf.oneHot(tf.tensor1d(Y, 'int32'), 2)) };
  })();
const loss = (yt: tf.Tensor, yp: tf.Tensor) => tf.losses.softmaxCrossEntropy(yt, yp) as tf.Scalar;

function net(seed: number): tfl.Sequential {
  const m = tfl.sequential();
  m.add(tfl.layers.dense({ units: 2, inputShape: [2], kernelInitializer: tfl.initializers.glorotUniform({ seed }) }));
  return m;
}

/** Overwrites `val_loss` with a scripted curve, so the pruner's decisions are known in advance. */
const scripted = (curve: number[]): Callback => ({
  onEpochEnd: (e, logs) => {
    logs.val_loss = curve[e] as number;
  },
});

/** Epochs that ran, per trial number (counted even when fit ends by throwing TrialPruned). */
const epochsRan: number[] = [];

/** Trains a fresh model for `epochs` with the pruning callback. */
async function train(trial: Trial, opts: { curve?: number[]; epochs?: number; every?: number; validate?: boolean }) {
  const model = net(trial.number);
  epochsRan[trial.number] = 0;
  try {
    await fit(model, {
      data: batches,
      loss,
      optimizer: sgd({ lr: 0.1 }),
      epochs: opts.epochs ?? 4,
      rng: createRng(trial.number),
      log: () => {},
      ...(opts.validate === false ? {} : { validation: { data: batches, every: opts.every ?? 1 } }),
      callbacks: [
        {
          onEpochEnd: () => {
            epochsRan[trial.number] = (epochsRan[trial.number] ?? 0) + 1;
          },
        },
        ...(opts.curve ? [scripted(opts.curve)] : []),
        pruningCallback(trial, { monitor: 'val_loss' }),
      ],
    });
  } finally {
    model.dispose();
  }
}

describe('pruningCallback', () => {
  it('reports val_loss per epoch and stops fit with TrialPruned when the pruner says so; tensors stay flat', async () => {
    const study = await createStudy({
      sampler: new RandomSampler({ seed: 0 }),
      pruner: new MedianPruner({ nStartupTrials: 2, nWarmupSteps: 0 }),
    });
    const curves = [
      [1, 0.5, 0.3, 0.2],
      [1.2, 0.6, 0.4, 0.3],
      [0.9, 0.8, 0.7, 0.6], // better than the median at epoch 0, worse from epoch 1 on: pruned at epoch 1
    ];
    const before = tf.memory().numTensors;
    await study.optimize(
      async (trial) => {
        await train(trial, { curve: curves[trial.number] });
        return curves[trial.number]?.at(-1) as number;
      },
      { nTrials: 3 },
    );
    expect(tf.memory().numTensors).toBe(before);
    expect(study.trials.map((t) => t.state)).toEqual(['complete', 'complete', 'pruned']);
    expect(epochsRan).toEqual([4, 4, 2]);
    const pruned = study.trials[2];
    expect([...(pruned?.intermediateValues.entries() ?? [])]).toEqual([
      [0, 0.9],
      [1, 0.8],
    ]);
    expect(pruned?.value).toBe(0.8);
    expect([...(study.trials[0]?.intermediateValues.keys() ?? [])]).toEqual([0, 1, 2, 3]);
  });

  it("reports at fit's validation epochs only (validation.every = 2), with fit's own val_loss", async () => {
    const study = await createStudy({ sampler: new RandomSampler({ seed: 1 }) });
    await study.optimize(
      async (trial) => {
        await train(trial, { epochs: 4, every: 2 });
        return 0;
      },
      { nTrials: 1 },
    );
    const iv = study.trials[0]?.intermediateValues;
    expect([...(iv?.keys() ?? [])]).toEqual([1, 3]);
    for (const v of iv?.values() ?? []) expect(Number.isFinite(v) && v > 0).toBe(true);
  });

  it('a run without validation is a typed error naming the logs, and fails the trial (the study goes on)', async () => {
    const study = await createStudy({ sampler: new RandomSampler({ seed: 2 }) });
    let err: unknown;
    await study.optimize(
      async (trial) => {
        try {
          await train(trial, { validate: false, epochs: 2 });
        } catch (e) {
          err = e;
          throw e;
        }
        return 0;
      },
      { nTrials: 2 },
    );
    expect(err).toBeInstanceOf(InvalidArgumentError);
    expect(String((err as Error).message)).toMatch(
      /monitor 'val_loss' is not in the epoch logs \(loss, lr.*give fit a validation set/,
    );
    expect(study.trials.map((t) => t.state)).toEqual(['fail', 'fail']);
    expect(() => pruningCallback(study.trials[0] as unknown as Trial, { monitor: '' })).toThrow(InvalidArgumentError);
  });
});
