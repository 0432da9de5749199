// Leaderboard entries of @ft/core's transfer methods (linear probe, full fine-tuning, training from scratch) and of
// L2-SP (Li, Grandvalet & Davoine, ICML 2018; in @ft/core since AdaFilter uses it too, studied by @ft/hparams): one SGD-Nesterov classifier run each.
import { createRng, l2sp, referenceWeights, trainClassifier } from '@ft/core';
import * as tf from '@tensorflow/tfjs-core';
import { batchFor, imagesSeen } from '../protocol.mjs';
import { transferModel } from '../transfer-model.mjs';

/**
 * Trains a copy of the source (or a fresh ResNet-8 for `scratch`) on the labelled split. Returns the model, its
 * training passes (one labelled image forward and backward = 1), and a `dispose` that frees the model and the copy's old head.
 */
async function classifierRun(ctx, { method, lr, alpha }) {
  const { model, dispose } = await transferModel(ctx, method === 'l2sp' ? 'full' : method);
  let extra;
  try {
    if (method === 'l2sp') {
      const ref = referenceWeights(model);
      try {
        extra = l2sp(model, { reference: ref, alpha, beta: 0.01, head: ['logits'] });
      } finally {
        tf.dispose(Object.values(ref));
      }
    }
    const batch = batchFor(ctx.split.labeled.size, ctx.cfg);
    await trainClassifier(model, ctx.split.labeled, {
      steps: ctx.cfg.steps,
      batchSize: batch,
      lr,
      rng: createRng(ctx.seed).fork(`leaderboard-${method}`),
      ...(extra ? { extraLoss: extra, weightDecay: 0 } : {}),
    });
    const images = imagesSeen(ctx.split.labeled.size, batch, ctx.cfg.steps);
    return { model, passes: { train: images, forwardOnly: 0 }, dispose };
  } catch (e) {
    dispose();
    throw e;
  } finally {
    extra?.regularizer.dispose();
  }
}

const lr = (trial, high = 0.3) => trial.suggestFloat('lr', 1e-3, high, { log: true });

/** @type {import('../entry.mjs').Entry[]} */
export const entries = [
  {
    id: 'linear-probe',
    label: 'linear probe',
    pkg: '@ft/core',
    kind: 'supervised',
    space: (trial) => ({ lr: lr(trial, 1) }),
    train: (ctx, p) => classifierRun(ctx, { method: 'linear-probe', ...p }),
  },
  {
    id: 'finetune',
    label: 'full fine-tuning',
    pkg: '@ft/core',
    kind: 'supervised',
    space: (trial) => ({ lr: lr(trial) }),
    train: (ctx, p) => classifierRun(ctx, { method: 'full', ...p }),
  },
  {
    id: 'scratch',
    label: 'from scratch',
    pkg: '@ft/core',
    kind: 'supervised',
    space: (trial) => ({ lr: lr(trial) }),
    train: (ctx, p) => classifierRun(ctx, { method: 'scratch', ...p }),
  },
  {
    id: 'l2sp',
    label: 'L2-SP',
    pkg: '@ft/core',
    kind: 'supervised',
    space: (trial) => ({ lr: lr(trial), alpha: trial.suggestFloat('alpha', 1e-4, 0.1, { log: true }) }),
    train: (ctx, p) => classifierRun(ctx, { method: 'l2sp', ...p }),
  },
];
