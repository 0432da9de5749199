/**
 * Adversarial training on @ft/core's `fit`: PGD-AT (Madry), TRADES, Fast-AT, natural training, and adversarial
 * fine-tuning (AFT) of a pre-trained model — all with forward+backward pass accounting (`PassCounter`).
 *
 * - PGD-AT: A. Madry et al., "Towards Deep Learning Models Resistant to Adversarial Attacks", ICLR 2018 (arXiv
 *   1706.06083): min_θ E max_{‖δ‖∞≤ε} CE(f_θ(x+δ), y), inner max by PGD-K with random start; the update uses x+δ^K
 *   only (no clean term), as locuslab/robust_overfitting `train_cifar.py`. K+1 passes per example.
 * - TRADES (Zhang et al., ICML 2019): see `trades.ts`. K + 2 passes per example (K attack steps, the clean and the
 *   adversarial example in the update) plus one forward-only pass.
 * - Fast-AT (Wong, Rice, Kolter, ICLR 2020, arXiv 2001.03994): FGSM with random start, α = 1.25ε, cyclic LR. 2 passes.
 * - AFT (Jeddi, Shafiee, Wong, "A Simple Fine-tuning Is All You Need", CVPR-W 2021, arXiv 2012.13628): PGD-AT of a
 *   naturally pre-trained model for a few epochs with a "slow start, fast decay" LR schedule (`slowStartFastDecay`).
 *
 * How the loop works: the adversarial examples are crafted in `fit`'s data stage, outside the weight-gradient tape
 * (so no second-order terms are recorded), with the current weights, right before each update. BatchNorm runs in
 * training mode for the attack and the update (`bnMode: 'train'`, the reference code calls `model.train()` before
 * both; every attack step then updates the BN moving statistics, K extra updates per batch) — `'eval'` is the
 * ablation. Evaluation always uses inference mode. Optimiser: SGD, momentum 0.9, weight decay 5e-4 (coupled, on all
 * weights, as PyTorch's SGD in the reference code), batch 128.
 *
 * Validation (Rice, Wong, Kolter, ICML 2020, "Overfitting in adversarially robust deep learning"): with `val`, the
 * clean and robust accuracy on a held-out split are measured after every `every` epochs; the best epoch by robust
 * accuracy and the robust-overfitting gap (best − last) are reported, and `restoreBest` restores the best weights
 * (Rice's early stopping). Select hyper-parameters on this split, never on the test set.
 *
 * Resume: `checkpoint` is passed to `fit` with a run fingerprint (method, batch size, train size, ε, α, K, β, BN
 * mode, schedule name and peak lr, plus the caller's `checkpoint.config`), so resuming with other settings throws
 * `ResumeMismatchError` unless `checkpoint.forceResume`. `epochs` is not in it: a finished run may be extended by
 * resuming with more epochs (add it to `checkpoint.config` to forbid that). The pass counter and the validation
 * curve are checkpointed. Re-created
 * batches of a resumed epoch are re-attacked (the examples differ slightly from the uninterrupted run's, since the
 * attack runs against the resumed weights only for the remaining batches). The in-memory best weights of
 * `restoreBest` are not checkpointed.
 */

import {
  type Augment,
  allVariablesOf,
  batches,
  type Callback,
  type CheckpointOptions,
  type DataFn,
  EmptyDatasetError,
  fit,
  type History,
  type ImageDataset,
  InvalidArgumentError,
  isLayersModel,
  type Rng,
  type Schedule,
  type SgdOptions,
  ShapeError,
  sgd,
  shuffled,
  type Trainable,
  type TrainBatch,
} from '@ft/core';
import * as tf from '@tensorflow/tfjs-core';
import type { Attack } from './attack.js';
import { type AttackAccuracyResult, attackAccuracy, type RobustnessData } from './attack-accuracy.js';
import { FGSM } from './fgsm.js';
import { correctMask, crossEntropyPerExample } from './losses.js';
import { logitsOf, resolveOutputKind } from './model-output.js';
import { PassCounter, type PassCounts } from './pass-counter.js';
import { PGD } from './pgd.js';
import { fixedSchedule, piecewiseDecay, type ScheduleSpec } from './schedules.js';
import { tradesAttack, tradesLoss } from './trades.js';
import { checkNonNegative, checkPositiveInt, numClassesOf } from './validate.js';

/** Training objectives. */
export type TrainingMethod = 'natural' | 'madry' | 'trades' | 'fast-at';

/** Held-out validation during training. */
export interface AdversarialValidation {
  /** Validation split (never the test set). */
  data: RobustnessData;
  /** Attack for the robust accuracy (BN inference mode). Default: PGD-10 at the training ε, α = ε/4. */
  attack?: Attack;
  /** Evaluate every N epochs (and after the last). [1] */
  every?: number;
  /** Use the first `limit` validation examples. [all] */
  limit?: number;
  /** At the end, restore the weights of the epoch with the best robust validation accuracy. [false] */
  restoreBest?: boolean;
}

/** Options of {@link adversarialTrain} (defaults in brackets). */
export interface AdversarialTrainOptions {
  /** Objective. ['madry'] */
  method?: TrainingMethod;
  /** Attack crafting the training examples (madry, fast-at); must attack `model`. [from eps/alpha/steps] */
  attack?: Attack;
  /** L∞ budget when no `attack` is given (and for TRADES). [8/255] */
  eps?: number;
  /** Step size when no `attack` is given. [madry/trades: ε/4; fast-at: 1.25ε] */
  alpha?: number;
  /** Attack steps K when no `attack` is given (madry, trades). [7] */
  steps?: number;
  /** TRADES β. [6] */
  beta?: number;
  /** Epochs. */
  epochs: number;
  /** Batch size. [128] */
  batchSize?: number;
  /** Learning rate schedule over the whole run. [piecewiseDecay({ peakLr: 0.1 })] */
  schedule?: ScheduleSpec | Schedule;
  /** SGD options (lr is set by the schedule). [momentum 0.9, weightDecay 5e-4] */
  optimizer?: Omit<SgdOptions, 'lr'>;
  /** BN mode for crafting training examples. ['train' (madry, fast-at), 'eval' (trades, as the reference)] */
  bnMode?: 'train' | 'eval';
  /** Augmentation applied to clean batches before the attack. [none] */
  augment?: Augment;
  /** Held-out validation (robust accuracy per epoch, best epoch, overfitting gap). */
  val?: AdversarialValidation;
  /** Counter the passes are added to. [a new one] */
  counter?: PassCounter;
  rng: Rng;
  callbacks?: Callback[];
  checkpoint?: CheckpointOptions;
  signal?: AbortSignal;
  log?: (msg: string) => void;
}

/** One validation point. */
export interface ValPoint {
  epoch: number;
  clean: number;
  robust: number;
  /** Training passes (adversarial + natural) spent up to this epoch. */
  passes: number;
}

/** Result of {@link adversarialTrain}. */
export interface AdversarialTrainResult {
  history: History;
  /** Passes of this run (and anything the given counter held before). */
  passes: PassCounts;
  /** Validation curve (with `val`). */
  valCurve: ValPoint[];
  /** Epoch with the best robust validation accuracy (−1 without `val`). */
  bestEpoch: number;
  bestRobust: number;
  lastRobust: number;
  /** Robust-overfitting gap: best − last robust validation accuracy (≥ 0). */
  overfitGap: number;
  /** True when the best weights were restored. */
  restoredBest: boolean;
  /** Optimizer steps. */
  steps: number;
  /** Wall time in ms (training and validation). */
  ms: number;
  /** Method and schedule actually used. */
  method: TrainingMethod;
  schedule: string;
}

/** A training batch: x (adversarial for madry/fast-at, clean for TRADES), y, and x' for TRADES. */
interface AdvBatch extends TrainBatch {
  x: tf.Tensor4D;
  y: tf.Tensor1D;
  xAdv?: tf.Tensor4D;
}

const METHODS: readonly TrainingMethod[] = ['natural', 'madry', 'trades', 'fast-at'];

/**
 * Trains `model` on `data` with the chosen objective (see the file header) and returns the history, the pass
 * counts, the validation curve and the robust-overfitting gap.
 * @param model a LayersModel (or Module) on [0, 1] inputs with a logits or softmax output.
 * @param data training split (an @ft/core `ImageDataset`).
 * @param opts see {@link AdversarialTrainOptions}.
 * @throws InvalidArgumentError for bad options (ε < 0, unknown method, an attack built for another model),
 *   ShapeError when the dataset's classes differ from the model's outputs, EmptyDatasetError for no data.
 */
export async function adversarialTrain(
  model: Trainable,
  data: ImageDataset,
  opts: AdversarialTrainOptions,
): Promise<AdversarialTrainResult> {
  const t0 = performance.now();
  const where = 'adversarialTrain';
  const method = opts.method ?? 'madry';
  if (!METHODS.includes(method)) {
    throw new InvalidArgumentError(`${where}: method must be one of ${METHODS.join(', ')}, got ${String(method)}`);
  }
  if (!data || data.size === 0) throw new EmptyDatasetError(`${where}: the training dataset is empty`);
  const epochs = checkPositiveInt(where, 'epochs', opts.epochs);
  const batchSize = Math.min(checkPositiveInt(where, 'batchSize', opts.batchSize ?? 128), data.size);
  const kind = resolveOutputKind(model, opts.attack?.output ?? 'auto');
  const classes = isLayersModel(model)
    ? numClassesOf(model)
    : tf.tidy(() => numClassesOf(model, tf.tensor4d(data.get(0).x, [1, ...data.shape])));
  if (data.numClasses !== classes) {
    throw new ShapeError(
      `${where}: the dataset has ${data.numClasses} classes but the model outputs ${classes}; the outputs must be logits or probabilities over the dataset's labels`,
    );
  }
  const eps = checkNonNegative(where, 'eps', opts.attack?.eps ?? opts.eps ?? 8 / 255);
  const steps = checkPositiveInt(where, 'steps', opts.steps ?? 7);
  const beta = checkNonNegative(where, 'beta', opts.beta ?? 6);
  const bnMode = opts.bnMode ?? (method === 'trades' ? 'eval' : 'train');
  if (bnMode !== 'train' && bnMode !== 'eval') {
    throw new InvalidArgumentError(`${where}: bnMode must be 'train' or 'eval', got ${String(bnMode)}`);
  }
  let attack: Attack | null = null;
  if (method === 'madry' || method === 'fast-at') {
    if (opts.attack) {
      if (opts.attack.model !== model) {
        throw new InvalidArgumentError(
          `${where}: opts.attack was built for another model; build it on the model being trained`,
        );
      }
      attack = opts.attack;
    } else if (method === 'madry') {
      attack = new PGD(model, { eps, alpha: opts.alpha ?? eps / 4, steps, randomStart: true, output: kind });
    } else {
      attack = new FGSM(model, { eps, randomStart: true, alpha: opts.alpha ?? 1.25 * eps, output: kind });
    }
  } else if (opts.attack) {
    throw new InvalidArgumentError(
      `${where}: method '${method}' does not take an attack (TRADES uses eps/alpha/steps)`,
    );
  }
  const alpha = checkNonNegative(where, 'alpha', opts.alpha ?? eps / 4);
  const stepsPerEpoch = Math.ceil(data.size / batchSize);
  const totalSteps = epochs * stepsPerEpoch;
  const spec: ScheduleSpec =
    opts.schedule === undefined
      ? piecewiseDecay({ peakLr: 0.1 })
      : typeof opts.schedule === 'function'
        ? fixedSchedule(opts.schedule)
        : opts.schedule;
  const schedule = spec.build(totalSteps);
  const counter = opts.counter ?? new PassCounter();
  const attackPasses = method === 'trades' ? steps : (attack?.passesPerExample() ?? 0);
  const training = bnMode === 'train';

  const dataFn: DataFn<AdvBatch> = (_epoch, rng) => {
    const attackRng = rng.fork('attack');
    const src = batches(data, {
      batchSize,
      sampler: shuffled(),
      rng: rng.fork('batches'),
      ...(opts.augment ? { transform: opts.augment } : {}),
    });
    return (async function* () {
      let i = 0;
      for await (const b of src) {
        const r = attackRng.fork(`batch-${i++}`);
        if (method === 'natural') {
          yield { x: b.x, y: b.y };
          continue;
        }
        let out: AdvBatch;
        try {
          if (method === 'trades') {
            const xAdv = tradesAttack(model, b.x, { eps, alpha, steps, training, kind, rng: r });
            out = { x: b.x, y: b.y, xAdv };
          } else {
            const xAdv = (attack as Attack).run(b.x, b.y, { rng: r, training });
            b.x.dispose();
            out = { x: xAdv, y: b.y };
          }
        } catch (err) {
          b.dispose();
          throw err;
        }
        yield out;
      }
    })();
  };

  const forward = (m: Trainable, batch: AdvBatch, ctx: { training: boolean }) => {
    if (method !== 'trades') return logitsOf(m, batch.x, kind, ctx.training);
    const zc = logitsOf(m, batch.x, kind, ctx.training);
    const za = logitsOf(m, batch.xAdv as tf.Tensor4D, kind, ctx.training);
    return tf.concat([zc, za], 0);
  };
  const loss = (y: tf.Tensor, z: tf.Tensor) =>
    tf.tidy(() => {
      const n = y.shape[0];
      if (method !== 'trades') return tf.mean(crossEntropyPerExample(z as tf.Tensor2D, y as tf.Tensor1D)) as tf.Scalar;
      const zc = tf.slice(z, 0, n) as tf.Tensor2D;
      const za = tf.slice(z, n, n) as tf.Tensor2D;
      return tradesLoss(zc, za, y as tf.Tensor1D, beta);
    });
  // training accuracy on the examples the update saw last (adversarial for AT methods)
  const acc = (y: tf.Tensor, z: tf.Tensor) =>
    tf.tidy(() => {
      const n = y.shape[0];
      const zz = z.shape[0] === n ? z : tf.slice(z, n, n);
      return tf.mean(correctMask(zz as tf.Tensor2D, y as tf.Tensor1D)) as tf.Scalar;
    });

  // ---- pass accounting (per optimizer step, so a resumed run counts exactly) ----
  const passCallback: Callback = {
    name: 'passCounter',
    onStepEnd: (_step, logs) => {
      const bs = logs.batchSize;
      if (method === 'natural') counter.add('natural', bs);
      else {
        counter.add('adversarialAttack', bs, attackPasses);
        counter.add('adversarialUpdate', bs, method === 'trades' ? 2 : 1);
        if (method === 'trades') counter.add('forwardOnly', bs);
        else if (attack instanceof PGD && attack.restarts > 1) counter.add('forwardOnly', bs, attack.restarts);
      }
    },
    getState: () => counter.snapshot(),
    setState: (s) => counter.restore(s as PassCounts),
  };

  // ---- validation ----
  const valCurve: ValPoint[] = [];
  let best = { epoch: -1, robust: Number.NEGATIVE_INFINITY };
  let bestWeights: tf.Tensor[] | null = null;
  const val = opts.val;
  const valAttack =
    val?.attack ?? (val ? new PGD(model, { eps, alpha: eps / 4, steps: 10, output: kind, seed: 'val' }) : null);
  if (valAttack && valAttack.model !== model) {
    throw new InvalidArgumentError(
      `${where}: val.attack was built for another model; build it on the model being trained`,
    );
  }
  const every = val ? checkPositiveInt(where, 'val.every', val.every ?? 1) : 1;
  const valRng = opts.rng.fork('val');
  const valCallback: Callback = {
    name: 'robustValidation',
    onEpochEnd: async (epoch, logs, ctx) => {
      if (!val || !valAttack) return;
      const last = epoch === epochs - 1;
      if ((epoch + 1) % every !== 0 && !last) return;
      const r: AttackAccuracyResult = await attackAccuracy(ctx.model, val.data, {
        attacks: [valAttack],
        rng: valRng.fork(`epoch-${epoch}`),
        counter,
        ...(val.limit ? { limit: val.limit } : {}),
        ...(opts.signal ? { signal: opts.signal } : {}),
      });
      logs.val_clean = r.clean;
      logs.val_robust = r.worstCase;
      valCurve.push({ epoch, clean: r.clean, robust: r.worstCase, passes: counter.total });
      if (r.worstCase > best.robust) {
        best = { epoch, robust: r.worstCase };
        if (val.restoreBest) {
          tf.dispose(bestWeights ?? []);
          bestWeights = allVariablesOf(ctx.model).map((v) => tf.clone(v));
        }
      }
      opts.log?.(
        `[adv] epoch ${epoch + 1}/${epochs}: val clean ${(100 * r.clean).toFixed(1)}%, robust ${(100 * r.worstCase).toFixed(1)}%`,
      );
    },
    getState: () => ({ valCurve, best }),
    setState: (s) => {
      const st = s as { valCurve: ValPoint[]; best: { epoch: number; robust: number } };
      valCurve.splice(0, valCurve.length, ...st.valCurve);
      best = st.best;
    },
  };

  const optimizer = sgd({ lr: schedule(0), momentum: 0.9, weightDecay: 5e-4, ...(opts.optimizer ?? {}) });
  let history: History;
  try {
    history = await fit<AdvBatch>(model, {
      data: dataFn,
      loss: (y, z) => loss(y, z),
      forward,
      metrics: { acc: (y, z) => acc(y, z) },
      optimizer,
      schedule,
      epochs,
      rng: opts.rng,
      callbacks: [passCallback, valCallback, ...(opts.callbacks ?? [])],
      ...(opts.checkpoint
        ? {
            checkpoint: {
              ...opts.checkpoint,
              // the run fingerprint: the method's own settings, under the caller's keys (dataset, seed, lr…)
              config: {
                method,
                batchSize,
                trainSize: data.size,
                eps,
                alpha,
                steps,
                beta,
                bnMode,
                schedule: spec.name,
                lrPeak: peakOf(schedule, totalSteps),
                ...(opts.checkpoint.config ?? {}),
              },
            },
          }
        : {}),
      ...(opts.signal ? { signal: opts.signal } : {}),
      ...(opts.log ? { log: opts.log } : {}),
    });
  } finally {
    optimizer.dispose();
  }
  let restoredBest = false;
  if (val?.restoreBest && bestWeights) {
    const bw: tf.Tensor[] = bestWeights;
    const lastEpoch = valCurve[valCurve.length - 1]?.epoch;
    if (best.epoch !== lastEpoch) {
      allVariablesOf(model).forEach((v, i) => {
        v.assign(bw[i]);
      });
      restoredBest = true;
    }
    tf.dispose(bw);
  }
  const lastRobust = valCurve.length ? valCurve[valCurve.length - 1].robust : Number.NaN;
  const bestRobust = valCurve.length ? best.robust : Number.NaN;
  return {
    history,
    passes: counter.snapshot(),
    valCurve,
    bestEpoch: best.epoch,
    bestRobust,
    lastRobust,
    overfitGap: valCurve.length ? bestRobust - lastRobust : Number.NaN,
    restoredBest,
    steps: history.steps,
    ms: performance.now() - t0,
    method,
    schedule: spec.name,
  };
}

/** Largest learning rate of `schedule` over steps 0..T−1 (part of the run fingerprint: spec names omit the lr). */
function peakOf(schedule: (t: number) => number, T: number): number {
  let m = Number.NEGATIVE_INFINITY;
  for (let t = 0; t < T; t++) m = Math.max(m, schedule(t));
  return m;
}

/** Options of {@link adversarialFinetune}: those of `adversarialTrain`, with AFT defaults. */
export type AdversarialFinetuneOptions = AdversarialTrainOptions;

/**
 * Adversarial fine-tuning (AFT, Jeddi et al., arXiv 2012.13628) of a naturally pre-trained `model`: PGD-AT
 * (`method: 'madry'` unless given) for a few epochs with the given schedule — use `slowStartFastDecay` (the
 * paper's "slow start, fast decay"; its p and peak LR are chosen on held-out robust accuracy).
 * Same options and result as {@link adversarialTrain}; `schedule` is required.
 */
export async function adversarialFinetune(
  model: Trainable,
  data: ImageDataset,
  opts: AdversarialFinetuneOptions,
): Promise<AdversarialTrainResult> {
  if (opts.schedule === undefined) {
    throw new InvalidArgumentError(
      'adversarialFinetune: give a schedule, e.g. slowStartFastDecay({ peakLr: 0.01, warmFraction: 0.7 })',
    );
  }
  return adversarialTrain(model, data, { method: 'madry', ...opts });
}
