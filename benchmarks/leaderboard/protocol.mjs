// The one protocol every method of the leaderboard runs under (issue 19): the zoo's MNIST-digit ResNet-8 adapted to
// Fashion-MNIST at 4, 10, 25 and 100 labels per class; per seed the same class-balanced labelled subset and validation
// hold-out for every method (core `budgetSplit`); the full 10,000-image test set; the same number of hyperparameter
// trials per method, spent through @ft/hparams on the validation images of a selection split (seed 100, never a test
// image); the same number of optimizer steps. This file is copied into the leaderboard's app and imports nothing.

/** The full run. */
export const FULL = Object.freeze({
  source: 'zoo:mnist-resnet8',
  budgets: [4, 10, 25, 100],
  seeds: [0, 1, 2],
  /** Seed of the split the hyperparameter search scores (validation images only). */
  selectSeed: 100,
  /** Trials per method and budget (the same for every method). */
  trials: 4,
  /** Optimizer steps of every run. */
  steps: 200,
  /** Labelled images per step (fewer when the budget is smaller). */
  batch: 64,
  /** Unlabelled images per step of the semi-supervised methods (μ = 3 × a labelled batch of 32). */
  sslBatch: { labeled: 32, unlabeled: 96 },
  /** Unlabelled pool of the semi-supervised methods: the first N training images outside the labelled budget. */
  unlabeledLimit: 20_000,
  /** L∞ radius of adversarial training and of the robust evaluation (pixels in [0, 1]). */
  eps: 0.1,
  /** PGD steps during adversarial training; steps of the robust evaluation's PGD and APGD-CE. */
  trainAttackSteps: 3,
  evalAttackSteps: 20,
  /** Robust accuracy: per-example worst case of PGD and APGD-CE on the first N test images (clean on the same N). */
  robustN: 1000,
  /** Selection ties (frequent on a few validation images) are broken by the validation cross-entropy, at this weight. */
  lossTieBreak: 1e-4,
  /** Test images scored (all). */
  testLimit: undefined,
});

/** CI-sized: one budget, one seed, one trial, a few steps, small evaluation sets. Writes nothing. */
export const QUICK = Object.freeze({
  ...FULL,
  budgets: [4],
  seeds: [0],
  trials: 1,
  steps: 3,
  batch: 16,
  sslBatch: { labeled: 8, unlabeled: 16 },
  unlabeledLimit: 500,
  trainAttackSteps: 1,
  evalAttackSteps: 2,
  robustN: 50,
  testLimit: 500,
});

/** Labelled images per step for a labelled set of `n` images. */
export const batchFor = (n, cfg) => Math.min(cfg.batch, n);

/**
 * Images an epoch-based loader (core `trainClassifier`: shuffled epochs of ⌈n/b⌉ batches, the last one partial) feeds
 * in `steps` steps of batch `b` over `n` images.
 */
export function imagesSeen(n, b, steps) {
  const perEpoch = Math.ceil(n / b);
  const full = Math.floor(steps / perEpoch);
  return full * n + Math.min((steps - full * perEpoch) * b, n);
}

/** The settings that decide results (what a run's tag hashes): the full protocol, without the quick one. */
export const resultSettings = (cfg) => JSON.stringify(cfg);

/** The key of a run in the records (a resumed leaderboard skips keys it has, for the same package tag). */
export function runKey(r) {
  return [r.phase, r.method, r.budget, r.seed, r.trial ?? '-', r.tag].join('|');
}

/** The entries whose test robust accuracy is scored: the robust ones, and full fine-tuning as their clean reference. */
export const ROBUST_SCORED = (entry) => entry.kind === 'robust' || entry.id === 'finetune';
