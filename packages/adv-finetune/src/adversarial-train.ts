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
  fixedSchedule,
  type History,
  type ImageDataset,
  InvalidArgumentError,
  isLayersModel,
  piecewiseDecay,
  type Rng,
  type Schedule,
  type ScheduleSpec,
  type SgdOptions,
  ShapeError,
  sgd,
  shuffled,
  type Trainable,
  type TrainBatch,
} from '@ft/core';
import { checkNonNegative, checkPositiveInt } from '@ft/core/internal';
import * as tf from '@tensorflow/tfjs-core';
import type { Attack } from './attack.js';
import { type AttackAccuracyResult, attackAccuracy, type RobustnessData } from './attack-accuracy.js';
import { FGSM } from './fgsm.js';
import { correctMask, crossEntropyPerExample } from './losses.js';
import { logitsOf, resolveOutputKind } from './model-output.js';
import { PassCounter, type PassCounts } from './pass-counter.js';
import { PGD } from './pgd.js';
import { tradesAttack, tradesLoss } from './trades.js';
import { numClassesOf } from './validate.js';

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
 * The default of every hyper-parameter of {@link adversarialTrain}, in one place (the option docs above repeat them).
 * Step sizes are multiples of ε.
 */
const DEFAULTS = {
  method: 'madry' as TrainingMethod,
  /** L∞ budget ε (8/255, the CIFAR-10 standard). */
  eps: 8 / 255,
  /** Attack steps K (PGD-7, Madry et al.). */
  steps: 7,
  /** Step size α = ε/4 (PGD-AT, TRADES; also the α of the run fingerprint). */
  alphaOverEps: 1 / 4,
  /** Fast-AT: α = 1.25ε (Wong et al.). */
  fastAtAlphaOverEps: 1.25,
  /** TRADES β. */
  beta: 6,
  batchSize: 128,
  /** Schedule: piecewiseDecay with this peak lr. */
  peakLr: 0.1,
  /** SGD as the reference code: momentum 0.9, coupled weight decay 5e-4. */
  momentum: 0.9,
  weightDecay: 5e-4,
  /** Validation: PGD-10 with α = ε/4, every epoch. */
  valSteps: 10,
  valEvery: 1,
} as const;

/** Validation settings with defaults applied. */
interface ResolvedValidation {
  data: RobustnessData;
  attack: Attack;
  every: number;
  limit?: number;
  restoreBest: boolean;
}

/** The options of {@link adversarialTrain}, checked and with every default applied. */
interface ResolvedOptions {
  method: TrainingMethod;
  epochs: number;
  /** Batch size, capped at the dataset size. */
  batchSize: number;
  /** What the model outputs. */
  kind: 'logits' | 'probs';
  eps: number;
  alpha: number;
  steps: number;
  beta: number;
  bnMode: 'train' | 'eval';
  /** Attack crafting the training examples (madry, fast-at), null otherwise. */
  attack: Attack | null;
  /** Forward+backward passes of crafting one training example. */
  attackPasses: number;
  spec: ScheduleSpec;
  schedule: Schedule;
  totalSteps: number;
  val: ResolvedValidation | null;
}

/**
 * Checks the options of {@link adversarialTrain} once and applies the defaults ({@link DEFAULTS}); builds the
 * training attack (madry: PGD-K with random start; fast-at: FGSM with random start) and the validation attack unless
 * given. The checks run in a fixed order, so a call with several bad options always reports the same one.
 */
function resolveOptions(model: Trainable, data: ImageDataset, opts: AdversarialTrainOptions): ResolvedOptions {
  const where = 'adversarialTrain';
  const method = opts.method ?? DEFAULTS.method;
  if (!METHODS.includes(method)) {
    throw new InvalidArgumentError(`${where}: method must be one of ${METHODS.join(', ')}, got ${String(method)}`);
  }
  if (!data || data.size === 0) throw new EmptyDatasetError(`${where}: the training dataset is empty`);
  const epochs = checkPositiveInt(opts.epochs, 'epochs', where);
  const batchSize = Math.min(checkPositiveInt(opts.batchSize ?? DEFAULTS.batchSize, 'batchSize', where), data.size);
  const kind = resolveOutputKind(model, opts.attack?.output ?? 'auto');
  checkModelMatchesData(model, data, where);
  const eps = checkNonNegative(opts.attack?.eps ?? opts.eps ?? DEFAULTS.eps, 'eps', where);
  const steps = checkPositiveInt(opts.steps ?? DEFAULTS.steps, 'steps', where);
  const beta = checkNonNegative(opts.beta ?? DEFAULTS.beta, 'beta', where);
  const bnMode = opts.bnMode ?? (method === 'trades' ? 'eval' : 'train');
  if (bnMode !== 'train' && bnMode !== 'eval') {
    throw new InvalidArgumentError(`${where}: bnMode must be 'train' or 'eval', got ${String(bnMode)}`);
  }
  const attack = trainingAttack(model, opts, method, { eps, steps, kind }, where);
  const alpha = checkNonNegative(opts.alpha ?? eps * DEFAULTS.alphaOverEps, 'alpha', where);
  const totalSteps = epochs * Math.ceil(data.size / batchSize);
  const spec: ScheduleSpec =
    opts.schedule === undefined
      ? piecewiseDecay({ peakLr: DEFAULTS.peakLr })
      : typeof opts.schedule === 'function'
        ? fixedSchedule(opts.schedule)
        : opts.schedule;
  const schedule = spec.build(totalSteps);
  const attackPasses = method === 'trades' ? steps : (attack?.passesPerExample() ?? 0);
  const val = resolveValidation(model, opts.val, { eps, kind }, where);
  return {
    method,
    epochs,
    batchSize,
    kind,
    eps,
    alpha,
    steps,
    beta,
    bnMode,
    attack,
    attackPasses,
    spec,
    schedule,
    totalSteps,
    val,
  };
}

/** Throws ShapeError unless the model outputs one score per class of the dataset. */
function checkModelMatchesData(model: Trainable, data: ImageDataset, where: string): void {
  const classes = isLayersModel(model)
    ? numClassesOf(model)
    : tf.tidy(() => numClassesOf(model, tf.tensor4d(data.get(0).x, [1, ...data.shape])));
  if (data.numClasses !== classes) {
    throw new ShapeError(
      `${where}: the dataset has ${data.numClasses} classes but the model outputs ${classes}; the outputs must be logits or probabilities over the dataset's labels`,
    );
  }
}

/** The attack crafting training examples: the caller's (madry, fast-at; it must attack `model`) or a default one. */
function trainingAttack(
  model: Trainable,
  opts: AdversarialTrainOptions,
  method: TrainingMethod,
  { eps, steps, kind }: { eps: number; steps: number; kind: 'logits' | 'probs' },
  where: string,
): Attack | null {
  if (method === 'madry' || method === 'fast-at') {
    if (opts.attack) {
      if (opts.attack.model !== model) {
        throw new InvalidArgumentError(
          `${where}: opts.attack was built for another model; build it on the model being trained`,
        );
      }
      return opts.attack;
    }
    if (method === 'madry') {
      const alpha = opts.alpha ?? eps * DEFAULTS.alphaOverEps;
      return new PGD(model, { eps, alpha, steps, randomStart: true, output: kind });
    }
    const alpha = opts.alpha ?? DEFAULTS.fastAtAlphaOverEps * eps;
    return new FGSM(model, { eps, randomStart: true, alpha, output: kind });
  }
  if (opts.attack) {
    throw new InvalidArgumentError(
      `${where}: method '${method}' does not take an attack (TRADES uses eps/alpha/steps)`,
    );
  }
  return null;
}

/** Validation settings with defaults (PGD-10, α = ε/4, every epoch); null without `val`. */
function resolveValidation(
  model: Trainable,
  val: AdversarialValidation | undefined,
  { eps, kind }: { eps: number; kind: 'logits' | 'probs' },
  where: string,
): ResolvedValidation | null {
  if (!val) return null;
  const attack =
    val.attack ??
    new PGD(model, { eps, alpha: eps * DEFAULTS.alphaOverEps, steps: DEFAULTS.valSteps, output: kind, seed: 'val' });
  if (attack.model !== model) {
    throw new InvalidArgumentError(
      `${where}: val.attack was built for another model; build it on the model being trained`,
    );
  }
  const every = checkPositiveInt(val.every ?? DEFAULTS.valEvery, 'val.every', where);
  return {
    data: val.data,
    attack,
    every,
    ...(val.limit ? { limit: val.limit } : {}),
    restoreBest: val.restoreBest ?? false,
  };
}

// ---- training modes: how a batch is crafted, fed forward, scored and counted ----

/** One training objective's step: the data stage (crafting), the forward pass and the loss, and its pass count. */
interface TrainingMode {
  /**
   * Turns a clean batch into the batch the update sees (called outside the weight-gradient tape; asynchronous
   * where it reads values, so it runs on backends without a synchronous readback).
   */
  craft(batch: TrainBatch, rng: Rng): AdvBatch | Promise<AdvBatch>;
  forward(model: Trainable, batch: AdvBatch, ctx: { training: boolean }): tf.Tensor;
  loss(y: tf.Tensor, z: tf.Tensor): tf.Scalar;
  /** Adds the passes of one optimizer step on `batchSize` examples. */
  countPasses(counter: PassCounter, batchSize: number): void;
}

/** Cross-entropy on the model's logits of `batch.x`. */
function ceMode(o: ResolvedOptions): Pick<TrainingMode, 'forward' | 'loss'> {
  return {
    forward: (m, batch, ctx) => logitsOf(m, batch.x, o.kind, ctx.training),
    loss: (y, z) => tf.tidy(() => tf.mean(crossEntropyPerExample(z as tf.Tensor2D, y as tf.Tensor1D)) as tf.Scalar),
  };
}

/** Natural (clean) training: one pass per example. */
function naturalMode(o: ResolvedOptions): TrainingMode {
  return {
    ...ceMode(o),
    craft: (b) => ({ x: b.x as tf.Tensor4D, y: b.y as tf.Tensor1D }),
    countPasses: (counter, bs) => counter.add('natural', bs),
  };
}

/**
 * PGD-AT (madry) and Fast-AT: the update sees only the attack's x + δ (no clean term); the attack's passes, one
 * update pass, and one forward-only pass per PGD restart beyond the first.
 */
function attackMode(o: ResolvedOptions, attack: Attack): TrainingMode {
  const training = o.bnMode === 'train';
  return {
    ...ceMode(o),
    craft: async (b, rng) => {
      const x = b.x as tf.Tensor4D;
      const xAdv = await attack.runAsync(x, b.y as tf.Tensor1D, { rng, training });
      x.dispose();
      return { x: xAdv, y: b.y as tf.Tensor1D };
    },
    countPasses: (counter, bs) => {
      counter.add('adversarialAttack', bs, o.attackPasses);
      counter.add('adversarialUpdate', bs, 1);
      if (attack instanceof PGD && attack.restarts > 1) counter.add('forwardOnly', bs, attack.restarts);
    },
  };
}

/** TRADES: x' from the KL attack; the update sees x and x' (2 passes), plus one forward-only pass. */
function tradesMode(model: Trainable, o: ResolvedOptions): TrainingMode {
  const training = o.bnMode === 'train';
  return {
    craft: (b, rng) => {
      const xAdv = tradesAttack(model, b.x as tf.Tensor4D, {
        eps: o.eps,
        alpha: o.alpha,
        steps: o.steps,
        training,
        kind: o.kind,
        rng,
      });
      return { x: b.x as tf.Tensor4D, y: b.y as tf.Tensor1D, xAdv };
    },
    forward: (m, batch, ctx) => {
      const zc = logitsOf(m, batch.x, o.kind, ctx.training);
      const za = logitsOf(m, batch.xAdv as tf.Tensor4D, o.kind, ctx.training);
      return tf.concat([zc, za], 0);
    },
    loss: (y, z) =>
      tf.tidy(() => {
        const n = y.shape[0];
        const zc = tf.slice(z, 0, n) as tf.Tensor2D;
        const za = tf.slice(z, n, n) as tf.Tensor2D;
        return tradesLoss(zc, za, y as tf.Tensor1D, o.beta);
      }),
    countPasses: (counter, bs) => {
      counter.add('adversarialAttack', bs, o.attackPasses);
      counter.add('adversarialUpdate', bs, 2);
      counter.add('forwardOnly', bs);
    },
  };
}

function trainingMode(model: Trainable, o: ResolvedOptions): TrainingMode {
  if (o.method === 'natural') return naturalMode(o);
  if (o.method === 'trades') return tradesMode(model, o);
  return attackMode(o, o.attack as Attack);
}

/** Training accuracy on the examples the update saw last (the adversarial half for TRADES). */
function trainAccuracy(y: tf.Tensor, z: tf.Tensor): tf.Scalar {
  return tf.tidy(() => {
    const n = y.shape[0];
    const zz = z.shape[0] === n ? z : tf.slice(z, n, n);
    return tf.mean(correctMask(zz as tf.Tensor2D, y as tf.Tensor1D)) as tf.Scalar;
  });
}

// ---- one epoch of data ----

/**
 * The epoch's batches for `fit`'s data stage: shuffled clean batches (augmented with `augment`), each crafted by the
 * mode with its own rng stream (`attack/batch-i`), so a resumed epoch re-creates the same streams.
 */
function epochData(data: ImageDataset, o: ResolvedOptions, mode: TrainingMode, augment?: Augment): DataFn<AdvBatch> {
  return (_epoch, rng) => {
    const attackRng = rng.fork('attack');
    const src = batches(data, {
      batchSize: o.batchSize,
      sampler: shuffled(),
      rng: rng.fork('batches'),
      ...(augment ? { transform: augment } : {}),
    });
    return (async function* () {
      let i = 0;
      for await (const b of src) {
        const r = attackRng.fork(`batch-${i++}`);
        let out: AdvBatch;
        try {
          out = await mode.craft(b, r);
        } catch (err) {
          b.dispose();
          throw err;
        }
        yield out;
      }
    })();
  };
}

/** Adds each optimizer step's passes to `counter` (per step, so a resumed run counts exactly); checkpointed. */
function passCounterCallback(mode: TrainingMode, counter: PassCounter): Callback {
  return {
    name: 'passCounter',
    onStepEnd: (_step, logs) => mode.countPasses(counter, logs.batchSize),
    getState: () => counter.snapshot(),
    setState: (s) => counter.restore(s as PassCounts),
  };
}

// ---- validation and early stopping (Rice et al.) ----

/** The validation curve, the best epoch, and (with `restoreBest`) the best weights, filled by the callback. */
class RobustValidation {
  readonly curve: ValPoint[] = [];
  best = { epoch: -1, robust: Number.NEGATIVE_INFINITY };
  private bestWeights: tf.Tensor[] | null = null;

  constructor(
    private readonly val: ResolvedValidation | null,
    private readonly epochs: number,
    private readonly counter: PassCounter,
    private readonly rng: Rng,
    private readonly opts: Pick<AdversarialTrainOptions, 'signal' | 'log'>,
  ) {}

  /** Measures clean and robust accuracy every `every` epochs (and after the last); checkpointed. */
  callback(): Callback {
    return {
      name: 'robustValidation',
      onEpochEnd: async (epoch, logs, ctx) => {
        const val = this.val;
        if (!val) return;
        const last = epoch === this.epochs - 1;
        if ((epoch + 1) % val.every !== 0 && !last) return;
        const r: AttackAccuracyResult = await attackAccuracy(ctx.model, val.data, {
          attacks: [val.attack],
          rng: this.rng.fork(`epoch-${epoch}`),
          counter: this.counter,
          ...(val.limit ? { limit: val.limit } : {}),
          ...(this.opts.signal ? { signal: this.opts.signal } : {}),
        });
        logs.val_clean = r.clean;
        logs.val_robust = r.worstCase;
        this.record(ctx.model, epoch, r);
        this.opts.log?.(
          `[adv] epoch ${epoch + 1}/${this.epochs}: val clean ${(100 * r.clean).toFixed(1)}%, robust ${(100 * r.worstCase).toFixed(1)}%`,
        );
      },
      getState: () => ({ valCurve: this.curve, best: this.best }),
      setState: (s) => {
        const st = s as { valCurve: ValPoint[]; best: { epoch: number; robust: number } };
        this.curve.splice(0, this.curve.length, ...st.valCurve);
        this.best = st.best;
      },
    };
  }

  private record(model: Trainable, epoch: number, r: AttackAccuracyResult): void {
    this.curve.push({ epoch, clean: r.clean, robust: r.worstCase, passes: this.counter.total });
    if (r.worstCase > this.best.robust) {
      this.best = { epoch, robust: r.worstCase };
      if (this.val?.restoreBest) {
        tf.dispose(this.bestWeights ?? []);
        this.bestWeights = allVariablesOf(model).map((v) => tf.clone(v));
      }
    }
  }

  /** With `restoreBest`: assigns the best weights unless the best epoch is the last one. Frees the copies. */
  finish(model: Trainable): boolean {
    const bw = this.bestWeights;
    if (!this.val?.restoreBest || !bw) return false;
    let restored = false;
    const lastEpoch = this.curve[this.curve.length - 1]?.epoch;
    if (this.best.epoch !== lastEpoch) {
      allVariablesOf(model).forEach((v, i) => {
        v.assign(bw[i]);
      });
      restored = true;
    }
    tf.dispose(bw);
    this.bestWeights = null;
    return restored;
  }
}

// ---- the run ----

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
  const o = resolveOptions(model, data, opts);
  const counter = opts.counter ?? new PassCounter();
  const mode = trainingMode(model, o);
  const validation = new RobustValidation(o.val, o.epochs, counter, opts.rng.fork('val'), opts);
  const optimizer = sgd({
    lr: o.schedule(0),
    momentum: DEFAULTS.momentum,
    weightDecay: DEFAULTS.weightDecay,
    ...(opts.optimizer ?? {}),
  });
  let history: History;
  try {
    history = await fit<AdvBatch>(model, {
      data: epochData(data, o, mode, opts.augment),
      loss: (y, z) => mode.loss(y, z),
      forward: mode.forward,
      metrics: { acc: (y, z) => trainAccuracy(y, z) },
      optimizer,
      schedule: o.schedule,
      epochs: o.epochs,
      rng: opts.rng,
      callbacks: [passCounterCallback(mode, counter), validation.callback(), ...(opts.callbacks ?? [])],
      ...(opts.checkpoint ? { checkpoint: fingerprinted(opts.checkpoint, o, data.size) } : {}),
      ...(opts.signal ? { signal: opts.signal } : {}),
      ...(opts.log ? { log: opts.log } : {}),
    });
  } finally {
    optimizer.dispose();
  }
  const restoredBest = validation.finish(model);
  return summarize(history, o, validation, counter, restoredBest, performance.now() - t0);
}

/**
 * `checkpoint` with the run fingerprint: the method's own settings, under the caller's keys (dataset, seed, lr…),
 * so resuming with other settings throws `ResumeMismatchError`.
 */
function fingerprinted(checkpoint: CheckpointOptions, o: ResolvedOptions, trainSize: number): CheckpointOptions {
  return {
    ...checkpoint,
    config: {
      method: o.method,
      batchSize: o.batchSize,
      trainSize,
      eps: o.eps,
      alpha: o.alpha,
      steps: o.steps,
      beta: o.beta,
      bnMode: o.bnMode,
      schedule: o.spec.name,
      lrPeak: peakOf(o.schedule, o.totalSteps),
      ...(checkpoint.config ?? {}),
    },
  };
}

/** The result of a finished run. */
function summarize(
  history: History,
  o: ResolvedOptions,
  validation: RobustValidation,
  counter: PassCounter,
  restoredBest: boolean,
  ms: number,
): AdversarialTrainResult {
  const curve = validation.curve;
  const lastRobust = curve.length ? curve[curve.length - 1].robust : Number.NaN;
  const bestRobust = curve.length ? validation.best.robust : Number.NaN;
  return {
    history,
    passes: counter.snapshot(),
    valCurve: curve,
    bestEpoch: validation.best.epoch,
    bestRobust,
    lastRobust,
    overfitGap: curve.length ? bestRobust - lastRobust : Number.NaN,
    restoredBest,
    steps: history.steps,
    ms,
    method: o.method,
    schedule: o.spec.name,
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
